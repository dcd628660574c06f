"""Reminder e-mails are claimed in a short transaction, sent with no transaction open and no
row locked, and recorded after: sent at most once when the mail server fails (retried, then
failed and reported), when a worker dies between sending and recording (UNCERTAIN, not
resent), and when two workers claim the same reminder at once (real PostgreSQL)."""

import datetime as dt
import logging
import threading
import time

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from ecm import reminders
from ecm.mail import message_id, sending_timeout
from ecm.models import AuditEvent, Reminder
from ecm.reminders import mark_uncertain, resolve_uncertain, send_digest, send_one
from ecm.tasks import deliver_reminders


def make_reminder(user, n: int = 1, **extra) -> Reminder:
    user.email = user.email or f"{user.username}@example.org"
    user.save()
    return Reminder.objects.create(
        kind="report_due",
        object_type="case",
        object_id=n,
        occurrence=dt.date(2026, 3, 1),
        recipient=user,
        recipient_key=f"u{user.pk}",
        case_reference=f"ECM-00000{n}",
        title="Formulation report due today",
        link=f"/cases/{n}/report/",
        **extra,
    )


def reminder_mails():
    return [m for m in mail.outbox if "reminder" in m.extra_headers.get("Message-ID", "")]


@pytest.fixture
def no_queue(monkeypatch):
    queued = []
    monkeypatch.setattr("ecm.tasks.send_reminder_email.delay", queued.append)
    return queued


@pytest.fixture
def smtp_down(monkeypatch):
    calls = []

    def refuse(self, messages):
        calls.append(messages)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return calls


# --- Claim, send outside the lock, record ---


@pytest.mark.django_db(transaction=True)
def test_the_email_is_sent_outside_any_transaction_with_the_row_unlocked(world, monkeypatch):
    """While the mail server is talking, no transaction is open, another connection sees the
    committed claim (SENDING) and can lock the row at once: a slow server holds no lock."""
    reminder = make_reminder(world.psychologist)
    seen = {}
    real_send = EmailBackend.send_messages

    def probe():
        try:
            with transaction.atomic():
                row = Reminder.objects.select_for_update(nowait=True).get(pk=reminder.pk)
                seen["status"], seen["token"] = row.email_status, row.claim_token
        finally:
            connection.close()

    def send(self, messages):
        seen["in_atomic"] = connection.in_atomic_block
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)
    assert send_one(reminder.pk) == "sent"
    assert seen["in_atomic"] is False
    assert seen["status"] == "sending" and seen["token"] is not None
    reminder.refresh_from_db()
    assert reminder.email_status == "sent" and reminder.attempts == 1 and reminder.sent_at


def test_message_id_is_stable_for_a_reminder(world, settings):
    settings.SITE_URL = "https://ecm.example.org"
    reminder = make_reminder(world.psychologist)
    assert send_one(reminder.pk) == "sent"
    (message,) = mail.outbox
    assert message.message()["Message-ID"] == f"<ecm-reminder-{reminder.pk}@ecm.example.org>"
    assert message_id("reminder", reminder.pk) == message.extra_headers["Message-ID"]


# --- The mail server fails ---


def test_an_smtp_error_puts_it_back_with_a_backoff_then_fails(world, smtp_down):
    reminder = make_reminder(world.psychologist)
    waits = []
    for attempt in range(1, reminders.MAX_ATTEMPTS + 1):
        with pytest.raises(ConnectionRefusedError):
            send_one(reminder.pk)
        reminder.refresh_from_db()
        assert reminder.attempts == attempt
        waits.append((reminder.next_attempt_at - timezone.now()).total_seconds())
        if attempt < reminders.MAX_ATTEMPTS:
            assert reminder.email_status == "pending"
    assert reminder.email_status == "failed"
    assert "ConnectionRefusedError: smtp down" in reminder.last_error
    assert len(smtp_down) == reminders.MAX_ATTEMPTS
    assert waits == sorted(waits) and waits[0] == pytest.approx(30, abs=5)
    assert send_one(reminder.pk) == "skipped"  # a failed one is not tried again by itself
    assert len(smtp_down) == reminders.MAX_ATTEMPTS


