"""Model fidelity per case: did the case follow the model? Six points, each yes / no / not
yet applicable (True / False / None), computed in SQL as annotations on a Case queryset, so a
list of cases costs the same queries however many it shows, and two aggregates give the
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
5. supervised: the case manager is within the supervision cadence on the reference day. As
   `supervision.selectors.cadence_for` counts it, supervision is due `interval` calendar
   months (the case's team's `SupervisionSettings`, default 2) after the last session the
   case manager attended or the last offer they declined (it is voluntary), or after the
   case's ECM start if that is later; within cadence: not overdue on the reference day (due
   on it is still within). Not yet: the first interval from the ECM start has not passed. No
   case manager recorded: no. (The current case manager stands for the case; gaps earlier in
   the case's time on ECM are not looked for: counted over every case, that check read each
   case manager's sessions pairwise and cost seconds at 20,000 children.)
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
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate
from django.db.models.lookups import (
    Exact,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Case, CaseStatus, ClosureReason, TeamReminderSettings
from formulation.models import Meeting, ReportVersion
from referrals.models import Decision, EligibilityCheck
from reviews.models import Review
from supervision.models import Offer, Session, Supervisee
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
        _(
            "Case manager within the team's supervision cadence (on the period's last day, "
            "or at closure)"
        ),
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


#: The facts about a case's reviews held by the reference day, as bits of one number (one
#: subquery per case rather than one per fact).
REVIEWED, REVIEW_DUE, REVIEW_LATE, TRM_MISSING, CLOSURE_REVIEW = 1, 2, 4, 8, 16
NEVER = dt.date.min  # "no session yet": before any ECM start


def _base(qs, *, as_of: dt.date, supervision: bool = True):
    """The facts the points are judged from, one column each (`fid_*`): the reference day,
    the dates that matter, the reviews' facts as bits. Each is a join to a one-to-one row or
    one correlated subquery, and none reads another: the points (`_points`) combine them,
    so an aggregate over an inner query of these columns computes each once per case."""
    pk = OuterRef("pk")
    day = OuterRef("fid_day")
    first_meeting = (
        Meeting.objects.formulation().held().filter(case_id=pk).order_by("starts_at", "pk")
    )
    decision = (
        # By the case's referral (one to one, joined), so that the checks are read by their
        # own index rather than through a join to the referrals.
        EligibilityCheck.objects.filter(
            referral_id=OuterRef("referral__id"),
            decision__in=[Decision.ACCEPTED, Decision.PRIORITY],
        )
        .order_by("checked_at", "pk")
        .annotate(day=_local_day("checked_at"))
    )
    first_final = (
        ReportVersion.objects.filter(report__case_id=pk)
        .order_by()
        .values("report__case_id")
        .annotate(at=Min("finalised_at"))
        .values("at")
    )
    reviews = Review.objects.filter(case_id=pk, held_on__lte=day)

    def bit(value, condition):
        return Max(Switch(When(condition, then=Value(value)), default=Value(0)))

    due = figures._review_due
    facts = (
        reviews.order_by()
        .values("case_id")
        .annotate(
            bits=Value(REVIEWED)
            + bit(REVIEW_DUE, due)
            + bit(REVIEW_LATE, due & Q(held_on__gt=F("due_on")))
            + bit(TRM_MISSING, Q(trm_record__isnull=True))
            + bit(CLOSURE_REVIEW, Q(kind=Review.Kind.CLOSURE))
        )
        .values("bits")
    )
    cm = OuterRef("case_manager_id")
    # The session's date by its own subquery, not a join: the planner otherwise hashes every
    # session for each case.
    session_day = Session.objects.filter(pk=OuterRef("session_id")).annotate(
        on=_local_day("starts_at")
    )
    last_session = (
        Supervisee.objects.filter(user_id=cm)
        .annotate(on=Subquery(session_day.values("on")[:1], output_field=DateField()))
        .filter(on__lte=day)
        .order_by("-on")
        .values("on")[:1]
    )
    last_declined = (
        Offer.objects.filter(
            practitioner_id=cm, response=Offer.Response.DECLINED, offered_on__lte=day
        )
        .order_by()
        .values("practitioner_id")
        .annotate(last=Max("offered_on"))
        .values("last")
    )
    qs = qs.annotate(
        fid_day=Least(Value(as_of), Coalesce(F("closed_on"), Value(as_of))),
        fid_met=Subquery(
            first_meeting.annotate(day=_local_day("starts_at")).values("day")[:1],
            output_field=DateField(),
        ),
        fid_review_at=Subquery(first_meeting.values("review_at")[:1]),
        fid_decided=Subquery(decision.values("day")[:1], output_field=DateField()),
        fid_target=Coalesce(
            F("team__reminder_settings__meeting_target_days"),
            DEFAULT_MEETING_TARGET_DAYS,
            output_field=IntegerField(),
        ),
        fid_interval=Coalesce(
            F("team__supervision_settings__interval_months"),
            DEFAULT_INTERVAL_MONTHS,
            output_field=IntegerField(),
        ),
        fid_draft_at=Switch(
            When(report__number=1, then=F("report__sent_for_check_at")),
            default=Subquery(first_final),
            output_field=DateTimeField(),
        ),
        fid_reviews=Coalesce(Subquery(facts, output_field=IntegerField()), 0),
        # The next review agreed at the last review held (used when there is one).
        fid_latest_next=Subquery(
            reviews.order_by("-held_on", "-pk").values("next_review_on")[:1],
            output_field=DateField(),
        ),
    )
    if not supervision:
        return qs
    # The last session the case manager attended or offer they declined (supervision is
    # voluntary: a declined offer restarts the clock, as in `next_due`).
    return qs.annotate(
        fid_supervised_on=Greatest(
            Coalesce(Subquery(last_session, output_field=DateField()), Value(NEVER)),
            Coalesce(Subquery(last_declined, output_field=DateField()), Value(NEVER)),
        )
    )


def _supervision_facts(qs, *, as_of: dt.date):
    """The columns the supervision point reads (`fid_met`, `fid_supervised_on`, ...) by
    joins grouped per case rather than subqueries: counted over every case on ECM, a
    subquery per case reading its case manager's sessions costs several times more. The
    same values as `_base`; the ECM start is the stored column."""
    session = "case_manager__supervision_attendance__session__starts_at"
    offer = "case_manager__supervision_offers"
    on = _local_day(session)
    declined = Q(**{f"{offer}__response": Offer.Response.DECLINED}) & Q(
        LessThanOrEqual(F(f"{offer}__offered_on"), F("fid_day"))
    )
    return qs.annotate(
        fid_day=Least(Value(as_of), Coalesce(F("closed_on"), Value(as_of))),
        fid_interval=Coalesce(
            F("team__supervision_settings__interval_months"),
            DEFAULT_INTERVAL_MONTHS,
            output_field=IntegerField(),
        ),
    ).annotate(
        fid_supervised_on=Greatest(
            Coalesce(Max(on, filter=Q(LessThanOrEqual(on, F("fid_day")))), Value(NEVER)),
            Coalesce(Max(f"{offer}__offered_on", filter=declined), Value(NEVER)),
        ),
    )


def _has(bit: int) -> Q:
    return Q(Exact(F("fid_reviews").bitand(bit), bit))


def _points(as_of: dt.date) -> dict[str, tuple[Q, Q]]:
    """Each point as (applies, met) over the `_base` columns; met implies applies. Written
    as positive tests, so that a missing date (NULL) never counts as either."""
    day = F("fid_day")
    deadline = ExpressionWrapper(F("fid_decided") + F("fid_target"), output_field=DateField())
    due = figures.AddMonths(F("fid_met"), 1, DateField())
    draft = _local_day("fid_draft_at")
    start = figures.ecm_start()  # the stored ECM start (Case.ecm_started_on)
    # The review due now: the next agreed at the last review held, or before any the first
    # set at the formulation meeting (or by a carry-forward decision).
    next_due = Switch(
        When(_has(REVIEWED), then=F("fid_latest_next")),
        default=Coalesce(_local_day("fid_review_at"), F("first_review_on")),
        output_field=DateField(),
    )
    # Supervision is next due `interval` months after the last session or declined offer,
    # or after the ECM start if later (`supervision.selectors.next_due`).
    clock = Greatest(F("fid_supervised_on"), start)
    applies = {
        "meeting": Q(fid_decided__lte=day)
        & (Q(fid_met__lte=day) | Q(LessThan(deadline, day))),  # held, or past the target
        "draft": Q(fid_met__lte=day) & (Q(LessThanOrEqual(draft, day)) | Q(LessThan(due, day))),
        "reviews_on_time": _has(REVIEW_DUE) | Q(LessThan(next_due, day)),
        "trm_recorded": _has(REVIEWED),
        # The first session due before the reference day.
        "supervised": Q(LessThan(AddMonthsBy(start, F("fid_interval")), day)),
        "closure_review": Q(status=CaseStatus.CLOSED, closed_on__lte=as_of)
        & ~Q(closure_reason=ClosureReason.WITHDRAWN),
    }
    met = {
        "meeting": Q(fid_met__lte=day) & Q(LessThanOrEqual(F("fid_met"), deadline)),
        "draft": Q(LessThanOrEqual(draft, day)) & Q(LessThanOrEqual(draft, due)),
        "reviews_on_time": ~_has(REVIEW_LATE)
        & (Q(IsNull(next_due, True)) | Q(GreaterThanOrEqual(next_due, day))),
        "trm_recorded": ~_has(TRM_MISSING),
        "supervised": Q(case_manager_id__isnull=False)
        & Q(GreaterThanOrEqual(AddMonthsBy(clock, F("fid_interval")), day)),
        "closure_review": _has(CLOSURE_REVIEW),
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
    to: two aggregate queries (the supervision point by joins, `_supervision_facts`)."""
    as_of = reference_day(period)
    points = _points(as_of)
    supervised = points.pop("supervised")

    def counts(qs, points):
        return qs.aggregate(
            **{
                f"{key}__{what}": Count("pk", filter=q)
                for key, (applies, met) in points.items()
                for what, q in (("met", met), ("applicable", applies))
            }
        )

    cases = _on_ecm(team_ids, period)
    # DISTINCT (the rows are distinct anyway) makes the aggregate read an inner query, which
    # computes each case's facts once rather than once per point that reads them.
    agg = counts(_base(cases, as_of=as_of, supervision=False).distinct(), points)
    agg |= counts(_supervision_facts(cases, as_of=as_of), {"supervised": supervised})
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
        shares=True,
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
    on_ecm = qs.filter(figures.on_ecm_in(period, team_ids))
    # The same columns as the dashboard's count reads.
    facts = _supervision_facts if point.key == "supervised" else _base
    return qs.filter(pk__in=facts(on_ecm, as_of=as_of).filter(met).values("pk"))


def register() -> None:
    """Make the table's rows drill down through `figures.drill_cases` (the table itself is
    the fidelity page's: `views.fidelity_page`). Called by `MonitoringConfig.ready`."""
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
