"""Thin tasks of the referrals app. Services queue them by name (ecm.queueing.queue_task)."""

from celery import shared_task

from .imports import services as imports


@shared_task(name=imports.RUN_IMPORT, acks_late=True)
def run_child_import(import_id: str) -> str:
    return imports.import_run(import_id)


@shared_task(name="referrals.tidy_child_imports")
def tidy_child_imports() -> int:
    return imports.imports_tidy()
