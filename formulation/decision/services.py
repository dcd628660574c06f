"""A re-opened episode's decision on the formulation (practice guidance, "Re-opening
cases"): "The psychologist and case manager can decide jointly if it is useful or necessary
to conduct another formulation meeting and timelining process." Either another meeting (the
usual preparation follows), or the earlier formulation carried forward: the episode becomes
active at once, the report starts from the last final version for the psychologist to
update, the timeline and genogram are the child's already, and the first review falls due."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ecm import services as core
from ecm.access import access_for
from ecm.models import Case, User

from ..meeting.models import Meeting
from ..meeting.selectors import formulation_meeting
from ..report.models import Report
from ..report.selectors import previous_final_version
from ..report.services import _carry_forward

NEW_MEETING = core.NEW_MEETING
CARRIED_FORWARD = core.CARRIED_FORWARD


def can_carry_forward(case: Case) -> str:
    """Why the formulation cannot be carried forward to this episode ("" if it can)."""
    if formulation_meeting(case) is not None:
        return _(
            "A formulation meeting has been held on this episode: the case becomes active from it."
        )
    if case.meetings.formulation().filter(status=Meeting.Status.SCHEDULED).exists():
        return _(
            "A formulation meeting is scheduled on this episode: hold it (the case becomes "
            "active from it), or decide that another meeting is needed."
        )
    if previous_final_version(case) is None:
        return _(
            "The earlier episode has no final formulation report to carry forward: hold a "
            "new formulation meeting."
        )
    return ""


def _report_psychologist(actor: User, case: Case) -> User | None:
    """Who the carried-forward report belongs to: the psychologist recording the decision,
    else the earlier report's psychologist if they are still the case's; else nobody yet
    (the first psychologist to open the report carries it forward then)."""
    access = access_for(actor)
    if access.is_case_psychologist(case):
        return actor
    previous = previous_final_version(case)
    author = previous.report.psychologist if previous else None
    if author is not None and author.is_active and access_for(author).is_case_psychologist(case):
        return author
    return None


@transaction.atomic
def reopened_formulation_decide(
    *,
    actor: User,
    case: Case,
    decision: str,
    note: str,
    first_review_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Case:
    """Record the decision (`ecm.services.case_formulation_decide`: who may, when, the
    audit) and, when the formulation is carried forward, start the episode's report from
    the earlier final version (`report.services._carry_forward`) in the same transaction."""
    if not access_for(actor).can_decide_formulation_need(case):
        raise PermissionDenied
    if decision == CARRIED_FORWARD and (why := can_carry_forward(case)):
        raise ValidationError({"decision": why})
    case = core.case_formulation_decide(
        actor=actor,
        case=case,
        decision=decision,
        note=note,
        first_review_on=first_review_on,
        expected_version=expected_version,
    )
    if decision == CARRIED_FORWARD and not Report.objects.filter(case=case).exists():
        psychologist = _report_psychologist(actor, case)
        if psychologist is not None:
            report = _carry_forward(actor, case)
            if report is not None and report.psychologist_id != psychologist.pk:
                report.psychologist = psychologist
                report.save(update_fields=["psychologist"])
    return case
