"""Reads after formulation, scoped through `ecm` selectors (case visibility)."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Avg,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.db.models import IntegerField as Int
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from ecm.access import access_for
from ecm.models import ON_ECM_STATUSES, Case, User, open_case
from ecm.selectors import case_list_for
from formulation.models import Meeting, Report, TimelineEvent
from referrals.models import Offence, Referral

from .models import (
    Action,
    Contact,
    ProgressStatus,
    Review,
    ReviewRecommendation,
    RiskRating,
    TRMStageRecord,
)

# The referral's ratings, by the RiskRating field they start: harm to self is vulnerability,
# harm to others is serious harm.
REFERRAL_RISK_FIELDS = {
    "reoffending": "risk_reoffending",
    "serious_harm": "risk_harm_others",
    "vulnerability": "risk_harm_self",
}


def review_get_for(user: User, pk: int) -> Review:
    try:
        return (
            Review.objects.filter(case__in=case_list_for(user).values("pk"))
            .select_related("case__child", "case__team", "chair", "trm_record__stage")
            .get(pk=pk)
        )
    except Review.DoesNotExist:
        raise Http404 from None


def review_offences(review: Review):
    """The offences recorded at a review (rows of the case's offence history). One query."""
    return Offence.objects.filter(review_link__review=review).order_by("date", "pk")


def review_proposals(review: Review):
    """The new recommendations agreed at a review, with what they became. One query."""
    return review.new_recommendations.select_related("owner_user", "recommendation").order_by("pk")


def proposal_get_for(user: User, pk: int) -> ReviewRecommendation:
    try:
        return ReviewRecommendation.objects.filter(
            review__case__in=case_list_for(user).values("pk")
        ).get(pk=pk)
    except ReviewRecommendation.DoesNotExist:
        raise Http404 from None


def case_report(case: Case) -> Report | None:
    return Report.objects.filter(case=case).first()


def proposals_waiting(case: Case):
    """Recommendations agreed at the case's reviews that the psychologist has not yet
    confirmed into the formulation. One query."""
    return (
        ReviewRecommendation.objects.filter(review__case=case, confirmed_at__isnull=True)
        .select_related("review", "owner_user")
        .order_by("review__held_on", "pk")
    )


def action_get_for(user: User, pk: int) -> Action:
    try:
        return Action.objects.filter(case__in=case_list_for(user).values("pk")).get(pk=pk)
    except Action.DoesNotExist:
        raise Http404 from None


def reviews_for_case(case: Case):
    return (
        case.reviews.select_related("chair", "trm_record__stage")
        .annotate(
            done=Count("progress", filter=Q(progress__status=ProgressStatus.DONE)),
            recs=Count("progress"),
        )
        .order_by("-held_on", "-pk")
    )


def review_progress(review: Review):
    return review.progress.select_related("recommendation__trm_stage").order_by(
        "recommendation__sequence", "pk"
    )


def actions_for_case(case: Case):
    return case.actions.select_related("owner_user", "recommendation").order_by(
        "status", "due_on", "pk"
    )


def open_actions(case: Case):
    return actions_for_case(case).filter(status=Action.Status.OPEN)


def overdue_actions_for(user: User):
    """Open actions this user owns that are past their due date, on cases they may see."""
    return (
        Action.objects.filter(
            owner_user=user,
            status=Action.Status.OPEN,
            due_on__lt=timezone.localdate(),
            case__in=case_list_for(user).open().values("pk"),
        )
        .select_related("case__child")
        .order_by("due_on")
    )


def contacts_for_case(case: Case):
    return case.contacts.select_related("trm_stage", "recorded_by").order_by("-date", "-pk")


def next_review_due(case: Case) -> dt.date | None:
    """The next review date agreed at the last review, or at the formulation meeting."""
    return _due(case, case.reviews.all())


# Before any decision, "since the last decision" counts every miss.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: More missed appointments than this since the last warning/breach decision prompts a
#: consultation with the psychologist (the practice guidance: "more than three").
MISSED_BEFORE_CONSULTATION = 3


def missed_since_last_decision(case: Case) -> int:
    """The case's missed appointments recorded after its last warning/breach decision (all
    of them if there has been none): counted by when they were recorded, so a miss entered
    after the decision counts even if it happened the same day. The one statement of the
    rule. One query."""
    last_decision = case.missed_decisions.order_by("-created_at", "-pk").values("created_at")[:1]
    return case.contacts.filter(
        kind=Contact.Kind.MISSED,
        created_at__gt=Coalesce(Subquery(last_decision), Value(EPOCH)),
    ).count()


def consultation_due(missed: int) -> bool:
    return missed > MISSED_BEFORE_CONSULTATION


def case_summary(case: Case) -> dict:
    """What the case page's reviews section shows: how many reviews, the next review agreed
    at the latest one that set a date (before the first review, the date set at the
    formulation meeting), the TRM stage recorded last, and the missed appointments since
    the last warning/breach decision. Short queries: four (five before the first review)."""
    next_dates = list(
        case.reviews.order_by("-held_on", "-pk").values_list("next_review_on", flat=True)
    )
    # The stage itself (not values_list): its name is read in the page's language.
    latest = case.trm_records.select_related("stage").order_by("-recorded_on", "-pk").first()
    if next_dates:
        next_review_on = next((day for day in next_dates if day is not None), None)
    else:
        next_review_on = _due(case, Review.objects.none())
    return {
        "review_count": len(next_dates),
        "next_review_on": next_review_on,
        "latest_stage": str(latest.stage) if latest else None,
        "missed": missed_since_last_decision(case),
    }


def plan_completed(case: Case) -> bool | None:
    """Is the case's intervention plan completed: every recommendation marked done or dropped
    at a review, and at least one done? None when the case has no recommendations. One
    query."""
    concluded = Q(progress__status__in=[ProgressStatus.DONE, ProgressStatus.DROPPED])
    row = case.recommendations.aggregate(
        n=Count("pk", distinct=True),
        concluded=Count("pk", distinct=True, filter=concluded),
        done=Count("progress", filter=Q(progress__status=ProgressStatus.DONE)),
    )
    if not row["n"]:
        return None
    return row["concluded"] == row["n"] and row["done"] > 0


def review_due_on(review: Review) -> dt.date | None:
    """The date a review was due: agreed at the review held before it, or for the first
    review at the formulation meeting."""
    earlier = review.case.reviews.filter(
        Q(held_on__lt=review.held_on) | Q(held_on=review.held_on, pk__lt=review.pk)
    )
    return _due(review.case, earlier)


def _due(case: Case, reviews) -> dt.date | None:
    if reviews.exists():
        # A closure review agrees no next date; the one before it still stands until the
        # case is actually closed.
        return (
            reviews.filter(next_review_on__isnull=False)
            .order_by("-held_on", "-pk")
            .values_list("next_review_on", flat=True)
            .first()
        )
    meeting = (  # the first review date is the one set at the formulation meeting
        Meeting.objects.formulation_meetings()
        .filter(case=case)
        .values_list("review_at", flat=True)
        .first()
    )
    if meeting:
        return timezone.localdate(meeting)
    # A re-opened episode that carried its formulation forward held no meeting: its first
    # review is the one set by that decision.
    return case.first_review_on


def stage_history(user: User, case: Case) -> list[dict]:
    """The TRM stage at formulation and at every review, over all the child's episodes this
    user may see (a re-opened case carries its history). Two queries."""
    cases = case_list_for(user).filter(child_id=case.child_id).values("pk")
    rows = []
    meetings = (
        Meeting.objects.formulation()
        .filter(case__in=cases, status=Meeting.Status.HELD, trm_placement__isnull=False)
        .select_related("trm_placement__stage")
        .order_by("starts_at")
    )
    for meeting in meetings:
        rows.append(
            {
                "day": timezone.localdate(meeting.starts_at),
                "stage": meeting.trm_placement.stage,
                "label": "formulation",
                "href": reverse("formulation:meeting", args=[meeting.pk]),
                "explanation": meeting.trm_placement.presentation,
                "kind": "formulation",
                "case_id": meeting.case_id,
            }
        )
    records = (
        TRMStageRecord.objects.filter(case__in=cases)
        .select_related("stage", "review")
        .order_by("recorded_on", "pk")
    )
    for record in records:
        rows.append(
            {
                "day": record.recorded_on,
                "stage": record.stage,
                "label": "review",
                "href": reverse("reviews:review", args=[record.review_id])
                if record.review_id
                else "",
                "explanation": record.explanation,
                "kind": "review",
                "case_id": record.case_id,
            }
        )
    rows.sort(key=lambda r: (r["day"], 0 if r["kind"] == "formulation" else 1))
    return rows


def trajectory_svg(user: User, case: Case) -> str:
    """The child's TRM trajectory, with the timeline events of the period as the events that
    explain the moves (linked to the timeline)."""
    from django.utils.translation import gettext as _

    from formulation.trm.selectors import stages_for

    from . import trajectory

    history = stage_history(user, case)
    points = [
        trajectory.TrajectoryPoint(
            day=row["day"],
            stage=row["stage"].number,
            label=_("Formulation") if row["kind"] == "formulation" else _("Review"),
            href=row["href"],
            explanation=row["explanation"],
            kind=row["kind"],
        )
        for row in history
    ]
    events = []
    if history:
        start = history[0]["day"]
        timeline_url = reverse("formulation:timeline", args=[case.pk])
        events = [
            trajectory.TrajectoryEvent(day=e.start_date, title=e.title, href=timeline_url)
            for e in TimelineEvent.objects.filter(
                child_id=case.child_id, start_date__gte=start, sensitive=False
            ).order_by("start_date")[:60]
        ]
    stages = [(s.number, s.name) for s in stages_for(case)]
    return trajectory.render_trajectory(
        points,
        stages=stages,
        events=events,
        title=_("TRM trajectory %(ref)s") % {"ref": case.reference},
        today=timezone.localdate(),
    )


# --- Risk ratings ---


def start_risk(case: Case, ratings: list[RiskRating] | None = None) -> RiskRating | None:
    """The case's ratings at the start: the referral's, entered once and carried forward,
    unless they were corrected (a START row). An unsaved RiskRating when they come from the
    referral (`from_referral` is then true); None when the referral has no ratings."""
    if ratings is None:
        ratings = list(case.risk_ratings.all())
    start = next((r for r in ratings if r.point == RiskRating.Point.START), None)
    if start is not None:
        start.from_referral = False
        return start
    fields = ("referral_date", *REFERRAL_RISK_FIELDS.values())
    referral = Referral.objects.filter(case=case).only(*fields).first()
    values = {k: getattr(referral, f, None) for k, f in REFERRAL_RISK_FIELDS.items()}
    if referral is None or None in values.values():
        return None
    start = RiskRating(
        case=case, point=RiskRating.Point.START, recorded_on=referral.referral_date, **values
    )
    start.from_referral = True
    return start


def risk_averages(cases, *, closure: bool = True) -> dict[str, dict]:
    """{point: {n, reoffending, harm, vulnerability}} over `cases` (a queryset), the start
    taken as `start_risk` takes it (a correction, else the referral). Two queries (one
    without the `closure` point)."""
    # The START row joined on (one per case: risk_once_per_point), not looked up per case.
    annotated = cases.annotate(
        start_row=FilteredRelation(
            "risk_ratings", condition=Q(risk_ratings__point=RiskRating.Point.START)
        ),
        **{
            f"s_{key}": Coalesce(
                F(f"start_row__{key}"), F(f"referral__{field}"), output_field=Int()
            )
            for key, field in REFERRAL_RISK_FIELDS.items()
        },
    ).filter(**{f"s_{key}__isnull": False for key in REFERRAL_RISK_FIELDS})
    start = annotated.aggregate(
        n=Count("pk"),
        reoffending=Avg("s_reoffending"),
        harm=Avg("s_serious_harm"),
        vulnerability=Avg("s_vulnerability"),
    )
    if not closure:
        return {RiskRating.Point.START: start}
    at_closure = RiskRating.objects.filter(
        case__in=cases, point=RiskRating.Point.CLOSURE
    ).aggregate(
        n=Count("pk"),
        reoffending=Avg("reoffending"),
        harm=Avg("serious_harm"),
        vulnerability=Avg("vulnerability"),
    )
    return {RiskRating.Point.START: start, RiskRating.Point.CLOSURE: at_closure}


def risk_change(cases) -> dict:
    """Over the closure ratings of `cases` (a queryset): {n, reoffending, harm,
    vulnerability} the closure means; and over those whose start is known (as `start_risk`
    takes it: `matched`), for each scale how many fell, stayed the same and rose from the
    start. One query."""
    starts = {
        f"s_{key}": Coalesce(
            F(f"start_row__{key}"),
            F(f"case__referral__{field}"),
            output_field=Int(),
        )
        for key, field in REFERRAL_RISK_FIELDS.items()
    }
    # The case's START row joined on (one per case: risk_once_per_point).
    rows = (
        RiskRating.objects.filter(case__in=cases, point=RiskRating.Point.CLOSURE)
        .annotate(
            start_row=FilteredRelation(
                "case__risk_ratings",
                condition=Q(case__risk_ratings__point=RiskRating.Point.START),
            )
        )
        .annotate(**starts)
    )
    moves = {"fell": "lt", "same": "exact", "rose": "gt"}
    known = Q(**{f"s_{key}__isnull": False for key in REFERRAL_RISK_FIELDS})
    # A comparison with an unknown start is never true: the moves count matched pairs only.
    agg = rows.aggregate(
        n=Count("pk"),
        matched=Count("pk", filter=known),
        mean_reoffending=Avg("reoffending"),
        mean_harm=Avg("serious_harm"),
        mean_vulnerability=Avg("vulnerability"),
        **{
            f"{key}_{move}": Count("pk", filter=Q(**{f"{key}__{lookup}": F(f"s_{key}")}))
            for key in REFERRAL_RISK_FIELDS
            for move, lookup in moves.items()
        },
    )
    return {key.removeprefix("mean_"): value for key, value in agg.items()}


# --- The home page ----------------------------------------------------------------------------


def _review_due_on():
    """The next review's due date of the case of the query (`with_review_due`)."""
    reviews = Review.objects.filter(case=OuterRef("pk"))
    latest = reviews.filter(next_review_on__isnull=False).order_by("-held_on", "-pk")
    first = Meeting.objects.formulation_meetings().filter(case=OuterRef("pk"))
    first_at = Subquery(first.values("review_at")[:1])
    # A case has one formulation meeting (the first held), so "its review date if set, else
    # the case's own" is a Coalesce: no Exists over the meetings, which the planner hashed
    # over every case's meetings when the date was filtered on (issue 22).
    return Switch(
        When(Exists(reviews), then=Subquery(latest.values("next_review_on")[:1])),
        default=Coalesce(
            TruncDate(first_at, tzinfo=timezone.get_current_timezone()), F("first_review_on")
        ),
        output_field=DateField(),
    )


def review_due_dates(case_ids: list[int]) -> list[tuple[int, dt.date | None]]:
    """(case pk, next review's due date) of each of these cases, as `with_review_due` works
    it out, without the review meeting arranged (the next steps' one query, issue 22)."""
    return list(
        Case.objects.filter(pk__in=case_ids)
        .order_by()
        .annotate(review_due_on=_review_due_on())
        .values_list("pk", "review_due_on")
    )


def with_review_due(cases):
    """`cases` with their next review's due date (`review_due_on`, as `_due` works it out
    for one case: the next date agreed at the latest review that set one; before the first
    review, the date set at the formulation meeting, or by the decision to carry a
    formulation forward) and the next review meeting arranged (`next_meeting_at`,
    `next_meeting_id`): columns of one query, not a query per case."""
    arranged = (
        Meeting.objects.reviews()
        .filter(case=OuterRef("pk"), status=Meeting.Status.SCHEDULED)
        .order_by("starts_at", "pk")
    )
    return cases.annotate(
        review_due_on=_review_due_on(),
        next_meeting_at=Subquery(arranged.values("starts_at")[:1]),
        next_meeting_id=Subquery(arranged.values("pk")[:1]),
    )


def reviews_led_by(user: User, *, limit: int = 50):
    """The cases on ECM whose reviews this psychologist leads (the psychologist of their
    formulation meeting or report, or of a review meeting arranged), each with its next
    review's due date (`review_due_on`) and the review meeting arranged; the soonest due
    first, those with no date last. One query."""
    leads = (
        Exists(Report.objects.filter(case=OuterRef("pk"), psychologist=user))
        | Exists(
            Meeting.objects.formulation_meetings().filter(case=OuterRef("pk"), psychologist=user)
        )
        | Exists(
            Meeting.objects.reviews().filter(
                case=OuterRef("pk"), psychologist=user, status=Meeting.Status.SCHEDULED
            )
        )
    )
    cases = case_list_for(user).filter(leads, status__in=ON_ECM_STATUSES)
    return with_review_due(cases.select_related(None).select_related("child")).order_by(
        F("review_due_on").asc(nulls_last=True), "pk"
    )[:limit]


def reviews_overdue_for(user: User, today: dt.date, *, limit: int = 50):
    """The cases on ECM this user sees whose next review is past due, most overdue first
    (a manager's "anything overdue in their teams"). One query."""
    return reviews_overdue_in_scope(user, today)[:limit]


def reviews_overdue_in_scope(user: User, today: dt.date):
    """`reviews_overdue_for`, all of them (for a page of them, or a count)."""
    cases = case_list_for(user).filter(status__in=ON_ECM_STATUSES)
    return (
        with_review_due(cases.select_related(None).select_related("child", "case_manager"))
        .filter(review_due_on__lt=today)
        .order_by("review_due_on", "pk")
    )


def actions_overdue_in_teams_for(user: User, today: dt.date):
    """Open actions past their due date on the open cases this user sees, whoever owns them
    (a manager's view of their teams), most overdue first. One query."""
    # The case's team tested on the joined case (`case_scope("case__")`), not a `case__in`
    # subquery the planner tested on every overdue action of every team (issue 22).
    return (
        Action.objects.filter(
            access_for(user).case_scope("case__"),
            open_case("case__"),
            status=Action.Status.OPEN,
            due_on__lt=today,
        )
        .select_related("case__child", "owner_user")
        .order_by("due_on", "pk")
    )
