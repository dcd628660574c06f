"""Thin tasks of the meeting: fetch by id, call a service. Retried with backoff; reported if
they fail. Services queue them by name (ecm.queueing.queue_task)."""

from celery import shared_task

from . import services

MAX_RETRIES = 5


@shared_task(bind=True, name=services.SEND_INVITATION, max_retries=MAX_RETRIES, acks_late=True)
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
    """The beat's catch-up: invitations still pending (the broker was down) are queued again."""
    return services.invitations_requeue()
