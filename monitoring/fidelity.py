"""Model fidelity per case: did the case follow the model? Six points, each yes / no / not
yet applicable (True / False / None), computed in SQL as annotations on a Case queryset, so a
list of cases costs the same queries however many it shows, and one aggregate gives the
dashboard the share of the cases on ECM in the period meeting each point.

Each point is judged on a reference day: the period's last day (or today, if that is
earlier), or the day the case closed if it closed before. Nothing recorded after that day
counts, so a past period's answers do not change when later data is added.

1. meeting: the formulation meeting (the first held) took place within the team's target
   (`TeamReminderSettings.meeting_target_days`, default 42 days: the guidance sets none) of
   the referral decision (the first eligibility check accepting the referral, or finding the
   criteria met with another case taking priority). The target day itself is on time. No
   such decision recorded (a carried-forward episode, say): not applicable; no meeting yet
   and the target day not passed: not yet.
2. draft: the draft report went for the accuracy check by its due date, one calendar month
   after the meeting's day (`figures.AddMonths`: 31 January + 1 month is 28/29 February), as
   the report's own due date counts. Its date is as in `figures._report_time`: the report's
   `sent_for_check_at` at version 1, else the first final version's. Not sent and the due
   date not passed: not yet.
3. reviews_on_time: every review that was due (`figures._review_due`: a date was agreed for
   it, not ad hoc) was held by its date, and the review due now is not overdue (its date,
   the next review agreed at the last review held, or the first review set at the
   formulation meeting, is before the reference day, for a closed case the day it closed: a
   closure review agrees no next date). No review due yet: not yet.
4. trm_recorded: a TRM stage was recorded at every review held. No review held: not yet.
5. supervised: the case manager was never overdue for clinical supervision over the case's
   time on ECM. As `supervision.selectors.cadence_for` counts it, supervision is due
   `interval` calendar months (the case's team's `SupervisionSettings`, default 2) after the
   last session the case manager attended or the last offer they declined (it is voluntary);
   here the clock starts at the case's ECM start. Within cadence: from the ECM start to the
   reference day, no stretch of more than `interval` months without a session or a declined
   offer. Not yet: the first interval from the ECM start has not passed. No case manager
   recorded: no. (The current case manager stands for the case's whole time.)
6. closure_review: a closure review was held (closed cases only; otherwise not applicable).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Case, CaseStatus, ClosureReason, TeamReminderSettings
from formulation.models import Meeting, ReportVersion
from referrals.models import Decision, EligibilityCheck
from reviews.models import Review
from supervision.models import Offer, Supervisee, SupervisionSettings
from supervision.selectors import DEFAULT_INTERVAL_MONTHS

from . import figures

PREFIX = "fidelity:"
DEFAULT_MEETING_TARGET_DAYS = TeamReminderSettings._meta.get_field("meeting_target_days").default


@dataclass(frozen=True)
class Point:
    key: str
    label: object  # the dashboard row
    name: object  # short, in the drill-down's column
    yes: object
    no: object


POINTS = (
    Point(
        "meeting",
        _("Formulation meeting held within the team's target of the referral decision"),
        _("Meeting"),
        _("Meeting on time"),
        _("Meeting late"),
    ),
    Point(
        "draft",
        _("Draft report sent for the accuracy check within one calendar month of the meeting"),
        _("Draft report"),
        _("Draft report on time"),
        _("Draft report late"),
    ),
    Point(
        "reviews_on_time",
        _("Every review due held by its agreed date"),
        _("Reviews"),
        _("Reviews on time"),
        _("A review late"),
    ),
    Point(
        "trm_recorded",
        _("TRM stage recorded at every review held"),
        _("TRM stage"),
        _("TRM stage at every review"),
        _("TRM stage missing at a review"),
    ),
    Point(
        "supervised",
        _("Case manager supervised within the team's cadence over the time on ECM"),
        _("Supervision"),
        _("Case manager supervised in cadence"),
        _("Supervision overdue"),
    ),
    Point(
        "closure_review",
        _("Closure review held (cases closed)"),
        _("Closure review"),
        _("Closure review held"),
        _("No closure review"),
    ),
)
BY_KEY = {p.key: p for p in POINTS}


def _field(key: str) -> str:
    return f"fidelity_{key}"


class AddMonthsBy(Func):
    """A date `months` calendar months later, where `months` is an expression (a team's
    setting); `figures.AddMonths` takes a constant. PostgreSQL clamps month ends as
    `ecm.dates.add_months` does."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        day, day_params = compiler.compile(self.source_expressions[0])
        months, months_params = compiler.compile(self.source_expressions[1])
        sql = f"CAST(({day} + make_interval(months => CAST({months} AS integer))) AS date)"
        return sql, (*day_params, *months_params)

    def as_sqlite(self, compiler, connection, **extra):
        day, day_params = compiler.compile(self.source_expressions[0])
        months, months_params = compiler.compile(self.source_expressions[1])
        return f"date({day}, '+' || {months} || ' months')", (*day_params, *months_params)


