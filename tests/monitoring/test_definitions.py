"""The monitoring definitions (issue 17) on a cohort with known answers: ECM starts at the
formulation meeting, "during" figures end at the period's end, the base is the cases on ECM
in the period. The period's first and last days are in the cohort."""

import datetime as dt

import pytest
from django.utils import timezone

from monitoring import figures
from monitoring.figures import Period
from monitoring.tables import every_table
from referrals.models import Offence
from reviews.models import Review
from tests.factories import CaseFactory, TeamFactory, held_meeting

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def aware(day: dt.date, hour=12, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def values(team_ids, period=Q1):
    return {row.key: row for table in every_table(team_ids, period) for row in table.rows}


def held(world, c, day: dt.date, hour=12, minute=0):
    return held_meeting(
        case=c,
        starts_at=aware(day, hour, minute),
        status="held",
        chair=world.senior,
        psychologist=world.psychologist,
    )


def offence(c, day: dt.date, gravity=None):
    return Offence.objects.create(case=c, date=day, offence_type="x", gravity=gravity)


@pytest.fixture
def cohort(world):
    team = TeamFactory(name="Cohort YOT", code="cohort", central_team=world.central)

    def case(**kw):
        kw.setdefault("status", "active")
        kw.setdefault("opened_on", dt.date(2025, 6, 1))
        return CaseFactory(team=team, case_manager=world.case_manager, **kw)

    c = {}
    # On ECM since 1 September 2025 (registered in June: June to August is the pipeline).
    c["a"] = case()
    held(world, c["a"], dt.date(2025, 9, 1))
    held(world, c["a"], dt.date(2025, 12, 1))  # re-convened: ECM started at the first
    offence(c["a"], dt.date(2025, 8, 1), 4)  # after registration, before ECM
    offence(c["a"], dt.date(2025, 10, 1), 2)  # 30 days into ECM
    offence(c["a"], dt.date(2026, 3, 31), 6)  # the period's last day
    # Potential: in the pipeline, not on the caseload, not on ECM.
    c["b"] = case(status="potential", opened_on=dt.date(2026, 1, 10))
    # Formulation meeting on the period's last day, late in the evening.
    c["c"] = case(status="active")
    held(world, c["c"], dt.date(2026, 3, 31), hour=23, minute=30)
    # Formulation meeting the day after the period: on the caseload now, not on ECM in Q1.
    c["d"] = case(status="active")
    held(world, c["d"], dt.date(2026, 4, 1), hour=0, minute=30)
    # Closed the day before the period: not on ECM in it.
    c["e"] = case(
        status="closed", closed_on=dt.date(2025, 12, 31), closure_reason="order_completed"
    )
    held(world, c["e"], dt.date(2025, 3, 1))
    # Closed on the period's first day, 245 days after its meeting.
    c["f"] = case(status="closed", closed_on=dt.date(2026, 1, 1), closure_reason="order_completed")
    held(world, c["f"], dt.date(2025, 5, 1))
    # A re-opened episode that carried its formulation forward: ECM from its opening.
    c["g"] = case(opened_on=dt.date(2026, 2, 1), formulation_decision="carried_forward")
    offence(c["g"], dt.date(2026, 2, 11), 3)  # 10 days into ECM
    # Active but no meeting recorded as held (preparing, in effect): not on ECM.
    c["h"] = case(status="preparation")
    return team, c


def test_the_caseload_is_the_cases_on_ecm_now_and_equals_its_drill_down(cohort):
    team, c = cohort
    v = values([team.pk])
    assert v["caseload"].value == 4  # a, c, d, g
    assert v["pipeline"].value == 2  # b, h
    for key, expected in (("caseload", "acdg"), ("pipeline", "bh")):
        listed = set(figures.drill_cases([team.pk], Q1, key).values_list("pk", flat=True))
        assert listed == {c[x].pk for x in expected}, key


def test_the_base_is_the_cases_on_ecm_in_the_period(cohort):
    team, c = cohort
    v = values([team.pk])
    assert v["active_in_period"].value == 7  # every case but e, open at some time
    assert v["on_ecm"].value == 4  # a, c (last day), f (first day), g
    listed = set(figures.drill_cases([team.pk], Q1, "on_ecm").values_list("pk", flat=True))
    assert listed == {c[x].pk for x in "acfg"}
    # The profile counts the same cases.
    assert v["gender:" + c["a"].child.gender].denominator == 4


def test_offences_count_from_the_formulation_meeting(cohort):
    team, _c = cohort
    v = values([team.pk])
    assert (v["gravity:before"].value, v["gravity:before"].n) == (4.0, 1)
    assert (v["gravity:during"].value, v["gravity:during"].n) == (round(11 / 3, 2), 2)
    assert (v["time_to_reoffend"].value, v["time_to_reoffend"].n) == (20, 2)  # 30 and 10
    assert (v["gap:during"].value, v["gap:during"].n) == (181, 1)
    assert (v["time_on_ecm"].value, v["time_on_ecm"].n) == (245, 1)  # f only: e closed before


def test_a_past_period_does_not_change_when_later_data_is_added(world, cohort):
    team, c = cohort
    before = {k: (r.value, r.n, r.denominator) for k, r in values([team.pk]).items()}
    offence(c["a"], dt.date(2026, 4, 1), 8)
    offence(c["c"], dt.date(2026, 4, 2), 8)
    offence(c["g"], dt.date(2026, 5, 1), 1)
    offence(c["f"], dt.date(2026, 4, 10), 5)  # after closure, after the period
    Review.objects.create(case=c["a"], held_on=dt.date(2026, 4, 15), reoffended=True, breach=True)
    held(world, c["h"], dt.date(2026, 4, 3))
    after = {k: (r.value, r.n, r.denominator) for k, r in values([team.pk]).items()}
    changed = {k for k in before if before[k] != after[k] and not k.endswith("_now")}
    # Only the figures "now" may move (the caseload, the pipeline, the waiting list).
    assert changed <= {"caseload", "pipeline", "waiting", "waiting_days", "actions_overdue"}


def test_offending_after_ecm_needs_no_re_referral_and_the_headline_adds_both(cohort):
    team, c = cohort
    # Recorded on the closed case itself, after its closure (no later episode).
    offence(c["f"], dt.date(2026, 2, 1), 5)
    offence(c["e"], dt.date(2026, 3, 31), 2)  # closed before the period: after ECM, not on ECM
    v = values([team.pk])
    assert v["reoffended_after"].value == 2  # e and f
    assert (v["gravity:after"].value, v["gravity:after"].n) == (3.5, 2)
    # Of the cases on ECM in the period (a, c, f, g): a and g during, f after.
    assert (v["reoffended_by_end"].value, v["reoffended_by_end"].denominator) == (3, 4)
    listed = set(
        figures.drill_cases([team.pk], Q1, "reoffended_by_end").values_list("pk", flat=True)
    )
    assert listed == {c[x].pk for x in "afg"}
    # An offence before the start of ECM is not reoffending; the day after the period neither.
    assert (
        values([team.pk], Period(dt.date(2025, 7, 1), dt.date(2025, 8, 31)))[
            "reoffended_by_end"
        ].value
        == 0
    )  # a's August offence was before its meeting (f's were before too)


def test_looked_after_and_child_protection_past_or_present_with_the_missing_count(cohort):
    from referrals.models import Referral

    team, c = cohort
    for x, care, plan in (
        ("a", "previous", "current"),
        ("c", "current", "never"),
        ("f", "dont_know", ""),
    ):
        Referral.objects.create(
            case=c[x], cx_local_authority_care=care, cx_child_protection_plan=plan
        )
    # g (on ECM) has no referral: missing too; e (not on ECM) never counts.
    Referral.objects.create(case=c["e"], cx_local_authority_care="current")
    v = values([team.pk])
    assert v["cx:cx_local_authority_care"].value == 2  # a previous, c current
    assert v["cxnow:cx_local_authority_care"].value == 1
    assert v["cxdk:cx_local_authority_care"].value == 2  # f don't know, g no referral
    assert v["cx:cx_child_protection_plan"].value == 1
    assert v["cxdk:cx_child_protection_plan"].value == 2  # f not answered, g
    assert "current or previous" in v["cx:cx_local_authority_care"].label
    listed = figures.drill_cases([team.pk], Q1, "cxdk:cx_local_authority_care")
    assert set(listed.values_list("pk", flat=True)) == {c["f"].pk, c["g"].pk}


def test_report_timeliness_in_calendar_months_from_the_draft_sent_for_checking(world, cohort):
    from formulation.models import Report, ReportVersion

    team, c = cohort

    def reported(met: dt.date, sent=None, final=None, number=1, met_at=12, sent_at=12):
        x = CaseFactory(team=team, case_manager=world.case_manager, status="active")
        meeting = held(world, x, met, hour=met_at)
        report = Report.objects.create(
            case=x,
            meeting=meeting,
            psychologist=world.psychologist,
            due_on=met,
            number=number,
            sent_for_check_at=aware(sent, sent_at) if sent else None,
        )
        if final:
            ReportVersion.objects.create(report=report, number=1, finalised_at=aware(final))

    # A calendar month to the day: on time; the final 55 days after: one to two months.
    reported(dt.date(2026, 1, 15), sent=dt.date(2026, 2, 15), final=dt.date(2026, 3, 11))
    # 29 days, but past 1 March (a calendar month after 1 February): late, not "within 31 days".
    reported(dt.date(2026, 2, 1), sent=dt.date(2026, 3, 2))
    # Amended (version 2): the first final version's date stands in for the draft's, 21 days.
    reported(dt.date(2026, 1, 20), final=dt.date(2026, 2, 10), number=2)
    # Sent on its due day, later in the day than the meeting began: on time (by day, as the
    # report's due date counts it).
    reported(dt.date(2026, 1, 10), sent=dt.date(2026, 2, 10), met_at=9, sent_at=17)
    # c: its meeting on the period's last day, nothing sent yet.
    v = values([team.pk])
    draft = [v[f"report:{k}"].value for k in ("on_time", "late", "very_late", "not_yet")]
    assert draft == [3, 1, 0, 1]
    final = [v[f"report_final:{k}"].value for k in ("on_time", "late", "very_late", "not_yet")]
    assert final == [1, 1, 0, 3]
    assert v["report:on_time"].denominator == 5
    # 31, 29, 21 and 31 days 8 hours.
    assert (v["meeting_to_draft"].value, v["meeting_to_draft"].n) == (28, 4)
    assert (v["meeting_to_final"].value, v["meeting_to_final"].n) == (38, 2)  # 55, 21


def test_referral_to_meeting_counts_a_calendar_month(world, cohort):
    from referrals.models import Referral

    team, _c = cohort
    for submitted, met in (
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 31), dt.date(2026, 3, 1)),
    ):
        x = CaseFactory(team=team, case_manager=world.case_manager, status="active")
        Referral.objects.create(case=x, status="submitted", submitted_at=aware(submitted))
        held(world, x, met)
    v = values([team.pk])
    # 28 days (31 January + a month is 28 February) on time; 29 days late.
    assert [v[f"referral:{k}"].value for k in ("on_time", "late", "very_late")] == [1, 1, 0]


