"""The case status machine, allocation, stale edits and re-opening."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ecm import services
from ecm.editing import StaleEditError
from ecm.models import AuditEvent, Case, ClosureReason
from tests.factories import CaseFactory, ChildFactory


def test_happy_path_through_every_stage(world):
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    case = services.case_mark_ready(actor=world.case_manager, case=case)
    assert case.status == "ready"
    case = services.case_refer(actor=world.case_manager, case=case)
    assert case.status == "referred"
    assert case.referred_to == world.central  # the YOT's central ECM team
    case = services.case_waitlist(actor=world.central_senior, case=case)
    assert case.status == "waiting"
    case = services.case_accept(actor=world.central_senior, case=case)
    assert case.status == "awaiting_consent"
    case = services.case_consent_complete(actor=world.case_manager, case=case)
    assert case.status == "preparation"
    case = services.case_activate(actor=world.central_psychologist, case=case)
    assert case.status == "active"
    case = services.case_close(
        actor=world.case_manager, case=case, reason=ClosureReason.ORDER_COMPLETED
    )
    assert case.status == "closed"
    assert case.closed_on is not None
    assert case.closure_reason == "order_completed"
    moves = AuditEvent.objects.filter(
        object_id=str(case.pk), action=AuditEvent.Action.TRANSITION
    ).values_list("detail", flat=True)
    assert list(moves.order_by("at", "pk")) == [
        "potential → ready",
        "ready → referred",
        "referred → waiting",
        "waiting → awaiting_consent",
        "awaiting_consent → preparation",
        "preparation → active",
        "active → closed",
    ]


def test_illegal_transition_names_both_states(world):
    case = world.case  # active
    with pytest.raises(services.TransitionError) as exc:
        services.case_refer(actor=world.case_manager, case=case)
    message = " ".join(exc.value.messages)
    assert "Active" in message and "Referred" in message
    case.refresh_from_db()
    assert case.status == "active"


def test_activating_a_referred_case_is_refused_with_both_states(world):
    with pytest.raises(services.TransitionError) as refused:
        services.case_activate(actor=world.senior, case=world.referred_case)
    assert "cannot move from “Referred – awaiting decision” to “Active”" in refused.value.message


def test_role_without_the_move_is_refused(world):
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=world.case_manager, case=world.referred_case)


def test_stale_version_is_refused_not_overwritten(world):
    case = world.case
    stale = case.version
    services.case_allocate(
        actor=world.senior, case=case, case_manager=world.case_manager_2, expected_version=stale
    )
    with pytest.raises(StaleEditError):
        services.case_allocate(
            actor=world.manager, case=case, case_manager=None, expected_version=stale
        )
    case.refresh_from_db()
    assert case.case_manager == world.case_manager_2


def test_allocation_only_to_case_managers_of_the_team(world):
    with pytest.raises(ValidationError):
        services.case_allocate(
            actor=world.senior, case=world.case, case_manager=world.other_case_manager
        )


def test_close_needs_a_reason_and_a_sane_date(world):
    with pytest.raises(ValidationError):
        services.case_close(actor=world.case_manager, case=world.case, reason="")
    with pytest.raises(ValidationError):
        services.case_close(
            actor=world.case_manager,
            case=world.case,
            reason="order_completed",
            closed_on=world.case.opened_on - dt.timedelta(days=365),
        )


def test_reopen_links_the_earlier_episode_and_keeps_the_case_manager(world):
    case = services.case_close(actor=world.case_manager, case=world.case, reason="custody")
    new = services.case_reopen(actor=world.case_manager, case=case, reason="reoffended")
    assert new.previous_case == case
    assert new.status == "ready"  # re-opening is the readiness judgement (tests/reviews)
    assert new.case_manager == world.case_manager
    assert new.child == case.child
    with pytest.raises(services.TransitionError):
        services.case_reopen(actor=world.case_manager, case=case, reason="reoffended")


def test_open_case_only_once_per_child(world):
    with pytest.raises(ValidationError):
        services.case_open(actor=world.case_manager, child=world.case.child, team=world.yot_a)


def test_reopen_refuses_open_case(world):
    with pytest.raises(services.TransitionError):
        services.case_reopen(actor=world.case_manager, case=world.case, reason="reoffended")


def test_register_child_through_the_page(client, world):
    client.force_login(world.case_manager)
    data = {
        "first_name": "Megan",
        "last_name": "Rowlands",
        "date_of_birth": (timezone.localdate() - dt.timedelta(days=14 * 365)).isoformat(),
        "gender": "female",
        "ethnicity": "white_british",
        "yot_reference": "AL-1",
        "pnc_number": "not-a-pnc",
        "team": world.yot_a.pk,
    }
    response = client.post("/children/new/", data)
    assert response.status_code == 200  # form error: bad PNC number
    body = response.content.decode()
    assert "Enter a PNC number in the form" in body
    assert 'value="Rowlands"' in body  # what the user typed is kept
    data["pnc_number"] = "19/1234567X"
    response = client.post("/children/new/", data)
    assert response.status_code == 302
    case = Case.objects.get(child__yot_reference="AL-1")
    assert case.case_manager == world.case_manager
    assert case.status == "potential"


def test_child_must_be_of_ecm_age(client, world):
    client.force_login(world.case_manager)
    response = client.post(
        "/children/new/",
        {
            "first_name": "Tiny",
            "last_name": "Tot",
            "date_of_birth": (timezone.localdate() - dt.timedelta(days=2 * 365)).isoformat(),
            "gender": "male",
            "ethnicity": "white_british",
            "yot_reference": "AL-2",
            "team": world.yot_a.pk,
        },
    )
    assert "aged 10 to 17" in response.content.decode()
    assert not ChildFactory._meta.model.objects.filter(yot_reference="AL-2").exists()