def reference_day(period: figures.Period) -> dt.date:
    """The day the points are judged on: the period's last, or today if that is earlier."""
    return min(period.end, timezone.localdate())


def _local_day(field: str):
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def _base(qs, *, as_of: dt.date):
    """The facts the points are judged from, one column each (`fid_*`): the reference day,
    the dates that matter and, as booleans, what the related rows show. Correlated
    subqueries only: no rows multiply, nothing is read per row in Python."""
    pk = OuterRef("pk")
    day = OuterRef("fid_day")
    first_meeting = (
        Meeting.objects.formulation()
        .held()
        .filter(case_id=pk)
        .order_by("starts_at", "pk")
        .annotate(day=_local_day("starts_at"))
    )
    decision = (
        EligibilityCheck.objects.filter(
            referral__case_id=pk, decision__in=[Decision.ACCEPTED, Decision.PRIORITY]
        )
        .order_by("checked_at", "pk")
        .annotate(day=_local_day("checked_at"))
    )
    target = TeamReminderSettings.objects.filter(team_id=OuterRef("team_id"))
    interval = SupervisionSettings.objects.filter(team_id=OuterRef("team_id"))
    first_final = (
        ReportVersion.objects.filter(report__case_id=pk)
        .order_by()
        .values("report__case_id")
        .annotate(at=Min("finalised_at"))
        .values("at")
    )
    reviews = Review.objects.filter(case_id=pk, held_on__lte=day)
    due = reviews.filter(figures._review_due)
    qs = qs.annotate(
        fid_day=Least(Value(as_of), Coalesce(F("closed_on"), Value(as_of))),
        fid_met=Subquery(first_meeting.values("day")[:1], output_field=DateField()),
        fid_decided=Subquery(decision.values("day")[:1], output_field=DateField()),
        fid_target=Coalesce(
            Subquery(target.values("meeting_target_days")[:1]),
            DEFAULT_MEETING_TARGET_DAYS,
            output_field=IntegerField(),
        ),
        fid_interval=Coalesce(
            Subquery(interval.values("interval_months")[:1]),
            DEFAULT_INTERVAL_MONTHS,
            output_field=IntegerField(),
        ),
        fid_start=figures.ecm_start(),
        fid_draft=_local_day(
            Switch(
                When(report__number=1, then=F("report__sent_for_check_at")),
                default=Subquery(first_final),
                output_field=DateTimeField(),
            )
        ),
        # The review due now: the next agreed at the last review held, or before any the
        # first set at the formulation meeting (or by a carry-forward decision).
        fid_next=Switch(
            When(
                Exists(reviews),
                then=Subquery(
                    reviews.order_by("-held_on", "-pk").values("next_review_on")[:1],
                    output_field=DateField(),
                ),
            ),
            default=Coalesce(
                _local_day(Subquery(first_meeting.values("review_at")[:1])),
                F("first_review_on"),
            ),
            output_field=DateField(),
        ),
        fid_reviewed=Exists(reviews),
        fid_review_due=Exists(due),
        fid_review_late=Exists(due.filter(held_on__gt=F("due_on"))),
        fid_trm_missing=Exists(reviews.filter(trm_record__isnull=True)),
        fid_closure_review=Exists(reviews.filter(kind=Review.Kind.CLOSURE)),
    )
    return qs.annotate(
        fid_deadline=ExpressionWrapper(
            F("fid_decided") + F("fid_target"), output_field=DateField()
        ),
        fid_due=figures.AddMonths(F("fid_met"), 1, DateField()),
        fid_supervision_due=AddMonthsBy(F("fid_start"), F("fid_interval")),
        fid_supervision_gap=ExpressionWrapper(_supervision_gap(), output_field=BooleanField()),
    )


