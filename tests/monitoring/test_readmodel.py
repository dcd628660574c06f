"""The monitoring pages' read model: a page never computes its figures; with none stored it
asks the worker and waits (polling), then shows them with the time they were computed; a
refresh is claimed so two never compute one snapshot; beat refreshes what is viewed and the
default views and forgets the rest; the snapshot holds counts only; what depends on the
reader (exact counts or small cells hidden) is decided when shown."""

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm.access import access_for
from ecm.models import Case, Child, Role, Team
from formulation.models import TimelineEvent
from monitoring import readmodel, tasks
from monitoring.figures import Period
from monitoring.models import FigureSnapshot
from referrals.models import Referral
from reviews.models import Review
from tests.factories import member
from tests.monitoring import figures_worker
from tests.monitoring.test_dashboard_page import Q1_QUERY, URL, cards, referred

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_ECM_BACKGROUND_POLL": "1"}
PAGES = ["monitoring:dashboard", "monitoring:profile", "monitoring:fidelity", "monitoring:trends"]


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(readmodel, "queue_task", lambda name, *args: sent.append((name, args)))
    return sent


@pytest.mark.no_figures_worker
@pytest.mark.parametrize("path", PAGES)
def test_a_page_with_no_figures_asks_the_worker_and_waits_for_them(
    client, world, queued, django_capture_on_commit_callbacks, path
):
    for _ in range(3):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    client.force_login(world.manager)
    url = reverse(path) + Q1_QUERY
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    assert page.status_code == 200
    assert "monitoring/figures_waiting.html" in [t.name for t in page.templates]
    body = page.content.decode()
    assert "being computed" in body and 'hx-trigger="every 2s"' in body
    assert "X-ECM-Background-Poll" in body  # polls do not keep the session alive
    assert 'href="?' in body  # without JavaScript: a link that reloads
    snapshot = FigureSnapshot.objects.get()
    assert snapshot.computed_at is None and snapshot.requested_at is not None
    assert queued == [(readmodel.REFRESH_ONE, (snapshot.pk,))]
    assert not _big_tables_read(ctx)  # nothing computed in the request
    # Polling: still waiting (the fragment only), then the figures are there: reload.
    poll = client.get(url, **POLL)
    assert "monitoring/_figures_waiting.html" in [t.name for t in poll.templates]
    assert "<h1" not in poll.content.decode()
    assert readmodel.refresh(snapshot.pk) == "computed"
    poll = client.get(url, **POLL)
    assert poll.status_code == 204 and poll["HX-Redirect"] == url
    page = client.get(url)
    assert "Figures computed at" in page.content.decode()
    assert len(queued) == 1  # asked once


def _big_tables_read(ctx) -> list[str]:
    tables = [m._meta.db_table for m in (Case, Child, Referral, Review, TimelineEvent)]
    return [
        q["sql"] for q in ctx.captured_queries if any(f'"{table}"' in q["sql"] for table in tables)
    ]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_served_from_its_snapshot_reads_no_case_data_and_says_when(client, world, path):
    for _ in range(6):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    client.force_login(world.manager)
    url = reverse(path) + Q1_QUERY
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=6)):
        assert client.get(url).status_code == 200  # computed (by the worker) 6 minutes ago
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    assert page.status_code == 200
    assert not _big_tables_read(ctx), _big_tables_read(ctx)
    assert len(ctx.captured_queries) <= 12
    body = page.content.decode()
    assert "Figures computed at" in body and "6\xa0minutes ago" in body
    assert "lists of cases behind each figure are as of now" in body
    assert f'action="{reverse("monitoring:recompute", args=[path.split(":")[1]])}?' in body


def test_figures_stay_as_computed_until_refreshed_and_equal_their_drill_downs(client, world):
    for _ in range(6):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    client.force_login(world.manager)
    assert cards(client.get(URL + Q1_QUERY))["referred"].shown == "6"
    referred(world, world.yot_a, dt.date(2026, 2, 2))
    assert cards(client.get(URL + Q1_QUERY))["referred"].shown == "6"  # as computed
    figures_worker.recompute()
    page = client.get(URL + Q1_QUERY)
    assert cards(page)["referred"].shown == "7"
    drill = client.get(reverse("monitoring:drill", args=["referred"]) + Q1_QUERY)
    assert drill.context["page"].paginator.count == 7
    for table in page.context["tables"]:
        for row in table.rows:
            if row.drill_url and row.unit == "":
                listed = client.get(row.drill_url + Q1_QUERY).context["page"].paginator.count
                assert listed == row.value, row.key


