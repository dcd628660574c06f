"""Writes of the TRM: the psychologist's placement of the child."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.models import AuditEvent, User

from ..meeting.models import Meeting
from .models import TRMPlacement, TRMStage


@transaction.atomic
def trm_placement_save(
    *,
    actor: User,
    meeting: Meeting,
    stage: TRMStage,
    presentation: str,
    underlying_need: str,
    intervention_recommendation: str,
) -> TRMPlacement:
    """Only the psychologist records where the child is on the Trauma Recovery Model."""
    if not access_for(actor).can_place_on_trm(meeting.case):
        raise PermissionDenied
    missing = [
        label
        for label, value in (
            (_("presentation"), presentation),
            (_("underlying need"), underlying_need),
            (_("intervention recommendation"), intervention_recommendation),
        )
        if not value.strip()
    ]
    if missing:
        raise ValidationError(_("Describe the %(f)s.") % {"f": ", ".join(missing)})
    placement, _created = TRMPlacement.objects.update_or_create(
        meeting=meeting,
        defaults={
            "stage": stage,
            "presentation": presentation.strip(),
            "underlying_need": underlying_need.strip(),
            "intervention_recommendation": intervention_recommendation.strip(),
            "placed_by": actor,
            "placed_at": timezone.now(),
        },
    )
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        placement,
        meeting.case,
        ["stage", "presentation", "underlying_need", "intervention_recommendation"],
        detail=f"{stage.framework.code} v{stage.framework.version} stage {stage.number}",
    )
    return placement
