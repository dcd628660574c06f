"""An approved erasure runs on a real worker through a real Redis broker (the engine is the
fake of test_retention: it is another module's, tested on its own)."""

import time

import pytest

from ecm import erasure, retention
from ecm.models import ErasureRequest, RetentionReview, Role
from tests.ecm.test_celery import redis_worker  # noqa: F401 - the fixture
from tests.ecm.test_retention import closed_child
from tests.factories import member

pytestmark = pytest.mark.redis


def test_an_approved_erasure_runs_on_a_real_worker(redis_worker, world, monkeypatch):  # noqa: F811
    steps = []

    def fake_erase_child(child_id, *, progress=None):
        for done in (1, 2):
            progress(done, 2, f"step {done}")
            steps.append(done)
        return {"rows": 2}

    monkeypatch.setattr(erasure, "erase_child", fake_erase_child)
    closed_child(world.yot_a)
    retention.retention_find_due()
    review = RetentionReview.objects.get()
    request = retention.erasure_propose(actor=world.manager, review=review, reason="Reached")
    approver = member(world.yot_a, Role.DPO, username="dpo_w")
    retention.erasure_approve(actor=approver, request=request)  # queued when this commits
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        request.refresh_from_db()
        if request.status in (ErasureRequest.Status.DONE, ErasureRequest.Status.FAILED):
            break
        time.sleep(0.2)
    assert request.status == ErasureRequest.Status.DONE, request.error
    assert steps == [1, 2]
    assert (request.progress_done, request.progress_total, request.result) == (2, 2, {"rows": 2})


def test_the_whole_path_with_the_real_engine(redis_worker, world):  # noqa: F811
    """Listed, proposed, approved by a second person, erased by a real worker with the real
    engine: the child is gone from the record, from the audit log (pseudonymised, the chain
    still verifying) and from the retention records' own reasons."""
    from django.core.management import call_command

    from ecm.audit import audit_record
    from ecm.models import AuditEvent, Child

    kid = closed_child(world.yot_a, first_name="Eirlys", last_name="Trevithick")
    audit_record(actor=world.manager, action=AuditEvent.Action.VIEW, obj=kid, detail="Eirlys")
    retention.retention_find_due()
    review = RetentionReview.objects.get(child=kid)
    request = retention.erasure_propose(
        actor=world.manager, review=review, reason="Eirlys Trevithick: past the rule"
    )
    approver = member(world.yot_a, Role.DPO, username="dpo_r")
    retention.erasure_approve(actor=approver, request=request)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        request.refresh_from_db()
        if request.status in (ErasureRequest.Status.DONE, ErasureRequest.Status.FAILED):
            break
        time.sleep(0.2)
    assert request.status == ErasureRequest.Status.DONE, request.error
    assert request.progress_done == request.progress_total > 0
    stub = Child.objects.get(pk=kid.pk)
    assert "Eirlys" not in stub.first_name and "Trevithick" not in stub.last_name
    request.refresh_from_db()
    assert "Eirlys" not in request.reason and "Trevithick" not in request.reason
    for event in AuditEvent.objects.filter(child_id=kid.pk):
        assert "Eirlys" not in event.object_label + event.detail
    call_command("audit_verify")  # exits non-zero (SystemExit) if the chain were broken
