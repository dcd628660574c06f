"""Pages of the core as users see them."""

import pytest
from django.test import override_settings
from django.urls import reverse

from ecm.models import AuditEvent
from tests.factories import UserFactory


def test_case_manager_home_is_their_caseload(client, world):
    client.force_login(world.case_manager_2)
    body = client.get(reverse("home")).content.decode()
    assert "My caseload" in body
    assert world.case.child.full_name not in body  # allocated to cm_a, not cm_a2
    client.force_login(world.case_manager)
    body = client.get(reverse("home")).content.decode()
    assert world.case.child.full_name in body
    assert "Deliver the intervention plan" in body  # the next due thing


def test_other_roles_home_lists_open_cases_and_links_to_the_filtered_list(client, world):
    client.force_login(world.senior)
    body = client.get(reverse("home")).content.decode()
    assert "Open cases in your teams" in body and reverse("case_list") in body
    assert world.case.reference in body and world.referred_case.reference in body
    body = client.get(reverse("case_list"), {"status": "referred"}).content.decode()
    assert world.referred_case.reference in body and world.case.reference not in body


def test_case_page_header(client, world):
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    child = world.case.child
    for text in (
        child.full_name,
        str(child.age),
        "Alpha YOT",
        str(world.case_manager),
        "Active",
        world.case.reference,
    ):
        assert text in body
    # Status is written out, not only coloured.
    assert '<span class="badge status-badge status-active">Active</span>' in body


def test_names_with_apostrophes_are_escaped(client, world):
    """A name such as O'Sullivan shows as typed, escaped once, on the case page."""
    world.case_manager.last_name = "O'Sullivan"
    world.case_manager.save(update_fields=["last_name"])
    child = world.case.child
    child.last_name = "D'Arcy"
    child.save(update_fields=["last_name"])
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    assert "O&#x27;Sullivan" in body and "D&#x27;Arcy" in body
    assert "O'Sullivan" not in body and "&amp;#x27;" not in body


def test_search_by_post_keeps_term_out_of_url(client, world):
    client.force_login(world.case_manager)
    child = world.case.child
    response = client.post(reverse("search"), {"q": child.last_name})
    assert response.status_code == 200
    body = response.content.decode()
    assert world.case.reference in body
    assert world.other_case.reference not in body
    assert reverse("search") == response.wsgi_request.get_full_path()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).count() == 1
    # Another team's child is not found even by exact reference.
    body = client.post(
        reverse("search"), {"q": world.other_case.child.yot_reference}
    ).content.decode()
    assert "No child you can see matches" in body
    # A GET with a query string is ignored: no results from a URL.
    body = client.get(reverse("search"), {"q": child.last_name}).content.decode()
    assert world.case.reference not in body


def test_search_by_case_reference(client, world):
    client.force_login(world.manager)
    body = client.post(reverse("search"), {"q": world.case.reference}).content.decode()
    assert world.case.child.full_name in body


def test_wrong_password_message_does_not_reveal_the_user(client, world):
    known = client.post(reverse("login"), {"login": "cm_a", "password": "nope-nope"})
    unknown = client.post(reverse("login"), {"login": "nobody", "password": "nope-nope"})
    assert known.status_code == unknown.status_code == 200
    msg = "Your username and password did not match"
    assert msg in known.content.decode() and msg in unknown.content.decode()


def test_login_lockout_after_repeated_failures(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"login": "cm_a", "password": "wrong"})
    response = client.post(reverse("login"), {"login": "cm_a", "password": "correct-horse-battery"})
    assert "Sign-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_session_expires_when_idle(settings):
    assert "ecm.middleware.SessionIdleMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 <= 60 * 60


def test_logout_ends_the_session(client, world):
    client.force_login(world.case_manager)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_pages_with_case_data_are_not_cached(client, world):
    client.force_login(world.case_manager)
    response = client.get(reverse("case_detail", args=[world.case.pk]))
    assert response["Cache-Control"] == "no-store"


