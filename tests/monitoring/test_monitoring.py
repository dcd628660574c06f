"""Monitoring: figures against a hand-built cohort with known answers, small-cell suppression
(4 vs 5), period boundaries, team scope, drill-down access, audited export, constant
queries, the pipeline board."""

import datetime as dt
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm.models import AuditEvent, Case, Team
from formulation.models import TRMFramework, TRMPlacement
from monitoring import figures, readmodel
from monitoring.figures import Period, Row
from monitoring.tables import every_table
from referrals.models import EligibilityCheck, Referral, RuleSet
from reviews.models import Review, TRMStageRecord
from tests.factories import CaseFactory, assert_ecm_start_stored, held_meeting
from tests.monitoring import figures_worker

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def aware(day: dt.date, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def case(world, team=None, **kw):
    kw.setdefault("status", "active")
    kw.setdefault("opened_on", dt.date(2025, 6, 1))
    return CaseFactory(team=team or world.yot_a, case_manager=world.case_manager, **kw)


def referral(c, submitted: dt.date, decision=None, reasons=(), checked: dt.date | None = None):
    r = Referral.objects.create(case=c, status="submitted", submitted_at=aware(submitted))
    if decision:
        EligibilityCheck.objects.create(
            referral=r,
            rule_set=RuleSet.objects.first(),
            decision=decision,
            not_met_reasons=list(reasons),
            checked_at=aware(checked or submitted),
        )
    return r


def values(team_ids, period=Q1):
    tables = every_table(team_ids, period)
    return {row.key: row for table in tables for row in table.rows}


def test_figures_on_a_hand_built_cohort(world):
    # Referrals: the period's first and last days count; the days either side do not.
    for day in (dt.date(2026, 1, 1), dt.date(2026, 2, 10), dt.date(2026, 3, 31)):
        referral(case(world, status="referred"), day, "accepted")
    referral(case(world, status="referred"), dt.date(2025, 12, 31), "accepted")
    referral(case(world, status="referred"), dt.date(2026, 4, 1), "accepted")
    for _ in range(2):
        referral(case(world, status="not_accepted"), dt.date(2026, 2, 1), "not_met", ["prevention"])
    # Closures: five orders completed in the period, one before it.
    for i in range(5):
        case(
            world,
            status="closed",
            closed_on=dt.date(2026, 2, 1 + i),
            closure_reason="order_completed",
        )
    case(world, status="closed", closed_on=dt.date(2025, 12, 1), closure_reason="order_completed")
    # Reoffending during ECM: two reviews in the period say so.
    stage3 = TRMFramework.objects.get(code="practice-stages").stages.get(number=3)
    stage2 = TRMFramework.objects.get(code="practice-stages").stages.get(number=2)
    for _i in range(2):
        c = case(world)
        meeting = held_meeting(
            case=c,
            starts_at=aware(dt.date(2025, 7, 1)),
            chair=world.senior,
            psychologist=world.psychologist,
            status="held",
        )
        TRMPlacement.objects.create(
            meeting=meeting,
            stage=stage3,
            presentation="p",
            underlying_need="n",
            intervention_recommendation="i",
        )
        review = Review.objects.create(
            case=c,
            held_on=dt.date(2026, 3, 1),
            reoffended=True,
            breach=False,
            next_review_on=dt.date(2026, 5, 1),
        )
        TRMStageRecord.objects.create(
            case=c, review=review, stage=stage2, recorded_on=review.held_on
        )
    # Another team's cases never count.
    referral(case(world, team=world.yot_b, status="referred"), dt.date(2026, 2, 2), "accepted")

    v = values([world.yot_a.pk])
    assert v["referred"].value == 5
    assert v["criteria_met"].value == 3
    assert v["criteria_not_met"].value == 2
    assert v["not_met:prevention"].value == 2
    assert v["orders_completed"].value == 5
    assert v["closed"].value == 5
    assert v["reoffended"].value == 2
    assert v["trm:down"].value == 2 and v["trm:up"].value == 0
    assert v["formulations"].value == 0  # the meetings were before the period
    # The other team alone.
    assert values([world.yot_b.pk])["referred"].value == 1


@pytest.mark.parametrize(
    ("value", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (12, "12"), (None, "—")]
)
def test_small_cells_are_suppressed(value, shown):
    assert figures.shown(value) == shown


@pytest.mark.parametrize(
    ("value", "denominator", "percent"),
    [
        (5, 10, "50%"),
        (4, 10, "*"),  # the count is a small cell
        (5, 6, "*"),  # the complement (1) would be revealed
        (5, 5, "100%"),
        (10, 4, "*"),  # a small base
        (0, 0, ""),
    ],
)
def test_percentages_that_would_reveal_a_small_cell_are_suppressed(value, denominator, percent):
    assert figures.shown_percent(Row("k", "l", value, denominator)) == percent


def test_threshold_is_configurable(settings):
    settings.MONITORING_SUPPRESS_BELOW = 10
    assert figures.shown(9) == "<10" and figures.shown(10) == "10"


def test_managers_see_only_their_teams(client, world):
    for _ in range(6):
        referral(case(world, status="referred"), dt.date(2026, 2, 1))
    client.force_login(world.other_manager)  # Bravo YOT's manager
    query = f"?teams={world.yot_a.pk}&start=2026-01-01&end=2026-03-31"
    page = client.get(reverse("monitoring:dashboard") + query)
    assert page.status_code == 200
    rows = {r.key: r for t in page.context["tables"] for r in t.rows}
    assert rows["referred"].value == 0  # Alpha's six are not Bravo's manager's to count
    drill = client.get(reverse("monitoring:drill", args=["referred"]) + query)
    assert drill.context["page"].paginator.count == 0
    client.force_login(world.case_manager)  # not a manager: no dashboard at all
    assert client.get(reverse("monitoring:dashboard")).status_code == 404


def test_drill_down_lists_the_cases_behind_a_figure(client, world):
    made = [case(world, status="referred") for _ in range(6)]
    for c in made:
        referral(c, dt.date(2026, 2, 1))
    client.force_login(world.manager)
    query = "?start=2026-01-01&end=2026-03-31"
    page = client.get(reverse("monitoring:dashboard") + query).content.decode()
    assert reverse("monitoring:drill", args=["referred"]) in page
    drill = client.get(reverse("monitoring:drill", args=["referred"]) + query)
    assert {c.pk for c in drill.context["page"].object_list} == {c.pk for c in made}
    assert made[0].reference in drill.content.decode()


def test_export_is_audited_and_suppressed(client, world):
    for _ in range(3):
        referral(case(world, status="referred"), dt.date(2026, 2, 1))
    client.force_login(world.manager)
    response = client.get(
        reverse("monitoring:export", args=["cohort"]) + "?start=2026-01-01&end=2026-03-31"
    )
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "Referrals submitted,<5" in body
    event = AuditEvent.objects.get(action="export", actor=world.manager)
    assert "monitoring cohort 2026-01-01..2026-03-31" in event.detail


def test_period_form_refuses_an_end_before_the_start(client, world):
    client.force_login(world.manager)
    page = client.get(reverse("monitoring:dashboard") + "?start=2026-03-01&end=2026-01-01")
    body = page.content.decode()
    assert "before its start" in body
    assert 'id="id_end_error"' in body and 'aria-describedby="id_end_error"' in body
    assert 'aria-invalid="true"' in body
    assert 'value="2026-03-01"' in body  # what was typed is kept


def test_dashboard_costs_constant_queries(client, world):
    client.force_login(world.manager)
    url = reverse("monitoring:dashboard") + "?start=2026-01-01&end=2026-03-31"

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    case(world)
    count()  # the figures asked for and computed (the worker's part)
    few = count()  # the page served from them
    for i in range(40):
        c = case(
            world,
            status="closed" if i % 2 else "active",
            closed_on=dt.date(2026, 2, 1) if i % 2 else None,
            closure_reason="disengaged" if i % 2 else "",
        )
        referral(c, dt.date(2026, 1, 5), "not_met" if i % 3 else "accepted", ["prevention"])
        Review.objects.create(
            case=c,
            held_on=dt.date(2026, 2, 2),
            reoffended=bool(i % 4),
            breach=False,
            next_review_on=dt.date(2026, 4, 1),
        )
    figures_worker.recompute()
    assert count() == few


def test_pipeline_board(client, world):
    case(world, status="waiting")
    c = case(world)
    held_meeting(
        case=c,
        starts_at=aware(dt.date(2026, 1, 5)),
        chair=world.senior,
        psychologist=world.psychologist,
        status="held",
    )
    client.force_login(world.senior)
    page = client.get(reverse("monitoring:pipeline"))
    board = {col["key"]: col for col in page.context["board"]}
    assert board["report_due"]["count"] == 1  # held meeting, no final report
    assert board["waiting"]["count"] == 1
    assert board["active"]["count"] == 1  # world.case
    client.force_login(world.case_manager)
    assert client.get(reverse("monitoring:pipeline")).status_code == 404


def test_pipeline_board_counts_every_case_and_lists_the_longest_waiting(
    client, world, django_assert_max_num_queries
):
    from django.utils import timezone

    now = timezone.now()
    for days in range(35):  # waiting 0..34 days
        case(world, status="waiting", status_changed_at=now - dt.timedelta(days=days, hours=1))
    client.force_login(world.senior)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("monitoring:pipeline"))
    waiting = {col["key"]: col for col in page.context["board"]}["waiting"]
    assert waiting["count"] == 35
    assert [c.days_in_stage for c in waiting["cases"]] == list(range(34, 4, -1))
    assert waiting["mean_days"] == 17
    assert "and 5 more" in page.content.decode()