def test_the_task_retries_through_celery_then_reports_the_failure(world, smtp_down, caplog):
    """Run eagerly: Celery's retry runs the task again at once; after MAX_ATTEMPTS the task
    stops retrying, the row is FAILED and an error is logged (reaches the administrators)."""
    from ecm.tasks import send_reminder_email

    reminder = make_reminder(world.psychologist)
    with caplog.at_level(logging.ERROR, logger="ecm.tasks"):
        result = send_reminder_email.apply(args=[reminder.pk])
    reminder.refresh_from_db()
    assert len(smtp_down) == reminders.MAX_ATTEMPTS
    assert reminder.email_status == "failed" and reminder.attempts == reminders.MAX_ATTEMPTS
    assert result.get() == "failed" or result.result == "failed"
    assert any(f"reminder e-mail {reminder.pk} not sent" in r.message for r in caplog.records)


# --- A worker dies between sending and recording ---


def test_a_crash_after_sending_is_not_resent_but_marked_uncertain(world, settings, no_queue):
    settings.ADMINS = ["ops@example.org"]
    reminder = make_reminder(world.psychologist)

    def database_gone(token):
        raise ConnectionError("the worker lost its database connection")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reminders, "_mark_sent", database_gone)
        with pytest.raises(ConnectionError):
            send_one(reminder.pk)
    assert len(reminder_mails()) == 1
    reminder.refresh_from_db()
    assert reminder.email_status == "sending"
    # A redelivered task (acks_late) or a second queueing sends nothing.
    assert send_one(reminder.pk) == "skipped"
    deliver_reminders()
    assert no_queue == []
    reminder.refresh_from_db()
    assert reminder.email_status == "sending"  # not yet: it may be a slow server

    later = timezone.now() + sending_timeout() + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        deliver_reminders()
        assert deliver_reminders() == 0
    reminder.refresh_from_db()
    assert reminder.email_status == "uncertain"
    assert "may or may not have been sent" in reminder.last_error
    assert no_queue == [] and len(reminder_mails()) == 1
    (alert,) = [m for m in mail.outbox if m.to == ["ops@example.org"]]
    assert str(reminder.pk) in alert.body
    assert world.case.child.last_name not in alert.body
    assert send_one(reminder.pk) == "skipped"
    assert len(reminder_mails()) == 1


def test_the_late_worker_still_records_what_it_sent(world):
    """A send slower than the timeout: the row was marked UNCERTAIN meanwhile, but the
    worker holding the claim knows it went out and records SENT."""
    reminder = make_reminder(world.psychologist)
    claimed, token = reminders._claim(reminder.pk)
    later = timezone.now() + sending_timeout() + dt.timedelta(seconds=1)
    assert mark_uncertain(later) == [reminder.pk]
    assert reminders._mark_sent(token) == 1
    reminder.refresh_from_db()
    assert reminder.email_status == "sent"
    # Another claim's token records nothing.
    other = make_reminder(world.case_manager, n=2)
    reminders._claim(other.pk)
    assert reminders._mark_sent(token) == 0


def test_an_operator_resends_an_uncertain_one_with_the_same_message_id(world, no_queue):
    reminder = make_reminder(world.psychologist, email_status="uncertain", attempts=1)
    with pytest.raises(PermissionDenied):
        resolve_uncertain(actor=world.manager, reminder_ids=[reminder.pk], resend=True)
    assert resolve_uncertain(actor=world.superuser, reminder_ids=[reminder.pk], resend=True) == 1
    reminder.refresh_from_db()
    assert reminder.email_status == "pending" and reminder.attempts == 0
    event = AuditEvent.objects.get(object_id=reminder.pk, object_type__icontains="reminder")
    assert event.actor == world.superuser and event.changed_fields == ["email_status"]
    assert send_one(reminder.pk) == "sent"
    assert mail.outbox[-1].extra_headers["Message-ID"] == message_id("reminder", reminder.pk)
    # A sent one is never reopened by the operator's action.
    assert resolve_uncertain(actor=world.superuser, reminder_ids=[reminder.pk], resend=True) == 0


