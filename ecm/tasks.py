"""Core periodic tasks. Thin: each calls one function and can run twice harmlessly."""

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from .health import HEARTBEAT_TASK


@shared_task(name=HEARTBEAT_TASK)
def heartbeat() -> str:
    """Record that beat and a worker are alive (shown by /healthz)."""
    from .models import TaskHeartbeat

    now = timezone.now()
    TaskHeartbeat.objects.update_or_create(name=HEARTBEAT_TASK, defaults={"last_run_at": now})
    return now.isoformat()


@shared_task(
    name="ecm.clear_expired_sessions", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def clear_expired_sessions() -> None:
    call_command("clearsessions")