def test_seriousness_and_waiting_time(world):
    from referrals.models import Offence

    c = case(world, opened_on=dt.date(2025, 6, 1))
    _held_meeting(world, c, dt.date(2025, 6, 1))  # ECM starts at the formulation meeting
    Offence.objects.create(case=c, date=dt.date(2025, 3, 1), offence_type="a", gravity=4)
    Offence.objects.create(case=c, date=dt.date(2025, 5, 1), offence_type="b", gravity=2)
    Offence.objects.create(case=c, date=dt.date(2026, 2, 1), offence_type="c", gravity=1)
    waiting = case(world, status="waiting")
    r = referral(waiting, dt.date(2026, 1, 1))
    Referral.objects.filter(pk=r.pk).update(waiting_since=timezone.now() - dt.timedelta(days=20))
    v = values([world.yot_a.pk])
    assert v["gravity:before"].value == 3.0 and v["gravity:during"].value == 1.0
    assert v["waiting_days"].value in (19, 20)


def test_charts_never_draw_a_suppressed_value():
    from monitoring.charts import bar_chart
    from monitoring.figures import Table

    row = Row("survey:x", "Living <b>arrangements</b>", 3)
    row.columns = {"improved": 3, "no_change": 9, "worse": 0}
    small = Row("k", "Small", 2)
    svg = bar_chart(Table("t", "T", [row, small, Row("big", "Big", 12)]), title="T")
    assert "improved:" not in svg  # no bar, no tooltip for a small part
    assert "no_change: 9" in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert svg.count("<rect") == 2  # the 9 and the 12; the 2 has no bar


