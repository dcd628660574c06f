"""The monitoring dashboard in real headless Chromium: a manager of two YOTs (exact counts:
they can open every case) reads the headline cards first, ticks one team with the keyboard
and the current quarter, reads "Reoffended during ECM" (5), drills down to the five cases
behind it, exports the Outcomes table as CSV (audited, small cells suppressed), and sees the
other team's three reoffences as 3; the central team's manager, who cannot open those cases,
sees them as "<5". At 390 px the page fits and the charts' text is at least 12 px."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ecm.models import AuditEvent, Role
from reviews.models import Review
from tests.conftest import login, open_navigation
from tests.factories import CaseFactory, MembershipFactory, TeamFactory, held_meeting, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABEL = "Reoffended during ECM (a review in the period says so)"


def _reviewed_cases(team, case_manager, n, reoffended):
    """n active cases opened a year ago and on ECM, each with a review held today (inside the
    current quarter, not in the future); the first `reoffended` of them recorded a
    reoffence."""
    today = timezone.localdate()
    cases = []
    for i in range(n):
        case = CaseFactory(
            team=team,
            case_manager=case_manager,
            status="active",
            opened_on=today - dt.timedelta(days=365),
        )
        # On ECM since its formulation meeting, 300 days ago.
        held_meeting(
            case=case,
            starts_at=timezone.now() - dt.timedelta(days=300),
            status="held",
            chair=case_manager,
            psychologist=case_manager,
        )
        did = i < reoffended
        Review.objects.create(
            case=case,
            held_on=today,
            reoffended=did,
            breach=False,
            next_review_on=today + dt.timedelta(weeks=6),
            created_by=case_manager,
        )
        cases.append((case, did))
    return cases


@pytest.fixture
def two_teams():
    central = TeamFactory(name="Central ECM", code="central", kind="central")
    northgate = TeamFactory(name="Northgate YOT", code="northgate", central_team=central)
    riverside = TeamFactory(name="Riverside YOT", code="riverside", central_team=central)
    member(central, Role.MANAGER, username="central_manager")
    manager = member(northgate, Role.MANAGER, username="manager")
    MembershipFactory(user=manager, team=riverside, role=Role.MANAGER)
    cm_north = member(northgate, Role.CASE_MANAGER, username="cm_north")
    cm_river = member(riverside, Role.CASE_MANAGER, username="cm_river")
    north = _reviewed_cases(northgate, cm_north, 6, reoffended=5)
    river = _reviewed_cases(riverside, cm_river, 3, reoffended=3)
    return {
        "northgate": northgate,
        "riverside": riverside,
        "manager": manager,
        "north_reoffended": [c for c, did in north if did],
        "north_other": [c for c, did in north if not did],
        "river": [c for c, _did in river],
    }


def _reoffended_row(page):
    outcomes = page.locator("#outcomes")
    return outcomes.locator("tbody tr", has=page.get_by_role("rowheader", name=LABEL, exact=True))


def _shown(cell) -> str:
    """What a figure cell shows, without its visually-hidden link text for screen readers."""
    return cell.inner_text().split("\n")[0].strip()


def _tick_only(page, team: str) -> None:
    """Tick one team's checkbox and untick the others, with the keyboard (Space)."""
    for box in page.locator("input[name=teams]").all():
        label = page.locator(f"label[for='{box.get_attribute('id')}']").inner_text().strip()
        if box.is_checked() != (label == team):
            box.focus()
            page.keyboard.press("Space")


