"""Background polls (the projector view, the PDF progress page) neither keep a session alive
nor write audit rows (ASVS V3.3)."""

import datetime as dt

import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from ecm.models import AuditEvent

POLL = {"HX-Request": "true", "X-ECM-Background-Poll": "1"}


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_polls_do_not_extend_the_idle_timeout(client, world, settings):
    url = reverse("formulation:timeline_present", args=[world.case.pk])
    idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(world.case_manager)
        page = client.get(url)
        assert page.status_code == 200
        assert 'hx-headers=\'{"X-ECM-Background-Poll": "1"}\'' in page.content.decode()
        assert expiry(client) == start + idle
    with time_machine.travel(start + idle / 2, tick=False):
        poll = client.get(url, headers=POLL)
        assert poll.status_code == 200 and poll.content.decode().startswith("<svg")
        assert expiry(client) == start + idle  # the poll did not count
        assert client.get(reverse("home")).status_code == 200
        assert expiry(client) == start + idle / 2 + idle  # a page the person asked for did
    with time_machine.travel(start + idle / 2 + idle + dt.timedelta(seconds=1), tick=False):
        poll = client.get(url, headers=POLL)
        # Signed out: htmx is told to load the sign-in page instead of swapping it in.
        assert poll.status_code == 204
        assert poll["HX-Redirect"].startswith(reverse("login"))
        assert client.get(url).status_code == 302


def test_the_projector_view_writes_one_audit_row_per_viewing(client, world):
    url = reverse("formulation:timeline_present", args=[world.case.pk])
    client.force_login(world.case_manager)
    client.get(url)
    for _ in range(3):
        assert client.get(url, headers=POLL).status_code == 200
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, detail="timeline (full screen)")
    assert rows.count() == 1
    client.get(url)  # viewing it again is another viewing
    assert rows.count() == 2


def test_a_poll_of_someone_elses_case_is_still_refused(client, world):
    client.force_login(world.other_case_manager)
    url = reverse("formulation:timeline_present", args=[world.case.pk])
    assert client.get(url, headers=POLL).status_code == 404
