"""Queueing Celery tasks from services, one way for every app.

Services queue tasks *by name* and never import a tasks module; tasks import the services
they call. So the dependency runs one way (tasks -> services) and no app has an import
cycle between the two. Queue after the change commits (`transaction.on_commit`), so a
worker never reads a row that is not there yet.
"""

from __future__ import annotations

import logging

from celery import current_app

log = logging.getLogger(__name__)


def queue_task(name: str, *args, **options) -> bool:
    """Send the task registered as `name` with `args`. If the broker cannot be reached the
    failure is logged and False returned: the caller's record stays pending, and the beat
    task that looks for pending work sends it later (nothing is dropped)."""
    try:
        current_app.send_task(name, args=args, **options)
    except Exception:  # the broker is down; beat's catch-up task retries
        log.warning("could not queue %s%r; it will be retried", name, args, exc_info=True)
        return False
    return True
