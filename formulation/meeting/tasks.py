"""Thin tasks: fetch by id, call a service. Retried with backoff; reported if they fail."""

from celery import shared_task

from . import services

MAX_RETRIES = 5


@shared_task(bind=True, name="formulation.send_invitation", max_retries=MAX_RETRIES, acks_late=True)
def send_invitation(self, invitation_id: int) -> str:
    try:
        return services.send_invitation_email(invitation_id)
    except Exception as exc:
        if self.request.retries >= MAX_RETRIES:
            services.invitation_mark_failed(invitation_id, str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(name="formulation.requeue_pending_invitations")
def requeue_pending_invitations() -> int:
    """Queue again the invitations still pending after ten minutes (e.g. the broker was
    down when they were made). Sending is idempotent, so a double queue sends once."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import Invitation

    stale = Invitation.objects.filter(
        delivery=Invitation.Delivery.PENDING,
        created_at__lt=timezone.now() - timedelta(minutes=10),
    ).values_list("pk", flat=True)
    count = 0
    for pk in stale:
        send_invitation.delay(pk)
        count += 1
    return count
