"""Consent explained by a colleague, and consent refused (the case ends)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ecm.models import AuditEvent
from referrals import services
from referrals.models import Consent, Decision
from tests.factories import CaseFactory

TODAY = timezone.localdate()


@pytest.fixture
def awaiting(world, submitted):
    rule_set = services.rule_set_for(submitted.case)
    services.eligibility_decide(
        actor=world.senior,
        referral=submitted,
        data=services.DecisionInput(
            rule_set=rule_set,
            results={c.pk: "met" for c in rule_set.criteria.all()},
            decision=Decision.ACCEPTED,
        ),
    )
    submitted.case.refresh_from_db()
    assert submitted.case.status == "awaiting_consent"
    return submitted.case


# --- Explained by ------------------------------------------------------------------------------


def test_consent_explained_by_a_colleague_records_both(world, awaiting):
    consent = services.consent_record(
        actor=world.case_manager,
        case=awaiting,
        kind="ecm_child",
        date=TODAY,
        explained_by=world.senior,
    )
    assert consent.explained_by == world.senior
    assert consent.recorded_by == world.case_manager
    event = AuditEvent.objects.get(object_type="referrals.consent", object_id=str(consent.pk))
    assert event.actor == world.case_manager
    assert f"explained by user #{world.senior.pk}" in event.detail
    assert {"explained_by", "recorded_by"} <= set(event.changed_fields)


def test_explained_by_defaults_to_the_recorder(world, awaiting):
    consent = services.consent_record(
        actor=world.case_manager, case=awaiting, kind="ecm_child", date=TODAY
    )
    assert consent.explained_by == world.case_manager


def test_explained_by_someone_outside_the_case_team_is_refused(world, awaiting):
    for stranger in (world.other_case_manager, world.outsider):
        with pytest.raises(ValidationError, match="people of the case's team"):
            services.consent_record(
                actor=world.case_manager,
                case=awaiting,
                kind="ecm_child",
                date=TODAY,
                explained_by=stranger,
            )
    assert not Consent.objects.exists()


def test_consent_page_offers_the_team_and_defaults_to_the_recorder(client, world, awaiting):
    client.force_login(world.case_manager)
    url = reverse("referrals:consent", args=[awaiting.pk])
    body = client.get(url).content.decode()
    assert f'<option value="{world.case_manager.pk}" selected>' in body
    assert f'<option value="{world.senior.pk}">' in body
    assert f'<option value="{world.other_case_manager.pk}"' not in body
    response = client.post(
        url,
        {
            "record": "1",
            "kind": "ecm_child",
            "given": "true",
            "date": TODAY.isoformat(),
            "explained_by": world.senior.pk,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.explained_by, consent.recorded_by) == (world.senior, world.case_manager)
    body = client.get(url).content.decode()
    assert "recorded by" in body


# --- Consent refused ---------------------------------------------------------------------------


def test_refusal_by_the_child_records_it_and_ends_the_case(world, awaiting):
    consent = services.consent_refuse(
        actor=world.case_manager,
        case=awaiting,
        kind="ecm_child",
        date=TODAY,
        reason="Does not want another professional involved.",
        explained_by=world.senior,
    )
    awaiting.refresh_from_db()
    assert awaiting.status == "consent_refused"
    assert not awaiting.is_open
    assert (consent.given, consent.kind, consent.explained_by) == (False, "ecm_child", world.senior)
    assert consent.notes == "Does not want another professional involved."
    assert AuditEvent.objects.filter(
        object_type="referrals.consent", object_id=str(consent.pk), detail__startswith="refused"
    ).exists()
    assert not services.consent_status(awaiting).is_valid


def test_refusal_by_the_parent_needs_their_name(world, awaiting):
    with pytest.raises(ValidationError, match="name of the parent or carer"):
        services.consent_refuse(
            actor=world.case_manager, case=awaiting, kind="parent_general", date=TODAY
        )
    services.consent_refuse(
        actor=world.case_manager,
        case=awaiting,
        kind="parent_general",
        date=TODAY,
        signatory_name="Jo Carer",
        signatory_relationship="Mother",
    )
    awaiting.refresh_from_db()
    assert awaiting.status == "consent_refused"


def test_refusal_is_only_recorded_while_awaiting_consent(world):
    for status in ("referred", "preparation", "active"):
        case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status=status)
        with pytest.raises(ValidationError, match="awaiting consent"):
            services.consent_refuse(
                actor=world.case_manager, case=case, kind="ecm_child", date=TODAY
            )
        case.refresh_from_db()
        assert case.status == status
    assert not Consent.objects.exists()


def test_refusal_in_the_future_or_of_evaluation_consent_is_refused(world, awaiting):
    with pytest.raises(ValidationError, match="future"):
        services.consent_refuse(
            actor=world.case_manager,
            case=awaiting,
            kind="ecm_child",
            date=TODAY + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="Say who declined"):
        services.consent_refuse(
            actor=world.case_manager, case=awaiting, kind="evaluation", date=TODAY
        )


def test_refusal_by_someone_without_the_right_is_denied(world, awaiting):
    for user in (world.psychologist, world.other_case_manager, world.outsider):
        with pytest.raises(PermissionDenied):
            services.consent_refuse(actor=user, case=awaiting, kind="ecm_child", date=TODAY)
    awaiting.refresh_from_db()
    assert awaiting.status == "awaiting_consent"


def test_recording_ecm_consent_as_refused_points_to_the_refusal(world, awaiting):
    with pytest.raises(ValidationError, match="Consent refused"):
        services.consent_record(
            actor=world.case_manager, case=awaiting, kind="ecm_child", date=TODAY, given=False
        )


def test_refusal_through_the_consent_page(client, world, awaiting):
    client.force_login(world.case_manager)
    url = reverse("referrals:consent", args=[awaiting.pk])
    body = client.get(url).content.decode()
    assert "Record the refusal and end the case" in body
    response = client.post(
        url, {"refuse": "1", "kind": "parent_general", "date": TODAY.isoformat()}
    )
    assert response.status_code == 400  # the parent's name is missing: kept, said
    assert "name of the parent or carer" in response.content.decode()
    response = client.post(
        url,
        {
            "refuse": "1",
            "kind": "ecm_child",
            "date": TODAY.isoformat(),
            "explained_by": world.senior.pk,
            "reason": "Said no",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("case_detail", args=[awaiting.pk])
    awaiting.refresh_from_db()
    assert awaiting.status == "consent_refused"
    body = client.get(url).content.decode()
    assert "Record the refusal and end the case" not in body  # the case has ended
    assert "Refused" in body and "Said no" in body


def test_consent_page_of_another_team_is_404_and_refusal_there_impossible(client, world, awaiting):
    client.force_login(world.other_case_manager)
    url = reverse("referrals:consent", args=[awaiting.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"refuse": "1", "kind": "ecm_child"}).status_code == 404
    client.force_login(world.psychologist)  # sees the case, may not record consent
    assert client.post(
        url, {"refuse": "1", "kind": "ecm_child", "date": TODAY.isoformat()}
    ).status_code == (403)
    awaiting.refresh_from_db()
    assert awaiting.status == "awaiting_consent"