def test_complementary_suppression_in_a_split_table():
    from monitoring.figures import Table, protect

    rows = [Row("a", "A", 3, 20), Row("b", "B", 6, 20), Row("c", "C", 11, 20)]
    table = Table("profile_gender", "Gender", rows, split=True)
    protect(table)
    assert [figures.shown_row(r) for r in rows] == ["<5", "*", "11"]
    assert {figures.shown_percent(r) for r in rows} == {"*"}  # no percentage gives it away


def test_a_mean_over_few_cases_is_not_shown():
    few = Row("time_on_ecm", "Mean", 212, unit="days", n=2)
    many = Row("time_on_ecm", "Mean", 3, unit="days", n=40)
    assert figures.shown_row(few) == "—"
    assert figures.shown_row(many) == "3"  # a small mean is not a small cell


def recommendations(c, *statuses):
    """A held meeting with one recommendation per status, each given that progress at a
    review."""
    from formulation.models import Recommendation
    from reviews.models import RecommendationProgress

    meeting = held_meeting(
        case=c,
        starts_at=aware(dt.date(2025, 7, 1)),
        chair=c.case_manager,
        psychologist=c.case_manager,
        status="held",
    )
    review = Review.objects.create(case=c, held_on=dt.date(2025, 9, 1), next_review_on=None)
    for n, status in enumerate(statuses, 1):
        rec = Recommendation.objects.create(
            meeting=meeting, case=c, intervention=f"R{n}", sequence=n
        )
        if status:
            RecommendationProgress.objects.create(review=review, recommendation=rec, status=status)


