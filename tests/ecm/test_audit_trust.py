"""An audit log that can be trusted (issue 20, ASVS V7.3): append-only rows, a hash chain that
`manage.py audit_verify` walks, pseudonymisation for erasure, retention under a checkpoint."""

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ecm import audit
from ecm.audit import audit_record
from ecm.models import AuditCheckpoint, AuditEvent
from tests.factories import ChildFactory, TeamFactory, UserFactory


def _events(world, n=3):
    return [
        audit_record(
            actor=world.senior, action=AuditEvent.Action.VIEW, obj=world.case, detail=f"page {i}"
        )
        for i in range(n)
    ]


def _refused(sql, params=()):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def _behind_the_trigger(sql, params=()):
    """What someone with the table owner's rights could do: switch the trigger off."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ecm_auditevent DISABLE TRIGGER ecm_audit_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE ecm_auditevent ENABLE TRIGGER ecm_audit_append_only")


def _verify_fails() -> str:
    with pytest.raises(CommandError) as failed:
        call_command("audit_verify")
    assert failed.value.returncode == 1
    return str(failed.value)


def _verify_ok() -> None:
    call_command("audit_verify")  # raises CommandError when broken


# --- Append-only ---------------------------------------------------------------------------


def test_orm_update_and_delete_of_audit_rows_are_refused(world):
    event = _events(world, 1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail="nothing to see")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()
    event.refresh_from_db()
    assert event.detail == "page 0"


def test_raw_sql_update_and_delete_of_audit_rows_are_refused(world):
    event = _events(world, 1)[0]
    _refused("UPDATE ecm_auditevent SET actor_username = 'someone else' WHERE id = %s", [event.pk])
    _refused("DELETE FROM ecm_auditevent WHERE id = %s", [event.pk])
    # Even with the pseudonymisation switch on, only the personal columns may change.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('ecm.audit_pseudonymise', 'on', true)")
        cursor.execute(
            "UPDATE ecm_auditevent SET actor_username = 'x', pseudonymised_at = now() "
            "WHERE id = %s",
            [event.pk],
        )
    assert AuditEvent.objects.filter(pk=event.pk, actor_username=world.senior.username).exists()


def test_checkpoints_cannot_be_changed_or_deleted(world):
    _events(world, 1)
    cp = audit.audit_retention_apply()
    _refused("UPDATE ecm_auditcheckpoint SET removed_count = 0 WHERE id = %s", [cp.pk])
    _refused("DELETE FROM ecm_auditcheckpoint WHERE id = %s", [cp.pk])


def test_deleting_a_user_child_or_team_leaves_their_audit_rows_alone(world):
    user, team, child = UserFactory(), TeamFactory(), ChildFactory()
    event = audit_record(actor=user, action=AuditEvent.Action.VIEW, obj=child, team_id=team.pk)
    user_id, team_id, child_id = user.pk, team.pk, child.pk
    user.delete()
    team.delete()
    child.delete()
    event = AuditEvent.objects.select_related("child", "team").get(pk=event.pk)
    # The ids stay, pseudonymous numbers now that their rows are gone.
    assert (event.actor_id, event.team_id, event.child_id) == (user_id, team_id, child_id)
    assert event.child is None and event.team is None
    assert event.actor_username == user.username
    _verify_ok()


# --- The chain -------------------------------------------------------------------------------


def test_each_row_is_chained_to_the_one_before(world):
    first, second, third = _events(world, 3)
    assert len(second.row_hash) == 64
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    stored = AuditEvent.objects.values(*audit.CHAINED_FIELDS).get(pk=third.pk)
    assert audit.row_hash(stored, third.prev_hash) == third.row_hash


def test_audit_verify_passes_on_an_untouched_log(world, capsys):
    events = _events(world, 3)
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert f"Audit chain verified: 3 row(s), #{events[0].pk} to #{events[-1].pk}" in out
    assert f"head hash {events[-1].row_hash}" in out


def test_audit_verify_finds_a_row_changed_behind_the_triggers_back(world):
    events = _events(world, 4)
    _behind_the_trigger(
        "UPDATE ecm_auditevent SET actor_username = 'cover-up' WHERE id = %s", [events[2].pk]
    )
    message = _verify_fails()
    assert f"row #{events[2].pk}: its content is not what was recorded" in message


def test_audit_verify_finds_a_changed_detail(world):
    events = _events(world, 3)
    _behind_the_trigger("UPDATE ecm_auditevent SET detail = 'x' WHERE id = %s", [events[1].pk])
    assert f"row #{events[1].pk}: its object label or detail" in _verify_fails()


def test_audit_verify_finds_a_rehashed_row_by_the_next_link(world):
    """Rewriting a row together with its own hash breaks the next row's link."""
    events = _events(world, 3)
    row = AuditEvent.objects.values(*audit.CHAINED_FIELDS).get(pk=events[1].pk)
    row["action"] = AuditEvent.Action.EXPORT
    forged = audit.row_hash(row, events[1].prev_hash)
    _behind_the_trigger(
        "UPDATE ecm_auditevent SET action = 'export', row_hash = %s WHERE id = %s",
        [forged, events[1].pk],
    )
    message = _verify_fails()
    assert f"row #{events[2].pk}: its prev_hash is not the hash of row #{events[1].pk}" in message


