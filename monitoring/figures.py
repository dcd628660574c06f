"""Monitoring figures, every one computed in SQL. Case-level figures are a `Q` on Case, so one
aggregate query counts them all and the same `Q` drills down to the cases behind a figure.

Scope: the cases of the chosen teams. Period: [start, end], inclusive at both ends; each
figure says which date it counts by (referral submitted, meeting held, review held, case
closed...). Small cells are suppressed when shown (see `suppress`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DateField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
)
from django.db.models import Case as Switch
from django.db.models.functions import Sign, TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.dates import AddMonths, add_years
from ecm.models import (
    ON_ECM_STATUSES,
    PRE_ECM_STATUSES,
    Case,
    CaseStatus,
    Child,
    ClosureReason,
    Gender,
    Team,
    open_case,
)
from formulation.models import (
    Agency,
    Invitation,
    Meeting,
    TRMPlacement,
)
from referrals.models import (
    ACE_HOUSEHOLD,
    ACE_MALTREATMENT,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    Consent,
    CurrentPreviousNever,
    Decision,
    Disposal,
    EligibilityCheck,
    NotMetReason,
    Offence,
    Referral,
    YesNoDontKnow,
)
from reviews.models import (
    Action,
    MissedAppointmentDecision,
    OutcomeDomain,
    OutcomeRating,
    OutcomeSurvey,
    Review,
    RiskRating,
    Transition,
    TRMStageRecord,
)
from reviews.selectors import risk_averages

#: The periods the figures can be computed for (their comparisons reach a year before the
#: start): the pages and the API refuse dates outside these.
PERIOD_FIRST_DAY, PERIOD_LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


@dataclass
class Period:
    start: dt.date
    end: dt.date

    def dates(self, lookup: str) -> Q:
        return Q(**{f"{lookup}__gte": self.start, f"{lookup}__lte": self.end})

    def moments(self, lookup: str) -> Q:
        """A datetime field within the period's local days (uses indexes, unlike __date)."""
        tz = timezone.get_current_timezone()
        lo = timezone.make_aware(dt.datetime.combine(self.start, dt.time.min), tz)
        hi = timezone.make_aware(
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min), tz
        )
        return Q(**{f"{lookup}__gte": lo, f"{lookup}__lt": hi})


@dataclass
class Row:
    key: str
    label: str
    value: float | int | None
    denominator: int | None = None
    drill: bool = True
    unit: str = ""  # "" for a count of cases, "days", "rating", "events"
    columns: dict = field(default_factory=dict)
    n: int | None = None  # for a mean: how many it is taken over
    hidden: bool = False  # suppressed because it would reveal a small cell elsewhere
    drill_url: str = ""  # set by the dashboard view for a figure that links to its cases

    @property
    def percent(self):
        if self.denominator:
            return round(100 * (self.value or 0) / self.denominator)
        return None


@dataclass
class Table:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    chart: bool = False
    split: bool = False  # the rows are parts of one whole (complementary suppression)
    shares: bool = False  # each row is "so many of" its own denominator (shown beside it)


# --- Case-level figures (a Q on Case each) ---------------------------------------------------


def _within(team_ids, path: str = "case") -> dict:
    """Filter kwargs scoping a subquery to the teams (none when `team_ids` is None)."""
    return {} if team_ids is None else {f"{path}__team_id__in": list(team_ids)}


def _checks(period: Period, team_ids, **filters):
    """Cases (ids) with an eligibility check in the period: an uncorrelated subquery, built
    once by the database rather than once per case."""
    return EligibilityCheck.objects.filter(
        period.moments("checked_at"), **_within(team_ids, "referral__case"), **filters
    ).values("referral__case_id")


def open_in(period: Period) -> Q:
    """Cases open at any time in the period."""
    return Q(opened_on__lte=period.end) & (
        Q(closed_on__isnull=True) | Q(closed_on__gte=period.start)
    )


# --- When ECM starts --------------------------------------------------------------------
#
# ECM starts with the multi-agency case formulation (Key components): a case's ECM start is
# the local day its formulation meeting (`Meeting.objects.formulation_meetings()`, the first
# held) took place. A re-opened episode that carried its formulation forward holds no
# meeting of its own: it starts on its `opened_on`, the day the episode was re-opened (the
# decision makes it active at once; the days of re-referral before it are few, and
# `opened_on` never changes, unlike `status_changed_at`). Before its start a case is "in
# the pipeline"; days on ECM and offences before, during and after ECM count from it.
#
# The start is stored on the case (`Case.ecm_started_on`, a read model kept by the meeting
# held and carry-forward services: `formulation.meeting.selectors.ecm_start_from_meetings`
# computes it), so that every figure below tests a column rather than joining each case's
# meetings, and the dashboard does not grow with the meetings' history.


def ecm_started_by(day: dt.date) -> Q:
    """Cases whose ECM started on or before `day`."""
    return Q(ecm_started_on__lte=day)


def on_ecm_in(period: Period, team_ids=None) -> Q:
    """The base of the period's figures: cases on ECM at some time in the period (ECM
    started on or before its last day, and not closed before its first)."""
    return ecm_started_by(period.end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))


def ecm_start(path: str = ""):
    """A case's ECM start (a date; None before it), on Case (`path=""`) or on a row related
    to its case (`path="case__"`)."""
    return F(f"{path}ecm_started_on")


def reoffended_by(day: dt.date, team_ids=None) -> Q:
    """Cases whose child has an offence (on any episode) from the case's ECM start to `day`:
    one join from each case to its child's offences."""
    offence = "child__cases__offences__date"
    reoffended = Case.objects.filter(
        scope(team_ids),
        ecm_started_on__isnull=False,
        **{f"{offence}__gte": F("ecm_started_on"), f"{offence}__lte": day},
    ).values("pk")
    return Q(pk__in=reoffended)


def first_offence_since_start():
    """An expression on Case: the date of the child's first offence (on any episode) on or
    after the case's ECM start (None: none yet). `first <= day` is `reoffended_by(day)`: the
    trends test it for eight quarters from one lookup per case."""
    first = (
        Offence.objects.filter(
            case__child_id=OuterRef("child_id"), date__gte=OuterRef("ecm_started_on")
        )
        .order_by()
        .values("case__child_id")
        .annotate(first=Min("date"))
        .values("first")
    )
    return Subquery(first, output_field=DateField())


def _reviews_said_reoffended(p: Period, team_ids) -> Q:
    reviews = Review.objects.filter(
        held_on__gte=p.start, held_on__lte=p.end, reoffended=True, **_within(team_ids)
    )
    return Q(pk__in=reviews.values("case_id"))


#: Case figures over the cases on ECM in the period: `on_ecm_in(p) & part(p, team_ids)`.
#: The dashboard counts them with the profile, whose base is those cases, so that the
#: case aggregate does not test "on ECM" once per figure; the drill-downs use the whole Q.
def _evaluation_consent(p: Period, team_ids) -> Q:
    """Cases whose consent to the use of their data for evaluation stood at the period's
    end (given by then, not withdrawn by then): the base an evaluation reports over."""
    consents = Consent.objects.filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=p.end),
        kind=Consent.Kind.EVALUATION,
        given=True,
        date__lte=p.end,
        **_within(team_ids),
    )
    return Q(pk__in=consents.values("case_id"))


ON_ECM_PARTS = {
    "on_ecm": lambda p, team_ids: Q(),
    "reoffended": _reviews_said_reoffended,
    "reoffended_by_end": lambda p, team_ids: reoffended_by(p.end, team_ids),
}


