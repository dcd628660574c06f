"""Synthetic cohorts built from the published evaluations, loaded through the product's own
services (issue 17: "We will check again the same way, on cohorts built from the published
evaluations (000 and 001)").

Each child is a `ChildFacts`: who they are, their referral (order, offences before it,
looked after, risk ratings) and one or more `Episode`s (days from referral to the
formulation meeting, to the draft report, the reviews, the offences during ECM, the closure
and where they moved on to, offences after it). `build_cohort` walks every child along the
path a team walks it, each step on its own day (the clock is moved with time-machine, so
every "now" the services stamp is the day the step happened):

    child_register -> referral_mark_ready -> referral_save (offences, AssetPlus) ->
    referral_submit -> eligibility_decide (accepted) -> consent_record ->
    meeting_schedule(already_held) + meeting_mark_held -> report_start +
    report_send_for_check -> review_save (offences since the last meeting) ... ->
    case_close_with_review (transitions, risk, outcome survey) -> offence_record (after ECM);
    and for a re-referral case_reopen -> referral (pre-filled) -> reopened_formulation_decide.

Only the per-child facts are chosen here; the aggregates they give are the evaluations'
published figures. The two fact lists (`welsh_trial_children`, `ors_children`) say, beside
each choice, which published figure it serves; the tests in `test_evaluation_cohorts.py`
cite the source line of each figure. The builder is parameterised by the facts so that
other cohorts can be built the same way.

A formulation meeting is held in one place, `hold_formulation_meeting`, through the
meeting services (`meeting_mark_held`): whatever the product stores when a meeting is held
(the case's ECM start included) is stored by the same code a user's click runs.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ecm import services as core
from ecm.dates import add_years
from ecm.models import ClosureReason, Role, Team
from formulation.decision.services import NEW_MEETING, reopened_formulation_decide
from formulation.meeting import services as meetings
from formulation.models import Meeting
from formulation.report import services as reports
from monitoring.figures import Period
from referrals import rules
from referrals import services as referrals
from referrals.demo import minimal_pdf
from referrals.models import (
    ACE_FIELDS,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    Consent,
    Decision,
    RuleSet,
)
from reviews import services as reviews
from reviews.models import OutcomeDomain, Review
from tests.factories import FIRST_NAMES, LAST_NAMES, TeamFactory, member

# --- The facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    """One ECM episode of a child. Days count from the referral (`to_meeting`), from the
    formulation meeting (`to_draft`, `closed_after`, `offences_during`) and from the
    closure (`offences_after`)."""

    referred_on: dt.date
    to_meeting: int  # referral submitted -> formulation meeting held
    reviews: int  # reviews held; when the episode closes, the last is its closure review
    to_draft: int | None = None  # meeting -> draft report sent for the accuracy check
    closed_after: int | None = None  # meeting -> closure (None: still open)
    closure_reason: str = ClosureReason.ORDER_COMPLETED
    transitions: tuple[str, ...] = ()
    closure_risk: tuple[int, int, int] | None = None  # reoffending, serious harm, vulnerability
    offences_during: tuple[tuple[int, int], ...] = ()  # (days after the meeting, gravity)
    offences_after: tuple[tuple[int, int], ...] = ()  # (days after the closure, gravity)


@dataclass(frozen=True)
class ChildFacts:
    key: str
    team: str
    born: dt.date
    gender: str
    episodes: tuple[Episode, ...]
    disposal: str = "yro"
    order_months: int = 12
    offences_before: int = 5  # on the referral form, in the 24 months before the referral
    gravity_before: int = 3
    looked_after: str = "never"  # current / previous / never / dont_know
    child_protection: str = "never"
    # At referral: reoffending, serious harm (to others), vulnerability (harm to self).
    risk: tuple[int, int, int] = (2, 2, 2)
    ethnicity: str = "white_british"
    evaluation_consent: bool = True
    # Problems known or suspected on the referral's grid (the complexity indicators and
    # ACEs present, `figures.problems_per_case`); None: every one answered yes.
    problems: int | None = None


@dataclass
class Cohort:
    period: Period
    teams: dict[str, Team]
    users: SimpleNamespace
    rule_set: RuleSet | None = None  # the eligibility rule set every referral is checked on
    cases: dict[str, list] = field(default_factory=dict)  # child key -> its episodes' cases

    @property
    def team_ids(self) -> list[int]:
        return [t.pk for t in self.teams.values()]


# --- The walk --------------------------------------------------------------------------------


def aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@contextmanager
def on(day: dt.date, hour: int = 12, minute: int = 0):
    """Everything inside happens on `day` (the clock stands still at that time)."""
    with time_machine.travel(aware(day, hour, minute), tick=False):
        yield


def _grid(facts: ChildFacts) -> dict:
    data = {name: "never" for name, _label in COMPLEXITY_CPN}
    data["cx_local_authority_care"] = facts.looked_after
    data["cx_child_protection_plan"] = facts.child_protection
    if facts.problems is None:
        data.update({name: "yes" for name, _label in COMPLEXITY_YND})
        data.update(dict.fromkeys(ACE_FIELDS, "yes"))
        return data
    # Exactly `problems` present: looked after / child protection as the facts say, then one
    # ACE and the complexity indicators (the criteria ask for both), then the other ACEs.
    present = sum(data[k] in ("current", "previous") for k in data)
    fields = [ACE_FIELDS[0], *(name for name, _label in COMPLEXITY_YND), *ACE_FIELDS[1:]]
    left = facts.problems - present
    for name in fields:
        data[name] = "yes" if left > 0 else "no"
        left -= 1
    return data


def _referral_data(facts: ChildFacts, episode: Episode) -> dict:
    reoffending, harm, vulnerability = facts.risk
    return {
        "contact_number": "01632 960000",
        "referral_date": episode.referred_on,
        "reason": "Repeated offending and complex needs.",
        "why_ecm": "A shared formulation to sequence the work.",
        "disposal": facts.disposal,
        "order_start_date": episode.referred_on - dt.timedelta(days=14),
        "order_length_months": facts.order_months,
        "voluntary_months_agreed": 0,
        "previous_interventions": 2,
        "repeat_offender": True,
        "risk_reoffending": reoffending,
        "risk_harm_others": harm,
        "risk_harm_self": vulnerability,
        **_grid(facts),
    }


def _offences_before(facts: ChildFacts, referred_on: dt.date) -> list[dict]:
    """The offences on the referral form, spread over the 24 months before it (the amended
    criterion: five or more in 24 months)."""
    n = facts.offences_before
    return [
        {
            "date": referred_on - dt.timedelta(days=20 + (700 * k) // max(n, 1)),
            "offence_type": "Offence before ECM",
            "gravity": facts.gravity_before,
        }
        for k in range(n)
    ]


def _accept(senior, referral, rule_set: RuleSet) -> None:
    """The senior practitioner's check: every criterion met (an unmet one is accepted as the
    trials' panels did, with the exceptional-circumstances reason)."""
    results = {c.pk: s.result for c, s in rules.evaluate(referral, rule_set.criteria.all())}
    results = {k: "met" if v == "unknown" else v for k, v in results.items()}
    override = "not_met" in results.values()
    referrals.eligibility_decide(
        actor=senior,
        referral=referral,
        data=referrals.DecisionInput(
            rule_set=rule_set,
            results=results,
            decision=Decision.ACCEPTED,
            exceptional_override=override,
            override_reason="Agreed at panel." if override else "",
        ),
    )