def test_an_operator_gives_up_on_an_uncertain_one(world):
    reminder = make_reminder(world.psychologist, email_status="uncertain")
    assert resolve_uncertain(actor=world.superuser, reminder_ids=[reminder.pk], resend=False) == 1
    reminder.refresh_from_db()
    assert reminder.email_status == "not_sent"
    assert send_one(reminder.pk) == "skipped" and mail.outbox == []


def test_the_admin_lists_uncertain_ones_with_the_operator_actions(client, world):
    reminder = make_reminder(world.psychologist, email_status="uncertain")
    url = reverse("admin:ecm_reminder_changelist")
    staff = world.manager
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(Permission.objects.get(codename="view_reminder"))
    client.force_login(staff)
    assert "resend_email" not in client.get(url).content.decode()  # staff who may only look
    client.force_login(world.superuser)
    page = client.get(url, {"email_status__exact": "uncertain"}).content.decode()
    assert "Unknown whether sent" in page and "resend_email" in page
    response = client.post(
        url, {"action": "resend_email", "_selected_action": [reminder.pk]}, follow=True
    )
    assert response.status_code == 200
    reminder.refresh_from_db()
    assert reminder.email_status == "pending"


# --- Two workers at once ---


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_the_same_reminder_send_it_once(world, monkeypatch):
    reminder = make_reminder(world.psychologist)
    real_send = EmailBackend.send_messages

    def slow(self, messages):
        time.sleep(0.3)  # the others arrive while this one is talking to the server
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow)
    results, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            results.append(send_one(reminder.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(mail.outbox) == 1
    reminder.refresh_from_db()
    assert reminder.email_status == "sent" and reminder.attempts == 1


# --- Digest ---


def test_a_digest_is_claimed_sent_once_and_put_back_on_failure(world, monkeypatch):
    first = make_reminder(world.case_manager, n=1, email_status="digest")
    second = make_reminder(world.case_manager, n=2, email_status="digest")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            EmailBackend, "send_messages", lambda self, m: (_ for _ in ()).throw(OSError("x"))
        )
        assert send_digest(world.case_manager.pk) == 0
    first.refresh_from_db()
    assert first.email_status == "digest" and first.attempts == 1 and "OSError" in first.last_error
    assert send_digest(world.case_manager.pk) == 2
    assert send_digest(world.case_manager.pk) == 0
    (message,) = mail.outbox
    assert message.extra_headers["Message-ID"].startswith(f"<ecm-digest-{world.case_manager.pk}-")
    assert set(Reminder.objects.values_list("email_status", flat=True)) == {"sent"}
    second.refresh_from_db()
    assert second.sent_at is not None


def test_a_refused_digest_is_retried_the_same_day_then_failed_and_reported(
    world, smtp_down, caplog
):
    from ecm.tasks import send_digests

    reminder = make_reminder(world.case_manager, email_status="digest")
    with caplog.at_level(logging.WARNING, logger="ecm.reminders"):
        send_digests.apply()
    reminder.refresh_from_db()
    assert len(smtp_down) == reminders.MAX_ATTEMPTS
    assert reminder.email_status == "failed" and reminder.attempts == reminders.MAX_ATTEMPTS
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and f"digest for user {world.case_manager.pk}" in errors[0].message


# --- Through a real worker and Redis ---


@pytest.fixture
def redis_worker(transactional_db):
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from ecm.celery import app

    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests need REDIS_URL"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.mark.redis
def test_a_real_worker_retries_a_failing_send_then_marks_it_failed(
    redis_worker, world, smtp_down, monkeypatch
):
    from ecm.tasks import send_reminder_email

    monkeypatch.setattr("ecm.mail.BACKOFF_SECONDS", 0.05)
    reminder = make_reminder(world.psychologist)
    send_reminder_email.delay(reminder.pk)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reminder.refresh_from_db()
        if reminder.email_status == "failed":
            break
        time.sleep(0.2)
    assert reminder.email_status == "failed"
    time.sleep(1)  # no further attempt after it failed
    assert len(smtp_down) == reminders.MAX_ATTEMPTS
    assert reminder.attempts == reminders.MAX_ATTEMPTS
    assert mail.outbox == []
