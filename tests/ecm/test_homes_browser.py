"""The senior practitioner's home in real Chromium at 390 px: their work first, readable
without sideways scrolling, headings in order, every section reachable."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from referrals.models import Referral
from tests.conftest import login
from tests.factories import CaseFactory

pytestmark = pytest.mark.browser


def test_senior_home_at_390_px(browser, live_server, world):
    referred = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="referred")
    Referral.objects.create(
        case=referred, status="submitted", submitted_at=timezone.now() - dt.timedelta(days=5)
    )
    waiting = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="waiting")
    Referral.objects.create(
        case=waiting, status="decided", waiting_since=timezone.now() - dt.timedelta(days=7)
    )
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, live_server.url, "sp_a")
    page.get_by_role("heading", name="Your work", level=1).wait_for()

    headings = page.locator("main h2").all_inner_texts()
    assert headings[:3] == [
        "Referrals waiting for your decision",
        "Meetings you chair",
        "Formulation reports",
    ]
    assert headings[-2:] == ["Waiting list", "Open cases in your teams"]
    decisions = page.get_by_role("region", name="Referrals waiting for your decision")
    expect(decisions.get_by_text("waiting 5 days")).to_be_visible()
    decisions.get_by_role("link", name=referred.child.full_name).wait_for()
    expect(page.get_by_text("You chair no meetings from today on.")).to_be_visible()
    waiting_region = page.get_by_role("region", name="Waiting list")
    expect(
        waiting_region.get_by_role("link", name="1 child is on the waiting list")
    ).to_be_visible()
    # The open cases stack at this width (the table is for wider screens), next steps shown.
    cases = page.get_by_role("list", name="Open cases in your teams")
    expect(cases.get_by_role("link", name=waiting.child.full_name)).to_be_visible()
    expect(cases.get_by_text("Next: On the waiting list (7 days)")).to_be_visible()
    expect(page.get_by_role("table")).to_be_hidden()

    # Nothing but the drawings may scroll sideways: the page is as wide as the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path="/tmp/homes-senior-390.png", full_page=True)

    waiting_region.get_by_role("link", name="1 child is on the waiting list").click()
    page.wait_for_url(live_server.url + reverse("referrals:waiting_list"))
    context.close()
