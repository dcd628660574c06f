"""Model fidelity in real headless Chromium, at 390 px: a manager reads the dashboard's
Model fidelity table, follows "Formulation meeting held within the team's target" to the
cases behind it, and reads each case's points as symbols and words; the page fits the
screen (the table scrolls in its own box)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ecm.models import Role
from referrals.models import EligibilityCheck, Referral, RuleSet
from tests.conftest import login, reload_migration_data
from tests.factories import CaseFactory, TeamFactory, held_meeting, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(django_db_blocker):
    reload_migration_data(django_db_blocker, "referrals.migrations.0002_rule_sets")
    yot = TeamFactory(name="Northgate YOT", code="northgate")
    member(yot, Role.MANAGER, username="manager")
    cm = member(yot, Role.CASE_MANAGER, username="cm_north")
    now = timezone.now()
    cases = []
    for days_to_meeting in (20, 60):  # on time, then late, against the default 42 days
        c = CaseFactory(team=yot, case_manager=cm, status="active")
        decided = now - dt.timedelta(days=100)
        r = Referral.objects.create(case=c, status="submitted", submitted_at=decided)
        EligibilityCheck.objects.create(
            referral=r, rule_set=RuleSet.objects.first(), decision="accepted", checked_at=decided
        )
        held_meeting(
            case=c,
            starts_at=decided + dt.timedelta(days=days_to_meeting),
            status="held",
            chair=cm,
            psychologist=cm,
        )
        cases.append(c)
    return cases


def test_fidelity_table_drill_down_and_column_at_390px(browser, live_server, team):
    on_time, late = team
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, base, "manager")
    page.goto(base + reverse("monitoring:dashboard"))
    # The dashboard leads to its Model fidelity page (a tab, and in the contents).
    page.get_by_role("navigation", name="Monitoring pages").get_by_role(
        "link", name="Model fidelity"
    ).click()
    page.get_by_role("heading", name="Model fidelity", level=1).wait_for()
    table = page.locator("#fidelity")
    row = table.locator("tr", has_text="Formulation meeting held within the team's target")
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    page.get_by_text("1 case you can see").wait_for()
    assert on_time.reference in page.content() and late.reference not in page.content()

    page.goto(base + reverse("monitoring:drill", args=["on_ecm"]))
    page.get_by_role("columnheader", name="Model fidelity").wait_for()
    cells = page.locator("td.fidelity")
    expect(cells).to_have_count(2)
    text = " ".join(cells.all_inner_texts())
    assert "✓ Meeting on time" in text and "✗ Meeting late" in text
    assert "– Closure review: not yet applicable" in text
    # The page fits 390 px: only the table's own box may scroll sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    context.close()
