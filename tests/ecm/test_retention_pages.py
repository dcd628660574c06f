"""The retention pages (issue 20): who sees them, the two-person rule through the UI, the
erasure's progress page, and a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ecm import erasure, queueing, retention
from ecm.models import AuditEvent, ErasureRequest, LegalHold, RetentionReview, Role
from tests.ecm.pages import assert_accessible_form_page, table_rows, text
from tests.ecm.test_retention import closed_child
from tests.factories import CaseFactory, member

pytestmark = pytest.mark.django_db
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_ECM_BACKGROUND_POLL": "1"}


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(
        queueing.current_app, "send_task", lambda name, args, **kw: sent.append((name, args))
    )
    return sent


@pytest.fixture
def due(world):
    """A child of Alpha YOT due for review, and one of Bravo YOT."""
    kid = closed_child(world.yot_a, first_name="Zebedee", last_name="Quist")
    closed_child(world.yot_b, first_name="Other", last_name="Teamchild")
    retention.retention_find_due()
    return RetentionReview.objects.get(child=kid)


@pytest.fixture
def second_manager(world):
    return member(world.yot_a, Role.MANAGER, username="mgr_a2")


@pytest.fixture
def dpo(world):
    return member(world.yot_a, Role.DPO, username="dpo_a")


def _get(client, user, name, *args, **extra):
    client.force_login(user)
    return client.get(reverse(name, args=args), **extra)


def test_managers_see_their_teams_records_due(client, world, due):
    page = _get(client, world.manager, "retention_due")
    assert page.status_code == 200
    rows = table_rows(page.content.decode(), "Records due for retention review")
    assert [row[0] for row in rows] == ["Zebedee Quist"]  # not Bravo's child
    event = AuditEvent.objects.get(detail="retention review list")
    assert event.listed == {"children": [due.child_id]}
    assert "Retention" in text(_get(client, world.manager, "home").content.decode())


def test_the_dpo_sees_the_list_without_names(client, world, due, dpo):
    page = _get(client, dpo, "retention_due")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Zebedee" not in html
    assert f"Child #{due.child_id}" in text(html)
    review = _get(client, dpo, "retention_review", due.pk).content.decode()
    assert "Zebedee" not in review
    assert "Propose erasure" not in text(review)  # a manager decides
    assert "Place a legal hold" in text(review)


@pytest.mark.parametrize(
    "who", ["case_manager", "senior", "psychologist", "team_admin", "outsider", "superuser"]
)
def test_other_roles_get_404(client, world, due, who):
    user = getattr(world, who)
    assert _get(client, user, "retention_due").status_code == 404
    assert _get(client, user, "retention_review", due.pk).status_code == 404


def test_another_teams_manager_gets_404(client, world, due, second_manager, queued):
    assert _get(client, world.other_manager, "retention_review", due.pk).status_code == 404
    request = retention.erasure_propose(actor=world.manager, review=due, reason="Rule reached")
    assert _get(client, world.other_manager, "erasure_request", request.pk).status_code == 404
    response = client.post(reverse("erasure_request", args=[request.pk]), {"action": "approve"})
    assert response.status_code == 404
    assert ErasureRequest.objects.get().status == ErasureRequest.Status.PROPOSED


def test_review_page_forms_are_labelled_and_keep_what_was_typed(client, world, due):
    page = _get(client, world.manager, "retention_review", due.pk)
    html = page.content.decode()
    assert_accessible_form_page(html)
    assert "Zebedee Quist" in text(html)
    response = client.post(
        reverse("retention_review", args=[due.pk]),
        {"action": "keep", "keep-keep_until": "", "keep-reason": "A complaint is expected"},
    )
    assert response.status_code == 200
    assert "A complaint is expected" in response.content.decode()
    due.refresh_from_db()
    assert due.decision == RetentionReview.Decision.PENDING
    until = dt.date.today() + dt.timedelta(days=90)
    response = client.post(
        reverse("retention_review", args=[due.pk]),
        {"action": "keep", "keep-keep_until": until.isoformat(), "keep-reason": "Complaint"},
    )
    assert response.status_code == 302
    due.refresh_from_db()
    assert (due.decision, due.keep_until) == (RetentionReview.Decision.KEEP, until)


def test_the_dpo_cannot_keep_or_propose(client, world, due, dpo):
    client.force_login(dpo)
    url = reverse("retention_review", args=[due.pk])
    assert client.post(url, {"action": "erase", "erase-reason": "x"}).status_code == 403
    assert client.post(url, {"action": "hold", "hold-reason": "Litigation"}).status_code == 302
    assert LegalHold.objects.get().placed_by == dpo


def test_hold_lifted_through_its_page(client, world, due):
    hold = retention.legal_hold_place(actor=world.manager, review=due, reason="Complaint")
    page = _get(client, world.manager, "retention_due")
    assert [r[0] for r in table_rows(page.content.decode(), "Legal holds in force")] == [
        "Zebedee Quist"
    ]
    url = reverse("retention_hold_lift", args=[hold.pk])
    assert_accessible_form_page(client.get(url).content.decode())
    assert client.post(url, {"lift_reason": ""}).status_code == 200  # the reason is needed
    assert client.post(url, {"lift_reason": "Closed"}).status_code == 302
    hold.refresh_from_db()
    assert not hold.is_active
    assert _get(client, world.other_manager, "retention_hold_lift", hold.pk).status_code == 404


def test_propose_then_another_manager_approves_and_watches_progress(
    client, world, due, second_manager, queued, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(world.manager)
    response = client.post(
        reverse("retention_review", args=[due.pk]),
        {"action": "erase", "erase-reason": "Retention period reached"},
    )
    request = ErasureRequest.objects.get()
    assert response.url == reverse("erasure_request", args=[request.pk])
    page = client.get(response.url).content.decode()
    assert "You proposed this erasure" in text(page)
    assert "Approve the erasure" not in page
    # The proposer cannot approve, even by posting directly.
    url = reverse("erasure_request", args=[request.pk])
    assert client.post(url, {"action": "approve"}).status_code == 403
    client.force_login(second_manager)
    decision_page = client.get(url).content.decode()
    assert "Approve the erasure" in decision_page
    assert_accessible_form_page(decision_page)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "approve"}).status_code == 302
    assert queued == [(retention.RUN_ERASURE, (request.pk,))]
    # While it runs, the page polls itself in the background (the session is not extended).
    ErasureRequest.objects.filter(pk=request.pk).update(
        status=ErasureRequest.Status.RUNNING, progress_done=1, progress_total=4, progress_step="x"
    )
    poll = client.get(url, **POLL).content.decode()
    assert 'hx-headers=\'{"X-ECM-Background-Poll": "1"}\'' in poll
    assert 'value="25"' in poll
    assert "<html" not in poll  # the fragment only

    def fake_erase_child(child_id, *, progress=None):
        progress(4, 4, "done")
        return {}

    monkeypatch.setattr(erasure, "erase_child", fake_erase_child)
    ErasureRequest.objects.filter(pk=request.pk).update(status=ErasureRequest.Status.APPROVED)
    assert retention.erasure_run(request.pk) == "done"
    poll = client.get(url, **POLL).content.decode()
    assert "Erased on" in poll and "hx-get" not in poll
    page = client.get(url).content.decode()
    assert "Zebedee" not in page  # the request no longer points at the child


def test_refusal_is_shown_with_its_message_when_an_episode_is_open(
    client, world, due, second_manager
):
    request = retention.erasure_propose(actor=world.manager, review=due, reason="Rule reached")
    CaseFactory(child=due.child, team=world.yot_a, status="potential")
    client.force_login(second_manager)
    url = reverse("erasure_request", args=[request.pk])
    assert "open episode" in text(client.get(url).content.decode())
    response = client.post(url, {"action": "approve"}, follow=True)
    assert "cannot be erased while any episode is open" in text(response.content.decode())
    assert ErasureRequest.objects.get().status == ErasureRequest.Status.PROPOSED


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_pages_cost_a_constant_number_of_queries(client, world, due):
    client.force_login(world.manager)
    small = _count(client, reverse("retention_due"))
    review_small = _count(client, reverse("retention_review", args=[due.pk]))
    for n in range(6):
        closed_child(world.yot_a, first_name=f"Extra{n}")
    retention.retention_find_due()
    reviews = list(RetentionReview.objects.filter(team=world.yot_a, decision="pending"))
    retention.legal_hold_place(actor=world.manager, review=reviews[1], reason="x")
    retention.erasure_propose(actor=world.manager, review=reviews[2], reason="y")
    retention.erasure_propose(actor=world.manager, review=reviews[3], reason="y")
    page = client.get(reverse("retention_due")).content.decode()
    assert len(table_rows(page, "Records due for retention review")) == 4
    assert len(table_rows(page, "Erasures under way")) == 2
    assert _count(client, reverse("retention_due")) == small
    # A review page with more episodes costs the same.
    for _ in range(5):
        CaseFactory(
            child=due.child,
            team=world.yot_a,
            status="closed",
            opened_on=due.last_closed_on - dt.timedelta(days=30),
            closed_on=due.last_closed_on,
        )
    assert _count(client, reverse("retention_review", args=[due.pk])) == review_small


def test_a_dpo_sees_no_childs_record(client, world, dpo):
    """The DPO role gives the retention pages only: no case, no case list entry, no search."""
    assert _get(client, dpo, "home").status_code == 200
    assert _get(client, dpo, "case_detail", world.case.pk).status_code == 404
    assert world.case.child.last_name not in _get(client, dpo, "case_list").content.decode()


RETENTION_MATRIX = [
    # (who, decide: keep/propose, hold, approve another manager's proposal)
    ("manager", True, True, True),
    ("dpo", False, True, True),
    ("senior", False, False, False),
    ("psychologist", False, False, False),
    ("case_manager", False, False, False),
    ("team_admin", False, False, False),
    ("other_manager", False, False, False),
    ("outsider", False, False, False),
    ("superuser", False, False, False),
]


@pytest.mark.parametrize("who,decide,hold,approve", RETENTION_MATRIX)
def test_retention_access_matrix(world, second_manager, dpo, who, decide, hold, approve):
    from ecm.access import Access

    user = dpo if who == "dpo" else getattr(world, who)
    access = Access(user)
    proposal = ErasureRequest(team=world.yot_a, proposed_by=second_manager)
    assert access.can_decide_retention(world.yot_a.pk) is decide
    assert access.can_hold(world.yot_a.pk) is hold
    assert access.can_approve_erasure(proposal) is approve
    # Nobody approves their own proposal.
    assert not Access(second_manager).can_approve_erasure(proposal)