def _supervision_gap() -> Q:
    """From the ECM start to the reference day, `interval` months passed without a session
    attended or an offer declined: after the start itself or after one of those (an
    anti-join each, so no dates are read out)."""
    cm = OuterRef("case_manager_id")
    start, day, interval = OuterRef("fid_start"), OuterRef("fid_day"), OuterRef("fid_interval")

    def sessions(user):
        return Supervisee.objects.filter(user_id=user).annotate(on=_local_day("session__starts_at"))

    def declines(user):
        return Offer.objects.filter(practitioner_id=user, response=Offer.Response.DECLINED).alias(
            on=F("offered_on")
        )

    def none_within(user, after, months) -> Q:
        """No session or declined offer in (after, after + months]."""
        window = {"on__gt": after, "on__lte": AddMonthsBy(after, months)}
        return ~Exists(sessions(user).filter(**window)) & ~Exists(declines(user).filter(**window))

    def after_one_of(events) -> Exists:
        outer_cm, outer_interval = OuterRef(OuterRef("case_manager_id")), OuterRef(interval)
        return Exists(
            events.alias(next_due=AddMonthsBy(F("on"), interval))
            .filter(on__gte=start, on__lte=day, next_due__lt=day)
            .filter(none_within(outer_cm, OuterRef("on"), outer_interval))
        )

    return (
        none_within(cm, start, interval) | after_one_of(sessions(cm)) | after_one_of(declines(cm))
    )


def _points(as_of: dt.date) -> dict[str, tuple[Q, Q]]:
    """Each point as (applies, met) over the `_base` columns; met implies applies. Written
    as positive tests, so that a missing date (NULL) never counts as either."""
    day = F("fid_day")
    applies = {
        "meeting": Q(fid_decided__lte=day)
        & (Q(fid_met__lte=day) | Q(fid_deadline__lt=day)),  # held, or past the target
        "draft": Q(fid_met__lte=day) & (Q(fid_draft__lte=day) | Q(fid_due__lt=day)),
        "reviews_on_time": Q(fid_review_due=True)
        | Q(fid_review_late=True)
        | Q(fid_next__lt=day),  # overdue, not held (by the closure, for a closed case)
        "trm_recorded": Q(fid_reviewed=True),
        "supervised": Q(fid_start__lte=day) & Q(fid_supervision_due__lt=day),
        "closure_review": Q(status=CaseStatus.CLOSED, closed_on__lte=as_of)
        & ~Q(closure_reason=ClosureReason.WITHDRAWN),
    }
    met = {
        "meeting": Q(fid_met__lte=day) & Q(fid_met__lte=F("fid_deadline")),
        "draft": Q(fid_draft__lte=day) & Q(fid_draft__lte=F("fid_due")),
        "reviews_on_time": Q(fid_review_late=False)
        & (Q(fid_next__isnull=True) | Q(fid_next__gte=day)),
        "trm_recorded": Q(fid_trm_missing=False),
        "supervised": Q(case_manager_id__isnull=False, fid_supervision_gap=False),
        "closure_review": Q(fid_closure_review=True),
    }
    return {key: (applies[key], applies[key] & met[key]) for key in applies}