def case_figures(period: Period, team_ids=None) -> dict[str, tuple[str, Q]]:
    """key -> (label, Q on Case). Each Q is a plain column test or `pk__in` an uncorrelated
    subquery, so one aggregate counts them all without DISTINCT. With `team_ids` the
    subqueries are scoped to those teams too, so that a few teams' figures cost what their
    own data costs (the aggregate is scoped in any case: `count_all`)."""
    p = period
    teams = _within(team_ids)
    held = (
        Meeting.objects.formulation()
        .filter(p.moments("starts_at"), status=Meeting.Status.HELD, **teams)
        .values("case_id")
    )
    reviews = Review.objects.filter(held_on__gte=p.start, held_on__lte=p.end, **teams)
    decisions = MissedAppointmentDecision.objects.filter(
        decided_on__gte=p.start, decided_on__lte=p.end, **teams
    )
    # Closed cases whose child offended after the closure, in the period (on any episode):
    # one join, not a lookup per closed case. (The dashboard takes this count from
    # `_after_rows`, which finds the same cases on its way to their offences.)
    after = Case.objects.filter(
        scope(team_ids),
        status=CaseStatus.CLOSED,
        child__cases__offences__date__gt=F("closed_on"),
        child__cases__offences__date__gte=p.start,
        child__cases__offences__date__lte=p.end,
    ).values("pk")
    active_in_period = open_in(p)
    on_ecm = on_ecm_in(p, team_ids)
    closed_in_period = Q(status=CaseStatus.CLOSED) & p.dates("closed_on")
    figures = {
        # Cohort
        "caseload": (
            _("Children on the ECM caseload now (formulation meeting held, not closed)"),
            Q(status__in=ON_ECM_STATUSES),
        ),
        "pipeline": (
            _("In the pipeline now (potential to preparing for the formulation meeting)"),
            Q(status__in=PRE_ECM_STATUSES),
        ),
        "active_in_period": (_("Cases open at any time in the period"), active_in_period),
        "started": (
            _(
                "Started ECM in the period (formulation meeting held, or the formulation "
                "carried forward)"
            ),
            started_in(p),
        ),
        "on_ecm": (
            _(
                "Cases on ECM in the period (formulation meeting held by its end, "
                "not closed before its start): the base of the figures below"
            ),
            on_ecm,
        ),
        "referred": (
            _("Referrals submitted"),
            Q(pk__in=Referral.objects.filter(p.moments("submitted_at"), **teams).values("case_id")),
        ),
        "criteria_met": (
            _("Referrals meeting the criteria"),
            Q(pk__in=_checks(p, team_ids, decision__in=[Decision.ACCEPTED, Decision.PRIORITY])),
        ),
        "criteria_not_met": (
            _("Referrals not meeting the criteria"),
            Q(pk__in=_checks(p, team_ids, decision=Decision.NOT_MET)),
        ),
        "waiting": (_("On the waiting list now"), Q(status=CaseStatus.WAITING)),
        # Engagement
        "formulations": (_("Formulation meetings held"), Q(pk__in=held)),
        "reviewed": (_("Cases reviewed"), Q(pk__in=reviews.values("case_id"))),
        "closed": (_("Cases closed"), closed_in_period),
        "orders_completed": (
            _("Closed: order completed"),
            closed_in_period & Q(closure_reason=ClosureReason.ORDER_COMPLETED),
        ),
        "plans_completed": (
            _("Closed with the intervention plan completed"),
            closed_in_period & Q(closure__plan_completed=True),
        ),
        "rereferred": (
            _("Re-opened episodes (re-referrals)"),
            Q(previous_case__isnull=False) & p.dates("opened_on"),
        ),
        # Outcomes
        "disengaged": (
            _("Closed: disengaged or consent withdrawn"),
            closed_in_period
            & Q(closure_reason__in=[ClosureReason.DISENGAGED, ClosureReason.CONSENT_WITHDRAWN]),
        ),
        "warnings": (
            _("Warnings after missed appointments"),
            Q(
                pk__in=decisions.filter(decision=MissedAppointmentDecision.Decision.WARNING).values(
                    "case_id"
                )
            ),
        ),
        "breaches": (
            _("Breaches (decision or review)"),
            Q(
                pk__in=decisions.filter(decision=MissedAppointmentDecision.Decision.BREACH).values(
                    "case_id"
                )
            )
            | Q(pk__in=reviews.filter(breach=True).values("case_id")),
        ),
        "reoffended": (
            _("Reoffended during ECM (a review in the period says so)"),
            on_ecm & ON_ECM_PARTS["reoffended"](p, team_ids),
        ),
        "reoffended_after": (
            _(
                "Reoffended after ECM closed (an offence in the period after the closure, "
                "recorded on the closed case or any later one)"
            ),
            Q(status=CaseStatus.CLOSED, closed_on__isnull=False) & Q(pk__in=after),
        ),
        "reoffended_by_end": (
            _(
                "Reoffended by the end of the period (an offence from the start of ECM to the "
                "period's last day: during ECM or after it)"
            ),
            on_ecm & ON_ECM_PARTS["reoffended_by_end"](p, team_ids),
        ),
        "late_reviews": (
            _("Cases with a review held after its agreed date"),
            Q(pk__in=reviews.filter(_review_due, held_on__gt=F("due_on")).values("case_id")),
        ),
        "actions_overdue": (
            _("Cases with overdue actions now"),
            open_case()
            & Q(
                pk__in=Action.objects.filter(
                    status=Action.Status.OPEN, due_on__lt=p.end, **teams
                ).values("case_id")
            ),
        ),
    }
    for reason in (ClosureReason.DISENGAGED, ClosureReason.CONSENT_WITHDRAWN):
        figures[f"closed:{reason}"] = (
            ClosureReason(reason).label,
            closed_in_period & Q(closure_reason=reason),
        )
    return figures


#: The services children moved on to, as the ORS evaluation groups them (001, "Case
#: transition", Table 1: "Adult social care / mental health / other support services",
#: "Prison", "Probation", "Other services: housing"). A child who moved on to several
#: services counts once in each group, and once in "any".
TRANSITION_GROUPS = {
    "adult_support": (
        _("Adult social care, mental health or other support services"),
        (
            Transition.Destination.ADULT_SOCIAL_CARE,
            Transition.Destination.MENTAL_HEALTH,
            Transition.Destination.OTHER_SUPPORT,
        ),
    ),
    "prison": (_("Prison (custody)"), (Transition.Destination.CUSTODY,)),
    "probation": (_("Probation"), (Transition.Destination.PROBATION,)),
    "housing": (_("Other services: housing"), (Transition.Destination.HOUSING,)),
    "any": (_("Any adult service (children moved on)"), tuple(Transition.Destination.values)),
}


def _transition_filters() -> dict[str, Q]:
    """key -> the destinations it counts: each destination, each evaluation group."""
    return {
        **{f"transition:{d}": Q(destination=d) for d in Transition.Destination.values},
        **{
            f"transition_group:{g}": Q(destination__in=list(members))
            for g, (_label, members) in TRANSITION_GROUPS.items()
        },
    }


def _transition_labels() -> dict[str, str]:
    return {
        **{f"transition:{d}": label for d, label in Transition.Destination.choices},
        **{f"transition_group:{g}": label for g, (label, _m) in TRANSITION_GROUPS.items()},
    }


def transition_figures(p: Period, team_ids=None) -> dict[str, tuple[str, Q]]:
    """Per destination and per evaluation group, for drill-down (the dashboard counts them
    in one query)."""
    closed_in_period = Q(status=CaseStatus.CLOSED) & p.dates("closed_on")
    labels = _transition_labels()
    return {
        key: (
            labels[key],
            closed_in_period
            & Q(
                pk__in=Transition.objects.filter(
                    which, **_within(team_ids, "closure__case")
                ).values("closure__case_id")
            ),
        )
        for key, which in _transition_filters().items()
    }


def transition_counts(team_ids, p: Period) -> dict[str, int]:
    """Cases closed in the period that moved on, per destination and per evaluation group:
    one aggregate over the period's transitions."""
    return {
        key.replace("__c__", ":"): n
        for key, n in Transition.objects.filter(
            **_within(team_ids, "closure__case"),
            closure__case__status=CaseStatus.CLOSED,
            closure__case__closed_on__gte=p.start,
            closure__case__closed_on__lte=p.end,
        )
        .aggregate(
            **{
                key.replace(":", "__c__"): Count("closure__case_id", distinct=True, filter=which)
                for key, which in _transition_filters().items()
            }
        )
        .items()
    }


# A review that was due on a date: not ad hoc (held because new information emerged), and a
# date agreed at the review before it or at the formulation meeting.
_review_due = Q(due_on__isnull=False) & ~Q(kind=Review.Kind.AD_HOC)