def test_audit_verify_finds_a_deleted_row(world):
    events = _events(world, 4)
    _behind_the_trigger("DELETE FROM ecm_auditevent WHERE id = %s", [events[1].pk])
    message = _verify_fails()
    assert f"row #{events[2].pk}: its prev_hash is not the hash of row #{events[0].pk}" in message
    assert "removed or inserted" in message


def test_bulk_loaders_chain_their_rows(world):
    """generate_data's way: seal in order, then bulk_create in that order."""
    _events(world, 1)
    with transaction.atomic():
        rows = [
            AuditEvent(actor_username="loader", action=AuditEvent.Action.CREATE, detail=str(i))
            for i in range(3)
        ]
        AuditEvent.objects.bulk_create(audit.audit_chain_seal(rows))
    _verify_ok()


def test_audit_record_costs_one_query_more_than_the_insert(world, django_assert_num_queries):
    """The chain's lock and head in one query (ecm_audit_chain_head), then the INSERT."""
    with transaction.atomic(), django_assert_num_queries(2):
        audit_record(actor=world.senior, action=AuditEvent.Action.SEARCH)


# --- Pseudonymisation (erasure) ----------------------------------------------------------------


def test_pseudonymising_a_child_replaces_label_and_detail_and_the_chain_holds(world):
    child = world.case.child
    about = _events(world, 2)
    by_child = audit_record(actor=world.senior, action=AuditEvent.Action.VIEW, obj=child)
    other = audit_record(
        actor=world.senior, action=AuditEvent.Action.UPDATE, obj=world.other_case, detail="kept"
    )
    listing = audit.audit_listing(
        actor=world.senior, action=AuditEvent.Action.VIEW, cases=[world.case, world.other_case]
    )
    changed = audit.audit_pseudonymise_child(child_id=child.pk, reference="ERASED-0001")
    assert changed == 3
    for event in [*about, by_child]:
        event.refresh_from_db()
        assert (event.object_label, event.detail) == ("ERASED-0001", "")
        assert event.pseudonymised_at is not None and event.personal_salt == ""
        assert event.child_id == child.pk  # a bare number; the erasure removes the child
    other.refresh_from_db()
    listing.refresh_from_db()
    assert other.detail == "kept" and other.pseudonymised_at is None
    assert child.pk in listing.listed["children"]  # ids only, left alone
    _verify_ok()
    # Once only: a second call changes nothing.
    assert audit.audit_pseudonymise_child(child_id=child.pk, reference="ERASED-0002") == 0


def test_pseudonymised_rows_still_refuse_other_changes(world):
    event = _events(world, 1)[0]
    audit.audit_pseudonymise_child(child_id=world.case.child_id, reference="ERASED-0001")
    _refused("UPDATE ecm_auditevent SET object_label = 'back' WHERE id = %s", [event.pk])
    with pytest.raises(ValueError):
        audit.audit_pseudonymise_child(child_id=world.case.child_id, reference=" ")


