"""Reference data for administrators: eligibility rule sets and team capacity.

Referrals themselves are case data and are not in the admin."""

from django.contrib import admin

from ecm.admin import AuditedAdminMixin

from .models import Criterion, RuleSet, TeamReferralSettings


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["order", "code", "text", "kind", "params"]


@admin.register(RuleSet)
class RuleSetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "version", "effective_from", "is_active"]
    list_filter = ["is_active"]
    inlines = [CriterionInline]


@admin.register(TeamReferralSettings)
class TeamReferralSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["team", "rule_set", "formulations_per_month"]