def test_start_risk_over_the_cases_starting_ecm_and_change_over_matched_ratings(world, cohort):
    from referrals.models import Referral
    from reviews.models import RiskRating

    team, c = cohort

    def risk(x, reoffending, harm, self_harm):
        Referral.objects.create(
            case=c[x],
            risk_reoffending=reoffending,
            risk_harm_others=harm,
            risk_harm_self=self_harm,
        )

    risk("c", 3, 2, 2)  # meeting on the period's last day: starts in it
    risk("g", 1, 1, 1)  # carried forward, opened in the period
    risk("a", 2, 4, 4)  # on ECM since September: not a start of this period
    risk("f", 3, 3, 3)  # closed on the period's first day
    unmatched = CaseFactory(
        team=team, status="closed", opened_on=dt.date(2025, 6, 1), closed_on=dt.date(2026, 3, 31)
    )
    for x, (r, h, v) in ((c["f"], (2, 3, 4)), (unmatched, (1, 1, 1)), (c["e"], (1, 1, 1))):
        RiskRating.objects.create(
            case=x,
            point="closure",
            reoffending=r,
            serious_harm=h,
            vulnerability=v,
            recorded_on=x.closed_on,
        )
    out = values([team.pk])
    assert (out["started"].value, out["risk:start:reoffending"].n) == (2, 2)
    assert out["risk:start:reoffending"].value == 2.0
    assert out["risk:start:harm"].value == 1.5
    assert (out["risk:closure:reoffending"].value, out["risk:closure:reoffending"].n) == (1.5, 2)
    moved = {k: out[f"risk_change:{k}"].columns for k in ("reoffending", "harm", "vulnerability")}
    assert moved == {
        "reoffending": {"fell": 1, "same": 0, "rose": 0},
        "harm": {"fell": 0, "same": 1, "rose": 0},
        "vulnerability": {"fell": 0, "same": 0, "rose": 1},
    }
    assert out["risk_change:reoffending"].denominator == 1  # the unmatched case is left out
    listed = figures.drill_cases([team.pk], Q1, "started").values_list("pk", flat=True)
    assert set(listed) == {c["c"].pk, c["g"].pk}