def test_monitoring_filter_drill_export_and_suppression_journey(browser, live_server, two_teams):
    base = live_server.url
    manager = two_teams["manager"]
    today = timezone.localdate()
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, base, "manager")

    # 1. The manager opens the dashboard from the navigation: their own teams, exact counts.
    open_navigation(page)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role("heading", name="Monitoring dashboard").wait_for()
    assert page.url.startswith(base + reverse("monitoring:dashboard"))
    page.get_by_text("Exact counts: these are cases you can open.").wait_for()
    # Headline cards first, then the contents, then the tables; both teams count: 5 + 3.
    card = page.locator("#card-reoffended")
    assert card.get_by_role("heading").inner_text().strip() == LABEL
    assert card.locator(".display-6").inner_text().split()[0] == "8"
    assert "previous" in card.locator(".headline-change").inner_text()
    page.get_by_role("navigation", name="Contents").get_by_role("link", name="Outcomes").click()
    assert page.url.endswith("#outcomes")
    assert _shown(_reoffended_row(page).locator("td").first) == "8"

    # 2. Northgate only (checkboxes, ticked with the keyboard), the current quarter.
    teams = page.get_by_role("group", name="Teams")
    assert sorted(t.strip() for t in teams.locator("label").all_inner_texts()) == [
        "Northgate YOT",
        "Riverside YOT",
    ]
    _tick_only(page, "Northgate YOT")
    quarter = page.get_by_label("Quarter")
    quarter.select_option(index=1)
    assert quarter.input_value() == q_start.isoformat()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(lambda url: f"teams={two_teams['northgate'].pk}" in url)
    assert page.get_by_label("Northgate YOT").is_checked()
    assert not page.get_by_label("Riverside YOT").is_checked()
    assert page.get_by_label("Quarter").input_value() == q_start.isoformat()
    assert q_start.strftime("%-d %b %Y") in page.locator("p.lead").inner_text()

    row = _reoffended_row(page)
    value = row.locator("td").first
    assert _shown(value) == "5"
    # Exact counts: 5 of the 6 cases open is 83%, shown to someone who can open all six.
    assert row.locator("td").nth(1).inner_text().strip() == "83%"

    # 3. Drill down: exactly the five Northgate cases that reoffended.
    dashboard_url = page.url
    value.get_by_role("link").click()
    page.get_by_role("heading", name=LABEL).wait_for()
    assert "/monitoring/cases/reoffended/" in page.url
    page.get_by_text("5 cases you can see").wait_for()
    listed = page.locator("table tbody tr")
    expect(listed).to_have_count(5)
    refs = {t.strip() for t in listed.locator("td:nth-child(1)").all_inner_texts()}
    assert refs == {c.reference for c in two_teams["north_reoffended"]}
    assert {t.strip() for t in listed.locator("td:nth-child(3)").all_inner_texts()} == {
        "Northgate YOT"
    }
    body = page.content()
    for case in two_teams["river"] + two_teams["north_other"]:
        assert case.reference not in body

    # 4. Back to the dashboard, still filtered; export the Outcomes table: the CSV keeps
    # the small-cell rules whoever exports it.
    page.go_back()
    page.wait_for_url(dashboard_url)
    assert _shown(_reoffended_row(page).locator("td").first) == "5"
    outcomes = page.locator("#outcomes")
    with page.expect_download() as info:
        outcomes.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("ecm-outcomes-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as fh:
        rows = list(csv.reader(io.StringIO(fh.read())))
    assert rows[0] == ["Figure", "Value", "Percent"]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    assert by_label[LABEL] == ["5", "*"]  # the complement (1) is a small cell
    export = AuditEvent.objects.filter(actor=manager, action=AuditEvent.Action.EXPORT)
    assert export.count() == 1
    assert "outcomes" in export.get().detail

    # 5. Riverside only: three reoffences, shown exactly to its own manager.
    _tick_only(page, "Riverside YOT")
    page.get_by_label("Quarter").select_option(index=1)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(lambda url: f"teams={two_teams['riverside'].pk}" in url)
    assert page.get_by_label("Riverside YOT").is_checked()
    assert not page.get_by_label("Northgate YOT").is_checked()
    assert _shown(_reoffended_row(page).locator("td").first) == "3"
    context.close()

    # 6. The central team's manager cannot open Riverside's cases: "<5", and the page says so.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "central_manager")
    page.goto(base + reverse("monitoring:dashboard") + f"?teams={two_teams['riverside'].pk}")
    page.get_by_text("Small numbers are hidden:").wait_for()
    river_value = _reoffended_row(page).locator("td").first
    assert _shown(river_value) == "<5"
    assert "3" not in river_value.inner_text()
    context.close()


@pytest.mark.parametrize(
    ("url", "heading"),
    [("monitoring:dashboard", "Monitoring dashboard"), ("monitoring:trends", "Trends by quarter")],
)
def test_dashboard_reads_at_390_px_with_legible_charts(
    browser, live_server, two_teams, url, heading
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, live_server.url, "manager")
    page.goto(live_server.url + reverse(url))
    page.get_by_role("heading", name=heading).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Every chart's text, as drawn on screen: its font size times the drawing's scale.
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll('svg.monitoring-chart text')).map(t => {
            const svg = t.ownerSVGElement;
            return parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a;
        })"""
    )
    assert sizes and min(sizes) >= 12, min(sizes)
    context.close()


@pytest.mark.no_figures_worker
def test_the_dashboard_waits_for_its_figures_then_shows_them_and_recomputes(
    browser, live_server, two_teams, monkeypatch
):
    """No figures stored for this choice yet: the page says they are being computed and
    polls; once the worker has stored them the page shows them, with when they were
    computed; "Recompute now" asks again."""
    from monitoring import readmodel
    from monitoring.models import FigureSnapshot

    queued = []
    monkeypatch.setattr(readmodel, "queue_task", lambda name, *args: queued.append(args))
    context = browser.new_context()
    page = context.new_page()
    login(page, live_server.url, "manager")
    page.goto(live_server.url + reverse("monitoring:dashboard"))
    expect(page.get_by_role("status")).to_contain_text("being computed")
    assert page.get_by_role("heading", name="Headline figures").count() == 0
    snapshot = FigureSnapshot.objects.get(section="dashboard")
    assert readmodel.refresh(snapshot.pk) == "computed"  # the worker's part
    page.get_by_role("heading", name="Headline figures").wait_for(timeout=15_000)  # polled
    expect(page.locator("#figures-computed")).to_contain_text("Figures computed at")
    assert page.locator("#card-reoffended .display-6").inner_text().split()[0] == "8"
    page.get_by_role("button", name="Recompute now").click()
    page.get_by_text("The figures are being recomputed").wait_for()
    expect(page.locator("#figures-computed")).to_contain_text("Being recomputed")
    assert len(queued) == 2  # asked when first shown, and by the button
    context.close()
