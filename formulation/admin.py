"""Reference data for administrators: TRM frameworks and each team's active framework.

A framework in use (a placement or a stage record points to its stages) is read-only here:
"Make a new version to edit" copies it as the next version, moves the teams to it and retires
the old one, so past placements keep the meaning they were made with."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from ecm.admin import AuditedAdminMixin

from .models import TeamFormulationSettings, TRMFramework, TRMStage
from .trm import services as trm_services
from .trm.selectors import framework_uses

# The stage's words, by their columns per language (modeltranslation would make every
# language's column read-only for the field's own name).
TRANSLATED_STAGE_FIELDS = {"name", "presentation", "underlying_need", "interventions"}


def _in_use(obj) -> bool:
    return obj is not None and obj.pk is not None and framework_uses(obj) > 0


# The words in both languages (name_en_gb, name_cy...) side by side: django-modeltranslation.
class TRMStageInline(TranslationStackedInline):
    model = TRMStage
    extra = 0

    def has_add_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_add_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # In use: only the Welsh may still be written or corrected (it changes no meaning).
        if _in_use(obj):
            return [
                f.name
                for f in TRMStage._meta.fields
                if not f.name.endswith("_cy") and f.name not in TRANSLATED_STAGE_FIELDS
            ]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_delete_permission(request, obj)


@admin.register(TRMFramework)
class TRMFrameworkAdmin(AuditedAdminMixin, TranslationAdmin):
    list_display = ["name", "code", "version", "is_active"]
    list_filter = ["is_active"]
    inlines = [TRMStageInline]
    actions = ["make_new_version"]

    def get_readonly_fields(self, request, obj=None):
        if _in_use(obj):
            # Retiring stays possible: it changes no past placement's meaning.
            # Its Welsh may still be written or corrected: a translation changes no meaning.
            return ["code", "version"] + [
                f"{field}_en_gb" for field in ("name", "source", "description")
            ]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and _in_use(obj):
            messages.info(
                request,
                _(
                    "This framework is used by %(n)s placement(s) or stage record(s), so it "
                    "cannot be changed in place. Choose the action “Make a new version to edit” "
                    "in the list: the copy is yours to edit, the teams move to it and this "
                    "version is retired."
                )
                % {"n": framework_uses(obj)},
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _new_version(self, request, obj):
        try:
            new = trm_services.trm_framework_new_version(actor=request.user, framework=obj)
        except PermissionDenied:
            self.message_user(request, _("You may not change TRM frameworks."), messages.ERROR)
            return redirect(reverse("admin:formulation_trmframework_changelist"))
        self.message_user(
            request,
            _("Version %(v)s made from version %(old)s, which is now retired. Edit it here.")
            % {"v": new.version, "old": obj.version},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:formulation_trmframework_change", args=[new.pk]))

    @admin.action(description=gettext_lazy("Make a new version to edit"))
    def make_new_version(self, request, queryset):
        frameworks = list(queryset)
        if len(frameworks) != 1:
            self.message_user(request, _("Choose one framework."), messages.WARNING)
            return None
        return self._new_version(request, frameworks[0])


class TeamFormulationSettingsForm(forms.ModelForm):
    class Meta:
        model = TeamFormulationSettings
        fields = ["team", "framework"]

    def clean_framework(self):
        framework = self.cleaned_data["framework"]
        unchanged = self.instance.pk and self.instance.framework_id == framework.pk
        if not unchanged:
            try:
                trm_services.trm_framework_require_available(framework)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from None
        return framework


@admin.register(TeamFormulationSettings)
class TeamFormulationSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = TeamFormulationSettingsForm
    list_display = ["team", "framework"]
