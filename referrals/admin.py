"""Reference data for administrators: eligibility rule sets and team capacity.

Referrals themselves are case data and are not in the admin.

A rule set used by a recorded check is read-only here: changing its criteria would change
what past decisions meant. "Make a new version" copies it (version + 1, same criteria),
retires the old one and opens the copy to edit; teams that used the old version move to the
new one."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from ecm.admin import AuditedAdminMixin

from . import services
from .models import Criterion, RuleSet, TeamReferralSettings

# What an administrator may still change on a rule set in use: whether it takes new checks,
# and its Welsh wording (a translation does not change what past decisions meant).
EDITABLE_WHEN_IN_USE = {"is_active", "name_cy", "source_cy", "description_cy"}
TRANSLATED = {"name", "source", "description"}


# The words in both languages (name_en_gb, name_cy...) side by side: django-modeltranslation.
class CriterionInline(TranslationTabularInline):
    model = Criterion
    extra = 0
    fields = ["order", "code", "text", "kind", "params"]

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.in_use

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # In use: only the Welsh may still be written or corrected (it changes no meaning).
        if self._frozen(obj):
            return [
                f.name
                for f in Criterion._meta.fields
                if not f.name.endswith("_cy") and f.name != "text"
            ]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(RuleSet)
class RuleSetAdmin(AuditedAdminMixin, TranslationAdmin):
    list_display = ["name", "code", "version", "effective_from", "is_active", "used_by_checks"]
    list_filter = ["is_active", "code"]
    inlines = [CriterionInline]
    actions = ["make_new_version"]
    change_form_template = "admin/referrals/ruleset/change_form.html"

    @admin.display(boolean=True, description=_("used by checks"))
    def used_by_checks(self, obj):
        return obj.in_use

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.in_use:
            # The translated fields by their columns (name_en_gb...): modeltranslation would
            # make every language's column read-only for "name".
            return [
                f.name
                for f in RuleSet._meta.fields
                if f.name not in EDITABLE_WHEN_IN_USE and f.name not in TRANSLATED
            ]
        if obj is not None:
            return ["code", "version"]  # a version's identity stays; a new one is a copy
        return []

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.in_use) and super().has_delete_permission(request, obj)

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.new_version_view))
        return [
            path("<int:pk>/new-version/", view, name="referrals_ruleset_new_version"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["rule_set_in_use"] = obj.in_use
            extra_context["new_version_url"] = reverse(
                "admin:referrals_ruleset_new_version", args=[obj.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _new_version(self, request, rule_set):
        new = services.rule_set_new_version(actor=request.user, rule_set=rule_set)
        self.message_user(
            request,
            _("%(new)s made from %(old)s, which is retired and kept for its checks. Edit it here.")
            % {"new": new, "old": rule_set},
            messages.SUCCESS,
        )
        return new

    def new_version_view(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        new = self._new_version(request, get_object_or_404(RuleSet, pk=pk))
        return redirect("admin:referrals_ruleset_change", new.pk)

    @admin.action(description=_("Make a new version to edit (the old one is retired)"))
    def make_new_version(self, request, queryset):
        made = [self._new_version(request, rule_set) for rule_set in queryset]
        if len(made) == 1:
            return redirect("admin:referrals_ruleset_change", made[0].pk)
        return None


@admin.register(TeamReferralSettings)
class TeamReferralSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["team", "rule_set", "formulations_per_month"]
