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

    from formulation import report_services
    from formulation.models import Meeting, ReportRender, TimelineEvent

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
