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
