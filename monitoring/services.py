"""Monitoring's writes: the YOT caseload a team records per quarter."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.dates import quarter_start as first_day_of_quarter
from ecm.editing import check_version, model_update
from ecm.models import AuditEvent, Team, User

from .models import TeamCaseload


@transaction.atomic
def team_caseload_record(
    *,
    actor: User,
    team: Team,
    quarter_start: dt.date,
    caseload: int,
    note: str = "",
    expected_version: int | None = None,
) -> TeamCaseload:
    """Record (or correct) the team's YOT caseload for the quarter starting `quarter_start`.
    One row per team and quarter: recording a quarter again corrects it, refused when the
    row changed since the person loaded it (`expected_version`). Audited with the changed
    field names."""
    if not access_for(actor).can_record_caseload(team.pk):
        raise PermissionDenied
    if first_day_of_quarter(quarter_start) != quarter_start:
        raise ValidationError(
            {"quarter_start": _("Give the first day of a calendar quarter.")}, code="quarter"
        )
    if caseload is None or caseload < 0:
        raise ValidationError({"caseload": _("Give the number of children.")}, code="caseload")
    row = (
        TeamCaseload.objects.select_for_update()
        .filter(team=team, quarter_start=quarter_start)
        .first()
    )
    data = {"caseload": caseload, "note": note.strip(), "recorded_by": actor}
    if row is None:
        row = TeamCaseload(team=team, quarter_start=quarter_start)
        changed = model_update(row, data)
        row.save()
        action = AuditEvent.Action.CREATE
    else:
        check_version(row, expected_version)
        changed = [f for f in model_update(row, data) if f != "recorded_by"]
        if not changed:
            return row
        changed.append("recorded_by")
        row.version += 1
        row.save()
        action = AuditEvent.Action.UPDATE
    audit_record(
        actor=actor,
        action=action,
        obj=row,
        team_id=team.pk,
        changed_fields=changed,
        detail=f"YOT caseload {team.code} {quarter_start}",
    )
    return row
