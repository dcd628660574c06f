"""Core periodic tasks. Thin: each calls one function and can run twice harmlessly. Tasks
import the services they call; services queue tasks by name (`ecm.queueing`)."""

import logging

from celery import shared_task
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from . import audit, mail, mfa, reminders, retention
from .health import HEARTBEAT_TASK
from .models import Reminder, TaskHeartbeat

log = logging.getLogger(__name__)


@shared_task(name=HEARTBEAT_TASK)
def heartbeat() -> str:
    """Record that beat and a worker are alive (shown by /healthz)."""
    now = timezone.now()
    TaskHeartbeat.objects.update_or_create(name=HEARTBEAT_TASK, defaults={"last_run_at": now})
    return now.isoformat()


@shared_task(
    name="ecm.clear_expired_sessions", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def clear_expired_sessions() -> int:
    """Remove ended sessions, then the "Your sessions" rows of sessions that are gone (the
    sign-in reads every row of the person's, so they must not pile up). Returns how many."""
    call_command("clearsessions")
    return mfa.forget_ended_sessions()


@shared_task(name="ecm.audit_retention")
def audit_retention() -> int:
    """Remove audit rows older than AUDIT_RETENTION_YEARS under a signed checkpoint."""
    return audit.audit_retention_apply().removed_count


@shared_task(name="ecm.sweep_reminders")
def sweep_reminders() -> int:
    """Create what falls due today (and anything missed while beat was down), once."""
    return reminders.sweep()


@shared_task(name="ecm.deliver_reminders")
def deliver_reminders(batch: int = 500) -> int:
    """Queue a send for each reminder e-mail still pending and due (each is sent at most
    once); first mark any left SENDING by a worker that stopped as UNCERTAIN (not resent)."""
    reminders.mark_uncertain()
    ids = list(
        Reminder.objects.filter(email_status=Reminder.EmailStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in ids:
        send_reminder_email.delay(pk)
    return len(ids)


@shared_task(
    name="ecm.send_reminder_email",
    bind=True,
    acks_late=True,
    max_retries=reminders.MAX_ATTEMPTS,
)
def send_reminder_email(self, reminder_id: int) -> str:
    """Send one reminder (`reminders.send_one`: claimed, sent, recorded). A failed send is
    retried by Celery with a growing countdown; after MAX_ATTEMPTS it is FAILED and logged
    as an error. Nothing is dropped: a pending row whose retry was lost is queued again by
    `deliver_reminders` once its backoff has passed, and a redelivered task finds the row no
    longer pending and sends nothing."""
    try:
        return reminders.send_one(reminder_id)
    except Exception as exc:
        row = Reminder.objects.filter(pk=reminder_id).values("email_status", "attempts").first()
        if row and row["email_status"] == Reminder.EmailStatus.PENDING:
            raise self.retry(exc=exc, countdown=mail.backoff_seconds(row["attempts"])) from exc
        log.error(
            "reminder e-mail %s not sent (%s): %s",
            reminder_id,
            row and row["email_status"],
            exc,
        )
        return "failed"


@shared_task(name="ecm.send_digests", bind=True, max_retries=reminders.MAX_ATTEMPTS)
def send_digests(self) -> int:
    """Each user's daily digest. A digest the server refused stays waiting (with its error)
    and the task is retried with a growing countdown, so it goes out today, not tomorrow;
    after MAX_ATTEMPTS its reminders are FAILED and logged as an error."""
    waiting = Reminder.objects.filter(email_status=Reminder.EmailStatus.DIGEST)
    users = list(waiting.values_list("recipient_id", flat=True).distinct())
    sent = sum(reminders.send_digest(user_id) for user_id in users)
    if waiting.filter(recipient_id__in=users, next_attempt_at__isnull=False).exists():
        raise self.retry(countdown=mail.backoff_seconds(self.request.retries + 1))
    return sent


@shared_task(name="ecm.find_retention_due")
def find_retention_due() -> int:
    """List the children whose records are due for a retention review (once each)."""
    return retention.retention_find_due()


@shared_task(name=retention.RUN_ERASURE, acks_late=True)
def run_erasure(request_id: int) -> str:
    """Erase one child's record once approved by two people (`retention.erasure_run`)."""
    return retention.erasure_run(request_id)


@shared_task(name="ecm.requeue_erasures")
def requeue_erasures() -> int:
    """Approved erasures whose job was never queued (the broker was down): queue them again.
    A job delivered twice runs once (claimed by a conditional update)."""
    return retention.erasures_requeue()
