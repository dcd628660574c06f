"""Reads of the formulation meeting, scoped by `ecm.access` through the case."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case as Switch
from django.db.models import DateField, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.dates import display_date, display_datetime
from ecm.models import Case, CaseStatus, Role, Team, User
from ecm.selectors import case_list_for, case_team_members
from referrals.models import Consent, Decision, EligibilityCheck
from referrals.services import consent_status

from ..genogram.models import FamilyMember
from ..timeline.models import SummaryItem
from .models import (
    Agency,
    ChecklistTick,
    DevelopmentalMap,
    Invitation,
    Meeting,
    Professional,
    TRMPlacement,
)


def ecm_start_from_meetings():
    """A case's ECM start, computed (an expression on Case): the local day of its first held
    formulation meeting ("ECM starts with multi-agency case formulation", Key components),
    or, for a re-opened episode that carried its formulation forward and so holds no meeting
    of its own, the day it was opened; None before either. `Case.ecm_started_on` stores it
    (`services.cases_store_ecm_start`) and monitoring counts from the column."""
    first = (
        Meeting.objects.formulation()
        .held()
        .filter(case_id=OuterRef("pk"))
        .order_by("starts_at", "pk")
        .annotate(day=TruncDate("starts_at", tzinfo=timezone.get_current_timezone()))
        .values("day")[:1]
    )
    carried = Switch(
        When(formulation_decision="carried_forward", then=F("opened_on")),
        default=None,
        output_field=DateField(),
    )
    return Coalesce(Subquery(first, output_field=DateField()), carried)


def meeting_get_for(user: User, pk: int) -> Meeting:
    try:
        return (
            Meeting.objects.filter(case__in=case_list_for(user).values("pk"))
            .select_related("case", "case__child", "case__team", "chair", "psychologist")
            .get(pk=pk)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None


def meeting_page_get_for(user: User, pk: int) -> Meeting:
    """`meeting_get_for` with what the meeting page reads of the meeting beside it in the
    same query: its TRM placement (with the stage and framework), developmental map and the
    case's report (each None when there is none yet). The user's cases by the case's teams
    directly (no `case__in` subquery: fewer joins to plan)."""
    try:
        return (
            Meeting.objects.filter(access_for(user).case_scope(prefix="case__"))
            .select_related(
                "case",
                "case__child",
                "case__team",
                "case__report",
                "chair",
                "psychologist",
                "trm_placement__stage__framework",
                "developmental_map",
            )
            .get(pk=pk)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None


def meetings_for_case(case: Case) -> QuerySet[Meeting]:
    """The case's formulation meetings (review meetings are on the reviews page)."""
    return (
        case.meetings.formulation().select_related("chair", "psychologist").order_by("-starts_at")
    )


def case_page_meetings(case: Case) -> list[Meeting]:
    """All the case's meetings (a handful), latest first, with only what the case page shows:
    one query, kept on this case object so that the page's formulation and reviews sections
    share it (the object lives for one request)."""
    meetings = getattr(case, "_page_meetings", None)
    if meetings is None:
        meetings = list(
            case.meetings.only(
                "case_id", "kind", "starts_at", "status", "location", "online_link"
            ).order_by("-starts_at", "-pk")
        )
        case._page_meetings = meetings
    return meetings


def latest_meetings(case: Case, count: int = 3) -> list[Meeting]:
    """The case's latest formulation meetings, with only what a list of them shows."""
    return [m for m in case_page_meetings(case) if m.kind == Meeting.Kind.FORMULATION][:count]


def review_meetings_for_case(case: Case) -> list[Meeting]:
    """The review meetings arranged for the case, latest first, each with `review_id` (the
    review recorded for it, or None). One query."""
    return list(
        case.meetings.reviews()
        .select_related("chair")
        .annotate(review_id=F("review__pk"))
        .order_by("-starts_at", "-pk")
    )


def next_review_meeting(case: Case) -> Meeting | None:
    """The next review meeting arranged and not yet held (the case page; from the meetings
    the page reads once)."""
    now = timezone.now()
    upcoming = [
        m
        for m in case_page_meetings(case)
        if m.kind == Meeting.Kind.REVIEW
        and m.status == Meeting.Status.SCHEDULED
        and m.starts_at >= now
    ]
    return min(upcoming, key=lambda m: (m.starts_at, m.pk), default=None)


def review_meeting_choices(case: Case) -> QuerySet[Meeting]:
    """The review meetings a review can still be recorded for (none recorded for them yet,
    not cancelled)."""
    return (
        case.meetings.reviews()
        .filter(review__isnull=True)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at", "-pk")
    )


@dataclass
class PresentFromMeeting:
    """Who a review's "present" and "apologies" start from: the meeting's chair and
    psychologist and the colleagues who attended (or are still expected); the partners who
    attended, and those who sent apologies or declined."""

    users: list[int]
    others: str
    apologies: str