def _consent(cm, case, facts: ChildFacts, day: dt.date, first: bool) -> None:
    case.refresh_from_db()
    if case.status == "awaiting_consent":
        referrals.consent_record(actor=cm, case=case, kind=Consent.Kind.ECM_CHILD, date=day)
        if case.child.age_on(day) < 16:
            referrals.consent_record(
                actor=cm,
                case=case,
                kind=Consent.Kind.PARENT_GENERAL,
                date=day,
                signatory_name="Parent or carer",
                signatory_relationship="Mother",
            )
    if first:
        referrals.consent_record(
            actor=cm,
            case=case,
            kind=Consent.Kind.EVALUATION,
            date=day,
            given=facts.evaluation_consent,
        )


def hold_formulation_meeting(cohort: Cohort, case, day: dt.date) -> Meeting:
    """The formulation meeting, entered after it took place with its real date and recorded
    as held through the meeting services (what the product stores when a meeting is held,
    the case's ECM start included, is stored by them). The one place a cohort's meetings
    are held."""
    u = cohort.users
    with on(day, 16):
        meeting = meetings.meeting_schedule(
            actor=u.senior,
            case=case,
            starts_at=aware(day, 10),
            chair=u.senior,
            psychologist=u.psychologist,
            location="YOT office",
            already_held=True,
        )
        return meetings.meeting_mark_held(
            actor=u.senior,
            meeting=meeting,
            incomplete_reason="Entered from the evaluation's monitoring record.",
        )