def test_every_page_has_landmarks_and_skip_link(client, world):
    client.force_login(world.manager)
    for url in (
        reverse("home"),
        reverse("case_list"),
        reverse("search"),
        reverse("audit_log"),
        reverse("case_detail", args=[world.case.pk]),
    ):
        body = client.get(url).content.decode()
        assert 'href="#main"' in body, url
        assert '<main id="main"' in body and "<header>" in body and "<nav" in body, url
        assert "<h1" in body, url


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["database"] == "ok"
    assert data["broker"] == "ok"  # the real Redis started for the test run
    assert settings.CELERY_BROKER_URL.startswith("redis://")


@pytest.mark.django_db
def test_healthz_says_broker_down_but_still_200(client):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "down"


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client):
    from unittest import mock

    from django.db import OperationalError, connection

    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "down"}


def test_pages_work_when_redis_is_down(client, world):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        client.force_login(world.case_manager)
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("case_detail", args=[world.case.pk])).status_code == 200


def test_supervision_link_for_team_members_only(client, world):
    supervision = f'href="{reverse("supervision:index")}"'
    client.force_login(world.case_manager)
    assert supervision in client.get(reverse("notification_preferences")).content.decode()
    loner = UserFactory(username="no_team")
    client.force_login(loner)
    assert supervision not in client.get(reverse("notification_preferences")).content.decode()
    # A team made inactive no longer counts.
    world.yot_b.is_active = False
    world.yot_b.save(update_fields=["is_active"])
    client.force_login(world.other_case_manager)
    assert supervision not in client.get(reverse("notification_preferences")).content.decode()


def test_the_preferences_page_writes_nothing_until_saved(client, world):
    from ecm.models import NotificationPreference

    client.force_login(world.case_manager)
    assert client.get(reverse("notification_preferences")).status_code == 200
    assert not NotificationPreference.objects.filter(user=world.case_manager).exists()
    client.post(reverse("notification_preferences"), {"email_mode": "digest"})
    assert NotificationPreference.objects.get(user=world.case_manager).email_mode == "digest"


def test_notification_pages_keep_showing_all(client, world):
    from ecm.models import Notification

    Notification.objects.bulk_create(
        Notification(user=world.case_manager, title=f"Reminder {n}") for n in range(60)
    )
    client.force_login(world.case_manager)
    body = client.get(reverse("notifications") + "?show=all").content.decode()
    assert "?show=all&amp;page=2" in body
    assert "?page=2" in client.get(reverse("notifications")).content.decode()


def test_allocation_form_page_and_its_refusals(client, world):
    url = reverse("case_allocate", args=[world.case.pk])
    client.force_login(world.other_senior)  # another team: the case is not there
    assert client.get(url).status_code == 404
    client.force_login(world.case_manager_2)  # sees the case, is not its case manager
    assert client.get(url).status_code == 403
    client.force_login(world.senior)
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    partial = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "autofocus" in partial.content.decode()
    stale = world.case.version - 1
    response = client.post(url, {"version": stale, "case_manager": world.case_manager_2.pk})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this case" in body
    assert f'value="{world.case_manager_2.pk}" selected' in body  # the choice is kept
    outsider = world.other_case_manager.pk
    response = client.post(url, {"version": world.case.version, "case_manager": outsider})
    assert response.status_code == 400
    response = client.post(
        url, {"version": world.case.version, "case_manager": world.case_manager_2.pk}
    )
    assert response.status_code == 302
    world.case.refresh_from_db()
    assert world.case.case_manager == world.case_manager_2


def test_opening_the_allocation_form_is_audited(client, world):
    from ecm.models import AuditEvent

    client.force_login(world.senior)
    client.get(reverse("case_allocate", args=[world.case.pk]))
    event = AuditEvent.objects.get(actor=world.senior, action=AuditEvent.Action.VIEW)
    assert (event.object_label, event.detail) == (world.case.reference, "allocation")