def test_intervention_plans_completed(world):
    from reviews.models import Closure
    from reviews.selectors import plan_completed

    def closed_case(*statuses, on=dt.date(2026, 2, 1)):
        c = case(world, status="closed", closed_on=on, closure_reason="other")
        recommendations(c, *statuses)
        Closure.objects.create(
            case=c, reason="other", closed_on=on, next_steps="-", plan_completed=plan_completed(c)
        )
        return c

    closed_case("done", "done")  # completed
    closed_case("done", "dropped")  # completed
    closed_case("done", "in_progress")  # not yet
    closed_case("done", None)  # one never reviewed
    closed_case("dropped")  # dropped is not done
    closed_case()  # no plan at all
    closed_case("done", on=dt.date(2025, 12, 31))  # closed before the period
    recommendations(case(world), "done")  # still open
    v = values([world.yot_a.pk])
    assert v["closed"].value == 6
    assert v["plans_completed"].value == 2 and v["plans_completed"].denominator == 6


def test_reviews_on_time_and_late(world):
    c1, c2 = case(world), case(world)
    for held, due, kind in [
        (dt.date(2026, 1, 9), dt.date(2026, 1, 10), "scheduled"),  # early: on time
        (dt.date(2026, 2, 1), dt.date(2026, 2, 1), "scheduled"),  # on the day: on time
        (dt.date(2026, 2, 20), dt.date(2026, 2, 1), "ad_hoc"),  # ad hoc: not counted
        (dt.date(2026, 3, 31), None, "scheduled"),  # no date was agreed: not counted
    ]:
        Review.objects.create(case=c1, held_on=held, due_on=due, kind=kind)
    Review.objects.create(case=c2, held_on=dt.date(2026, 3, 2), due_on=dt.date(2026, 3, 1))
    Review.objects.create(  # late, but held outside the period
        case=case(world), held_on=dt.date(2026, 4, 1), due_on=dt.date(2026, 3, 1)
    )
    v = values([world.yot_a.pk])
    assert v["reviews_held"].value == 5
    assert (v["reviews_on_time"].value, v["reviews_on_time"].denominator) == (2, 3)
    assert v["late_reviews"].value == 1
    drill = figures.drill_cases([world.yot_a.pk], Q1, "late_reviews")
    assert list(drill) == [c2]


