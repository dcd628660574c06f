"""Health of the parts the product leans on: the database, the broker and the scheduler."""

from __future__ import annotations

import os
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

HEARTBEAT_TASK = "ecm.heartbeat"
HEARTBEAT_STALE_AFTER = timedelta(minutes=5)


def database_status() -> str:
    """'ok' or 'down'. `SELECT 1` is the plainest statement of "the database answers" (no
    table, no ORM), which is all a load balancer's health check needs to know."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means the database is unusable
        return "down"
    return "ok"


def broker_status() -> str:
    """'ok' or 'down'. Never raises and never waits longer than the configured timeout."""
    url = settings.CELERY_BROKER_URL
    timeout = settings.HEALTHCHECK_BROKER_TIMEOUT
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            try:
                return "ok" if client.ping() else "down"
            finally:
                client.close()
        if url.startswith("filesystem://"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
            return "ok" if os.path.isdir(folder) and os.access(folder, os.W_OK) else "down"
        from kombu import Connection

        with Connection(url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return "ok"
    except Exception:  # noqa: BLE001 - any failure to reach the broker means "down"
        return "down"


def scheduler_status() -> dict:
    """When the periodic heartbeat task last ran through beat and a worker."""
    from .models import TaskHeartbeat

    beat = TaskHeartbeat.objects.filter(name=HEARTBEAT_TASK).first()
    if beat is None:
        return {"state": "unknown", "last_run": None}
    fresh = timezone.now() - beat.last_run_at <= HEARTBEAT_STALE_AFTER
    return {"state": "ok" if fresh else "stale", "last_run": beat.last_run_at.isoformat()}