def _outcomes() -> dict:
    return dict.fromkeys(OutcomeDomain.values, ("improved", "low"))


def _review_days(start: dt.date, episode: Episode, period: Period) -> list[dt.date]:
    """The review dates: evenly spread over the episode, the last on the closure day (the
    closure review); for an open episode, before the period's end."""
    n = episode.reviews
    if episode.closed_after is not None:
        span = episode.closed_after
        return [start + dt.timedelta(days=round(span * k / n)) for k in range(1, n + 1)]
    span = (period.end - start).days
    return [start + dt.timedelta(days=round(span * k / (n + 1))) for k in range(1, n + 1)]


def _walk_episode(cohort: Cohort, facts: ChildFacts, episode: Episode, case, first: bool):
    u = cohort.users
    cm = u.case_managers[facts.team]
    referred = episode.referred_on
    with on(referred, 9):
        if first:
            referrals.referral_mark_ready(actor=cm, case=case, note="Ready for referral.")
        referral = referrals.referral_start(actor=cm, case=case)
        upload = SimpleUploadedFile(
            "AssetPlus.pdf", minimal_pdf("AssetPlus"), content_type="application/pdf"
        )
        referral = referrals.referral_save(
            actor=cm,
            referral=referral,
            data=_referral_data(facts, episode),
            offences=_offences_before(facts, referred) if first else [],
            upload=upload,
        )
        referral = referrals.referral_submit(actor=cm, referral=referral)
    with on(referred, 11):
        _accept(u.senior, referral, cohort.rule_set)
        _consent(cm, case, facts, referred, first)
        case.refresh_from_db()
        if case.previous_case_id:
            reopened_formulation_decide(
                actor=cm, case=case, decision=NEW_MEETING, note="Agreed with the psychologist."
            )
    start = referred + dt.timedelta(days=episode.to_meeting)
    meeting = hold_formulation_meeting(cohort, case, start)
    if episode.to_draft is not None:
        with on(start + dt.timedelta(days=episode.to_draft), 10):
            report = reports.report_start(actor=u.psychologist, case=case)
            reports.report_send_for_check(actor=u.psychologist, report=report)
    days = _review_days(start, episode, cohort.period)
    during = sorted((start + dt.timedelta(days=d), g) for d, g in episode.offences_during)
    closing = episode.closed_after is not None
    last = None
    for i, day in enumerate(days):
        closure_review = closing and i == len(days) - 1
        since = [o for o in during if o[0] <= day]
        during = [o for o in during if o[0] > day]
        with on(day, 15):
            last = reviews.review_save(
                actor=u.senior,
                case=case,
                data={
                    "kind": Review.Kind.CLOSURE if closure_review else Review.Kind.SCHEDULED,
                    "held_on": day,
                    "chair": u.senior,
                    "reoffended": bool(since),
                    "breach": False,
                    "next_review_on": None
                    if closure_review
                    else (days[i + 1] if i + 1 < len(days) else day + dt.timedelta(days=42)),
                },
                progress={},
                offences=[
                    {"offence_type": "Offence during ECM", "date": d, "gravity": g}
                    for d, g in since
                ],
            )
    for d, g in during:  # after the last review (an open case): recorded on the case
        with on(d, 17):
            referrals.offence_record(
                actor=cm, case=case, data={"date": d, "offence_type": "Offence", "gravity": g}
            )
    if closing:
        closed_on = start + dt.timedelta(days=episode.closed_after)
        r, h, v = episode.closure_risk or facts.risk
        with on(closed_on, 16):
            reviews.case_close_with_review(
                actor=u.senior,
                case=case,
                reason=episode.closure_reason,
                closed_on=closed_on,
                next_steps="Agreed at the closure review.",
                transitions={d: [] for d in episode.transitions},
                risk={"reoffending": r, "serious_harm": h, "vulnerability": v},
                outcomes=_outcomes(),
                review=last,
            )
        for d, g in episode.offences_after:
            day = closed_on + dt.timedelta(days=d)
            with on(day, 17):
                referrals.offence_record(
                    actor=cm,
                    case=case,
                    data={"date": day, "offence_type": "Offence after ECM", "gravity": g},
                )
    case.refresh_from_db()
    return case, meeting


