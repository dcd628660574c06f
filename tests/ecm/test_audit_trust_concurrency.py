"""Two audit rows written at once do not fork the hash chain: the second writer waits for the
first's transaction to commit (the chain's advisory lock), then chains onto its row."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from ecm.audit import audit_chain_seal, audit_record
from ecm.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_writers_do_not_fork_the_chain():
    first_inserted, let_first_commit, second_done = (threading.Event() for _ in range(3))
    rows, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                rows["first"] = audit_record(actor=None, action=AuditEvent.Action.SEARCH)
                first_inserted.set()
                assert let_first_commit.wait(10)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    def second():
        try:
            assert first_inserted.wait(10)
            rows["second"] = audit_record(actor=None, action=AuditEvent.Action.SEARCH)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    # The second writer is held at the chain's lock while the first is uncommitted.
    assert not second_done.wait(1)
    let_first_commit.set()
    for t in threads:
        t.join(20)
    assert not errors
    assert rows["second"].prev_hash == rows["first"].row_hash
    assert rows["second"].pk > rows["first"].pk
    call_command("audit_verify")


def test_sealing_outside_the_inserting_transaction_is_refused():
    """Outside a transaction the lock would be gone before the rows went in."""
    with pytest.raises(RuntimeError, match="inside the inserting transaction"):
        audit_chain_seal([AuditEvent(action=AuditEvent.Action.CREATE)])