def present_from_meeting(meeting: Meeting) -> PresentFromMeeting:
    """One query (the invitations)."""
    absent = (Invitation.Status.APOLOGIES, Invitation.Status.DECLINED)
    users = [meeting.chair_id, meeting.psychologist_id]
    others, apologies = [], []
    for inv in meeting.invitations.all():
        if inv.status in absent:
            apologies.append(inv.name)
        elif inv.user_id:
            if inv.user_id not in users:
                users.append(inv.user_id)
        elif inv.status == Invitation.Status.ATTENDED or meeting.status != Meeting.Status.HELD:
            others.append(f"{inv.name} ({inv.get_agency_display()})")
    return PresentFromMeeting(users, ", ".join(others), ", ".join(apologies))


def formulation_meeting(case: Case) -> Meeting | None:
    """The case's formulation meeting (its first held meeting; see
    `MeetingQuerySet.formulation_meetings`), or None before one is held."""
    return (
        Meeting.objects.formulation_meetings()
        .filter(case=case)
        .select_related("psychologist", "trm_placement__stage")
        .first()
    )


def episode_formulation_meeting(case: Case) -> Meeting | None:
    """The formulation meeting this episode works from: its own, or, for a re-opened episode
    that carried its formulation forward without a new meeting, the one of the episode it
    came from (and so on back). Reviews, the stage at formulation and the recommendations of
    such an episode follow that formulation."""
    meeting = formulation_meeting(case)
    for _hop in range(50):  # episodes of one child: a handful
        if meeting is not None or case.formulation_decision != "carried_forward":
            break
        if not case.previous_case_id:
            break
        case = Case.objects.only("formulation_decision", "previous_case_id").get(
            pk=case.previous_case_id
        )
        meeting = formulation_meeting(case)
    return meeting


def review_meeting_defaults(case: Case, actor: User) -> dict:
    """What the form to arrange a review starts with: the formulation meeting's chair (the
    senior practitioner, as the guidance has it), else the user if a senior practitioner, else
    the case's first senior practitioner; the formulation meeting's psychologist; the place of
    the review agreed at the formulation meeting (or of the last review meeting)."""
    seniors = case_team_members(case, [Role.SENIOR_PRACTITIONER])
    psychologists = case_team_members(case, [Role.PSYCHOLOGIST])
    first = episode_formulation_meeting(case)
    last = Meeting.objects.reviews().filter(case=case).order_by("-starts_at", "-pk").first()
    chair = None
    for candidate in (last and last.chair_id, first and first.chair_id, actor.pk):
        if candidate and seniors.filter(pk=candidate).exists():
            chair = candidate
            break
    if chair is None:
        chair = seniors.values_list("pk", flat=True).first()
    psychologist = next(
        (
            p
            for p in (last and last.psychologist_id, first and first.psychologist_id)
            if p and psychologists.filter(pk=p).exists()
        ),
        psychologists.values_list("pk", flat=True).first(),
    )
    initial = {"chair": chair, "psychologist": psychologist, "duration_minutes": 60}
    if last is not None:
        initial.update(location=last.location, online_link=last.online_link)
    elif first is not None:
        initial["location"] = first.review_location
        if first.review_at and first.review_at > timezone.now():
            initial["starts_at"] = timezone.localtime(first.review_at)
    return initial


@dataclass
class MissingPart:
    label: str
    anchor: str  # the section of the meeting page where it is recorded
    href: str = ""


def held_missing(meeting: Meeting) -> list[MissingPart]:
    """What a formulation meeting's record still lacks before it is "held": the
    developmental map, the TRM placement, at least one recommendation. Three queries."""
    page = reverse("formulation:meeting", args=[meeting.pk])
    missing = []
    dmap = DevelopmentalMap.objects.filter(meeting=meeting).first()
    ages = ("physical_age", "social_age", "cognitive_age", "emotional_age")
    if dmap is None or not any(getattr(dmap, f).strip() for f in ages):
        missing.append(MissingPart(_("the developmental map"), "dmap"))
    if not TRMPlacement.objects.filter(meeting=meeting).exists():
        missing.append(MissingPart(_("the TRM placement"), "trm"))
    if not meeting.recommendations.exists():
        missing.append(MissingPart(_("a recommendation"), "recommendations"))
    for part in missing:
        part.href = f"{page}#{part.anchor}"
    return missing


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