def build_cohort(
    *,
    name: str,
    team_names: dict[str, str],
    children: list[ChildFacts],
    period: Period,
    rule_set_code: str,
) -> Cohort:
    """Create the teams and their people, then walk every child through the services."""
    central = TeamFactory(name=f"{name} central ECM team", kind=Team.Kind.CENTRAL)
    teams = {
        key: TeamFactory(name=label, central_team=central) for key, label in team_names.items()
    }
    users = SimpleNamespace(
        senior=member(central, Role.SENIOR_PRACTITIONER),
        psychologist=member(central, Role.PSYCHOLOGIST),
        case_managers={key: member(team, Role.CASE_MANAGER) for key, team in teams.items()},
        managers={key: member(team, Role.MANAGER) for key, team in teams.items()},
    )
    rule_set = RuleSet.objects.filter(code=rule_set_code, is_active=True).order_by("-version")
    cohort = Cohort(period=period, teams=teams, users=users, rule_set=rule_set.first())
    for n, facts in enumerate(children):
        cm = users.case_managers[facts.team]
        first = facts.episodes[0]
        with on(first.referred_on - dt.timedelta(days=14), 9):
            case = core.child_register(
                actor=cm,
                team=teams[facts.team],
                first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                last_name=LAST_NAMES[n % len(LAST_NAMES)],
                date_of_birth=facts.born,
                gender=facts.gender,
                ethnicity=facts.ethnicity,
                yot_reference=f"{name[:3].upper()}-{facts.key}",
            )
        episodes = []
        for i, episode in enumerate(facts.episodes):
            if i:
                with on(episode.referred_on - dt.timedelta(days=7), 9):
                    case = core.case_reopen(actor=cm, case=case, reason="reoffended")
            case, _meeting = _walk_episode(cohort, facts, episode, case, first=i == 0)
            episodes.append(case)
        cohort.cases[facts.key] = episodes
    return cohort


def _born(referred_on: dt.date, age: int) -> dt.date:
    """A date of birth giving `age` on the date of referral (100 days past a birthday)."""
    return add_years(referred_on, -age) - dt.timedelta(days=100)


def _table(text: str) -> list[dict]:
    """Rows of a whitespace-separated table whose first line names the columns."""
    lines = [line.split() for line in text.strip().splitlines()]
    return [dict(zip(lines[0], row, strict=True)) for row in lines[1:]]


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def _pairs(text: str) -> tuple[tuple[int, int], ...]:
    """ "18:2,40:3" -> ((18, 2), (40, 3)); "-" -> ()."""
    return () if text == "-" else tuple(_ints(p.replace(":", ",")) for p in text.split(","))


