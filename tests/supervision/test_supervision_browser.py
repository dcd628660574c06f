"""Clinical supervision in real headless Chromium: the central team's psychologist records a
session with a YOT case manager (themes, confidential notes, the case discussed) and puts a
decision summary on the case; the case manager reads the session, adds reflections and sees
only the decision summary on the case page; the YOT manager sees that the session happened
(coverage, date, length, who) but none of its content, and cannot open it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ecm.models import Role, Team
from supervision.models import Session, SessionCase, Supervisee
from tests.conftest import login
from tests.factories import CaseFactory, TeamFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Confidential note: feels responsible for the child's setbacks."
NOTE_FRAGMENT = "feels responsible for the child"  # no apostrophe: safe in raw HTML too
REFLECTION = "Reflection: I can hold the worry without carrying it home every night."
REFLECTION_FRAGMENT = "without carrying it home"
DECISION = "Agreed to keep the same worker and slow the pace of the victim work."


@pytest.fixture
def referred_case():
    central = TeamFactory(name="Central ECM", code="central", kind=Team.Kind.CENTRAL)
    yot = TeamFactory(name="Northgate YOT", code="northgate", central_team=central)
    casemanager = member(
        yot, Role.CASE_MANAGER, username="casemanager", first_name="Carys", last_name="Bowen"
    )
    member(yot, Role.MANAGER, username="manager", first_name="Gareth", last_name="Lloyd")
    member(
        central,
        Role.PSYCHOLOGIST,
        username="psychologist",
        first_name="Helen",
        last_name="Marsh",
    )
    return CaseFactory(team=yot, case_manager=casemanager, status="active", referred_to=central)


def test_supervision_confidentiality_journey(browser, live_server, referred_case):
    base = live_server.url
    case = referred_case
    index_url = base + reverse("supervision:index")
    # Yesterday at 10:00: a time of day that exists once on every day, clock changes included.
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(10))
    )
    end = start + dt.timedelta(hours=1)

    # 1. The psychologist records the session, then puts a decision summary on the case.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "psychologist")
    page.goto(index_url)
    page.get_by_role("link", name="Record a session").click()
    page.get_by_role("button", name="Save the session").wait_for()
    page.get_by_label("Start*", exact=True).fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("End*", exact=True).fill(end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Carys Bowen").check()
    page.get_by_label("Cases discussed").select_option(
        label=f"{case.reference} {case.child.full_name}"
    )
    page.get_by_label("Approach to the work with the child").check()
    page.get_by_label("The practitioner's feelings and reactions").check()
    page.get_by_label("Confidential notes").fill(NOTE)
    page.get_by_role("button", name="Save the session").click()
    page.get_by_text("Supervision session saved.").wait_for()
    page.get_by_text(NOTE).wait_for()

    session = Session.objects.get()
    assert session.psychologist.username == "psychologist"
    assert session.team.name == "Northgate YOT"
    assert session.notes == NOTE
    assert session.theme_approach and session.theme_feelings
    assert not session.theme_impact and not session.theme_development
    assert timezone.localtime(session.starts_at) == start
    assert session.duration_minutes == 60
    assert [a.user.username for a in session.attendance.select_related("user")] == ["casemanager"]
    assert list(session.cases_discussed_cases()) == [case]
    session_url = base + reverse("supervision:session", args=[session.pk])
    assert page.url == session_url

    summary = page.locator("details").filter(has_text="Add a decision summary to a case")
    summary.locator("summary").click()
    summary.get_by_label("Case*", exact=True).select_option(label=case.reference)
    summary.get_by_label("Decision summary (shown on the case to its team)").fill(DECISION)
    summary.get_by_role("button", name="Put it on the case").click()
    page.get_by_text("Decision summary added to the case.").wait_for()
    page.get_by_text(f"On the case: {DECISION}").wait_for()
    context.close()

    link = SessionCase.objects.get(session=session, case=case)
    assert link.decision_summary == DECISION
    assert link.summary_added_at is not None

    # 2. The case manager opens the session from their list, reads the notes and adds
    # reflections; the case page shows the decision summary but not the session's content.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "casemanager")
    page.goto(index_url)
    own = page.locator("section[aria-labelledby='h-own']")
    assert "Your sessions" in own.locator("h2").inner_text()
    assert "Helen Marsh" in own.inner_text()
    own.get_by_role(
        "link", name=timezone.localtime(session.starts_at).strftime("%-d %b %Y %H:%M")
    ).click()
    page.get_by_text(NOTE).wait_for()
    assert page.url == session_url
    # No psychologist-only forms for a supervisee.
    assert page.get_by_text("Add a decision summary to a case").count() == 0
    assert page.get_by_role("link", name="Edit", exact=True).count() == 0
    page.get_by_label("My reflections").fill(REFLECTION)
    page.get_by_role("button", name="Save my reflections").click()
    page.get_by_text("Your reflections are saved.").wait_for()
    page.get_by_text(f"Carys Bowen: {REFLECTION}").wait_for()

    attendance = Supervisee.objects.get(session=session, user__username="casemanager")
    assert attendance.reflections == REFLECTION
    assert attendance.reflections_updated_at is not None

    page.goto(base + reverse("case_detail", args=[case.pk]))
    panel = page.locator("section[aria-labelledby='sup-panel-heading']")
    panel.get_by_role("heading", name="Decisions from clinical supervision").wait_for()
    assert DECISION in panel.inner_text()
    assert "Helen Marsh" in panel.inner_text()
    html = page.content()
    assert NOTE_FRAGMENT not in html
    assert REFLECTION_FRAGMENT not in html
    context.close()

    # 3. The manager sees coverage and that the session happened, never what was said, and
    # cannot open the session.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "manager")
    page.goto(index_url)
    page.get_by_text("1 of 1 practitioners with ECM cases had clinical supervision").wait_for()
    meta = page.locator("section[aria-labelledby='h-meta']")
    assert meta.locator("h2").inner_text() == "Sessions held in your teams"
    rows = meta.locator("tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0] == timezone.localtime(session.starts_at).strftime("%-d %b %Y")
    assert cells[1] == "60"
    assert cells[3] == "Helen Marsh"
    assert cells[4] == "Carys Bowen"
    assert cells[5] == "Northgate YOT"
    assert page.locator("section[aria-labelledby='h-own']").count() == 0
    assert (
        page.locator(f"a[href*='{reverse('supervision:session', args=[session.pk])}']").count() == 0
    )
    html = page.content()
    assert NOTE_FRAGMENT not in html
    assert REFLECTION_FRAGMENT not in html
    assert DECISION not in html

    response = page.goto(session_url)
    assert response.status == 404
    html = page.content()
    assert NOTE_FRAGMENT not in html
    assert REFLECTION_FRAGMENT not in html
    context.close()