def checklist(
    meeting: Meeting, *, invitations: list[Invitation] | None = None
) -> list[ChecklistItem]:
    """What the record shows ticks itself; the rest (`ChecklistTick.MANUAL_ITEMS`) by hand.
    `invitations`: the meeting's, when the caller has read them already."""
    case = meeting.case
    child = case.child
    # The case's consent records read once, for the consent items and the leaflet's (its
    # latest ECM consent, with who explained the leaflet).
    consents = consent_status(case, list(case.consents.select_related("explained_by")))
    accepted = EligibilityCheck.objects.filter(
        referral__case=case, decision=Decision.ACCEPTED
    ).exists() or case.status in (CaseStatus.PREPARATION, CaseStatus.ACTIVE)
    if invitations is None:
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
        _leaflet_item(consents.child),
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
                "when": display_date(tick.ticked_at),
            }
        items.append(ChecklistItem(key, str(label), False, tick is not None, detail))
    items += _after_the_meeting(meeting)
    return items


def _leaflet_item(consent: Consent | None) -> ChecklistItem:
    """Appendix 2: "has the case manager explained the information leaflet to the child and
    has it been signed?", from the child's latest ECM consent record (`consent`: what
    `referrals.selectors.ecm_leaflet_consent` reads, None if there is none)."""
    done = consent is not None and consent.is_current
    detail = ""
    if consent is not None and consent.given:
        detail = _("Explained by %(who)s; signed on %(when)s") % {
            "who": consent.explained_by or _("not recorded"),
            "when": display_date(consent.date),
        }
    if consent is not None and consent.withdrawn_on:
        detail = _("Consent withdrawn on %(d)s") % {"d": display_date(consent.withdrawn_on)}
    return ChecklistItem(
        "leaflet_explained",
        _("Information leaflet explained to the child and signed"),
        True,
        done,
        detail,
    )


def _after_the_meeting(meeting: Meeting) -> list[ChecklistItem]:
    """Appendix 2's last item: "following the formulation meeting, have the relevant agencies
    received a copy of the psychologist's report, and have dates/locations for reviews been
    organised?" Two queries."""
    agencies = meeting.report_agencies
    names = meeting.get_report_agencies_display()
    # The report's circulation log, read through the case (the report part builds on this
    # one, so this one does not import it).
    received = set(
        Case.objects.filter(pk=meeting.case_id, report__circulations__agency__in=agencies)
        .values_list("report__circulations__agency", flat=True)
        .distinct()
    )
    if not agencies:
        agencies_detail = _("Choose them below.")
    else:
        agencies_detail = _("%(names)s; %(r)s of %(n)s have received it") % {
            "names": ", ".join(names),
            "r": len(received),
            "n": len(agencies),
        }
    review = (
        meeting.case.meetings.reviews()
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at", "pk")
        .first()
    )
    if review is not None:
        review_detail = _("Review meeting arranged: %(when)s, %(where)s") % {
            "when": display_datetime(review.starts_at),
            "where": review.location or review.online_link,
        }
    elif meeting.review_at:
        review_detail = _("First review agreed for %(when)s: arrange it from the reviews page.") % {
            "when": display_datetime(meeting.review_at)
        }
    else:
        review_detail = _("Arrange the first review from the reviews page.")
    return [
        ChecklistItem(
            "report_agencies",
            _("The agencies that will receive the psychologist's report"),
            True,
            bool(agencies),
            agencies_detail,
        ),
        ChecklistItem(
            "reviews_organised",
            _("Review dates and locations organised"),
            True,
            review is not None,
            review_detail,
        ),
    ]


def report_agency_choices(meeting: Meeting, invitations: list[Invitation]) -> list[tuple]:
    """The agencies to choose from: those invited or attending first (saying so), then the
    rest of the agency list."""
    seen: dict[str, str] = {}
    for inv in invitations:
        if inv.status == Invitation.Status.ATTENDED:
            seen[inv.agency] = "attended"
        else:
            seen.setdefault(inv.agency, "invited")
    labels = dict(Agency.choices)
    marks = {"attended": _("attended"), "invited": _("invited")}
    first = [(a, f"{labels[a]} ({marks[how]})") for a, how in seen.items() if a in labels]
    rest = [(a, labels[a]) for a in Agency.values if a not in seen]
    return first + rest


# --- The home page and the next steps -------------------------------------------------------


def meetings_chaired_by(user: User, since) -> QuerySet[Meeting]:
    """The scheduled meetings (formulation and review) this user chairs from `since` on,
    on cases they may see, soonest first. One query."""
    return (
        Meeting.objects.filter(
            chair=user,
            status=Meeting.Status.SCHEDULED,
            starts_at__gte=since,
            case__in=case_list_for(user).open().values("pk"),
        )
        .select_related("case__child")
        .order_by("starts_at", "pk")
    )


def scheduled_formulation_meetings(case_ids: list[int]) -> dict[int, Meeting]:
    """Each case's earliest scheduled (not yet recorded) formulation meeting: one query."""
    out: dict[int, Meeting] = {}
    for meeting in (
        Meeting.objects.formulation()
        .filter(case_id__in=case_ids, status=Meeting.Status.SCHEDULED)
        .only("pk", "case_id", "starts_at")
        .order_by("starts_at", "pk")
    ):
        out.setdefault(meeting.case_id, meeting)
    return out
