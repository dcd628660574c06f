"""Trends: the headline figures by quarter over the last two years, each quarter counted as
the dashboard counts it for that quarter, in one query; the page in the dashboard's modes
(exact counts for one's own teams, small cells hidden otherwise), constant in queries, for
those who see the dashboard only."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm.models import Role
from monitoring import figures, trends
from referrals.models import Referral
from tests.factories import CaseFactory, held_meeting, member

URL = reverse("monitoring:trends")


def aware(day: dt.date, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_eight_quarters_oldest_first_the_running_one_to_date():
    qs = trends.quarters_to(dt.date(2026, 5, 15))
    assert len(qs) == 8
    assert (qs[0].period.start, qs[0].period.end) == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
    assert (qs[-1].period.start, qs[-1].period.end) == (dt.date(2026, 4, 1), dt.date(2026, 5, 15))
    assert [q.to_date for q in qs] == [False] * 7 + [True]
    assert qs[-1].label == "Apr–Jun 2026"
    assert trends.quarter_name(qs[-1]) == "Apr–Jun 2026, to date"
    assert trends.quarter_name(qs[0]) == "Jul–Sep 2024"
    # On a quarter's last day that quarter is whole.
    last = trends.quarters_to(dt.date(2026, 3, 31))[-1]
    assert (last.period.start, last.period.end, last.to_date) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
        False,
    )
    # Contiguous: each quarter starts the day after the one before ends.
    for before, after in zip(qs, qs[1:], strict=False):
        assert after.period.start == before.period.end + dt.timedelta(days=1)


def _cohort(world):
    """Cases referred, formulated and closed across several quarters, in two teams."""
    made = []
    for i, (opened, met, closed) in enumerate(
        [
            (dt.date(2025, 1, 5), dt.date(2025, 2, 10), dt.date(2025, 11, 30)),
            (dt.date(2025, 3, 31), dt.date(2025, 4, 1), None),
            (dt.date(2025, 6, 30), dt.date(2025, 9, 30), dt.date(2026, 1, 1)),
            (dt.date(2025, 10, 1), None, None),
            (dt.date(2026, 2, 1), dt.date(2026, 3, 31), None),
        ]
    ):
        team = world.yot_b if i == 0 else world.yot_a
        c = CaseFactory(
            team=team,
            case_manager=world.case_manager,
            status="closed" if closed else ("active" if met else "referred"),
            opened_on=opened,
            closed_on=closed,
            closure_reason="order_completed" if closed else "",
        )
        Referral.objects.create(case=c, status="submitted", submitted_at=aware(opened))
        if met:
            held_meeting(
                case=c,
                starts_at=aware(met),
                chair=world.senior,
                psychologist=world.psychologist,
            )
        made.append(c)
    return made


def test_each_quarter_equals_the_dashboards_figure_for_that_quarter(world):
    _cohort(world)
    day = dt.date(2026, 3, 31)
    for team_ids in ([world.yot_a.pk], [world.yot_a.pk, world.yot_b.pk, world.central.pk]):
        quarters, rows = trends.trends(team_ids, day)
        assert [r.key for r in rows] == list(trends.TREND_KEYS)
        seen = 0
        for i, quarter in enumerate(quarters):
            board = {
                row.key: row.value
                for table in figures.dashboard(team_ids, quarter.period)
                for row in table.rows
            }
            for row in rows:
                assert row.values[i] == board[row.key], (team_ids, quarter.label, row.key)
                seen += row.values[i]
        assert seen > 10  # the cohort shows in the trends, not only zeros


def test_trends_cost_one_query(world):
    _cohort(world)
    with CaptureQueriesContext(connection) as ctx:
        trends.trends([world.yot_a.pk], dt.date(2026, 3, 31))
    # The team list (is it every team?) and the one aggregate.
    assert len(ctx.captured_queries) == 2


def test_page_exact_for_own_teams_hidden_otherwise_and_constant_queries(client, world):
    made = _cohort(world)
    client.force_login(world.manager)
    query = f"?end=2026-03-31&teams={world.yot_a.pk}"
    page = client.get(URL + query)
    assert page.status_code == 200
    assert page.context["exact"] is True
    body = page.content.decode()
    assert "Exact counts" in body and body.count("<svg") == len(trends.TREND_KEYS)
    referred = next(r for r in page.context["rows"] if r.key == "referred")
    assert referred.shown[-1] == "1"  # 1 February 2026, Alpha
    assert "Jan–Mar 2026" in body and 'aria-current="page"' in body
    # Someone who cannot open Alpha's cases: small numbers hidden, in the charts too.
    central_manager = member(world.central, Role.MANAGER, username="mgr_c")
    client.force_login(central_manager)
    page = client.get(URL + query)
    assert page.context["exact"] is False
    referred = next(r for r in page.context["rows"] if r.key == "referred")
    assert referred.shown[-1] == "<5"
    assert ">1<" not in referred.svg
    # More data: the same number of queries.
    client.force_login(world.manager)
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL + query)
    few = len(ctx.captured_queries)
    made += _cohort(world)
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL + query)
    assert len(ctx.captured_queries) == few


@pytest.mark.parametrize("who", ["case_manager", "psychologist"])
def test_only_dashboard_readers_see_trends(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(URL).status_code == 404


def test_the_dashboard_links_to_its_trends(client, world):
    client.force_login(world.manager)
    body = client.get(reverse("monitoring:dashboard") + "?end=2026-03-31").content.decode()
    assert 'id="trends-link"' in body and reverse("monitoring:trends") + "?end=2026-03-31" in body