LAC = {"cur": "current", "prev": "previous", "never": "never", "dk": "dont_know"}
DISPOSAL = {
    "ro": "referral_order",
    "yro": "yro",
    "dto": "dto_licence",
    "ycc": "youth_conditional_caution",
}
SEX = {"m": "male", "f": "female"}


# --- The Welsh trial (000: Cordis Bright, 2014-16, n=21) ------------------------------------
#
# Three YOTs: A (4 children), B (12) and C (5) (Table 5, 000 l.1640-1650). The period is the
# trial's: launched June 2014 (§3.6, l.1526), extended to November 2016 (§3.8, l.1547).

WELSH_TRIAL_PERIOD = Period(dt.date(2014, 6, 1), dt.date(2016, 11, 30))
WELSH_TRIAL_TEAMS = {"A": "Trial YOT A", "B": "Trial YOT B", "C": "Trial YOT C"}

# One row per child (the first letter of the key is the YOT). The columns, and the
# published figures (000) they give together:
#   meeting: the formulation meeting (8 children by May 2015, Table 4, l.1589: 2 in A, 3 in
#     B, 3 in C; 21 in all, Table 5, l.1650; every referral by the end of the extended
#     referral period, October 2015, §3.7, l.1543, for a 12-month follow-up, l.1549);
#   ref: days from the referral (sum 798: mean 38, §3.17, l.1697);
#   draft: days from the meeting to the draft report (sum 861: mean 41, l.1701);
#   rev: reviews held (sum 122 over 21: mean 5.8, range 1 to 11, l.1705); a closed case's
#     last review is its closure review;
#   closed: days from the meeting to the closure ("-": open at the end of the trial). The
#     15 closed sum 4728: mean 315 (§3.44, l.2115-2119, n = 15), and 1200/4 = 300, 2736/9 =
#     304, 792/2 = 396 in the three YOTs; B9's one review is its closure review, after a
#     custodial sentence for an earlier conviction (§3.43, l.2099-2101);
#   age at referral: 4 aged 14 or under, 12 aged 15 or 16, 5 aged 17 (§3.36, l.1952);
#   sex: 16 male, 5 female (l.1954); all White British (l.1956);
#   lac: looked after, 5 current or previous and 5 missing ("dk", note 7, l.1956, l.1981);
#   order: 11 referral orders, 10 YROs (all of YOT A's, a quarter of B's, over half of C's),
#     from a 6-month referral order to an 18-month YRO (§3.39, l.1982-1990);
#   off: offences before the referral, gravity 3 (sum 128: mean 6.1, 5 to 8, §3.38, l.1972);
#   risk at the referral, reoffending,serious harm,vulnerability: reoffending 48/21 = 2.3,
#     one "low", median "medium" in each YOT (§3.40, l.2014-2016); serious harm 2.0, 1.7,
#     2.4 over 19 (B11 and B12 missing, see below), vulnerability 2.3, 2.0, 3.2 over 21
#     (Table 6, l.2052-2054);
#   during: the first offence during ECM, days after the meeting:gravity (12 of 21
#     reoffended by the end of the trial; against the gravity 3 before: 3 less serious, 4
#     as serious, 5 more serious; 18 to 405 days = 0.6 to 13.3 months, mean 143 days = 4.7
#     months, §3.71, l.3027-3039);
#   closure: the ratings at closure ("-": as at the start): 3 fell for reoffending, 2 for
#     serious harm, 3 for vulnerability, the rest stayed the same (§3.70, l.3020-3024).
_TRIAL = """
key meeting    ref draft rev closed age sex lac   order off risk  during closure
A1  2014-09-15 40  45    7   350    15  m   cur   yro:18  5 2,2,2 18:2   -
A2  2015-02-02 35  38    6   320    16  f   never yro:12  6 2,2,2 100:3  2,1,2
A3  2015-08-10 42  41    5   280    14  m   never yro:12  6 2,2,2 140:3  -
A4  2015-11-16 38  50    5   250    17  m   dk    yro:9   6 3,2,3 -      2,2,2
B1  2014-10-06 45  35    8   402    16  m   never yro:18  5 1,1,2 60:2   -
B2  2015-01-12 33  40    7   370    13  m   prev  ro:12   5 2,1,2 -      -
B3  2015-04-13 36  42    6   340    15  f   never ro:12   5 2,1,2 90:2   -
B4  2015-07-13 30  30    6   320    16  m   dk    ro:9    5 2,2,2 120:3  -
B5  2015-08-17 41  44    6   304    17  m   never yro:12  5 2,2,2 130:3  -
B6  2015-09-07 39  39    5   290    15  m   prev  ro:9    5 2,2,2 150:4  -
B7  2015-10-05 37  47    5   270    16  f   never ro:9    5 2,2,2 160:5  -
B8  2015-11-09 44  36    4   240    15  m   never ro:6    6 2,2,2 174:4  -
B9  2015-12-07 37  41    1   200    17  m   dk    yro:12  7 3,2,2 -      2,2,2
B10 2015-09-21 40  43    6   -      16  m   never ro:12   7 3,2,2 -      -
B11 2015-10-19 36  38    5   -      14  f   never ro:6    7 3,2,2 -      -
B12 2015-12-14 45  40    4   -      15  m   dk    ro:9    8 3,2,2 -      -
C1  2014-11-03 43  52    11  420    17  m   cur   yro:18  8 3,3,3 405:5  2,3,2
C2  2015-03-09 39  37    7   372    17  m   never ro:12   8 3,3,3 170:4  3,2,2
C3  2015-05-11 35  41    8   -      16  m   prev  yro:12  7 2,2,3 -      -
C4  2015-08-24 37  39    6   -      15  f   never yro:12  6 2,2,3 -      -
C5  2015-11-23 26  43    4   -      14  m   dk    ro:6    6 2,2,4 -      -
"""
# B11 and B12 are the two children whose serious-harm rating the Toolkit lacked (Table 6:
# n = 19): the referral form requires one, so they are given "medium" (2) here.
TRIAL_SERIOUS_HARM_MISSING = ("B11", "B12")
# Closed on a custodial sentence (§3.43: "A small number of young people became ineligible to
# continue ... due to starting a custodial sentence"); the others completed their order.
TRIAL_CUSTODY = ("B9",)


