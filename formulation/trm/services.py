"""Writes of the TRM frameworks (reference data, changed in the admin). A framework that a
placement or a stage record uses keeps its meaning: it is never changed in place; editing
makes a new version, and the old one is retired (no new placements; past ones keep it)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from ecm.audit import audit_record
from ecm.language import in_each_language
from ecm.models import AuditEvent, User

from .models import TeamFormulationSettings, TRMFramework, TRMStage
from .selectors import framework_retired_message

#: The stage fields a new version copies; the words in each language (formulation/translation.py).
STAGE_FIELDS = ("number", "offence_focused_work")
TRANSLATED_STAGE_FIELDS = ("name", "presentation", "underlying_need", "interventions")


def _require_editor(actor: User) -> None:
    # Reference data, kept in the admin: its model permissions are the rule.
    if not (
        actor.has_perm("formulation.add_trmframework")
        and actor.has_perm("formulation.change_trmframework")
    ):
        raise PermissionDenied


@transaction.atomic
def trm_framework_new_version(*, actor: User, framework: TRMFramework) -> TRMFramework:
    """Copy `framework` and its stages as the next version of its code, to be edited. The
    teams set to it move to the new version, and the old one is retired: placements made
    on it keep it, new ones use the new version."""
    _require_editor(actor)
    framework = TRMFramework.objects.select_for_update().get(pk=framework.pk)
    latest = TRMFramework.objects.filter(code=framework.code).aggregate(v=Max("version"))["v"]
    new = TRMFramework.objects.create(
        code=framework.code,
        version=latest + 1,
        **in_each_language(framework, "name", "source", "description"),
        is_active=True,
    )
    TRMStage.objects.bulk_create(
        TRMStage(
            framework=new,
            **{f: getattr(stage, f) for f in STAGE_FIELDS},
            **in_each_language(stage, *TRANSLATED_STAGE_FIELDS),
        )
        for stage in framework.stages.order_by("number")
    )
    moved = TeamFormulationSettings.objects.filter(framework=framework).update(framework=new)
    framework.is_active = False
    framework.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=new,
        changed_fields=["version", "stages"],
        detail=f"new version of {framework.code} v{framework.version}; {moved} team(s) moved",
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=framework,
        changed_fields=["is_active"],
        detail=f"retired for {framework.code} v{new.version}",
    )
    return new


def trm_framework_require_available(framework: TRMFramework) -> None:
    """Refuse a retired framework for new placements (and for a team's settings)."""
    if not framework.is_active:
        raise ValidationError(framework_retired_message(framework))


__all__ = ["trm_framework_new_version", "trm_framework_require_available"]
