"""Celery through a real Redis broker and a real worker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from ecm.celery import app
from ecm.health import HEARTBEAT_TASK
from ecm.models import TaskHeartbeat
from ecm.tasks import heartbeat

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_worker(transactional_db):
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests need REDIS_URL"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def test_heartbeat_runs_on_a_real_worker(redis_worker, client):
    assert not TaskHeartbeat.objects.exists()
    heartbeat.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not TaskHeartbeat.objects.exists():
        time.sleep(0.2)
    beat = TaskHeartbeat.objects.get(name=HEARTBEAT_TASK)
    assert beat.last_run_at is not None
    assert client.get("/healthz").json()["scheduler"]["state"] == "ok"


def test_beat_schedule_is_defined_in_code():
    schedule = app.conf.beat_schedule
    assert schedule["heartbeat"]["task"] == HEARTBEAT_TASK
    assert "clear-expired-sessions" in schedule
    assert app.conf.timezone == "Europe/London"


def test_invitation_email_sent_by_a_real_worker(redis_worker, world):
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from formulation.models import Invitation, Meeting
    from formulation.tasks import send_invitation
    from tests.factories import CaseFactory

    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="preparation")
    meeting = Meeting.objects.create(
        case=case,
        starts_at=timezone.now() + dt.timedelta(days=3),
        location="Room 1",
        chair=world.senior,
        psychologist=world.psychologist,
    )
    invitation = Invitation.objects.create(
        meeting=meeting, name="Bethan", agency="health", email="bethan@example.org"
    )
    send_invitation.delay(invitation.pk)
    send_invitation.delay(invitation.pk)  # a duplicate delivery sends once
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        invitation.refresh_from_db()
        if invitation.delivery == "sent" and len(mail.outbox) >= 1:
            break
        time.sleep(0.2)
    time.sleep(1)
    assert invitation.delivery == "sent"
    assert [m.to for m in mail.outbox] == [["bethan@example.org"]]


def test_large_report_pdf_rendered_by_a_real_worker(redis_worker, world, settings, client):
    """A report over the inline limit is rendered by the worker; the page polls progress."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from formulation.models import Meeting, ReportRender, TimelineEvent
    from formulation.report import services as report_services

    settings.REPORT_PDF_INLINE_LIMIT = 1
    for year in (2015, 2020):
        TimelineEvent.objects.create(
            child=world.case.child,
            title=f"Event {year}",
            category="family",
            start_date=dt.date(year, 5, 1),
        )
    Meeting.objects.create(
        case=world.case,
        starts_at=timezone.now() - dt.timedelta(days=3),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
    )
    report_services.report_start(actor=world.psychologist, case=world.case)
    client.force_login(world.psychologist)
    response = client.get(reverse("formulation:report_pdf", args=[world.case.pk]))
    assert response.status_code == 302
    job = ReportRender.objects.get()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job.status == "done", job.error
    page = client.get(response.url, headers={"HX-Request": "true"})
    assert "The PDF is ready." in page.content.decode()
    download = client.get(reverse("formulation:report_render_download", args=[job.pk]))
    assert download.content.startswith(b"%PDF")


def test_due_review_sends_email_and_notification_through_a_real_worker(
    redis_worker, world, settings
):
    """The beat's sweep, run by a real worker, turns a review due today into one e-mail and
    one notification per person (chair and case manager); the e-mail names no child; a second
    sweep sends nothing more."""
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from ecm.models import Notification, Reminder
    from ecm.tasks import sweep_reminders
    from formulation.models import Meeting

    settings.SITE_URL = "https://ecm.example.org"
    child = world.case.child
    child.first_name, child.last_name = "Zebedee", "Quartermaine"
    child.save()
    world.senior.email = "chair@example.org"
    world.senior.save()
    world.case_manager.email = "case.manager@example.org"
    world.case_manager.save()
    today = timezone.localdate()
    Meeting.objects.create(
        case=world.case,
        status=Meeting.Status.HELD,
        starts_at=timezone.now() - dt.timedelta(days=3),
        held_at=timezone.now() - dt.timedelta(days=3),
        chair=world.senior,
        psychologist=world.psychologist,
        review_at=timezone.make_aware(dt.datetime.combine(today, dt.time(10))),
    )
    recipients = {world.senior.pk, world.case_manager.pk}
    link = f"/cases/{world.case.pk}/reviews/"

    def review_reminders():
        return Reminder.objects.filter(kind="review_due", object_id=world.case.pk)

    def settled() -> bool:
        sent = set(review_reminders().filter(email_status="sent").values_list("recipient_id"))
        return (
            {pk for (pk,) in sent} == recipients
            and not Reminder.objects.filter(email_status="pending").exists()
            and len(mail.outbox) == Reminder.objects.filter(email_status="sent").count()
        )

    def barrier() -> None:
        """Wait until everything queued before now has run: the solo worker takes tasks in
        order, so once a heartbeat queued now has run, so has all that came before it."""
        TaskHeartbeat.objects.all().delete()
        heartbeat.delay()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not TaskHeartbeat.objects.exists():
            time.sleep(0.2)
        assert TaskHeartbeat.objects.exists(), "the worker did not get through its queue"

    sweep_reminders.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not settled():
        time.sleep(0.2)
    barrier()  # the sweep queued delivery, delivery queued the sends: all done by now
    barrier()
    assert settled()

    reminders = list(review_reminders())
    assert {r.recipient_id for r in reminders} == recipients
    assert {r.occurrence for r in reminders} == {today}
    assert all(r.sent_at and r.attempts == 1 for r in reminders)
    review_mails = [m for m in mail.outbox if link in m.body]
    assert sorted(m.to[0] for m in review_mails) == [
        "case.manager@example.org",
        "chair@example.org",
    ]
    for m in review_mails:
        assert world.case.reference in m.subject
        assert f"https://ecm.example.org{link}" in m.body
    for m in mail.outbox:  # whatever else fell due, no e-mail names the child
        text = f"{m.subject}\n{m.body}".lower()
        assert "zebedee" not in text
        assert "quartermaine" not in text
    for user_pk in recipients:
        notification = Notification.objects.get(user_id=user_pk, reminder__in=reminders)
        assert notification.link == link
        assert notification.read_at is None

    rows, sent = Reminder.objects.count(), len(mail.outbox)
    sweep_reminders.delay()
    barrier()  # the second sweep has run (and queued its delivery)
    barrier()  # its delivery has run (and queued any sends)
    barrier()  # any sends have run
    assert Reminder.objects.count() == rows
    assert len(mail.outbox) == sent
    assert Notification.objects.filter(reminder__in=reminders).count() == 2


def test_every_task_queued_or_scheduled_by_name_is_registered():
    """Services queue tasks by name (ecm.queueing) and beat schedules them by name: a typo
    would only show when the task never ran."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    app.loader.import_default_modules()
    queued = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        queued |= set(re.findall(r'queue_task\(\s*"([^"]+)"', path.read_text()))
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "ecm.deliver_reminders" in queued
    assert queued | scheduled <= set(app.tasks), (queued | scheduled) - set(app.tasks)