def test_time_to_reoffend_and_gaps_between_offences(world):
    from referrals.models import Offence

    c = case(world, opened_on=dt.date(2025, 6, 1))
    _held_meeting(world, c, dt.date(2025, 6, 1))  # ECM starts at the formulation meeting
    for day in (dt.date(2025, 3, 1), dt.date(2025, 5, 1)):  # a gap of 61 days before ECM
        Offence.objects.create(case=c, date=day, offence_type="x", gravity=3)
    for day in (dt.date(2025, 8, 1), dt.date(2026, 2, 1)):  # 61 days in; a gap of 184
        Offence.objects.create(case=c, date=day, offence_type="y", gravity=2)
    d = case(world, opened_on=dt.date(2025, 10, 1))
    _held_meeting(world, d, dt.date(2025, 10, 1))
    Offence.objects.create(case=d, date=dt.date(2025, 10, 11), offence_type="z")  # 10 days in
    # A case closed before the period does not count.
    old = case(world, status="closed", opened_on=dt.date(2024, 1, 1), closed_on=dt.date(2025, 1, 1))
    Offence.objects.create(case=old, date=dt.date(2024, 1, 2), offence_type="z")
    v = values([world.yot_a.pk])
    assert (v["gap:before"].value, v["gap:before"].n) == (61, 1)
    assert (v["gap:during"].value, v["gap:during"].n) == (184, 1)
    assert (v["time_to_reoffend"].value, v["time_to_reoffend"].n) == (round((61 + 10) / 2), 2)
    assert v["gravity:during"].value == 2.0  # the gravity-less offence is not in the mean
    assert figures.shown_row(v["time_to_reoffend"]) == "—"  # a mean over two children


def test_referral_to_meeting_against_the_one_month_target(world):
    for submitted, met in [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 20)),  # 19 days
        (dt.date(2026, 1, 1), dt.date(2026, 2, 15)),  # 45 days
        (dt.date(2025, 12, 1), dt.date(2026, 3, 31)),  # 120 days, on the period's last day
        (dt.date(2026, 3, 1), dt.date(2026, 4, 1)),  # met after the period
    ]:
        c = case(world)
        referral(c, submitted)
        held_meeting(
            case=c,
            starts_at=aware(met),
            status="held",
            chair=world.senior,
            psychologist=world.psychologist,
        )
    v = values([world.yot_a.pk])
    assert [v[k].value for k in ("referral:on_time", "referral:late", "referral:very_late")] == [
        1,
        1,
        1,
    ]
    assert v["referral_to_meeting"].value == round((19 + 45 + 120) / 3)


def test_trm_movement_counts_records_up_to_the_end_of_the_period(world):
    framework = TRMFramework.objects.get(code="practice-stages")
    c = case(world)
    meeting = held_meeting(
        case=c,
        starts_at=aware(dt.date(2025, 7, 1)),
        status="held",
        chair=world.senior,
        psychologist=world.psychologist,
    )
    TRMPlacement.objects.create(meeting=meeting, stage=framework.stages.get(number=3))
    for held, number in [(dt.date(2026, 2, 1), 4), (dt.date(2026, 4, 2), 1)]:
        review = Review.objects.create(case=c, held_on=held)
        TRMStageRecord.objects.create(
            case=c, review=review, stage=framework.stages.get(number=number), recorded_on=held
        )
    assert values([world.yot_a.pk])["trm:up"].value == 1  # the April record is after Q1
    later = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert values([world.yot_a.pk], later)["trm:down"].value == 1
    assert list(figures.drill_cases([world.yot_a.pk], later, "trm:down")) == [c]


