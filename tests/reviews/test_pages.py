"""The review pages' forms as a user meets them: every control labelled, ids used once,
errors said at the field they belong to, an action's status changed from its row, and the
baseline survey read by its answers' names."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.models import Action, OutcomeDomain
from tests.ecm import pages


@pytest.fixture
def actions(world, formulated):
    today = timezone.localdate()
    return [
        services.action_add(
            actor=world.case_manager,
            case=formulated,
            data={"description": text, "owner_user": world.case_manager, "due_on": today + delta},
        )
        for text, delta in (
            ("Book the speech and language screen", dt.timedelta(days=-3)),
            ("Agree the boxing club transport", dt.timedelta(days=10)),
        )
    ]


@pytest.mark.parametrize("name", ["overview", "review_new", "close", "baseline", "contacts"])
def test_review_pages_label_every_control(client, world, actions, name):
    client.force_login(world.case_manager)
    response = client.get(reverse(f"reviews:{name}", args=[actions[0].case_id]))
    assert response.status_code == 200
    pages.assert_accessible_form_page(response.content.decode())


def test_each_action_row_changes_its_own_status(client, world, actions):
    client.force_login(world.case_manager)
    body = client.get(reverse("reviews:overview", args=[actions[0].case_id])).content.decode()
    root = pages.parse(body)
    for action in actions:
        url = reverse("reviews:action_status", args=[action.pk])
        (form,) = [f for f in root.iter("form") if f.attrs.get("action") == url]
        (select,) = form.iter("select")
        assert select.attrs["name"] == "status"
        # The label is for screen readers (the row and column headers show it).
        assert pages.label_of(root, select) == f"Status of {action.description}*"
        chosen = [o.attrs["value"] for o in select.iter("option") if "selected" in o.attrs]
        assert chosen == [Action.Status.OPEN]
    client.post(reverse("reviews:action_status", args=[actions[0].pk]), {"status": "done"})
    actions[0].refresh_from_db()
    assert actions[0].status == "done"


def test_closure_errors_are_said_at_each_field(client, world, formulated):
    client.force_login(world.case_manager)
    response = client.post(
        reverse("reviews:close", args=[formulated.pk]), {"version": formulated.version}
    )
    assert response.status_code == 400
    body = response.content.decode()
    invalid = pages.invalid_controls(body)
    for domain in OutcomeDomain.values:
        assert "required" in invalid[f"change_{domain}"], domain
        assert "required" in invalid[f"concern_{domain}"], domain
    assert "required" in invalid["reason"]
    pages.assert_accessible_form_page(body)
    formulated.refresh_from_db()
    assert formulated.status == "active"


def test_baseline_is_read_by_its_answers_for_those_who_may_not_rate(client, world, formulated):
    ratings = {f"concern_{d}": "medium" for d in OutcomeDomain.values}
    client.force_login(world.case_manager)
    assert (
        client.post(reverse("reviews:baseline", args=[formulated.pk]), ratings).status_code == 302
    )
    client.force_login(world.psychologist)
    body = client.get(reverse("reviews:baseline", args=[formulated.pk])).content.decode()
    assert pages.controls(body) == []  # nothing to fill in
    rows = pages.table_rows(body, caption="Outcome survey at formulation")
    assert len(rows) == len(OutcomeDomain.values)
    assert {answer for _domain, answer in rows} == {"Medium"}
