"""Reference data for administrators: TRM frameworks and each team's active framework."""

from django.contrib import admin

from ecm.admin import AuditedAdminMixin

from .models import TeamFormulationSettings, TRMFramework, TRMStage


class TRMStageInline(admin.StackedInline):
    model = TRMStage
    extra = 0


@admin.register(TRMFramework)
class TRMFrameworkAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "version", "is_active"]
    inlines = [TRMStageInline]


@admin.register(TeamFormulationSettings)
class TeamFormulationSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["team", "framework"]