def not_met_figures(p: Period, team_ids=None) -> dict[str, tuple[str, Q]]:
    """Per reason, for drill-down (the dashboard counts them in one grouped query)."""
    return {
        f"not_met:{reason}": (
            label,
            Q(
                pk__in=_checks(
                    p,
                    team_ids,
                    decision=Decision.NOT_MET,
                    not_met_reasons__icontains=f'"{reason}"',
                )
            ),
        )
        for reason, label in NotMetReason.choices
    }


def not_met_counts(team_ids, p: Period) -> dict[str, int]:
    """The eligibility decisions of the period in one pass over the checks: cases meeting the
    criteria, not meeting them, and not meeting them per reason (the dashboard counts
    "criteria_met" and "criteria_not_met" here rather than in the case aggregate, where each
    would be a join of the checks to the referrals probed case by case)."""
    met = Q(decision__in=[Decision.ACCEPTED, Decision.PRIORITY])
    not_met = Q(decision=Decision.NOT_MET)
    checks = EligibilityCheck.objects.filter(
        p.moments("checked_at"),
        met | not_met,
        **_within(team_ids, "referral__case"),
    )
    # A referral is one case's (one to one): counting the referrals counts their cases,
    # without a join to the referrals.
    agg = checks.aggregate(
        criteria_met=Count("referral", distinct=True, filter=met),
        criteria_not_met=Count("referral", distinct=True, filter=not_met),
        **{
            f"not_met__c__{reason}": Count(
                "referral",
                distinct=True,
                filter=not_met & Q(not_met_reasons__icontains=f'"{reason}"'),
            )
            for reason in NotMetReason.values
        },
    )
    return {key.replace("__c__", ":"): n for key, n in agg.items()}


# Case figures the dashboard counts with the checks (`not_met_counts`), not in `count_all`.
COUNTED_WITH_CHECKS = ("criteria_met", "criteria_not_met")
# ... with the reviews of the period (`_review_counts`), and with the offences after closure
# (`_after_rows`).
COUNTED_ELSEWHERE = (*COUNTED_WITH_CHECKS, "reviewed", "reoffended_after", *ON_ECM_PARTS)


def profile_figures(period: Period) -> dict[str, tuple[str, Q]]:
    """Who ECM reaches: the cases on ECM in the period (`on_ecm_in`)."""
    p = period
    figures: dict[str, tuple[str, Q]] = {}
    bands = [("10-13", 10, 13), ("14-15", 14, 15), ("16-17", 16, 17), ("18+", 18, 30)]
    for label, lo, hi in bands:
        youngest_dob = add_years(p.end, -lo)
        oldest_dob = add_years(p.end, -(hi + 1)) + dt.timedelta(days=1)
        figures[f"age:{label}"] = (
            _("Age %(band)s") % {"band": label},
            Q(child__date_of_birth__lte=youngest_dob, child__date_of_birth__gte=oldest_dob),
        )
    # The evaluations' bands, by the age on the date of referral.
    referred_on = F("referral__referral_date")

    def born_after(years: int) -> Q:  # younger than `years` on the date of referral
        return Q(child__date_of_birth__gt=AddMonths(referred_on, -12 * years, DateField()))

    for key, label, q in (
        ("14-", _("14 and under at referral"), born_after(15)),
        ("15-16", _("15-16 at referral"), ~born_after(15) & born_after(17)),
        ("17", _("17 at referral"), ~born_after(17) & born_after(18)),
        ("18+", _("18 or over at referral"), ~born_after(18)),
    ):
        figures[f"agerf:{key}"] = (label, Q(referral__referral_date__isnull=False) & q)
    figures["agerf:none"] = (
        _("No date of referral recorded"),
        Q(referral__isnull=True) | Q(referral__referral_date__isnull=True),
    )
    for value, label in Disposal.choices:
        figures[f"disposal:{value}"] = (label, Q(referral__disposal=value))
    figures["disposal:none"] = (
        _("Not recorded"),
        Q(referral__isnull=True) | Q(referral__disposal=""),
    )
    for key, label, q in (
        ("0-5", _("Under 6 months"), Q(referral__order_length_months__lt=6)),
        (
            "6-11",
            _("6 to 11 months"),
            Q(referral__order_length_months__gte=6, referral__order_length_months__lt=12),
        ),
        ("12+", _("12 months or more"), Q(referral__order_length_months__gte=12)),
        (
            "none",
            _("Not recorded"),
            Q(referral__isnull=True) | Q(referral__order_length_months__isnull=True),
        ),
    ):
        figures[f"order:{key}"] = (label, q)
    for value, label in Gender.choices:
        figures[f"gender:{value}"] = (label, Q(child__gender=value))
    for value, label in Child._meta.get_field("ethnicity").choices:
        figures[f"ethnicity:{value}"] = (label, Q(child__ethnicity=value))
    for name, label in COMPLEXITY_CPN:
        # The guidance asks "past or present": current or previous.
        figures[f"cx:{name}"] = (
            _("%(x)s (current or previous)") % {"x": label},
            Q(
                **{
                    f"referral__{name}__in": [
                        CurrentPreviousNever.CURRENT,
                        CurrentPreviousNever.PREVIOUS,
                    ]
                }
            ),
        )
        figures[f"cxnow:{name}"] = (
            _("%(x)s (current)") % {"x": label},
            Q(**{f"referral__{name}": CurrentPreviousNever.CURRENT}),
        )
        # "Don't know" and not answered both count as missing, never as "never".
        dk = ["", CurrentPreviousNever.DONT_KNOW]
        figures[f"cxdk:{name}"] = (
            label,
            Q(**{f"referral__{name}__in": dk}) | Q(referral__isnull=True),
        )
    for name, label in COMPLEXITY_YND + ACE_MALTREATMENT + ACE_HOUSEHOLD:
        figures[f"cx:{name}"] = (label, Q(**{f"referral__{name}": YesNoDontKnow.YES}))
        figures[f"cxdk:{name}"] = (
            label,
            Q(**{f"referral__{name}__in": ["", YesNoDontKnow.DONT_KNOW]})
            | Q(referral__isnull=True),
        )
    return figures


def problems_per_case():
    """The number of problems (known or suspected) on a case's referral: the complexity
    indicators and ACEs of the eligibility grid answered yes, or for the social care ones
    current or previous (the Welsh trial's "average number of problems (known and
    suspected) experienced by a young person", 000 §3.37). An expression on Case."""
    yes = [CurrentPreviousNever.CURRENT, CurrentPreviousNever.PREVIOUS]
    terms = [
        Switch(When(**{f"referral__{name}__in": yes}, then=1), default=0)
        for name, _label in COMPLEXITY_CPN
    ] + [
        Switch(When(**{f"referral__{name}": YesNoDontKnow.YES}, then=1), default=0)
        for name, _label in COMPLEXITY_YND + ACE_MALTREATMENT + ACE_HOUSEHOLD
    ]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return ExpressionWrapper(total, output_field=IntegerField())


def scoped_ids(team_ids) -> list[int] | None:
    """The teams as the figures take them: None when they are every team (which spares each
    query its join to the cases), else their ids. One query."""
    every = set(team_ids) >= set(Team.objects.values_list("pk", flat=True))
    return None if every else list(team_ids)


def scope(team_ids) -> Q:
    """Cases of the teams (every case when `team_ids` is None: the dashboard passes None when
    the choice is every team, which spares each query its join to the cases)."""
    return Q() if team_ids is None else Q(team_id__in=list(team_ids))


def count_all(
    team_ids, figures: dict[str, tuple[str, Q]], base: Q | None = None, extra: dict | None = None
) -> dict:
    """Every figure in one aggregate query (with `extra` aggregates, by their names)."""
    qs = Case.objects.filter(scope(team_ids))
    if base is not None:
        qs = qs.filter(base)
    # Every Q is a column test or an uncorrelated `pk__in`; the only joins are one-to-one
    # (child, referral), so no DISTINCT is needed.
    return qs.aggregate(
        **{_alias(key): Count("pk", filter=q) for key, (_l, q) in figures.items()}, **(extra or {})
    )


def _alias(key: str) -> str:
    return key.replace(":", "__c__").replace("-", "_").replace("+", "plus")


# --- The dashboard -------------------------------------------------------------------------