def test_generated_dataset_keeps_the_queries_constant_and_its_facts_consistent(world):
    """`generate_data` at a small size: every dashboard table gets figures, the dashboard
    costs the same number of queries as on an (almost) empty database, and the stored facts
    the figures read (each review's due date, each closure's plan) agree with the services'
    own rules."""
    from django.core.management import call_command

    from ecm.models import Team
    from reviews.models import Closure
    from reviews.selectors import plan_completed, review_due_on

    period = Period(timezone.localdate() - dt.timedelta(days=365), timezone.localdate())

    def run(team_ids):
        with CaptureQueriesContext(connection) as ctx:
            rows = values(team_ids, period)
        return rows, len(ctx.captured_queries)

    _rows, few = run([world.yot_a.pk])
    call_command(
        "generate_data",
        teams=2,
        children=160,
        reviews=500,
        timeline=400,
        seed=7,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    generated = list(Team.objects.filter(code__startswith="gen7-").values_list("pk", flat=True))
    rows, many = run(generated)
    assert many == few
    for key in ("reviewed", "reviews_held", "closed", "formulations", "trm:up", "trm:same"):
        assert rows[key].value > 0, key
    assert rows["reviews_on_time"].denominator > 0
    assert rows["plans_completed"].value > 0
    assert sum(rows[k].value for k in ("referral:on_time", "referral:late")) > 0
    for review in Review.objects.filter(case__team_id__in=generated).order_by("pk"):
        assert review.due_on == review_due_on(review), review
    for closure in Closure.objects.filter(case__team_id__in=generated).order_by("pk"):
        assert closure.plan_completed == plan_completed(closure.case), closure
    assert_ecm_start_stored(Case.objects.filter(team_id__in=generated))
    # Endings as the product records them: before ECM not carried forward (with its reason)
    # or consent refused, no closure record; a closed case was on ECM and has its closure.
    mine = Case.objects.filter(team_id__in=generated)
    for status in ("not_carried_forward", "consent_refused", "closed"):
        assert mine.filter(status=status).exists(), status
    assert not mine.filter(status="closed", ecm_started_on__isnull=True).exists()
    assert not mine.filter(status="closed", closure__isnull=True).exists()
    before = mine.filter(status__in=["not_carried_forward", "consent_refused"])
    assert not before.filter(ecm_started_on__isnull=False).exists()
    assert not before.filter(closure__isnull=False).exists()
    assert not mine.filter(status="not_carried_forward", not_carried_forward_reason="").exists()


def test_reoffending_after_ecm(world):
    from referrals.models import Offence

    closed = case(
        world, status="closed", opened_on=dt.date(2025, 1, 1), closed_on=dt.date(2025, 10, 1)
    )
    Offence.objects.create(case=closed, date=dt.date(2025, 5, 1), offence_type="x", gravity=2)
    later = case(world, child=closed.child, opened_on=dt.date(2026, 1, 5))
    for day, gravity in ((dt.date(2026, 1, 10), 3), (dt.date(2026, 2, 20), 5)):
        Offence.objects.create(case=later, date=day, offence_type="y", gravity=gravity)
    Offence.objects.create(case=later, date=dt.date(2026, 4, 2), offence_type="z", gravity=8)
    v = values([world.yot_a.pk])
    assert v["reoffended_after"].value == 1
    assert (v["gravity:after"].value, v["gravity:after"].n) == (4.0, 1)  # not the April one
    assert (v["gap:after"].value, v["gap:after"].n) == (41, 1)
    assert (v["time_to_reoffend_after"].value, v["time_to_reoffend_after"].n) == (101, 1)


def test_reoffended_after_counts_later_episodes_in_other_teams_as_its_drill_down(world):
    """A closed case of the chosen team counts as reoffended after ECM when its child
    offended after the closure on a later episode held by another team; the dashboard's
    count (taken with the after-ECM figures) and the drill-down's list agree, for one team
    and for every team."""
    from referrals.models import Offence

    for later_team in (world.yot_a, world.yot_b):
        closed = case(
            world, status="closed", opened_on=dt.date(2025, 1, 1), closed_on=dt.date(2025, 10, 1)
        )
        later = case(world, team=later_team, child=closed.child, opened_on=dt.date(2026, 1, 5))
        Offence.objects.create(case=later, date=dt.date(2026, 2, 1), offence_type="y", gravity=3)
    # Closed in team B, reoffending in team A: not team A's figure.
    other = case(
        world,
        team=world.yot_b,
        status="closed",
        opened_on=dt.date(2025, 1, 1),
        closed_on=dt.date(2025, 10, 1),
    )
    again = case(world, child=other.child, opened_on=dt.date(2026, 1, 5))
    Offence.objects.create(case=again, date=dt.date(2026, 3, 1), offence_type="z", gravity=2)
    for team_ids, expected in (([world.yot_a.pk], 2), ([world.yot_a.pk, world.yot_b.pk], 3)):
        v = values(team_ids)
        drilled = figures.drill_cases(team_ids, Q1, "reoffended_after")
        assert v["reoffended_after"].value == expected == drilled.count()
        assert v["time_to_reoffend_after"].n == expected


def _held_meeting(world, c, day: dt.date, stage=None):
    meeting = held_meeting(
        case=c,
        starts_at=aware(day),
        status="held",
        chair=world.senior,
        psychologist=world.psychologist,
    )
    if stage is not None:
        TRMPlacement.objects.create(meeting=meeting, stage=stage)
    return meeting


def test_trm_movement_compares_the_first_placement_with_the_latest_record(client, world):
    """Per case open in the period: the stage recorded last up to the period's end (the
    later record of a day when there are two) against the placement at the case's first
    formulation meeting (the earlier-made of two meetings at the same moment). Cases missing
    either side, outside the period or of another team do not count; each direction drills
    down to exactly its cases."""
    stage = {s.number: s for s in TRMFramework.objects.get(code="practice-stages").stages.all()}
    feb = dt.date(2026, 2, 1)

    def record(c, number, on=feb):
        return TRMStageRecord.objects.create(case=c, stage=stage[number], recorded_on=on)

    # Down: the first meeting placed at 3 (a later one at 1 does not count).
    first_meeting = case(world)
    _held_meeting(world, first_meeting, dt.date(2025, 7, 1), stage[3])
    _held_meeting(world, first_meeting, dt.date(2025, 9, 1), stage[1])
    record(first_meeting, 2)
    # Up: two records on one day, the later-made (4) wins over the earlier-made (2).
    same_day = case(world)
    _held_meeting(world, same_day, dt.date(2025, 7, 1), stage[3])
    record(same_day, 2)
    record(same_day, 4)
    # Down: two meetings at the same moment, the earlier-made (4) is the first.
    tie = case(world)
    _held_meeting(world, tie, dt.date(2025, 7, 1), stage[4])
    _held_meeting(world, tie, dt.date(2025, 7, 1), stage[1])
    record(tie, 3)
    # Same: placed at 2, at 2 at the latest review (an earlier record at 5 is not the latest;
    # one after the period's end is not counted).
    same = case(world)
    _held_meeting(world, same, dt.date(2025, 7, 1), stage[2])
    record(same, 5, on=dt.date(2025, 12, 1))
    record(same, 2)
    record(same, 6, on=dt.date(2026, 4, 1))
    # Not counted: no record; no placement; closed before the period; opened after it.
    _held_meeting(world, case(world), dt.date(2025, 7, 1), stage[2])
    record(case(world), 4)
    closed = case(
        world, status="closed", opened_on=dt.date(2025, 1, 1), closed_on=dt.date(2025, 12, 31)
    )
    _held_meeting(world, closed, dt.date(2025, 2, 1), stage[1])
    record(closed, 3, on=dt.date(2025, 11, 1))
    later = case(world, status="preparation", opened_on=dt.date(2026, 4, 1))
    _held_meeting(world, later, dt.date(2026, 1, 1), stage[1])
    record(later, 3)
    # Another team's case, up.
    other = case(world, team=world.yot_b)
    _held_meeting(world, other, dt.date(2025, 7, 1), stage[1])
    record(other, 5)

    expected = {"up": {same_day}, "same": {same}, "down": {first_meeting, tie}}
    every = list(Team.objects.values_list("pk", flat=True))  # the dashboard's unscoped path
    for team_ids, extra_up in (([world.yot_a.pk], set()), (every, {other})):
        v = values(team_ids)
        for direction, cases in expected.items():
            key = f"trm:{direction}"
            cases = cases | extra_up if direction == "up" else cases
            assert v[key].value == len(cases), (team_ids, key)
            assert v[key].denominator == 4 + len(extra_up)
            assert set(figures.drill_cases(team_ids, Q1, key)) == cases, (team_ids, key)
    client.force_login(world.manager)
    drill = client.get(
        reverse("monitoring:drill", args=["trm:down"]) + "?start=2026-01-01&end=2026-03-31"
    )
    assert {c.pk for c in drill.context["page"].object_list} == {first_meeting.pk, tie.pk}


def _trm_movement_in_python(team_ids, period: Period) -> dict[int, str]:
    """The TRM movement figure's rule, stated over all the rows in plain Python: case id ->
    "up", "same" or "down"."""
    from ecm.models import Case

    cases = Case.objects.filter(opened_on__lte=period.end).exclude(closed_on__lt=period.start)
    if team_ids is not None:
        cases = cases.filter(team_id__in=team_ids)
    open_ids = set(cases.values_list("pk", flat=True))
    first, latest = {}, {}
    placements = TRMPlacement.objects.select_related("meeting", "stage")
    for p in sorted(placements, key=lambda p: (p.meeting.starts_at, p.meeting_id)):
        first.setdefault(p.meeting.case_id, p.stage.number)
    records = TRMStageRecord.objects.filter(recorded_on__lte=period.end).select_related("stage")
    for r in sorted(records, key=lambda r: (r.recorded_on, r.pk)):
        latest[r.case_id] = r.stage.number
    out = {}
    for case_id in open_ids & first.keys() & latest.keys():
        was, now = first[case_id], latest[case_id]
        out[case_id] = "up" if now > was else "down" if now < was else "same"
    return out


def test_trm_movement_on_generated_data_follows_its_rule(world):
    """On a generated dataset (many cases, meetings, placements and records), the dashboard's
    TRM movement and each drill-down agree with the rule computed in plain Python, for every
    team and for one, over two periods."""
    from django.core.management import call_command

    call_command(
        "generate_data",
        teams=2,
        children=160,
        reviews=600,
        timeline=0,
        seed=5,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    generated = list(Team.objects.filter(code__startswith="gen5-").values_list("pk", flat=True))
    today = timezone.localdate()
    for period in (
        Period(today - dt.timedelta(days=365), today),
        Period(today - dt.timedelta(days=240), today - dt.timedelta(days=150)),
    ):
        every = list(Team.objects.values_list("pk", flat=True))
        for team_ids in (every, generated, generated[:1]):
            expected = _trm_movement_in_python(team_ids, period)
            assert len(set(expected.values())) == 3  # the data moves every way
            v = values(team_ids, period)
            for direction in ("up", "same", "down"):
                key = f"trm:{direction}"
                ids = {pk for pk, d in expected.items() if d == direction}
                assert v[key].value == len(ids), (period, team_ids, key)
                assert v[key].denominator == len(expected)
                drilled = figures.drill_cases(team_ids, period, key)
                assert set(drilled.values_list("pk", flat=True)) == ids, (period, team_ids, key)


def test_every_count_that_drills_down_lists_as_many_cases_as_it_counts(world):
    """On a generated dataset, for every team and for one: each drillable figure's count (some
    are counted in the case aggregate, others with the checks, the reviews or the offences
    after closure) equals the number of cases its drill-down lists: as the worker computes
    and stores them (`readmodel`) and the page reads them back, and as computed live."""
    from django.core.management import call_command

    call_command(
        "generate_data",
        teams=2,
        children=160,
        reviews=600,
        timeline=0,
        seed=9,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    generated = list(Team.objects.filter(code__startswith="gen9-").values_list("pk", flat=True))
    period = Period(timezone.localdate() - dt.timedelta(days=365), timezone.localdate())
    every = list(Team.objects.values_list("pk", flat=True))
    for team_ids in (every, generated[:1]):
        live = every_table(team_ids, period)
        stored = [
            table
            for section in ("dashboard", "profile", "fidelity")
            for table in readmodel.tables_of(readmodel.compute_now(section, team_ids, period))
        ]
        assert [readmodel.table_to_dict(t) for t in stored] == [
            readmodel.table_to_dict(t) for t in live
        ]
        drillable = [row for table in stored for row in table.rows if row.drill]
        assert sum(1 for row in drillable if row.value) > 30
        for row in drillable:
            listed = figures.drill_cases(team_ids, period, row.key).count()
            assert listed == row.value, (team_ids == every, row.key)
