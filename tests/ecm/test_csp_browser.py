"""The Content Security Policy in real Chromium (issue 19): every browser test fails on a
violation (tests/csp_watch.py, hooked into the `browser` fixture, so the accessibility crawl
of every page, the timeline's projector view, autosave and the drawings are all checked);
these add the pages no other browser test opens (the admin, the print views, error pages)
and prove that the watch does see a refused inline script or style."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from referrals.models import Referral
from tests import csp_watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# window.print would open the print dialogue: count the calls instead.
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


def signed_in_context(browser, base: str, user, **options):
    """A browser context with `user` signed in (a session made by force_login)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(**options)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    return context


def settle(page) -> None:
    """Let reports of the page's violations arrive (they are sent asynchronously)."""
    page.wait_for_timeout(200)


def test_the_watch_sees_a_refused_inline_script_and_style(browser, live_server, db):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__ran = true";
            document.body.append(script);
            document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
            const style = document.createElement("style");
            style.textContent = "body { color: red }";
            document.head.append(style);
        }"""
    )
    settle(page)
    assert page.evaluate("window.__ran") is None  # the inline script did not run
    found = csp_watch.take()
    context.close()
    assert any("script-src" in v for v in found), found
    assert any("style-src-attr" in v for v in found), found
    assert any("style-src-elem" in v for v in found), found


def test_the_admin_works_under_the_policy(browser, live_server, world):
    base = live_server.url
    context = signed_in_context(browser, base, world.superuser)
    page = context.new_page()
    for url in (
        reverse("admin:index"),
        reverse("admin:ecm_user_changelist"),
        reverse("admin:ecm_user_change", args=[world.case_manager.pk]),
        reverse("admin:ecm_membership_add"),
        reverse("admin:ecm_team_change", args=[world.yot_a.pk]),
    ):
        response = page.goto(base + url)
        assert response.status == 200, url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # The admin's own scripts run: the change list's "select all" ticks every row.
    page.goto(base + reverse("admin:ecm_user_changelist"))
    page.locator("#action-toggle").check()
    assert (
        page.locator("input.action-select:checked").count()
        == page.locator("input.action-select").count()
    )
    settle(page)
    context.close()


def test_print_buttons_print_without_an_inline_handler(browser, live_server, world):
    referral = Referral.objects.create(case=world.case, referrer=world.case_manager)
    base = live_server.url
    context = signed_in_context(browser, base, world.case_manager)
    context.add_init_script(COUNT_PRINTS)
    page = context.new_page()
    for url in (
        reverse("referrals:print", args=[referral.case_id]),
        reverse("referrals:leaflet", args=[referral.case_id]),
    ):
        assert page.goto(base + url).status == 200, url
        page.get_by_role("button", name="Print").click()
        assert page.evaluate("window.__prints") == 1, url
        # The page's own style sheet applies (it was an inline <style> before).
        assert page.evaluate("parseFloat(getComputedStyle(document.body).paddingTop)") > 16
    settle(page)
    context.close()


def test_error_pages_show_styled_without_a_violation(browser, live_server, world):
    base = live_server.url
    context = signed_in_context(browser, base, world.case_manager)
    page = context.new_page()
    response = page.goto(base + reverse("case_detail", args=[world.other_case.pk]))
    assert response.status == 404
    assert "default-src 'self'" in response.headers["content-security-policy"]
    # Bootstrap and ecm.css are loaded: the marking band is dark.
    assert page.evaluate("getComputedStyle(document.querySelector('.marking')).color") == (
        "rgb(255, 255, 255)"
    )
    # htmx reads its settings from the page: no inline indicator <style>, no eval.
    page.wait_for_function("() => window.htmx !== undefined")  # a function: no eval
    assert page.evaluate("[htmx.config.includeIndicatorStyles, htmx.config.allowEval]") == [
        False,
        False,
    ]
    assert page.locator("style").count() == 0
    settle(page)
    context.close()