SPLIT_TABLES = {
    "not_met",
    "referral_time",
    "report_time",
    "report_final_time",
    "seriousness",
    "trm",
    "profile_age",
    "profile_age_referral",
    "profile_disposal",
    "profile_order_length",
    "profile_gender",
    "profile_ethnicity",
}


#: Case figures counted "now", the same whatever the period: nothing to compare.
NOW_FIGURES = frozenset({"caseload", "pipeline", "waiting"})


@dataclass
class Comparison:
    """Case figures of another period (the previous one, for the headline cards) to count in
    the dashboard's own case aggregate: no second query. `counts` is filled by `dashboard`
    (key -> count; the figures counted "now" are left out)."""

    period: Period
    keys: tuple[str, ...]
    counts: dict = field(default_factory=dict)

    def wanted(self, team_ids) -> dict[str, tuple[str, Q]]:
        figs = case_figures(self.period, team_ids)
        return {f"compared:{k}": figs[k] for k in self.keys if k in figs and k not in NOW_FIGURES}


def dashboard(team_ids, period: Period, *, compare: Comparison | None = None) -> list[Table]:
    """All the tables of the manager dashboard. A constant number of queries. With
    `compare`, its figures are counted in the same case aggregate (`compare.counts`)."""
    # Scoping the subqueries pays for a few teams; over every team it is only extra joins.
    coverage_teams = list(team_ids)
    team_ids = scoped_ids(team_ids)
    figs = case_figures(period, team_ids)

    in_aggregate = {k: f for k, f in figs.items() if k not in COUNTED_ELSEWHERE}
    compared = compare.wanted(team_ids) if compare is not None else {}
    counts = count_all(
        team_ids,
        {**in_aggregate, **compared},
        extra={"children_closed": Count("child_id", distinct=True, filter=figs["closed"][1])},
    )
    if compare is not None:
        compare.counts = {k.split(":", 1)[1]: counts[_alias(k)] for k in compared}
    nm = not_met_counts(team_ids, period)
    c = {key: counts[_alias(key)] for key in in_aggregate}
    c.update({key: nm[key] for key in COUNTED_WITH_CHECKS})
    review_counts = _review_counts(team_ids, period)
    c["reviewed"] = review_counts["reviewed"]
    after_rows, c["reoffended_after"] = _after_rows(team_ids, period)
    # The figures over the cases on ECM in the period, in one aggregate over them (its base).
    pcounts = Case.objects.filter(scope(team_ids), figs["on_ecm"][1]).aggregate(
        **{
            f"part__{key}": Count("pk", filter=part(period, team_ids))
            for key, part in ON_ECM_PARTS.items()
        },
        children_on_ecm=Count("child_id", distinct=True),
        children_evaluation=Count(
            "child_id", distinct=True, filter=_evaluation_consent(period, team_ids)
        ),
    )
    c.update({key: pcounts[f"part__{key}"] for key in ON_ECM_PARTS})
    moved_on = transition_counts(team_ids, period)
    referral_time = _referral_time(team_ids, period)
    report_time = _report_time(team_ids, period)
    risk = _risk(team_ids, period)
    offence_rows, seriousness = _offence_rows(team_ids, period, c["on_ecm"])

    def rows(keys, denominator=None):
        return [Row(k, str(figs[k][0]), c[k], denominator) for k in keys]

    tables = [
        Table(
            "cohort",
            str(_("Cohort")),
            rows(
                [
                    "caseload",
                    "pipeline",
                    "active_in_period",
                    "on_ecm",
                ]
            )
            + [
                Row(
                    "children_on_ecm",
                    str(_("Children on ECM in the period (a child with two episodes counts once)")),
                    pcounts["children_on_ecm"],
                    drill=False,
                ),
            ]
            + [
                Row(
                    "evaluation_consent",
                    str(
                        _(
                            "Children on ECM whose consent to the use of their data for "
                            "evaluation stood at the period's end"
                        )
                    ),
                    pcounts["children_evaluation"],
                    pcounts["children_on_ecm"],
                    drill=False,
                ),
            ]
            + rows(
                [
                    "started",
                    "referred",
                    "criteria_met",
                    "criteria_not_met",
                    "waiting",
                ]
            )
            + _waiting_rows(team_ids),
        ),
        Table(
            "not_met",
            str(_("Referrals not meeting the criteria, by reason")),
            [
                Row(f"not_met:{r}", str(label), nm[f"not_met:{r}"], c["criteria_not_met"])
                for r, label in NotMetReason.choices
            ],
            chart=True,
        ),
        Table(
            "engagement",
            str(_("Engagement")),
            rows(["formulations", "reviewed", "closed"])
            + [
                Row(
                    "children_closed",
                    str(_("Children whose case closed (a child closed twice counts once)")),
                    counts["children_closed"],
                    drill=False,
                )
            ]
            + rows(["orders_completed"])
            + [
                Row(
                    "plans_completed",
                    str(figs["plans_completed"][0]),
                    c["plans_completed"],
                    c["closed"] or None,
                )
            ]
            + rows(["rereferred"])
            + _engagement_extra(team_ids, period, review_counts, c["on_ecm"]),
        ),
        Table(
            "outcomes",
            str(_("Outcomes")),
            rows(["disengaged", "warnings", "breaches"])
            + [
                Row("reoffended", str(figs["reoffended"][0]), c["reoffended"], c["on_ecm"]),
                Row(
                    "reoffended_after",
                    str(figs["reoffended_after"][0]),
                    c["reoffended_after"],
                    c["closed"] or None,
                ),
                Row(
                    "reoffended_by_end",
                    str(figs["reoffended_by_end"][0]),
                    c["reoffended_by_end"],
                    c["on_ecm"],
                ),
            ]
            + offence_rows
            + after_rows,
        ),
        Table(
            "seriousness",
            str(
                _(
                    "Seriousness during ECM against before, per child with offences with a "
                    "gravity score in both (mean gravity)"
                )
            ),
            seriousness,
        ),
        Table(
            "risk",
            str(_("Risk ratings (mean)")),
            risk["rows"],
        ),
        Table(
            "risk_change",
            str(
                _(
                    "Risk from the start to closure, cases closed in the period with both "
                    "ratings: fell (improved) / same / rose (worse)"
                )
            ),
            risk["change"],
            columns=("fell", "same", "rose"),
        ),
        Table(
            "survey",
            str(_("Outcome survey at closure: improved / no change / worse")),
            _survey_rows(team_ids, period),
            columns=("improved", "no_change", "worse"),
            chart=True,
        ),
        Table(
            "timeliness",
            str(_("Timeliness")),
            _timeliness_rows(c, review_counts, referral_time, _coverage(coverage_teams, period))
            + report_time["means"],
        ),
        Table(
            "referral_time",
            str(_("Referral to formulation meeting (meetings held in the period)")),
            referral_time["rows"],
            chart=True,
        ),
        Table(
            "report_time",
            str(
                _(
                    "Formulation meeting to draft report sent for the accuracy check "
                    "(meetings held in the period)"
                )
            ),
            report_time["draft"],
            chart=True,
        ),
        Table(
            "report_final_time",
            str(_("Formulation meeting to final report (meetings held in the period)")),
            report_time["final"],
            chart=True,
        ),
        Table(
            "attendance",
            str(_("Attendance at formulation meetings, by agency")),
            _attendance_rows(team_ids, period),
            chart=True,
        ),
        Table(
            "trm",
            str(_("TRM stage: latest review against formulation")),
            _trm_rows(team_ids, period),
            chart=True,
        ),
        Table(
            "transitions",
            str(_("Transitions at closure, by service")),
            [
                Row(f"transition:{d}", str(label), moved_on[f"transition:{d}"], c["closed"])
                for d, label in Transition.Destination.choices
            ],
        ),
        Table(
            "transition_groups",
            str(
                _(
                    "Transitions at closure, as the ORS evaluation groups them (a child "
                    "counts in each group they moved on to)"
                )
            ),
            [
                Row(
                    f"transition_group:{g}",
                    str(label),
                    moved_on[f"transition_group:{g}"],
                    c["closed"],
                )
                for g, (label, _m) in TRANSITION_GROUPS.items()
            ],
        ),
    ]
    return _finish(tables)