def test_reviews_and_offences_per_child_and_seriousness_against_before(settings, cohort):
    settings.MONITORING_SUPPRESS_BELOW = 1  # show the ranges of this small cohort
    team, c = cohort
    for day in (dt.date(2025, 6, 1), dt.date(2025, 8, 1), dt.date(2025, 11, 1)):
        Review.objects.create(case=c["f"], held_on=day, reoffended=False, breach=False)
    offence(c["g"], dt.date(2026, 1, 15), 5)  # before g's ECM: 5, during: 3, less serious
    v = values([team.pk])
    # Over the 4 cases on ECM in Q1 (a, c, f, g), reviews held by its end: f's 3, the others
    # none (0 counts).
    assert (v["reviews_per_case"].value, v["reviews_per_case"].n) == (round(3 / 4, 1), 4)
    assert "range 0–3" in v["reviews_per_case"].label
    # A review after the period's end is not counted in it.
    Review.objects.create(case=c["a"], held_on=dt.date(2026, 4, 1), reoffended=False, breach=False)
    assert values([team.pk])["reviews_per_case"].value == round(3 / 4, 1)
    # On ECM: a (1 before, 2 during), c (none), f (none), g (1 before, 1 during).
    assert (v["offences:before"].value, v["offences:before"].n) == (round(2 / 4, 1), 4)
    assert v["offences:during"].value == round(3 / 4, 1)
    assert "range 0–1" in v["offences:before"].label
    assert "range 0–2" in v["offences:during"].label
    # a: 4 before, (2 + 6) / 2 during: as serious; g: less.
    seriousness = [v[f"serious:{k}"].value for k in ("less", "same", "more")]
    assert seriousness == [1, 1, 0]


