"""The audit log: views and changes recorded, in the same transaction as the change."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from ecm import services
from ecm.models import AuditEvent
from tests.ecm import pages


def test_viewing_a_case_writes_an_audit_row(client, world):
    client.force_login(world.senior)
    client.get(reverse("case_detail", args=[world.case.pk]), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.actor == world.senior
    assert event.child == world.case.child
    assert event.team == world.yot_a
    assert event.object_label == world.case.reference
    assert event.ip_address == "10.1.2.3"
    assert world.case.child.last_name not in event.object_label


def test_a_404_is_not_audited_as_a_view(client, world):
    client.force_login(world.other_case_manager)
    client.get(reverse("case_detail", args=[world.case.pk]))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_a_change_records_field_names_not_values(world):
    services.case_allocate(actor=world.senior, case=world.case, case_manager=world.case_manager_2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert event.changed_fields == ["case_manager"]
    assert "cm_a2" not in str(event.changed_fields) + event.detail


def test_audit_row_rolls_back_with_its_change(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.case_allocate(
            actor=world.senior, case=world.case, case_manager=world.case_manager_2
        )
        assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()
        raise RuntimeError("later step failed")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()
    world.case.refresh_from_db()
    assert world.case.case_manager == world.case_manager


def test_change_rolls_back_when_its_audit_row_cannot_be_written(world):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION refuse_audit() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_audit BEFORE INSERT ON ecm_auditevent
            FOR EACH ROW EXECUTE FUNCTION refuse_audit();
            """
        )
    with pytest.raises(DatabaseError):
        services.case_allocate(
            actor=world.senior, case=world.case, case_manager=world.case_manager_2
        )
    world.case.refresh_from_db()
    assert world.case.case_manager == world.case_manager
    assert world.case.version == 1


def test_audit_events_are_append_only(world):
    services.case_allocate(actor=world.senior, case=world.case, case_manager=None)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    event.detail = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_login_and_failed_login_are_audited(client, world):
    client.post(reverse("login"), {"login": "cm_a", "password": "wrong-password"})
    client.post(reverse("login"), {"login": "cm_a", "password": "correct-horse-battery"})
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor_username"))
    assert actions == [("login_failed", "cm_a"), ("login", "cm_a")]


def test_manager_searches_audit_by_child_without_name_in_url(client, world):
    other_child = world.other_case.child
    for actor, case in (
        (world.case_manager, world.case),
        (world.other_case_manager, world.other_case),
    ):
        client.force_login(actor)
        client.get(reverse("case_detail", args=[case.pk]))
    client.force_login(world.manager)
    response = client.post(reverse("audit_log"), {"child": world.case.child.last_name})
    assert response.status_code == 302
    assert world.case.child.last_name not in response["Location"]
    body = client.get(response["Location"]).content.decode()
    assert world.case.reference in body
    assert "cm_a" in body
    # Another team's events never show, even when searched for by name.
    client.post(reverse("audit_log"), {"child": other_child.last_name})
    body = client.get(reverse("audit_log")).content.decode()
    assert world.other_case.reference not in body


def test_manager_filters_audit_by_user_and_date(client, world):
    client.force_login(world.case_manager)
    client.get(reverse("case_detail", args=[world.case.pk]))
    client.force_login(world.senior)
    client.get(reverse("case_detail", args=[world.case.pk]))
    client.force_login(world.manager)
    client.post(reverse("audit_log"), {"user": "sp_a"})
    body = client.get(reverse("audit_log")).content.decode()
    assert {row[1] for row in pages.table_rows(body, caption="Audit events")} == {"sp_a"}  # who
    response = client.post(
        reverse("audit_log"), {"date_from": "2030-01-02", "date_to": "2030-01-01"}
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