def _finish(tables: list[Table]) -> list[Table]:
    for table in tables:
        table.split = table.key in SPLIT_TABLES
        protect(table)
    return tables


def profile(team_ids, period: Period) -> list[Table]:
    """Who ECM reaches: the profile tables, over the cases on ECM in the period (age now and
    at referral, order or disposal and its length, gender, ethnicity, problems per child,
    each complexity indicator and ACE with its don't-know count). One aggregate query."""
    team_ids = scoped_ids(team_ids)
    prof = profile_figures(period)
    with_referral = Q(referral__isnull=False)
    pcounts = count_all(
        team_ids,
        prof,
        base=on_ecm_in(period, team_ids),
        extra={
            "on_ecm": Count("pk"),
            "order_mean": Avg("referral__order_length_months"),
            "order_n": Count("referral__order_length_months"),
            "order_min": Min("referral__order_length_months"),
            "order_max": Max("referral__order_length_months"),
            "problems_mean": Avg(problems_per_case(), filter=with_referral),
            "problems_min": Min(problems_per_case(), filter=with_referral),
            "problems_max": Max(problems_per_case(), filter=with_referral),
            "problems_n": Count("pk", filter=with_referral),
        },
    )
    pc = {key: pcounts[_alias(key)] for key in prof}
    tables: list[Table] = []
    denominator = pcounts["on_ecm"]
    tables.append(
        Table(
            "profile_age",
            str(_("Profile: age at the end of the period")),
            [Row(k, str(prof[k][0]), pc[k], denominator) for k in prof if k.startswith("age:")],
            chart=True,
        )
    )
    for key, title, prefix in (
        ("profile_age_referral", _("Profile: age at referral (the evaluations' bands)"), "agerf:"),
        ("profile_disposal", _("Profile: order or disposal at referral"), "disposal:"),
        ("profile_order_length", _("Profile: length of the order at referral"), "order:"),
    ):
        tables.append(
            Table(
                key,
                str(title),
                [Row(k, str(prof[k][0]), pc[k], denominator) for k in prof if k.startswith(prefix)],
            )
        )
    tables[-1].rows.append(
        Row(
            "order_length",
            str(_("Mean length of the order at referral in months"))
            + _range_text(pcounts["order_min"], pcounts["order_max"], pcounts["order_n"]),
            round(pcounts["order_mean"], 1) if pcounts["order_mean"] is not None else None,
            drill=False,
            unit="months",
            n=pcounts["order_n"],
        )
    )
    tables.append(
        Table(
            "profile_gender",
            str(_("Profile: gender")),
            [Row(k, str(prof[k][0]), pc[k], denominator) for k in prof if k.startswith("gender:")],
        )
    )
    tables.append(
        Table(
            "profile_ethnicity",
            str(_("Profile: ethnicity")),
            [
                Row(k, str(prof[k][0]), pc[k], denominator)
                for k in prof
                if k.startswith("ethnicity:")
            ],
        )
    )
    tables.append(
        Table(
            "profile_complexity",
            str(
                _(
                    "Profile: complexity indicators and ACEs (yes / current), "
                    "with the don't-know rate"
                )
            ),
            [
                Row(
                    "problems_per_child",
                    str(
                        _(
                            "Problems per child, known or suspected (indicators and ACEs "
                            "answered yes, current or previous; mean)"
                        )
                    )
                    + _range_text(
                        pcounts["problems_min"], pcounts["problems_max"], pcounts["problems_n"]
                    ),
                    round(pcounts["problems_mean"], 1)
                    if pcounts["problems_mean"] is not None
                    else None,
                    drill=False,
                    unit="mean",
                    n=pcounts["problems_n"],
                )
            ]
            + _complexity_rows(prof, pc, denominator),
        )
    )
    return _finish(tables)


def _range_text(lo, hi, n) -> str:
    """ "; range lo-hi" beside a mean, only over enough cases (an end of a range is one
    child's figure, so over a few it would single them out)."""
    if lo is None or hi is None or not n or n < threshold():
        return ""
    return str(_("; range %(lo)s–%(hi)s") % {"lo": lo, "hi": hi})


def _complexity_rows(prof, pc, denominator) -> list[Row]:
    """Each indicator (yes; for the social care ones current or previous, then current),
    with its don't-know or not answered count beside it."""
    rows = []
    for key in (k for k in prof if k.startswith("cx:")):
        name = key.removeprefix("cx:")
        rows.append(Row(key, str(prof[key][0]), pc[key], denominator))
        if f"cxnow:{name}" in prof:
            rows.append(
                Row(
                    f"cxnow:{name}", str(prof[f"cxnow:{name}"][0]), pc[f"cxnow:{name}"], denominator
                )
            )
        dk = f"cxdk:{name}"
        label = _("Don't know or not recorded: %(x)s") % {"x": prof[dk][0]}
        rows.append(Row(dk, str(label), pc[dk], denominator))
    return rows


def _review_counts(team_ids, period: Period) -> dict:
    """Reviews held in the period, and the cases they reviewed (the "reviewed" case figure);
    of the reviews that were due on a date, how many were held by it. One query."""
    return Review.objects.filter(
        **_within(team_ids), held_on__gte=period.start, held_on__lte=period.end
    ).aggregate(
        held=Count("pk"),
        reviewed=Count("case", distinct=True),
        due=Count("pk", filter=_review_due),
        on_time=Count("pk", filter=_review_due & Q(held_on__lte=F("due_on"))),
    )


def _engagement_extra(team_ids, period: Period, review_counts: dict, on_ecm: int) -> list[Row]:
    closed = Case.objects.filter(
        scope(team_ids),
        status=CaseStatus.CLOSED,
        closed_on__gte=period.start,
        closed_on__lte=period.end,
        ecm_started_on__isnull=False,
    ).aggregate(days=Avg(F("closed_on") - F("ecm_started_on")), n=Count("pk"))
    # Reviews per case: over the cases on ECM in the period, each case's reviews held by the
    # period's end (the Welsh trial's "reviews undertaken per case", over every case involved,
    # open ones included). A case without a review counts as 0. One query, per case then over
    # the cases.
    per_case = (
        Review.objects.filter(
            case_id__in=Case.objects.filter(scope(team_ids), on_ecm_in(period)).values("pk"),
            held_on__lte=period.end,
        )
        .values("case_id")
        .annotate(n=Count("pk"))
    )
    reviews = per_case.aggregate(total=Sum("n"), lo=Min("n"), hi=Max("n"), cases=Count("case_id"))
    lo = 0 if on_ecm and (reviews["cases"] or 0) < on_ecm else reviews["lo"]
    return [
        Row(
            "reviews_held",
            str(_("Reviews held")),
            review_counts["held"],
            drill=False,
            unit="events",
        ),
        _mean_row(
            "time_on_ecm",
            _("Mean time on ECM of cases closed, from the formulation meeting (days)"),
            _mean_days(closed["days"]),
            closed["n"],
            "days",
        ),
        Row(
            "reviews_per_case",
            str(_("Reviews per case on ECM, held by the period's end (mean)"))
            + _range_text(lo, reviews["hi"], on_ecm),
            round((reviews["total"] or 0) / on_ecm, 1) if on_ecm else None,
            drill=False,
            unit="mean",
            n=on_ecm,
        ),
    ]