def test_age_disposal_and_order_length_at_referral(settings, cohort):
    from ecm.models import Child
    from referrals.models import Referral

    settings.MONITORING_SUPPRESS_BELOW = 1
    team, c = cohort
    for x, born, referred, disposal, months in (
        ("a", dt.date(2010, 5, 21), dt.date(2025, 5, 20), "yro", 12),  # 14, the day before 15
        ("c", dt.date(2010, 5, 20), dt.date(2025, 5, 20), "referral_order", 6),  # 15 that day
        ("f", dt.date(2008, 1, 1), dt.date(2025, 1, 1), "yro", 3),  # 17
    ):
        Child.objects.filter(pk=c[x].child_id).update(date_of_birth=born)
        Referral.objects.create(
            case=c[x], referral_date=referred, disposal=disposal, order_length_months=months
        )
    v = values([team.pk])  # g has no referral
    ages = [v[f"agerf:{k}"].value for k in ("14-", "15-16", "17", "18+", "none")]
    assert ages == [1, 1, 1, 0, 1]
    assert (v["disposal:yro"].value, v["disposal:referral_order"].value) == (2, 1)
    assert v["disposal:none"].value == 1
    lengths = [v[f"order:{k}"].value for k in ("0-5", "6-11", "12+", "none")]
    assert lengths == [1, 1, 1, 1]
    assert (v["order_length"].value, v["order_length"].n) == (7.0, 3)
    assert "range 3–12" in v["order_length"].label
    listed = figures.drill_cases([team.pk], Q1, "agerf:14-").values_list("pk", flat=True)
    assert list(listed) == [c["a"].pk]


