"""Reads of the formulation meeting, scoped by `ecm.access` through the case."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.models import Case, CaseStatus, Team, User
from ecm.selectors import case_list_for
from referrals.models import Decision, EligibilityCheck
from referrals.services import consent_status

from ..genogram.models import FamilyMember
from ..timeline.models import SummaryItem
from .models import ChecklistTick, Invitation, Meeting, Professional


def meeting_get_for(user: User, pk: int) -> Meeting:
    try:
        return (
            Meeting.objects.filter(case__in=case_list_for(user).values("pk"))
            .select_related("case", "case__child", "case__team", "chair", "psychologist")
            .get(pk=pk)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None


def meetings_for_case(case: Case) -> QuerySet[Meeting]:
    return case.meetings.select_related("chair", "psychologist").order_by("-starts_at")


def latest_meetings(case: Case, count: int = 3) -> list[Meeting]:
    """The case's latest meetings, with only what a list of them shows."""
    return list(
        case.meetings.only("case_id", "starts_at", "status").order_by("-starts_at", "-pk")[:count]
    )


def formulation_meeting(case: Case) -> Meeting | None:
    """The case's formulation meeting (its first held meeting; see
    `MeetingQuerySet.formulation_meetings`), or None before one is held."""
    return (
        Meeting.objects.formulation_meetings()
        .filter(case=case)
        .select_related("psychologist", "trm_placement__stage")
        .first()
    )


def directory_teams_for(user: User) -> list[Team]:
    """The teams whose directory of partner professionals the user keeps."""
    return list(Team.objects.filter(pk__in=access_for(user).formulation_team_ids()))


def directory_for(user: User, case: Case | None = None) -> QuerySet[Professional]:
    """The partner professionals of the case's teams, or of every team of the user."""
    team_ids = case.team_ids if case else access_for(user).team_ids()
    return Professional.objects.filter(is_active=True, team_id__in=team_ids).order_by("name")


# --- The pre-meeting checklist (practice guidance Appendix 2) -----------------------------------


@dataclass
class ChecklistItem:
    key: str
    label: str
    automatic: bool
    done: bool
    detail: str = ""


def checklist(meeting: Meeting) -> list[ChecklistItem]:
    """What the record shows ticks itself; the rest (`ChecklistTick.MANUAL_ITEMS`) by hand."""
    case = meeting.case
    child = case.child
    consents = consent_status(case)
    accepted = EligibilityCheck.objects.filter(
        referral__case=case, decision=Decision.ACCEPTED
    ).exists() or case.status in (CaseStatus.PREPARATION, CaseStatus.ACTIVE)
    invitations = list(meeting.invitations.all())
    sent = [i for i in invitations if i.delivery == Invitation.Delivery.SENT]
    flagged = [i for i in invitations if i.needs_attention]
    members = FamilyMember.objects.filter(child=child).count()
    summary = SummaryItem.objects.filter(child=child).count()
    ticks = {t.key: t for t in meeting.ticks.select_related("ticked_by")}
    items = [
        ChecklistItem(
            "criteria", _("The child meets the referral criteria (accepted)"), True, accepted
        ),
        ChecklistItem(
            "consent",
            _("The child's ECM consent is signed"),
            True,
            bool(consents.child and consents.child.is_current),
        ),
        ChecklistItem(
            "parent_consent",
            _("Parent/carer's general YOT consent (under 16)"),
            True,
            not consents.parent_needed or bool(consents.parent and consents.parent.is_current),
            "" if consents.parent_needed else _("Not needed: 16 or over when consent was given."),
        ),
        ChecklistItem(
            "date_set",
            _("A date is set for the formulation meeting"),
            True,
            meeting.starts_at is not None,
        ),
        ChecklistItem(
            "invitations",
            _("Invitations sent"),
            True,
            bool(sent) and not flagged,
            _("%(s)s sent, %(f)s need attention") % {"s": len(sent), "f": len(flagged)}
            if invitations
            else _("Nobody invited yet."),
        ),
        ChecklistItem(
            "genogram",
            _("Genogram / family tree prepared"),
            True,
            members >= 2,
            _("%(n)s people") % {"n": members},
        ),
        ChecklistItem(
            "summary",
            _("Case information summary prepared"),
            True,
            summary > 0,
            _("%(n)s entries") % {"n": summary},
        ),
    ]
    for key, label in ChecklistTick.MANUAL_ITEMS.items():
        tick = ticks.get(key)
        detail = ""
        if tick:
            detail = _("Ticked by %(who)s on %(when)s") % {
                "who": tick.ticked_by,
                "when": timezone.localtime(tick.ticked_at).strftime("%d/%m/%Y"),
            }
        items.append(ChecklistItem(key, str(label), False, tick is not None, detail))
    return items