def _mean_days(value) -> int | None:
    """A mean duration in whole days (PostgreSQL gives a timedelta, SQLite a number)."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 86400)
    return round(value)


def _offence_rows(team_ids, period: Period, on_ecm: int | None = None):
    """Reoffending of the cases on ECM in the period, from their offences: seriousness (mean
    gravity) before ECM and during it, the mean gap between offences before and during, and
    the time from the start of ECM (`ecm_start`) to the first offence during it. "During"
    ends at the closure or at the period's last day, whichever is first, so a past period's
    figures do not change when later offences are recorded. One query: per case, then over
    the cases."""
    cases = Case.objects.filter(scope(team_ids), on_ecm_in(period, team_ids)).values("pk")
    before = Q(date__lt=F("start"))
    during = Q(date__gte=F("start"), date__lte=period.end) & (
        Q(case__closed_on__isnull=True) | Q(date__lte=F("case__closed_on"))
    )
    per_case = (
        Offence.objects.filter(case_id__in=cases)
        .annotate(start=ecm_start("case__"))
        .values("case_id", "start")
        .annotate(
            g_before=Sum("gravity", filter=before),
            n_g_before=Count("gravity", filter=before),
            g_during=Sum("gravity", filter=during),
            n_g_during=Count("gravity", filter=during),
            n_before=Count("pk", filter=before),
            n_during=Count("pk", filter=during),
            span_before=Max("date", filter=before) - Min("date", filter=before),
            span_during=Max("date", filter=during) - Min("date", filter=during),
            first_during=Min(F("date") - F("start"), filter=during),
        )
        .annotate(
            g_during_x=F("g_during") * F("n_g_before"),
            g_before_x=F("g_before") * F("n_g_during"),
        )
    )
    agg = per_case.aggregate(
        t_g_before=Sum("g_before"),
        t_n_g_before=Sum("n_g_before"),
        t_cases_g_before=Count("case_id", filter=Q(n_g_before__gt=0)),
        t_g_during=Sum("g_during"),
        t_n_g_during=Sum("n_g_during"),
        t_cases_g_during=Count("case_id", filter=Q(n_g_during__gt=0)),
        t_span_before=Sum("span_before", filter=Q(n_before__gt=1)),
        t_gaps_before=Sum(F("n_before") - 1, filter=Q(n_before__gt=1)),
        t_cases_gaps_before=Count("case_id", filter=Q(n_before__gt=1)),
        t_span_during=Sum("span_during", filter=Q(n_during__gt=1)),
        t_gaps_during=Sum(F("n_during") - 1, filter=Q(n_during__gt=1)),
        t_cases_gaps_during=Count("case_id", filter=Q(n_during__gt=1)),
        t_to_reoffend=Avg("first_during"),
        t_to_reoffend_min=Min("first_during"),
        t_to_reoffend_max=Max("first_during"),
        t_cases_reoffending=Count("case_id", filter=Q(n_during__gt=0)),
        t_n_before=Sum("n_before"),
        t_n_during=Sum("n_during"),
        max_before=Max("n_before"),
        max_during=Max("n_during"),
        min_before=Min("n_before"),
        min_during=Min("n_during"),
        cases_with_offences=Count("case_id"),
        # Mean gravity during against before, per child with both (cross-multiplied: exact).
        **{
            f"serious_{k}": Count(
                "case_id",
                filter=Q(n_g_before__gt=0, n_g_during__gt=0)
                & Q(**{f"g_during_x__{lookup}": F("g_before_x")}),
            )
            for k, lookup in (("less", "lt"), ("same", "exact"), ("more", "gt"))
        },
    )

    ratio, row = _ratio, _mean_row
    compared = sum(agg[f"serious_{k}"] for k in ("less", "same", "more"))

    return [
        row(
            "gravity:before",
            _("Mean gravity of offences before ECM"),
            ratio(agg["t_g_before"], agg["t_n_g_before"]),
            agg["t_cases_g_before"],
            "rating",
        ),
        row(
            "gravity:during",
            _("Mean gravity of offences during ECM"),
            ratio(agg["t_g_during"], agg["t_n_g_during"]),
            agg["t_cases_g_during"],
            "rating",
        ),
        row(
            "gap:before",
            _("Mean gap between offences before ECM (days)"),
            ratio(agg["t_span_before"], agg["t_gaps_before"], 0),
            agg["t_cases_gaps_before"],
            "days",
        ),
        row(
            "gap:during",
            _("Mean gap between offences during ECM (days)"),
            ratio(agg["t_span_during"], agg["t_gaps_during"], 0),
            agg["t_cases_gaps_during"],
            "days",
        ),
        row(
            "time_to_reoffend",
            str(_("Mean time from the start of ECM to the first offence during it (days)"))
            + _range_text(
                _mean_days(agg["t_to_reoffend_min"]),
                _mean_days(agg["t_to_reoffend_max"]),
                agg["t_cases_reoffending"],
            ),
            _mean_days(agg["t_to_reoffend"]),
            agg["t_cases_reoffending"],
            "days",
        ),
        *(
            _per_child_row(agg, on_ecm, when, label)
            for when, label in (
                ("before", _("Offences per child before ECM (mean over the cases on ECM)")),
                ("during", _("Offences per child during ECM, to the period's end (mean)")),
            )
        ),
    ], [
        Row(f"serious:{k}", str(label), agg[f"serious_{k}"], compared, drill=False)
        for k, label in (
            ("less", _("Less serious during ECM than before")),
            ("same", _("As serious")),
            ("more", _("More serious")),
        )
    ]


def _per_child_row(agg: dict, on_ecm: int | None, when: str, label) -> Row:
    """Offences per child on ECM: those without offences count as 0, in the mean and the
    range."""
    total = agg[f"t_n_{when}"] or 0
    lo, hi = agg[f"min_{when}"], agg[f"max_{when}"]
    if on_ecm and (agg["cases_with_offences"] or 0) < on_ecm:
        lo = 0
    return Row(
        f"offences:{when}",
        str(label) + _range_text(lo, hi, on_ecm),
        round(total / on_ecm, 1) if on_ecm else None,
        drill=False,
        unit="mean",
        n=on_ecm,
    )


def _ratio(total, n, places=2):
    """total / n, rounded (None when there is nothing to divide); durations in days."""
    if total is None or not n:
        return None
    if isinstance(total, dt.timedelta):
        total = total.total_seconds() / 86400
    return round(total / n, places) if places else round(total / n)


def _mean_row(key, label, value, n, unit) -> Row:
    return Row(key, str(label), value, drill=False, unit=unit, n=n)


def _after_rows(team_ids, period: Period) -> tuple[list[Row], int]:
    """Reoffending after ECM, from the offences in the period that the children of closed
    cases committed after the closure (recorded on any later episode): seriousness, the
    time from closure to the first such offence, and the mean gap between them; and how many
    closed cases that is (the "reoffended_after" case figure). One query: per closed case,
    then over the cases."""
    after = (
        Q(child__cases__offences__date__gt=F("closed_on"))
        & Q(child__cases__offences__date__gte=period.start)
        & Q(child__cases__offences__date__lte=period.end)
    )
    offence = "child__cases__offences"
    per_case = (
        Case.objects.filter(scope(team_ids), status=CaseStatus.CLOSED, closed_on__isnull=False)
        .filter(after)
        .values("pk")
        .annotate(
            n=Count(offence, filter=after),
            g=Sum(f"{offence}__gravity", filter=after),
            n_g=Count(f"{offence}__gravity", filter=after),
            first=Min(f"{offence}__date", filter=after) - F("closed_on"),
            span=Max(f"{offence}__date", filter=after) - Min(f"{offence}__date", filter=after),
        )
    )
    agg = per_case.aggregate(
        t_g=Sum("g"),
        t_n_g=Sum("n_g"),
        t_cases_g=Count("pk", filter=Q(n_g__gt=0)),
        t_first=Avg("first"),
        t_cases=Count("pk"),
        t_span=Sum("span", filter=Q(n__gt=1)),
        t_gaps=Sum(F("n") - 1, filter=Q(n__gt=1)),
        t_cases_gaps=Count("pk", filter=Q(n__gt=1)),
    )
    return [
        _mean_row(
            "gravity:after",
            _("Mean gravity of offences after ECM"),
            _ratio(agg["t_g"], agg["t_n_g"]),
            agg["t_cases_g"],
            "rating",
        ),
        _mean_row(
            "gap:after",
            _("Mean gap between offences after ECM (days)"),
            _ratio(agg["t_span"], agg["t_gaps"], 0),
            agg["t_cases_gaps"],
            "days",
        ),
        _mean_row(
            "time_to_reoffend_after",
            _("Mean time from the end of ECM to the first offence after it (days)"),
            _mean_days(agg["t_first"]),
            agg["t_cases"],
            "days",
        ),
    ], agg["t_cases"]


def _waiting_rows(team_ids) -> list[Row]:
    from referrals.models import Referral

    now = timezone.now()
    agg = Referral.objects.filter(
        **_within(team_ids), case__status=CaseStatus.WAITING, waiting_since__isnull=False
    ).aggregate(mean=Avg(now - F("waiting_since")), n=Count("pk"))
    mean = agg["mean"]
    return [
        Row(
            "waiting_days",
            str(_("Mean time on the waiting list now (days)")),
            mean.days if mean is not None else None,
            drill=False,
            unit="days",
            n=agg["n"],
        )
    ]


RISK_SCALES = (
    ("reoffending", _("reoffending (1 low – 3 high)")),
    ("harm", _("serious harm (1 low – 4 very high)")),
    ("vulnerability", _("vulnerability (1 low – 4 very high)")),
)


def started_in(period: Period) -> Q:
    """Cases whose ECM started in the period (`ecm_start`): the formulation meeting held in
    it, or a carried-forward episode opened in it."""
    return period.dates("ecm_started_on")


def _risk(team_ids, period: Period) -> dict:
    """The ratings at the start of the cases starting ECM in the period, at closure of the
    cases closed in it, and for those closed, how each scale moved between the two (matched
    ratings of the same case). Two queries."""
    from reviews.selectors import risk_change

    started = Case.objects.filter(scope(team_ids), started_in(period))
    closed = Case.objects.filter(
        scope(team_ids),
        status=CaseStatus.CLOSED,
        closed_on__gte=period.start,
        closed_on__lte=period.end,
    )
    # The start is the referral's ratings unless corrected (reviews.selectors.start_risk).
    start = risk_averages(started, closure=False)[RiskRating.Point.START]
    change = risk_change(closed)
    rows = []
    for point, agg, what in (
        (RiskRating.Point.START, start, _("At the start (cases starting ECM in the period)")),
        (RiskRating.Point.CLOSURE, change, _("At closure (cases closed in the period)")),
    ):
        for key, label in RISK_SCALES:
            value = agg[key]
            rows.append(
                Row(
                    f"risk:{point}:{key}",
                    f"{what}: {label}",
                    round(value, 2) if value is not None else None,
                    drill=False,
                    unit="rating",
                    n=agg["n"],
                )
            )
    moves = []
    for key, label in RISK_SCALES:
        field = "serious_harm" if key == "harm" else key
        row = Row(
            f"risk_change:{key}",
            str(label),
            change[f"{field}_fell"],
            change["matched"],
            drill=False,
        )
        row.columns = {m: change[f"{field}_{m}"] for m in ("fell", "same", "rose")}
        moves.append(row)
    return {"rows": rows, "change": moves}


def _survey_rows(team_ids, period: Period) -> list[Row]:
    ratings = (
        OutcomeRating.objects.filter(
            **_within(team_ids, "survey__case"),
            survey__point=OutcomeSurvey.Point.CLOSURE,
            survey__completed_on__gte=period.start,
            survey__completed_on__lte=period.end,
        )
        .values("domain")
        .annotate(
            **{
                change: Count("pk", filter=Q(change=change))
                for change in OutcomeRating.Change.values
            },
        )
    )
    by = {r["domain"]: r for r in ratings}
    out = []
    for domain, label in OutcomeDomain.choices:
        r = by.get(domain, {"improved": 0, "no_change": 0, "worse": 0})
        row = Row(f"survey:{domain}", str(label), r["improved"], drill=False)
        row.columns = {"improved": r["improved"], "no_change": r["no_change"], "worse": r["worse"]}
        out.append(row)
    return out


def _referral_time(team_ids, period: Period) -> dict:
    """Referral to the formulation meeting, for referrals whose first meeting was held in the
    period: the mean, and the distribution against the one-month target. One query."""
    # Only the referrals of cases with a meeting held in the period can have had their first
    # there: the rest are left out before the per-referral grouping.
    held_in_period = (
        Meeting.objects.formulation()
        .filter(period.moments("starts_at"), status=Meeting.Status.HELD)
        .values("case_id")
    )
    referrals = (
        Referral.objects.filter(
            **_within(team_ids), submitted_at__isnull=False, case_id__in=held_in_period
        )
        .annotate(
            met=Min(
                "case__meetings__starts_at",
                filter=Q(
                    case__meetings__status=Meeting.Status.HELD,
                    case__meetings__kind=Meeting.Kind.FORMULATION,
                ),
            )
        )
        .filter(period.moments("met"))
        .annotate(
            days=ExpressionWrapper(F("met") - F("submitted_at"), output_field=DurationField())
        )
    )
    agg = referrals.aggregate(
        mean=Avg("days"), n=Count("pk"), **_by_month("met", since="submitted_at")
    )
    total = agg["n"]
    return {
        "mean": _mean_days(agg["mean"]),
        "n": total,
        "rows": _month_rows("referral", _("Within one calendar month"), agg, total),
    }


def _by_month(at: str, since: str, done: Q | None = None) -> dict:
    """Aggregates of the time from `since` to `at` (datetimes) against the one-month
    target, in calendar months (`AddMonths`) counted by local day, as the report's due date
    and model fidelity count them (a draft sent on its due day is on time, whatever the
    hour): within a month, one to two months, more (each among the rows matching `done`,
    when given)."""
    done = done or Q()
    tz = timezone.get_current_timezone()
    day, start = TruncDate(at, tzinfo=tz), TruncDate(since, tzinfo=tz)
    one, two = AddMonths(start, 1, DateField()), AddMonths(start, 2, DateField())
    return {
        "on_time": Count("pk", filter=done & Q(LessThanOrEqual(day, one))),
        "late": Count("pk", filter=done & Q(GreaterThan(day, one)) & Q(LessThanOrEqual(day, two))),
        "very_late": Count("pk", filter=done & Q(GreaterThan(day, two))),
    }


def _month_rows(prefix: str, first_label, agg: dict, total: int) -> list[Row]:
    labels = (first_label, _("One to two months"), _("More than two months"))
    return [
        Row(f"{prefix}:{key}", str(label), agg[key], total, drill=False)
        for key, label in zip(("on_time", "late", "very_late"), labels, strict=True)
    ]


def _coverage(team_ids, period: Period) -> dict:
    from supervision.selectors import coverage

    return coverage(team_ids, period.start, period.end)


def _timeliness_rows(c, review_counts, referral_time, cov) -> list[Row]:
    return [
        Row(
            "referral_to_meeting",
            str(_("Referral to formulation meeting (mean days)")),
            referral_time["mean"],
            drill=False,
            unit="days",
            n=referral_time["n"],
        ),
        Row(
            "reviews_on_time",
            str(_("Reviews held by the date agreed for them")),
            review_counts["on_time"],
            review_counts["due"],
            drill=False,
            unit="events",
        ),
        Row(
            "late_reviews",
            str(_("Cases with a review held after its agreed date")),
            c["late_reviews"],
        ),
        Row("actions_overdue", str(_("Cases with overdue actions now")), c["actions_overdue"]),
        Row(
            "supervision",
            str(_("Practitioners with ECM cases who had clinical supervision")),
            cov["covered"],
            cov["total"],
            drill=False,
        ),
    ]


def _report_time(team_ids, period: Period) -> dict:
    """From the formulation meetings held in the period to the draft report sent for the
    accuracy check (the guidance's one-month deadline, which the report's due date counts)
    and to the first final version: the distributions in calendar months and the means in
    days. One query.

    The draft's date is the report's `sent_for_check_at` while it is at version 1; an
    amendment clears it, so for an amended report the first final version's date stands in
    (the draft went for its check on or before it)."""
    final_at = Min("case__report__versions__finalised_at")
    meetings = (
        Meeting.objects.formulation_meetings()
        .filter(period.moments("starts_at"), **_within(team_ids))
        .annotate(final_at=final_at)
        .annotate(
            draft_at=Switch(
                When(case__report__number=1, then=F("case__report__sent_for_check_at")),
                default=F("final_at"),
                output_field=DateTimeField(),
            )
        )
        .annotate(
            to_draft=ExpressionWrapper(
                F("draft_at") - F("starts_at"), output_field=DurationField()
            ),
            to_final=ExpressionWrapper(
                F("final_at") - F("starts_at"), output_field=DurationField()
            ),
        )
    )
    drafted, final = Q(draft_at__isnull=False), Q(final_at__isnull=False)
    agg = meetings.aggregate(
        total=Count("pk"),
        not_yet=Count("pk", filter=~drafted),
        mean_draft=Avg("to_draft"),
        n_draft=Count("pk", filter=drafted),
        **_by_month("draft_at", since="starts_at", done=drafted),
        final_not_yet=Count("pk", filter=~final),
        mean_final=Avg("to_final"),
        n_final=Count("pk", filter=final),
        **{
            f"final_{k}": v for k, v in _by_month("final_at", since="starts_at", done=final).items()
        },
    )
    total = agg["total"]
    draft_rows = _month_rows(
        "report",
        _("Draft sent for the accuracy check within one calendar month (the target)"),
        agg,
        total,
    ) + [Row("report:not_yet", str(_("No draft sent yet")), agg["not_yet"], total, drill=False)]
    final_agg = {k: agg[f"final_{k}"] for k in ("on_time", "late", "very_late")}
    final_rows = _month_rows(
        "report_final", _("Final report within one calendar month"), final_agg, total
    ) + [
        Row(
            "report_final:not_yet",
            str(_("No final report yet")),
            agg["final_not_yet"],
            total,
            drill=False,
        )
    ]
    means = [
        _mean_row(
            "meeting_to_draft",
            _("Formulation meeting to draft report sent for checking (mean days)"),
            _mean_days(agg["mean_draft"]),
            agg["n_draft"],
            "days",
        ),
        _mean_row(
            "meeting_to_final",
            _("Formulation meeting to final report (mean days)"),
            _mean_days(agg["mean_final"]),
            agg["n_final"],
            "days",
        ),
    ]
    return {"draft": draft_rows, "final": final_rows, "means": means}


def _attendance_rows(team_ids, period: Period) -> list[Row]:
    rows = (
        Invitation.objects.filter(
            period.moments("meeting__starts_at"),
            **_within(team_ids, "meeting__case"),
            meeting__status=Meeting.Status.HELD,
            meeting__kind=Meeting.Kind.FORMULATION,
            status=Invitation.Status.ATTENDED,
        )
        .values("agency")
        .annotate(n=Count("pk"))
    )
    by = {r["agency"]: r["n"] for r in rows}
    return [
        Row(f"agency:{a}", str(label), by.get(a, 0), drill=False, unit="events")
        for a, label in Agency.choices
    ]


def trm_latest(by: dt.date) -> Subquery:
    """For a TRM placement: its case's stage (its number) recorded last up to `by` (of two
    records of a day, the later made)."""
    return Subquery(
        TRMStageRecord.objects.filter(case=OuterRef("meeting__case_id"), recorded_on__lte=by)
        .order_by("-recorded_on", "-pk")
        .values("stage__number")[:1]
    )


# Each direction of the TRM movement figure: the sign of (stage now - stage at formulation).
TRM_MOVES = {"trm:up": 1, "trm:same": 0, "trm:down": -1}
TRM_LABELS = {
    "trm:up": _("Moved up"),
    "trm:same": _("Same stage"),
    "trm:down": _("Moved down"),
}


def trm_movement(team_ids, period: Period):
    """The TRM placements at the formulation meetings (each case's first held meeting) of the
    cases open in the period, each with its case's `trm_move`: the sign of the case's stage at
    the latest review up to the end of the period minus its stage at formulation (1 up, 0 the
    same, -1 down; None without a stage at a review). One placement per case."""
    cases = Case.objects.filter(scope(team_ids), open_in(period))
    at_formulation = Meeting.objects.formulation_meetings().filter(case__in=cases)
    return TRMPlacement.objects.filter(meeting__in=at_formulation).annotate(
        trm_move=Sign(trm_latest(period.end) - F("stage__number"), output_field=IntegerField())
    )


def _trm_rows(team_ids, period: Period) -> list[Row]:
    """The TRM movement figure: one query grouped by direction, so that each placement's
    latest stage is looked up once (a placement is its meeting's, one per case)."""
    # No filter on `trm_move` (it would look each stage up a second time): the group of
    # placements without a stage at a review (None) is left out here.
    moved = trm_movement(team_ids, period).values("trm_move").annotate(n=Count("pk")).order_by()
    by = {row["trm_move"]: row["n"] for row in moved}
    counts = {key: by.get(move, 0) for key, move in TRM_MOVES.items()}
    total = sum(counts.values())
    return [Row(key, str(label), counts[key], total) for key, label in TRM_LABELS.items()]


# Tables of other monitoring modules, which build on this one (so it cannot import them):
# each registers at start-up (`MonitoringConfig.ready`) for its rows a key prefix ->
# (label(key), cases(qs, ...)), so that their drill-downs go through `drill_cases`.
EXTRA_DRILLS: dict = {}


def figure_label(key: str, period: Period, team_ids) -> str | None:
    """The label of a drillable figure (None for an unknown key)."""
    if key in TRM_LABELS:
        return str(TRM_LABELS[key])
    for prefix, (label_of, _cases) in EXTRA_DRILLS.items():
        if key.startswith(prefix):
            return label_of(key)
    for figures in (
        case_figures(period, team_ids),
        not_met_figures(period, team_ids),
        transition_figures(period, team_ids),
        profile_figures(period),
    ):
        if key in figures:
            return str(figures[key][0])
    return None


def drill_cases(team_ids, period: Period, key: str):
    """The cases behind a figure (a Case queryset, before the user's access scope)."""
    qs = Case.objects.filter(scope(team_ids))
    for prefix, (_label, cases_of) in EXTRA_DRILLS.items():
        if key.startswith(prefix):
            return cases_of(qs, team_ids, period, key)
    if key in TRM_MOVES:
        moved = trm_movement(team_ids, period).filter(trm_move=TRM_MOVES[key])
        return qs.filter(pk__in=moved.values("meeting__case_id"))
    figures = {
        **case_figures(period, team_ids),
        **not_met_figures(period, team_ids),
        **transition_figures(period, team_ids),
    }
    if key in figures:
        return qs.filter(figures[key][1]).distinct()
    prof = profile_figures(period)
    if key in prof:
        return qs.filter(figures["on_ecm"][1]).filter(prof[key][1]).distinct()
    return None


# --- Suppression ----------------------------------------------------------------------------


def threshold() -> int:
    return getattr(settings, "MONITORING_SUPPRESS_BELOW", 5)


def suppressed(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold()


def protect(table: Table) -> None:
    """Complementary suppression: when a part of a whole is a small cell, the next smallest
    part is hidden too, so that the total minus the visible parts cannot give it away."""
    if not table.split:
        return
    counts = [r for r in table.rows if r.unit == "" and isinstance(r.value, int)]
    small = [r for r in counts if suppressed(r.value)]
    if len(small) == 1:
        others = sorted(
            (r for r in counts if r.value and not suppressed(r.value)), key=lambda r: r.value
        )
        if others:
            others[0].hidden = True
    if small:
        for r in table.rows:
            r.table_percent_hidden = True


#: The units of a mean (shown only over enough cases); the others are counts.
MEAN_UNITS = ("days", "rating", "months", "mean")


def shown_row(row: Row) -> str:
    """What a row shows: counts with small-cell suppression; means only when taken over
    enough cases (a mean of one child's figures is that child's figure)."""
    if row.unit in MEAN_UNITS:
        if row.value is None or (row.n is not None and row.n < threshold()):
            return "—"
        return str(row.value)
    if row.hidden:
        return "*"
    return shown(row.value)


def shown(value) -> str:
    if value is None:
        return "—"
    if suppressed(value):
        return f"<{threshold()}"
    return str(value)


def shown_percent(row: Row) -> str:
    """A percentage is hidden when its count or its base is a small cell (it would reveal
    it). A count of 0 shows "0%": a zero protects nobody."""
    if row.denominator is None or row.value is None or not row.denominator:
        return ""
    if row.value == 0:
        return f"{row.percent}%"
    if row.hidden or getattr(row, "table_percent_hidden", False):
        return "*"
    if suppressed(row.value) or suppressed(row.denominator):
        return "*"
    if row.denominator - row.value and suppressed(row.denominator - row.value):
        return "*"  # the complement would give the small cell away
    return f"{row.percent}%"