#: Problems per child (000 l.1964-1966: "the average number of problems (known and
#: suspected) experienced by a young person was 6.0"): 126 over the 21, from 4 to 8. (The
#: YOTs' averages, 5.1, 6.0 and 8.4 over 4, 12 and 5 children, give 6.4 and 5.1 is not a
#: mean of four whole numbers: only the cohort's is reproduced.)
TRIAL_PROBLEMS = (4, 8, 5, 7, 6, 6, 5, 7, 6, 6, 4, 8, 6, 6, 5, 7, 6, 6, 6, 6, 6)


def welsh_trial_children(table: str = _TRIAL) -> list[ChildFacts]:
    children = []
    for i, row in enumerate(_table(table)):
        met = _day(row["meeting"])
        referred = met - dt.timedelta(days=int(row["ref"]))
        disposal, months = row["order"].split(":")
        episode = Episode(
            referred_on=referred,
            to_meeting=int(row["ref"]),
            to_draft=int(row["draft"]),
            reviews=int(row["rev"]),
            closed_after=None if row["closed"] == "-" else int(row["closed"]),
            closure_reason=ClosureReason.CUSTODY
            if row["key"] in TRIAL_CUSTODY
            else ClosureReason.ORDER_COMPLETED,
            closure_risk=None if row["closure"] == "-" else _ints(row["closure"]),
            offences_during=_pairs(row["during"]),
        )
        children.append(
            ChildFacts(
                key=row["key"],
                team=row["key"][0],
                born=_born(referred, int(row["age"])),
                gender=SEX[row["sex"]],
                episodes=(episode,),
                disposal=DISPOSAL[disposal],
                order_months=int(months),
                offences_before=int(row["off"]),
                looked_after=LAC[row["lac"]],
                risk=_ints(row["risk"]),
                problems=TRIAL_PROBLEMS[i],
            )
        )
    return children


