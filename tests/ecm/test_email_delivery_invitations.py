"""Meeting invitation e-mails follow the same claim, send outside the lock, record pattern as
reminders: at most once, a worker that died after sending leaves an UNCERTAIN invitation the
meeting page flags, a failing server is retried then failed."""

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from ecm.mail import message_id, sending_timeout
from formulation.meeting import services
from formulation.models import Invitation, Meeting


def make_invitation(world) -> Invitation:
    meeting = Meeting.objects.create(
        case=world.case,
        starts_at=timezone.now() + dt.timedelta(days=3),
        location="Room 1",
        chair=world.senior,
        psychologist=world.psychologist,
    )
    return Invitation.objects.create(
        meeting=meeting, name="Bethan", agency="health", email="bethan@example.org"
    )


@pytest.mark.django_db(transaction=True)
def test_an_invitation_is_sent_outside_any_transaction_with_the_row_unlocked(
    world, monkeypatch, settings
):
    settings.SITE_URL = "https://ecm.example.org"
    invitation = make_invitation(world)
    seen = {}
    real_send = EmailBackend.send_messages

    def probe():
        try:
            with transaction.atomic():
                row = Invitation.objects.select_for_update(nowait=True).get(pk=invitation.pk)
                seen["delivery"] = row.delivery
        finally:
            connection.close()

    def send(self, messages):
        seen["in_atomic"] = connection.in_atomic_block
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)
    assert services.send_invitation_email(invitation.pk) == "sent"
    assert seen == {"in_atomic": False, "delivery": "sending"}
    invitation.refresh_from_db()
    assert invitation.delivery == "sent" and invitation.send_attempts == 1
    (message,) = mail.outbox
    assert message.message()["Message-ID"] == f"<ecm-invitation-{invitation.pk}@ecm.example.org>"
    assert message_id("invitation", invitation.pk) == message.extra_headers["Message-ID"]


def test_a_crash_after_sending_an_invitation_is_not_resent_but_flagged(client, world):
    invitation = make_invitation(world)

    def database_gone(token):
        raise ConnectionError("the worker lost its database connection")

    real_claimed = services._claimed
    with pytest.MonkeyPatch.context() as patch:
        # The failure path is not reached: the send succeeded, recording it fails.
        patch.setattr(
            services,
            "_claimed",
            lambda token: database_gone(token) if mail.outbox else real_claimed(token),
        )
        with pytest.raises(ConnectionError):
            services.send_invitation_email(invitation.pk)
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.delivery == "sending"
    assert services.send_invitation_email(invitation.pk) == "sending"  # a redelivery: nothing
    later = timezone.now() + sending_timeout() + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert services.invitations_requeue() == 0  # the beat's catch-up does not resend
    invitation.refresh_from_db()
    assert invitation.delivery == "uncertain" and invitation.needs_attention
    assert len(mail.outbox) == 1
    # Whoever prepares the meeting sees it needs attention.
    client.force_login(world.case_manager)
    page = client.get(reverse("formulation:meeting", args=[invitation.meeting_id])).content.decode()
    assert "Needs attention" in page and "may not have been sent" in page


def test_a_failing_server_puts_the_invitation_back_then_the_task_fails_it(world, monkeypatch):
    from formulation.meeting.tasks import MAX_RETRIES, send_invitation

    invitation = make_invitation(world)
    calls = []

    def refuse(self, messages):
        calls.append(messages)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(ConnectionRefusedError):
        services.send_invitation_email(invitation.pk)
    invitation.refresh_from_db()
    assert invitation.delivery == "pending" and "smtp down" in invitation.delivery_error
    assert invitation.claim_token is not None and invitation.send_attempts == 1
    # Through Celery (eagerly: each retry runs at once), until the task gives up.
    send_invitation.apply(args=[invitation.pk])
    invitation.refresh_from_db()
    assert invitation.delivery == "failed" and invitation.needs_attention
    assert len(calls) == 1 + MAX_RETRIES + 1
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_an_invitation_once(world, monkeypatch):
    invitation = make_invitation(world)
    real_send = EmailBackend.send_messages

    def slow(self, messages):
        time.sleep(0.3)
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow)
    results, errors = [], []
    barrier = threading.Barrier(3)

    def worker():
        try:
            barrier.wait()
            results.append(services.send_invitation_email(invitation.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == ["sending", "sending", "sent"]
    assert len(mail.outbox) == 1
