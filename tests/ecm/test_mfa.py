"""Multi-factor sign-in, enrolment when required, factor resets, sessions (issue 19)."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from ecm.mfa import factors_reset
from ecm.models import AuditEvent

PASSWORD = "correct-horse-battery"  # noqa: S105


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"login": username, "password": password}, **extra)


def test_password_then_authenticator_code(client, world):
    secret = with_totp(world.case_manager)
    response = sign_in(client, "cm_a")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    assert client.get(reverse("home")).status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session

    done = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(world.case_manager.pk)
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="login", actor=world.case_manager).count() == 1


def test_the_secret_is_encrypted_at_rest(world):
    secret = with_totp(world.case_manager)
    stored = Authenticator.objects.get(user=world.case_manager, type="totp").data["secret"]
    assert secret not in stored and stored.startswith("fernet:")


def test_a_recovery_code_signs_in_once(client, world):
    with_totp(world.case_manager)
    codes = RecoveryCodes(
        Authenticator.objects.get(user=world.case_manager, type="recovery_codes")
    ).get_unused_codes()
    sign_in(client, "cm_a")
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert client.session["_auth_user_id"] == str(world.case_manager.pk)

    again = Client()
    sign_in(again, "cm_a")
    reused = again.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert reused.status_code == 200 and "_auth_user_id" not in again.session


def test_repeated_wrong_codes_are_refused_even_when_one_is_right(client, world):
    secret = with_totp(world.case_manager)
    sign_in(client, "cm_a")
    for _ in range(10):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert "_auth_user_id" not in client.session
    assert "did not match" in response.content.decode()


@pytest.mark.parametrize("who", ["case_manager", "superuser"])
def test_mfa_required_sends_an_account_without_a_factor_to_enrol(client, world, settings, who):
    settings.MFA_REQUIRED = True
    user = getattr(world, who)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_required")
    assert client.get("/admin/").status_code == 302
    htmx = client.get(reverse("case_list"), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == reverse("mfa_required")
    page = client.get(reverse("mfa_required"))
    assert page.status_code == 200
    assert reverse("mfa_activate_totp") in page.content.decode()
    assert client.get(reverse("mfa_index")).status_code == 200

    with_totp(user)
    assert client.get(reverse("home")).status_code == 200


def test_mfa_required_keeps_the_last_factor(world, settings):
    from ecm.account_adapter import MfaAdapter

    settings.MFA_REQUIRED = True
    with_totp(world.case_manager)
    totp = Authenticator.objects.get(user=world.case_manager, type="totp")
    assert not MfaAdapter().can_delete_authenticator(totp)
    settings.MFA_REQUIRED = False
    assert MfaAdapter().can_delete_authenticator(totp)


def test_demo_pages_say_that_mfa_is_off(client, world, settings):
    settings.MFA_REQUIRED = False
    client.force_login(world.case_manager)
    assert "Production requires a second factor" in client.get(reverse("home")).content.decode()
    settings.MFA_REQUIRED = True
    with_totp(world.case_manager)
    assert "Production requires" not in client.get(reverse("home")).content.decode()


def test_admin_signs_in_through_the_product_sign_in(client, world):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/admin/" in response["Location"]


def test_sign_up_and_changing_ones_own_address_are_not_offered(client, world):
    assert client.get("/accounts/signup/").status_code == 404
    client.force_login(world.case_manager)
    assert client.get("/accounts/email/").status_code == 404


# --- resetting a member's factors -------------------------------------------------------


def test_team_administrator_resets_a_members_factors(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    other = Client()
    sign_in(other, "cm_a")
    with_totp(world.case_manager)
    assert UserSession.objects.filter(user=world.case_manager).exists()

    with django_capture_on_commit_callbacks() as callbacks:
        factors_reset(actor=world.team_admin, member=world.case_manager)
    assert len(callbacks) == 1  # the e-mail, queued for the worker
    assert not Authenticator.objects.filter(user=world.case_manager).exists()
    assert not UserSession.objects.filter(user=world.case_manager).exists()
    assert other.get(reverse("home")).status_code == 302  # that session was ended
    event = AuditEvent.objects.get(detail="sign-in factors reset")
    assert event.actor == world.team_admin and event.object_id == str(world.case_manager.pk)


@pytest.mark.parametrize("actor", ["case_manager", "other_manager", "outsider", "senior"])
def test_who_may_not_reset_factors(world, actor):
    with_totp(world.case_manager)
    with pytest.raises(PermissionDenied):
        factors_reset(actor=getattr(world, actor), member=world.case_manager)
    assert Authenticator.objects.filter(user=world.case_manager).count() == 2


def test_team_members_page_and_reset(client, world, django_assert_max_num_queries):
    with_totp(world.case_manager)
    client.force_login(world.manager)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("team_members"))
    body = page.content.decode()
    assert "cm_a" in body and "cm_b" not in body  # the other team's members are not listed
    url = reverse("member_factors_reset", args=[world.case_manager.pk])
    assert url in body
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert not Authenticator.objects.filter(user=world.case_manager).exists()
    # Another team's member: 404. One's own: refused.
    assert (
        client.get(reverse("member_factors_reset", args=[world.other_case_manager.pk])).status_code
        == 404
    )
    assert client.post(reverse("member_factors_reset", args=[world.manager.pk])).status_code == 403


@pytest.mark.parametrize("who", ["case_manager", "senior", "outsider", "superuser"])
def test_team_members_page_is_for_administrators_and_managers(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("team_members")).status_code == 403


# --- sessions ---------------------------------------------------------------------------


def test_your_sessions_lists_and_signs_out_the_others(world):
    laptop, phone = (
        Client(HTTP_USER_AGENT="Laptop browser"),
        Client(HTTP_USER_AGENT="Phone browser"),
    )
    sign_in(laptop, "cm_a")
    sign_in(phone, "cm_a")
    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Laptop browser" in page and "Phone browser" in page and "This one" in page
    laptop.post(reverse("usersessions_list"))
    assert phone.get(reverse("home")).status_code == 302
    assert laptop.get(reverse("home")).status_code == 200


def test_changing_the_password_ends_the_other_sessions(world):
    here, there = Client(), Client()
    sign_in(here, "cm_a")
    sign_in(there, "cm_a")
    # allauth asks for the current password; a change signs out the other session only.
    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-passphrase",
            "password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("home")).status_code == 200
    assert there.get(reverse("home")).status_code == 302
    assert UserSession.objects.filter(user=world.case_manager).count() == 1


def test_a_session_ends_after_its_absolute_lifetime(client, world, settings, time_machine):
    settings.SESSION_ABSOLUTE_HOURS = 12
    time_machine.move_to(time.time(), tick=True)
    sign_in(client, "cm_a")
    assert client.get(reverse("home")).status_code == 200
    # Active every 20 minutes for 11 h 40 min: the idle timeout alone would never end it.
    for _ in range(35):
        time_machine.shift(20 * 60)
        assert client.get(reverse("home")).status_code == 200
    time_machine.shift(20 * 60 + 1)
    assert client.get(reverse("home")).status_code == 302


def test_last_seen_is_kept_at_most_once_a_minute(client, world, time_machine):
    time_machine.move_to(time.time(), tick=True)
    sign_in(client, "cm_a", REMOTE_ADDR="10.1.1.1")
    session = UserSession.objects.get(user=world.case_manager)
    first_seen = session.last_seen_at
    client.get(reverse("home"))
    assert UserSession.objects.get(pk=session.pk).last_seen_at == first_seen
    time_machine.shift(120)
    client.get(reverse("home"), REMOTE_ADDR="10.2.2.2")
    later = UserSession.objects.get(pk=session.pk)
    assert later.last_seen_at > first_seen and later.ip == "10.2.2.2"


def test_a_password_set_by_an_administrator_ends_the_persons_sessions(client, world):
    from allauth.usersessions.models import UserSession

    theirs = Client()
    sign_in(theirs, "psy_a")
    assert theirs.get(reverse("home")).status_code == 200
    client.force_login(world.superuser)
    url = reverse("admin:auth_user_password_change", args=[world.psychologist.pk])
    new = "a-new-long-passphrase-9"
    assert client.post(url, {"password1": new, "password2": new}).status_code == 302
    assert theirs.get(reverse("home")).status_code == 302
    assert not UserSession.objects.filter(user=world.psychologist).exists()


def test_the_nightly_task_forgets_ended_sessions(world, time_machine):
    """allauth purges a person's ended sessions when they sign in again (one query each); the
    nightly task forgets those of people who do not, so the rows never pile up."""
    from django.contrib.sessions.models import Session

    from ecm.tasks import clear_expired_sessions

    time_machine.move_to(time.time(), tick=True)
    ended, live = Client(), Client()
    sign_in(ended, "cm_a")
    time_machine.shift(3 * 3600)  # past the idle timeout: that session has ended
    sign_in(live, "cm_a2")
    assert UserSession.objects.count() == 2
    assert clear_expired_sessions() == 1
    (left,) = UserSession.objects.all()
    assert left.user == world.case_manager_2
    assert Session.objects.filter(session_key=left.session_key).exists()
    assert live.get(reverse("home")).status_code == 200