def build_welsh_trial(children: list[ChildFacts] | None = None) -> Cohort:
    return build_cohort(
        name="Welsh trial",
        team_names=WELSH_TRIAL_TEAMS,
        children=children if children is not None else welsh_trial_children(),
        period=WELSH_TRIAL_PERIOD,
        rule_set_code="welsh-trial",
    )


# --- The ORS evaluation in England (001: 2019-22, n=37) --------------------------------------
#
# Four YJSs (001 l.211); the pilot ran from 30 September 2019 to 31 March 2022 (l.307). No
# referral and no formulation meeting from mid-September 2020 to the end of February 2021,
# while there was no psychologist (l.316, l.770); the reviews went on (l.815).

ORS_PERIOD = Period(dt.date(2019, 9, 30), dt.date(2022, 3, 31))
ORS_GAP = Period(dt.date(2020, 9, 16), dt.date(2021, 2, 28))
ORS_TEAMS = {
    "bristol": "Bristol YJS",
    "nsom": "North Somerset YJS",
    "banes": "Bath and North East Somerset YJS",
    "sglos": "South Gloucestershire YJS",
}

# One row per ECM episode (a child's second episode repeats the key: O1 and O2 were
# "discharged from, and then re-referred onto ECM", l.1674, both closed again by the end).
# The columns, and the published figures (001) they give together:
#   eval: consent to the evaluation's use of the data (20 of 37, l.392);
#   order at referral: of the 20, 9 referral orders, 9 YROs, one DTO (licence), one youth
#     conditional caution (l.1051-1055);
#   off: offences on the referral (of the 20: sum 260, mean 13, 2 to 51, l.1006);
#   lac, cp: looked after, child protection (of the 20: "just under half" and "most"
#     current or previous, l.1017);
#   referred, ref: the referral and the days to the formulation meeting (none of either
#     from mid-September 2020 to February 2021, l.316);
#   rev: reviews (the last of a closed episode is its closure review);
#   closed: days from the meeting to the closure ("-": open at the end): 17 children closed
#     and 20 open at the end of the pilot (l.1155);
#   reason, to: the closure reason and the transitions (Table 1, l.1116-1119: prison 2,
#     probation 7, housing 4, "adult social care / mental health / other support services"
#     9 children: 6 adult social care, 5 adult mental health, two of them both);
#   after: offences after the closure, days after it:gravity (the re-referrals followed
#     "repeated offending", l.1674).
_ORS = """
key eval order off lac   cp    referred   ref rev closed reason          to             after
O1  y    dto   51  cur   cur   2019-10-14 35  2   190    order_completed -              20:4
O1  y    dto   51  cur   cur   2020-07-01 30  2   300    custody         custody,probation -
O2  y    ycc   2   never prev  2021-03-08 28  2   150    order_completed -              10:3
O2  y    ycc   2   never prev  2021-09-20 25  2   120    custody         custody,probation -
O3  y    ro    10  prev  prev  2019-10-21 40  2   400    transition      probation      -
O4  y    ro    12  never cur   2019-11-04 38  2   380    transition      probation      -
O5  y    ro    11  never prev  2019-12-02 42  2   360    transition      probation      -
O6  y    ro    13  cur   never 2020-01-13 36  2   330    transition      probation      -
O7  y    ro    9   never prev  2020-02-10 44  2   420    transition      probation      -
O8  y    ro    14  prev  cur   2020-03-09 39  2   365    transition      housing,asc    -
O9  y    ro    12  never prev  2020-05-11 41  2   340    transition      housing,asc    -
O10 y    ro    10  cur   cur   2020-06-15 37  2   330    transition      housing,mh     -
O11 y    ro    11  never never 2020-07-06 43  2   300    transition      housing        -
O12 n    yro   8   never prev  2021-03-01 30  2   250    transition      asc            -
O13 n    ro    8   prev  prev  2021-03-15 35  2   240    transition      asc            -
O14 n    yro   8   never cur   2021-04-12 33  2   230    transition      mh             -
O15 n    ro    8   never never 2021-05-10 38  2   210    transition      mh             -
O16 n    yro   8   cur   prev  2021-06-07 36  2   200    transition      asc,mh         -
O17 n    ro    8   never never 2021-07-05 34  2   190    transition      asc,mh         -
O18 y    yro   12  prev  cur   2019-11-18 40  2   -      -               -              -
O19 y    yro   13  never prev  2020-01-20 35  2   -      -               -              -
O20 y    yro   11  never cur   2020-04-20 42  2   -      -               -              -
O21 y    yro   10  cur   prev  2020-07-20 38  2   -      -               -              -
O22 y    yro   12  never never 2021-03-22 30  2   -      -               -              -
O23 y    yro   11  never cur   2021-05-17 36  2   -      -               -              -
O24 y    yro   13  never prev  2021-08-16 41  2   -      -               -              -
O25 y    yro   12  prev  cur   2021-10-11 33  2   -      -               -              -
O26 y    yro   11  never prev  2021-12-06 37  1   -      -               -              -
O27 n    yro   8   never never 2019-12-09 39  2   -      -               -              -
O28 n    ro    8   never never 2020-02-24 34  2   -      -               -              -
O29 n    yro   8   never never 2020-06-01 40  2   -      -               -              -
O30 n    ro    8   never never 2021-04-06 31  2   -      -               -              -
O31 n    yro   8   never never 2021-06-21 36  2   -      -               -              -
O32 n    ro    8   never never 2021-08-02 38  2   -      -               -              -
O33 n    yro   8   never never 2021-09-13 35  2   -      -               -              -
O34 n    ro    8   never never 2021-10-25 32  2   -      -               -              -
O35 n    yro   8   never never 2021-11-22 37  1   -      -               -              -
O36 n    ro    8   never never 2022-01-10 30  1   -      -               -              -
O37 n    yro   8   never never 2022-01-24 29  1   -      -               -              -
"""
TRANSITION = {
    "custody": "custody",
    "probation": "probation",
    "housing": "housing",
    "asc": "adult_social_care",
    "mh": "mental_health",
}