def annotate(qs, *, as_of: dt.date):
    """The Case queryset with `fidelity_<point>` for every point: True (met), False (not
    met) or None (not yet applicable), judged on `as_of` (or the day a case closed, if
    before)."""
    points = _points(as_of)
    return _base(qs, as_of=as_of).annotate(
        **{
            _field(key): Switch(
                When(met, then=Value(True)),
                When(applies, then=Value(False)),
                default=None,
                output_field=BooleanField(),
            )
            for key, (applies, met) in points.items()
        }
    )


# --- The dashboard and its drill-downs ---------------------------------------------------


def _on_ecm(team_ids, period: figures.Period):
    return Case.objects.filter(figures.scope(team_ids), figures.on_ecm_in(period, team_ids))


def table(team_ids, period: figures.Period) -> figures.Table:
    """The share of the cases on ECM in the period meeting each point, over those it applies
    to: one aggregate query."""
    as_of = reference_day(period)
    qs = _base(_on_ecm(team_ids, period), as_of=as_of)
    # DISTINCT (the rows are distinct anyway) makes the aggregate read an inner query, which
    # computes each case's facts once rather than once per point that reads them.
    agg = qs.distinct().aggregate(
        **{
            f"{key}__{what}": Count("pk", filter=q)
            for key, (applies, met) in _points(as_of).items()
            for what, q in (("met", met), ("applicable", applies))
        }
    )
    return figures.Table(
        "fidelity",
        str(
            _(
                "Model fidelity: cases on ECM in the period meeting each point, of those it "
                "applies to"
            )
        ),
        [
            figures.Row(
                f"{PREFIX}{p.key}",
                str(p.label),
                agg[f"{p.key}__met"],
                agg[f"{p.key}__applicable"],
            )
            for p in POINTS
        ],
    )


def label(key: str) -> str | None:
    point = BY_KEY.get(key.removeprefix(PREFIX))
    return str(point.label) if point else None


def drill_cases(qs, team_ids, period: figures.Period, key: str):
    """The cases behind a fidelity row: those on ECM in the period meeting the point."""
    point = BY_KEY.get(key.removeprefix(PREFIX))
    if point is None:
        return None
    as_of = reference_day(period)
    _applies, met = _points(as_of)[point.key]
    on_ecm = _base(qs.filter(figures.on_ecm_in(period, team_ids)), as_of=as_of)
    return qs.filter(pk__in=on_ecm.filter(met).values("pk"))


def register() -> None:
    """Add the table to the dashboard and its rows' drill-downs (`MonitoringConfig.ready`)."""
    if table not in figures.EXTRA_TABLES:
        figures.EXTRA_TABLES.append(table)
    figures.EXTRA_DRILLS[PREFIX] = (label, drill_cases)


# --- The drill-down's column -------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    key: str
    state: str  # "yes", "no" or "na"
    symbol: str
    text: str


def marks(case) -> dict:
    """What the drill-down shows of an annotated case: each point as a symbol and words
    (never a colour alone), and how many were met of those that apply."""
    out = []
    for p in POINTS:
        value = getattr(case, _field(p.key))
        if value is None:
            text = _("%(point)s: not yet applicable") % {"point": p.name}
            out.append(Mark(p.key, "na", "–", str(text)))
        elif value:
            out.append(Mark(p.key, "yes", "✓", str(p.yes)))
        else:
            out.append(Mark(p.key, "no", "✗", str(p.no)))
    applicable = [m for m in out if m.state != "na"]
    return {
        "marks": out,
        "met": sum(m.state == "yes" for m in applicable),
        "applicable": len(applicable),
    }
