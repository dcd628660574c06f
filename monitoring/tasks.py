"""Thin tasks of the monitoring app. Services queue them by name (ecm.queueing.queue_task)."""

from celery import shared_task

from .subject_access import services as subject_access


@shared_task(name=subject_access.BUILD_BUNDLE, acks_late=True)
def build_subject_access_bundle(sar_id: int) -> str:
    return subject_access.subject_access_build(sar_id)
