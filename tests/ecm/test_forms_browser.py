"""Forms in the GOV.UK way, in real Chromium: a failed submit moves the focus to the error
summary, its links move the focus to the field, and the referral counts its grid's answers
as they are given."""

import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from referrals import services as referral_services
from tests.conftest import login as _login
from tests.factories import CaseFactory

pytestmark = pytest.mark.browser


def test_error_summary_takes_the_focus_and_links_to_each_field(browser, live_server, world):
    context = browser.new_context()
    page = context.new_page()
    _login(page, live_server.url, "cm_a")
    page.goto(live_server.url + reverse("child_create"))
    page.get_by_label("First name").fill("Ann")
    page.get_by_role("button", name="Register").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page.get_by_label("First name")).to_have_value("Ann")  # kept
    summary.get_by_role("link", name="Enter the date of birth").click()
    expect(page.locator("#id_date_of_birth")).to_be_focused()
    expect(page.locator("#id_date_of_birth")).to_be_in_viewport()
    context.close()


def test_referral_counts_answers_live_and_links_missing_ones(browser, live_server, world):
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    referral_services.referral_mark_ready(actor=world.case_manager, case=case)
    referral_services.referral_start(actor=world.case_manager, case=case)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, "cm_a")
    page.goto(live_server.url + reverse("referrals:edit", args=[case.pk]))
    count = page.locator("[data-answered-count]")
    expect(count).to_have_text("0 of 25 answered")
    page.get_by_role("link", name="Indicators of complexity").click()
    page.get_by_label("Child protection plan: Current").check()
    page.get_by_label("Local authority care: Never").check()
    expect(count).to_have_text("2 of 25 answered")
    if os.environ.get("ECM_SCREENSHOTS"):  # to look at by eye
        page.screenshot(path=os.environ["ECM_SCREENSHOTS"] + "/referral-grid.png")
    page.get_by_role("button", name="Submit referral").click()
    problems = page.locator("#submit-problems")
    expect(problems).to_be_focused()
    expect(count).to_have_text("2 of 25 answered")  # counted on the server too
    problems.get_by_role("link", name="Answer “Contact with CAMHS”").click()
    expect(page.get_by_label("Contact with CAMHS: Current")).to_be_focused()
    expect(page.get_by_label("Contact with CAMHS: Current")).to_be_in_viewport()
    if os.environ.get("ECM_SCREENSHOTS"):
        page.screenshot(path=os.environ["ECM_SCREENSHOTS"] + "/referral-problems.png")
    context.close()
