"""Thin tasks of the monitoring app. Services queue them by name (ecm.queueing.queue_task)."""

import logging

from celery import shared_task

from ecm.queueing import queue_task

from . import readmodel
from .subject_access import services as subject_access

log = logging.getLogger(__name__)


@shared_task(name=subject_access.BUILD_BUNDLE, acks_late=True)
def build_subject_access_bundle(sar_id: int) -> str:
    return subject_access.subject_access_build(sar_id)


@shared_task(name="monitoring.refresh_figures")
def refresh_figures() -> int:
    """Beat's sweep of the monitoring figures (`readmodel.refresh_due`): queue each snapshot
    due, one task each. Returns how many."""
    ids = readmodel.refresh_due()
    for pk in ids:
        queue_task(readmodel.REFRESH_ONE, pk)
    return len(ids)


@shared_task(name=readmodel.REFRESH_ONE, bind=True, acks_late=True, max_retries=3)
def refresh_snapshot(self, snapshot_id: int) -> str:
    """Compute one page's figures (`readmodel.refresh`: claimed, so a doubled task computes
    once). A failure is retried with a growing countdown; after the last try the snapshot is
    marked failed (the page says so and offers "Recompute now") and the error logged."""
    try:
        return readmodel.refresh(snapshot_id)
    except Exception as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
        readmodel.refresh_failed(snapshot_id)
        log.error("monitoring figures %s not computed: %s", snapshot_id, exc)
        return "failed"
