"""A user journey in real headless Chromium (Debian's), driven by Playwright."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import login as _login
from tests.conftest import open_navigation

pytestmark = pytest.mark.browser


def test_case_manager_journey_and_other_team_404(browser, live_server, world):
    base = live_server.url
    child = world.case.child
    context = browser.new_context()
    page = context.new_page()
    _login(page, base, "cm_a")
    page.get_by_role("heading", name="My caseload").wait_for()
    expect(page.get_by_role("link", name=child.full_name)).to_be_visible()
    page.get_by_role("link", name=child.full_name).click()
    page.get_by_role("heading", name=child.full_name).wait_for()
    case_url = page.url
    assert case_url.endswith(reverse("case_detail", args=[world.case.pk]))
    expect(page.get_by_text(world.case.reference).first).to_be_visible()
    expect(page.locator(".status-badge")).to_have_text("Active")
    open_navigation(page)  # collapsed behind its toggle when the links do not fit
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    context.close()

    context = browser.new_context()
    page = context.new_page()
    _login(page, base, "cm_b")
    page.get_by_role("heading", name="My caseload").wait_for()
    assert page.get_by_text(child.full_name).count() == 0
    response = page.goto(case_url)
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert page.get_by_text(child.full_name).count() == 0
    context.close()


def test_wrong_password_in_browser(browser, live_server, world):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill("cm_a")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Your username and password did not match")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("cm_a")  # kept
    context.close()


def test_allocation_is_changed_in_place(browser, live_server, world):
    """The case page shows who the case manager is; the form comes when asked for (htmx, in
    place, with the focus on the choice) and saving it updates the case."""
    context = browser.new_context()
    page = context.new_page()
    _login(page, live_server.url, "sp_a")
    page.goto(live_server.url + reverse("case_detail", args=[world.case.pk]))
    allocation = page.locator("#allocation")
    expect(allocation).to_contain_text(world.case_manager.get_full_name())
    assert page.get_by_label("Case manager").count() == 0  # no form until asked for
    page.get_by_role("link", name="Change the case manager").click()
    choice = page.get_by_label("Case manager")
    expect(choice).to_be_focused()
    assert page.url.endswith(reverse("case_detail", args=[world.case.pk]))  # in place
    choice.select_option(label=world.case_manager_2.get_full_name())
    page.get_by_role("button", name="Save allocation").click()
    expect(page.get_by_text("Allocation saved.")).to_be_visible()
    expect(page.locator("#allocation")).to_contain_text(world.case_manager_2.get_full_name())
    context.close()
