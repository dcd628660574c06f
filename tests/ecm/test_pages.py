"""The core pages' forms as a user meets them: every control labelled, ids used once, and
the case page's status buttons each sending their own move."""

import pytest
from django.urls import reverse

from ecm.models import Case
from tests.ecm import pages
from tests.factories import CaseFactory


@pytest.mark.parametrize(
    "who, url",
    [
        ("case_manager", lambda w: reverse("case_detail", args=[w.case.pk])),
        ("manager", lambda w: reverse("case_detail", args=[w.referred_case.pk])),
        ("manager", lambda w: reverse("case_list")),
        ("manager", lambda w: reverse("home")),
        ("manager", lambda w: reverse("audit_log")),
        ("case_manager", lambda w: reverse("search")),
        ("case_manager", lambda w: reverse("child_create")),
        ("case_manager", lambda w: reverse("notification_preferences")),
    ],
)
def test_core_pages_label_every_control(client, world, who, url):
    client.force_login(getattr(world, who))
    response = client.get(url(world))
    assert response.status_code == 200
    pages.assert_accessible_form_page(response.content.decode())


def test_case_filters_keep_their_labels_and_choices(client, world):
    client.force_login(world.manager)
    body = client.get(reverse("case_list") + "?status=active&open_only=on").content.decode()
    root = pages.parse(body)
    labels = {c.attrs["name"]: pages.label_of(root, c) for c in pages.controls(body)}
    assert labels == {
        "status": "Status",
        "team": "Team",
        "case_manager": "Case manager",
        "open_only": "Open cases only",
    }
    status = next(c for c in root.iter("select") if c.attrs["name"] == "status")
    assert [o.text() for o in status.iter("option") if "selected" in o.attrs] == ["Active"]
    (box,) = (c for c in root.iter("input") if c.attrs.get("name") == "open_only")
    assert "checked" in box.attrs


def test_the_case_page_shows_the_next_step_first_and_the_ending_after_it(client, world):
    """No button on the case page moves the status: a case in preparation becomes active
    when its formulation meeting is recorded as held (complete, or with the reason why not),
    so the page names that next step; the ending is a secondary link after it."""
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="preparation")
    client.force_login(world.senior)
    body = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'name="transition"' not in body
    step = body.index("recording it as held makes the case active")
    assert step < body.index(reverse("case_not_carried_forward", args=[case.pk]))


def test_a_new_case_cannot_be_ended_from_its_page(client, world):
    """The case page of a potential case has no form that ends it: "close" is not a move
    it accepts, and the ending's own page asks for a reason first."""
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'value="close"' not in body


def test_not_carried_forward_without_a_reason_keeps_what_was_typed(client, world):
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    client.force_login(world.manager)
    response = client.post(
        reverse("case_not_carried_forward", args=[case.pk]),
        {"version": case.version, "detail": "Moved to Cardiff before the referral"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose an answer to “Why is the case not carried forward to ECM?”" in body
    assert "Moved to Cardiff before the referral" in body
    pages.assert_accessible_form_page(body)
    # "Other" needs its text; a stale version is refused with the typed text kept.
    response = client.post(
        reverse("case_not_carried_forward", args=[case.pk]),
        {"version": case.version, "reason": "other"},
    )
    assert response.status_code == 400
    assert "Say what the other reason is" in response.content.decode()
    response = client.post(
        reverse("case_not_carried_forward", args=[case.pk]),
        {"version": case.version + 1, "reason": "other", "detail": "Family moved"},
    )
    assert response.status_code == 409
    assert "Family moved" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "potential"


def test_a_child_not_carried_forward_can_start_a_new_episode(client, world):
    """A case that ended before ECM (not carried forward, consent refused, not accepted) is
    the child's latest episode: a new potential episode can start from its page, for the
    owning team only."""
    from ecm import services

    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    services.case_not_carried_forward(actor=world.case_manager, case=case, reason="not_ready")
    url = reverse("case_start_again", args=[case.pk])
    client.force_login(world.other_case_manager)
    assert client.post(url).status_code == 404
    client.force_login(world.psychologist)
    assert client.post(url).status_code == 403
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert url in body
    response = client.post(url)
    assert response.status_code == 302
    new = Case.objects.get(child=case.child, status="potential")
    assert new.pk != case.pk and new.case_manager == world.case_manager
    assert new.previous_case is None  # a fresh referral: nothing to carry forward
    # The old episode is no longer the child's latest: no second new episode from it.
    assert client.post(url).status_code == 403