def test_new_rows_about_a_child_do_not_carry_the_childs_name(world):
    child = world.case.child
    event = audit_record(actor=world.senior, action=AuditEvent.Action.VIEW, obj=child)
    assert event.object_label == f"Child #{child.pk}"
    assert child.first_name not in event.object_label
    assert child.last_name not in event.object_label


# --- Retention of the audit log ------------------------------------------------------------------


def _old_and_new(world):
    with time_machine.travel(timezone.now() - dt.timedelta(days=365 * 8), tick=False):
        old = _events(world, 3)
    new = _events(world, 2)
    return old, new


@pytest.mark.parametrize("years", [7])
def test_retention_removes_old_rows_under_a_signed_checkpoint(world, settings, years):
    settings.AUDIT_RETENTION_YEARS = years
    old, new = _old_and_new(world)
    cp = audit.audit_retention_apply()
    assert cp.removed_count == 3
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert (cp.last_removed_id, cp.last_removed_hash) == (old[-1].pk, old[-1].row_hash)
    assert (cp.head_id, cp.head_hash) == (new[-1].pk, new[-1].row_hash)
    assert audit.checkpoint_signature_valid(cp)
    _verify_ok()
    # Nothing more due: a checkpoint of the head all the same; new rows chain on.
    assert audit.audit_retention_apply().removed_count == 0
    _events(world, 1)
    _verify_ok()


def test_retention_keeps_everything_when_nothing_is_old_enough(world, settings):
    settings.AUDIT_RETENTION_YEARS = 10
    old, new = _old_and_new(world)
    assert audit.audit_retention_apply().removed_count == 0
    assert AuditEvent.objects.count() == 5
    _verify_ok()


def test_retention_of_everything_then_new_rows_chain_from_the_checkpoint(world, settings):
    settings.AUDIT_RETENTION_YEARS = 1
    with time_machine.travel(timezone.now() - dt.timedelta(days=800), tick=False):
        old = _events(world, 2)
    cp = audit.audit_retention_apply()
    assert cp.removed_count == 2 and not AuditEvent.objects.exists()
    (event,) = _events(world, 1)
    assert event.prev_hash == old[-1].row_hash
    _verify_ok()


def test_audit_verify_finds_rows_cut_from_the_end_after_a_checkpoint(world):
    events = _events(world, 3)
    audit.audit_retention_apply()
    _behind_the_trigger("DELETE FROM ecm_auditevent WHERE id = %s", [events[-1].pk])
    message = _verify_fails()
    assert f"row #{events[-1].pk}: recorded by checkpoint" in message


def test_audit_verify_finds_a_forged_checkpoint(world, settings):
    settings.AUDIT_RETENTION_YEARS = 7
    old, new = _old_and_new(world)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ecm_auditevent DISABLE TRIGGER ecm_audit_append_only")
        cursor.execute("DELETE FROM ecm_auditevent WHERE id <= %s", [old[-1].pk])
        cursor.execute("ALTER TABLE ecm_auditevent ENABLE TRIGGER ecm_audit_append_only")
    # A checkpoint made without the SECRET_KEY, to cover the removal.
    cp = AuditCheckpoint(removed_count=3, last_removed_id=old[-1].pk)
    cp.last_removed_hash = old[-1].row_hash
    cp.signature = "0" * 64
    cp.save()
    assert f"checkpoint #{cp.pk}: its signature" in _verify_fails()


def test_the_retention_task_runs_the_service(world, settings):
    from ecm.tasks import audit_retention

    settings.AUDIT_RETENTION_YEARS = 7
    _old_and_new(world)
    assert audit_retention() == 3
    assert AuditCheckpoint.objects.count() == 1


def test_generated_data_is_chained_too(world):
    """generate_data bulk-creates case status trails: sealed, they verify with the rest."""
    import os

    _events(world, 1)
    call_command(
        "generate_data",
        teams=1,
        children=30,
        reviews=40,
        timeline=0,
        seed=3,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    assert AuditEvent.objects.filter(object_type="ecm.case", row_hash="").count() == 0
    assert AuditEvent.objects.count() > 30
    _verify_ok()