def test_one_snapshot_shown_exact_or_with_small_cells_hidden_by_the_reader(client, world):
    for _ in range(3):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    central_manager = member(world.central, Role.MANAGER, username="mgr_c")
    shown = {}
    for who in (world.manager, central_manager):
        client.force_login(who)
        page = client.get(URL + Q1_QUERY + f"&teams={world.yot_a.pk}")
        shown[who.username] = cards(page)["referred"].shown
    assert shown == {"mgr_a": "3", "mgr_c": "<5"}
    [snapshot] = FigureSnapshot.objects.all()
    stored = json.dumps(snapshot.data)
    assert "<5" not in stored and '"hidden"' not in stored  # suppression is not stored


def test_a_snapshot_holds_counts_only_no_child_data(world):
    """Erasure needs no eraser for it: no name, reference, date of birth or id of a child."""
    child = world.case.child
    child.first_name, child.last_name, child.yot_reference = "Zebedee", "Quartermaine", "ZQ-77"
    child.save()
    referred(world, world.yot_a, dt.date(2026, 2, 1))
    for section in readmodel.SECTIONS:
        data = readmodel.compute_now(section, [world.yot_a.pk], Q1).data
        text = json.dumps(data)
        for secret in ("Zebedee", "Quartermaine", "ZQ-77", str(child.date_of_birth)):
            assert secret not in text, section
        numbers = _values(data)
        assert all(v is None or isinstance(v, int | float) for v in numbers), section


def _values(data):
    if "tables" in data:
        for table in data["tables"]:
            for row in table["rows"]:
                yield from (row["value"], row["denominator"], row["n"], *row["columns"].values())
        yield from data.get("compared", {}).values()
    else:
        for row in data["rows"]:
            yield from row["values"]


def test_two_refreshes_of_one_snapshot_never_both_compute(world, monkeypatch):
    snapshot = readmodel.compute_now("dashboard", [world.yot_a.pk], Q1)
    computed = []
    real = readmodel.compute
    monkeypatch.setattr(readmodel, "compute", lambda *a: computed.append(a) or real(*a))
    # Asked again; one worker claims it, a second (a doubled task) finds it busy.
    assert readmodel.request(snapshot)
    assert not readmodel.request(snapshot)  # asked once, however often the button is pressed
    FigureSnapshot.objects.filter(pk=snapshot.pk).update(claimed_at=timezone.now())
    assert readmodel.refresh(snapshot.pk) == "busy"
    FigureSnapshot.objects.filter(pk=snapshot.pk).update(claimed_at=None)
    assert readmodel.refresh(snapshot.pk) == "computed"
    assert readmodel.refresh(snapshot.pk) == "fresh"  # the doubled task, later: nothing asked
    assert len(computed) == 1
    # A claim left by a worker that stopped expires.
    FigureSnapshot.objects.filter(pk=snapshot.pk).update(
        requested_at=timezone.now(), claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert readmodel.refresh(snapshot.pk) == "computed"


def test_a_failing_refresh_is_retried_then_reported_on_the_page(client, world, monkeypatch):
    client.force_login(world.manager)
    client.get(URL + Q1_QUERY)  # computed once
    snapshot = FigureSnapshot.objects.get()
    readmodel.request(snapshot)
    tries = []

    def broken(*args):
        tries.append(args)
        raise RuntimeError("database gone")

    monkeypatch.setattr(readmodel, "compute", broken)
    result = tasks.refresh_snapshot.apply(args=[snapshot.pk])
    assert result.get() == "failed"
    assert len(tries) == 1 + tasks.refresh_snapshot.max_retries
    snapshot.refresh_from_db()
    assert snapshot.failed_at is not None and snapshot.claimed_at is None
    body = client.get(URL + Q1_QUERY).content.decode()
    assert "The last recomputation failed" in body and "Figures computed at" in body


def test_recompute_now_is_a_post_for_those_who_see_the_dashboard(client, world, queued):
    url = reverse("monitoring:recompute", args=["dashboard"]) + Q1_QUERY
    client.force_login(world.case_manager)
    assert client.post(url).status_code == 404
    client.force_login(world.manager)
    assert client.get(url).status_code == 405
    assert client.post(reverse("monitoring:recompute", args=["nope"])).status_code == 404
    client.get(URL + Q1_QUERY)
    queued.clear()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == URL + Q1_QUERY
    assert FigureSnapshot.objects.get().requested_at is not None
    client.post(url)
    assert len(queued) <= 1  # asked once (queued after commit)


def test_recompute_refuses_without_a_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.manager)
    assert client.post(reverse("monitoring:recompute", args=["dashboard"])).status_code == 403