def ors_children(table: str = _ORS) -> list[ChildFacts]:
    rows: dict[str, list[dict]] = {}
    for row in _table(table):
        rows.setdefault(row["key"], []).append(row)
    children = []
    for n, (key, episodes) in enumerate(rows.items()):
        first = episodes[0]
        built = tuple(
            Episode(
                referred_on=_day(r["referred"]),
                to_meeting=int(r["ref"]),
                reviews=int(r["rev"]),
                closed_after=None if r["closed"] == "-" else int(r["closed"]),
                closure_reason=ClosureReason.ORDER_COMPLETED if r["reason"] == "-" else r["reason"],
                transitions=()
                if r["to"] == "-"
                else tuple(TRANSITION[t] for t in r["to"].split(",")),
                offences_after=_pairs(r["after"]),
            )
            for r in episodes
        )
        children.append(
            ChildFacts(
                key=key,
                team=tuple(ORS_TEAMS)[n % 4],
                born=_born(built[0].referred_on, 15 + n % 3),
                gender="female" if n % 4 == 3 else "male",
                episodes=built,
                disposal=DISPOSAL[first["order"]],
                order_months=12,
                offences_before=int(first["off"]),
                looked_after=LAC[first["lac"]],
                child_protection=LAC[first["cp"]],
                evaluation_consent=first["eval"] == "y",
            )
        )
    return children


def build_ors(children: list[ChildFacts] | None = None) -> Cohort:
    return build_cohort(
        name="ORS",
        team_names=ORS_TEAMS,
        children=children if children is not None else ors_children(),
        period=ORS_PERIOD,
        rule_set_code="england-2020",
    )