def test_reoffended_by_the_end_counts_an_offence_on_the_childs_later_episode(world, cohort):
    team, c = cohort
    x = CaseFactory(
        team=team,
        status="closed",
        opened_on=dt.date(2025, 5, 1),
        closed_on=dt.date(2026, 1, 10),
        closure_reason="order_completed",
    )
    held(world, x, dt.date(2025, 6, 1))
    later = CaseFactory(
        team=team,
        child=x.child,
        previous_case=x,
        status="preparation",
        opened_on=dt.date(2026, 2, 1),
    )
    offence(later, dt.date(2026, 3, 1), 4)
    v = values([team.pk])
    assert (v["reoffended_by_end"].value, v["reoffended_by_end"].denominator) == (3, 5)  # a, g, x
    listed = figures.drill_cases([team.pk], Q1, "reoffended_by_end").values_list("pk", flat=True)
    assert set(listed) == {c["a"].pk, c["g"].pk, x.pk}


def test_transitions_in_the_ors_evaluations_groups_each_child_once_per_group(world, cohort):
    """ORS evaluation (001), Table 1: adult social care / mental health / other support
    services, prison, probation, other services: housing. A child who moved on to two
    services of one group counts once in it; each group drills down to its own children."""
    from reviews.models import Closure, Transition

    team, c = cohort

    def closed(day, *destinations):
        k = CaseFactory(
            team=team,
            case_manager=world.case_manager,
            status="closed",
            opened_on=dt.date(2025, 1, 1),
            closed_on=day,
            closure_reason="order_completed",
        )
        closure = Closure.objects.create(case=k, reason="order_completed", closed_on=day)
        for d in destinations:
            Transition.objects.create(closure=closure, destination=d)
        return k

    both = closed(dt.date(2026, 1, 1), "adult_social_care", "mental_health")
    prison = closed(dt.date(2026, 3, 31), "custody", "probation")
    housing = closed(dt.date(2026, 2, 1), "housing", "other_support")
    closed(dt.date(2026, 2, 1))  # moved on to nothing
    closed(dt.date(2026, 4, 1), "probation")  # closed after the period
    v = values([team.pk])
    expected = {
        "adult_support": {both, housing},
        "prison": {prison},
        "probation": {prison},
        "housing": {housing},
        "any": {both, prison, housing},
    }
    for group, cases in expected.items():
        key = f"transition_group:{group}"
        assert v[key].value == len(cases), group
        assert set(figures.drill_cases([team.pk], Q1, key)) == cases, group
    assert v["transition:mental_health"].value == 1
    assert v["transition_group:any"].denominator == v["closed"].value