def test_beat_refreshes_viewed_and_default_views_and_forgets_the_rest(world, client):
    client.force_login(world.manager)
    client.get(URL + Q1_QUERY)  # viewed: kept and refreshed
    viewed = FigureSnapshot.objects.get()
    old = readmodel.compute_now("profile", [world.yot_b.pk], Q1)
    FigureSnapshot.objects.filter(pk=old.pk).update(
        last_viewed_at=timezone.now() - dt.timedelta(days=4)
    )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        due = readmodel.refresh_due()
    assert not FigureSnapshot.objects.filter(pk=old.pk).exists()  # unviewed for days: gone
    assert viewed.pk in due
    every = tuple(sorted(Team.objects.values_list("pk", flat=True)))
    rolling = FigureSnapshot.objects.filter(rolling=True)
    scopes = {tuple(s.team_ids) for s in rolling}
    assert {(world.yot_a.pk,), (world.yot_b.pk,), (world.central.pk,), every} <= scopes
    assert {s.section for s in rolling} == set(readmodel.SECTIONS)
    assert set(rolling.values_list("pk", flat=True)) <= set(due)
    # Asked for and queued: the next sweep does not queue them again.
    assert readmodel.refresh_due() == []
    for pk in due:
        assert readmodel.refresh(pk) == "computed"
    assert readmodel.refresh_due() == []  # fresh for FIGURES_REFRESH_MINUTES
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        assert set(readmodel.refresh_due()) == set(due)


def test_the_sweep_task_queues_one_refresh_per_snapshot_due(world, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks, "queue_task", lambda name, *args: sent.append((name, args)))
    n = tasks.refresh_figures.apply().get()
    assert n == len(sent) > 0
    assert {name for name, _a in sent} == {readmodel.REFRESH_ONE}


def test_the_default_view_of_yesterday_links_with_its_own_dates(client, world):
    """Figures of the rolling default period computed yesterday (before beat's first
    refresh of the day): the page and its drill-down links count that period."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=1)):
        readmodel.compute_now("dashboard", sorted(access_for(world.manager).dashboard_team_ids))
    client.force_login(world.manager)
    page = client.get(URL)
    assert page.status_code == 200
    snapshot = FigureSnapshot.objects.get()
    assert page.context["period"] == readmodel.period_of(snapshot)
    assert f"end={snapshot.period_end.isoformat()}" in page.context["query"]
    assert snapshot.period_end == timezone.localdate() - dt.timedelta(days=1)


def test_each_language_has_its_own_snapshot(world):
    """The labels are translated when computed: a Welsh reader's figures are stored apart."""
    from django.utils import translation

    for language in ("en-gb", "cy", "en-gb"):
        with translation.override(language):
            readmodel.snapshot_for("dashboard", [world.yot_a.pk], Q1)
    assert sorted(FigureSnapshot.objects.values_list("language", flat=True)) == ["cy", "en-gb"]


@pytest.mark.no_figures_worker
def test_figures_that_never_computed_say_so_and_can_be_asked_again(client, world, queued):
    client.force_login(world.manager)
    client.get(URL + Q1_QUERY)
    snapshot = FigureSnapshot.objects.get()
    readmodel.refresh_failed(snapshot.pk)  # the task's last try failed
    body = client.get(URL + Q1_QUERY).content.decode()
    assert "could not be computed" in body and "every 2s" not in body  # no endless polling
    action = reverse("monitoring:recompute", args=["dashboard"]) + "?" + Q1_QUERY[1:]
    assert f'action="{action}"' in body.replace("&amp;", "&")
    assert client.post(action).status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.requested_at is not None and snapshot.failed_at is None
