"""Multi-factor sign-in in Chromium (issue 19): enrolment with an authenticator app, sign-in
with its code, a security key through Chromium's virtual authenticator (CDP), and "Your
sessions"; axe-core on every page of the flow."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import login, open_navigation
from tests.ecm.test_a11y_browser import axe_findings, sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # noqa: S105


def code(secret: str, step: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def check_page(page, found: list[str], name: str) -> None:
    path = page.url.split(":", 2)[-1].split("/", 1)[-1]
    violations, _ = axe_findings(page, Axe(), "/" + path, name)
    found.extend(violations)
    problem = sideways_scroll(page, "/" + path, name)
    page.set_viewport_size({"width": 1280, "height": 800})
    if problem:
        found.append(problem)


def reauthenticate_if_asked(page) -> None:
    if "/reauthenticate/" in page.url:
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()


def test_enrol_an_authenticator_app_then_sign_in_with_it(browser, live_server, world, settings):
    settings.MFA_REQUIRED = True
    settings.MFA_TOTP_TOLERANCE = 1  # so the next period's code is good now (no waiting)
    found: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, live_server.url, "cm_a")
    # No second factor yet: every page leads to enrolment.
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()
    check_page(page, found, "mfa_required")
    page.goto(live_server.url + reverse("case_list"))
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()

    page.get_by_role("link", name="Use an authenticator app").click()
    reauthenticate_if_asked(page)
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    check_page(page, found, "mfa_activate_totp")
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_label("Authenticator code").fill(code(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/.*"))
    check_page(page, found, "mfa_index")
    page.goto(live_server.url + reverse("mfa_view_recovery_codes"))
    check_page(page, found, "mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=world.case_manager, type="totp").exists()
    page.goto(live_server.url + reverse("home"))
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()

    # Sign out; signing in again asks for the code after the password.
    open_navigation(page)
    page.get_by_role("button", name="Sign out").click()
    login(page, live_server.url, "cm_a")
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    check_page(page, found, "mfa_authenticate")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_role("link", name="Incorrect code.")).to_be_visible()  # error summary
    page.get_by_label("Code").fill(code(secret, step=1))  # not the one used to activate
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()

    # Your account, your sessions.
    page.get_by_role("link", name=re.compile("Signed in as")).click()
    check_page(page, found, "account_security")
    page.get_by_role("link", name="Your sessions").click()
    expect(page.get_by_role("heading", name="Your sessions")).to_be_visible()
    check_page(page, found, "usersessions_list")
    page.goto(live_server.url + reverse("account_change_password"))
    check_page(page, found, "account_change_password")
    context.close()
    assert not found, "\n".join(found)


def test_security_key_through_the_virtual_authenticator(browser, live_server, world, settings):
    settings.MFA_REQUIRED = True
    found: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    assert "localhost" in live_server.url  # WebAuthn needs a domain, not an IP address
    login(page, live_server.url, "sp_a")
    page.get_by_role("link", name="Use a security key or passkey").click()
    reauthenticate_if_asked(page)
    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    check_page(page, found, "mfa_add_webauthn")
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.get_by_role("button", name="Add").click()
    try:
        page.wait_for_url(lambda url: not url.endswith("/webauthn/add/"), timeout=15000)
    except Exception as exc:
        raise AssertionError((page.url, messages, page.locator("main").inner_text())) from exc
    assert Authenticator.objects.filter(user=world.senior, type="webauthn").exists()
    page.goto(live_server.url + reverse("mfa_list_webauthn"))
    check_page(page, found, "mfa_list_webauthn")

    page.goto(live_server.url + reverse("home"))
    open_navigation(page)
    page.get_by_role("button", name="Sign out").click()
    login(page, live_server.url, "sp_a")
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", name="Your work")).to_be_visible(timeout=15000)
    context.close()
    assert not found, "\n".join(found)


def test_sign_in_pages_have_no_axe_violation(browser, live_server, world):
    found: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    for name in ("account_reset_password", "account_reset_password_done", "login"):
        page.goto(live_server.url + reverse(name))
        check_page(page, found, name)
    login(page, live_server.url, "mgr_a")
    page.goto(live_server.url + reverse("team_members"))
    check_page(page, found, "team_members")
    page.goto(live_server.url + reverse("member_factors_reset", args=[world.case_manager.pk]))
    check_page(page, found, "member_factors_reset")
    context.close()
    assert not found, "\n".join(found)
