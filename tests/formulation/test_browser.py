"""The formulation meeting in real headless Chromium: scheduling, invitations, attendance,
live timeline entry without reloads, and the psychologist's record."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from formulation.models import Invitation, Meeting, Professional, TimelineEvent
from referrals import services as referral_services
from tests.conftest import login, reload_migration_data
from tests.factories import CaseFactory

pytestmark = pytest.mark.browser


def _unfold(page, summary: str) -> None:
    """Open a folded task form: it opens by itself when its list is empty (issue 18)."""
    details = page.locator("details", has=page.locator("summary", has_text=summary)).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()


@pytest.fixture
def trm_frameworks(django_db_blocker):
    reload_migration_data(django_db_blocker, "formulation.migrations.0002_trm_frameworks")


def test_formulation_meeting_journey(browser, live_server, trm_frameworks, world):
    base = live_server.url
    case = CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="awaiting_consent",
        referred_to=world.central,
    )
    today = timezone.localdate()
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="ecm_child", date=today
    )
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="parent_general", date=today, signatory_name="Jo"
    )
    for name, agency in (
        ("Bethan Rowlands", "social_services"),
        ("Priya Shah", "education"),
        ("Dr Tom Walsh", "camhs"),
    ):
        Professional.objects.create(
            team=world.yot_a,
            name=name,
            role="Lead",
            agency=agency,
            email=f"{name.split()[-1].lower()}@example.org",
        )

    # The senior practitioner schedules the meeting and invites three professionals.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "sp_a")
    page.goto(base + reverse("formulation:workspace", args=[case.pk]))
    page.get_by_role("link", name="Schedule a formulation meeting").click()
    when = timezone.localtime() + dt.timedelta(days=7)
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT10:00"))
    page.get_by_label("Place").fill("Northgate YOT, room 2")
    page.get_by_label("Psychologist").select_option(str(world.psychologist.pk))
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("Meeting scheduled. Now invite the professionals.").wait_for()
    meeting = Meeting.objects.get(case=case)
    for name in ("Bethan Rowlands", "Priya Shah", "Dr Tom Walsh"):
        _unfold(page, "Invite a professional")
        professional = Professional.objects.get(name=name)
        page.get_by_label("From the directory").select_option(str(professional.pk))
        page.get_by_role("button", name="Invite", exact=True).click()
        page.get_by_text("Invitation added.").wait_for()
    assert meeting.invitations.count() == 3
    # Attendance is recorded on the same sheet.
    for name, status in (
        ("Bethan Rowlands", "attended"),
        ("Priya Shah", "attended"),
        ("Dr Tom Walsh", "apologies"),
    ):
        page.get_by_label(f"Status of {name}").select_option(status)
        page.get_by_role("button", name=f"Save {name}").click()
        page.get_by_text(f"Saved for {name}.").wait_for()
    statuses = dict(meeting.invitations.values_list("name", "status"))
    assert statuses == {
        "Bethan Rowlands": "attended",
        "Priya Shah": "attended",
        "Dr Tom Walsh": "apologies",
    }
    assert all(i.delivery in ("pending", "sent") for i in Invitation.objects.all())

    # Ten timeline events, live, without a page reload.
    page.goto(base + reverse("formulation:timeline", args=[case.pk]))
    page.evaluate("window.__sameDocument = true")
    dob = case.child.date_of_birth
    for n in range(10):
        title = f"Life event number {n + 1}"
        page.get_by_role("textbox", name="Event", exact=False).first.fill(title)
        page.locator("#id_category").select_option("family" if n % 2 else "education")
        page.locator("#id_start_date").fill((dob + dt.timedelta(days=300 * n + 30)).isoformat())
        page.get_by_role("button", name="Add to timeline").click()
        page.locator(f"#timeline-drawing title:text-is('{title}')").or_(
            page.locator("#timeline-drawing").get_by_text(title)
        ).first.wait_for(state="attached")
    assert page.evaluate("window.__sameDocument") is True  # never reloaded
    # Only the table and the drawing came back; the add form was emptied in place.
    assert page.get_by_role("textbox", name="Event", exact=False).first.input_value() == ""
    assert page.locator("#timeline-events tbody tr").count() == 10
    assert page.locator("#timeline-drawing [id^='tl-event-']").count() == 10
    assert TimelineEvent.objects.filter(child=case.child).count() == 10
    context.close()

    # The psychologist records the developmental map, TRM placement and recommendations.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "psy_a")
    page.goto(base + reverse("formulation:meeting", args=[meeting.pk]))
    page.get_by_label("Physical age").fill("15")
    page.get_by_label("Social age").fill("12")
    page.get_by_label("Cognitive age").fill("11")
    page.get_by_label("Emotional age").fill("9")
    page.get_by_role("button", name="Save developmental map").click()
    page.get_by_text("Developmental map saved.").wait_for()
    from formulation.models import TRMStage

    stage = TRMStage.objects.get(framework__code="practice-stages", number=1)
    page.locator("#trm form select[name=stage]").select_option(str(stage.pk))
    page.get_by_label("Presentation").fill("Chaotic; misses appointments.")
    page.get_by_label("Underlying need").fill("Safety and predictability.")
    page.get_by_label("Intervention recommendation").fill("Routine and one consistent adult.")
    page.get_by_role("button", name="Save TRM placement").click()
    page.get_by_text("TRM placement saved.").wait_for()
    for n, text in enumerate(
        (
            "Same time and place every week",
            "Joint visit with social worker",
            "Speech and language screen",
        ),
        start=1,
    ):
        _unfold(page, "Add a recommendation")
        page.locator("#recommendations").get_by_role("textbox", name="Recommendation").fill(text)
        page.get_by_label("Who (agency)").select_option("yot")
        page.get_by_label("Order").fill(str(n))
        page.get_by_role("button", name="Add recommendation").click()
        page.get_by_text("Recommendation added.").wait_for()
    context.close()
    meeting.refresh_from_db()
    assert meeting.developmental_map.emotional_age == "9"
    assert meeting.trm_placement.stage.number == 1
    assert list(meeting.recommendations.values_list("sequence", "intervention")) == [
        (1, "Same time and place every week"),
        (2, "Joint visit with social worker"),
        (3, "Speech and language screen"),
    ]


def _consented_case(world):
    case = CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="awaiting_consent",
        referred_to=world.central,
    )
    today = timezone.localdate()
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="ecm_child", date=today
    )
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="parent_general", date=today, signatory_name="Jo"
    )
    return case


def test_a_meeting_recorded_afterwards(browser, live_server, trm_frameworks, world):
    """The chair enters a meeting after it took place: its real (past) date, the attendance
    sheet (no invitation e-mails), then "held", refused with what is missing until the chair
    gives the reason."""
    base = live_server.url
    case = _consented_case(world)
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "sp_a")
    page.goto(base + reverse("formulation:schedule", args=[case.pk]))
    when = timezone.localtime() - dt.timedelta(days=2)
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT10:00"))
    page.get_by_label("Place").fill("Northgate YOT, room 2")
    page.get_by_label("Psychologist").select_option(str(world.psychologist.pk))
    # Without saying it already took place, a past time is refused, once.
    page.get_by_role("button", name="Schedule").click()
    assert page.get_by_text("must be in the future", exact=False).count() == 1
    page.get_by_label("The meeting has already been held").check()
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("Meeting entered. Now record who attended").wait_for()
    meeting = Meeting.objects.get(case=case)
    assert meeting.recorded_afterwards and timezone.localtime(meeting.starts_at).hour == 10
    _unfold(page, "Add someone who attended")
    page.get_by_label("Or a new person: name").fill("Bethan Rowlands")
    page.get_by_label("Agency", exact=True).select_option("social_services")
    page.get_by_label("E-mail", exact=True).fill("bethan@example.org")
    page.get_by_role("button", name="Add to the attendance sheet").click()
    page.get_by_text("Invitation added.").wait_for()
    invitation = meeting.invitations.get()
    assert invitation.status == "attended" and invitation.delivery == "not_sent"
    # "Held" lists what is missing, each a link to its section.
    page.get_by_role("button", name="Record the meeting as held").click()
    held = page.locator("#held")
    held.get_by_text("Still missing from the meeting's record").wait_for()
    for name, anchor in (
        ("The developmental map", "dmap"),
        ("The TRM placement", "trm"),
        ("A recommendation", "recommendations"),
    ):
        assert held.get_by_role("link", name=name).get_attribute("href").endswith(f"#{anchor}")
    meeting.refresh_from_db()
    assert meeting.status == "scheduled"
    page.get_by_label("Why it is recorded as held without them").fill(
        "The psychologist could not attend; the placement follows at supervision."
    )
    page.get_by_role("button", name="Record the meeting as held").click()
    page.get_by_text("Meeting recorded as held; the case is active.").wait_for()
    page.get_by_text("The psychologist could not attend").wait_for()
    meeting.refresh_from_db()
    case.refresh_from_db()
    assert meeting.status == "held" and case.status == "active"
    context.close()


def test_a_review_arranged_and_then_recorded(browser, live_server, trm_frameworks, world):
    """The case manager arranges the next review from the case page, invites a partner, and
    after the meeting records the review with who was present pre-ticked."""
    from formulation.meeting import services as meeting_services
    from formulation.models import TRMStage
    from formulation.report import services as report_services
    from reviews.models import Review

    base = live_server.url
    case = world.case
    formulation = Meeting.objects.create(
        case=case,
        starts_at=timezone.now() - dt.timedelta(days=40),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
        location="Room 2",
    )
    meeting_services.trm_placement_save(
        actor=world.psychologist,
        meeting=formulation,
        stage=TRMStage.objects.get(framework__code="practice-stages", number=2),
        presentation="Guarded.",
        underlying_need="A trusted adult.",
        intervention_recommendation="One consistent worker.",
    )
    report_services.recommendation_add(
        actor=world.psychologist,
        meeting=formulation,
        data={"intervention": "Weekly sessions", "owner_agency": "yot", "sequence": 1},
    )
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "cm_a")
    page.goto(base + reverse("case_detail", args=[case.pk]))
    page.get_by_role("link", name="Arrange the next review").click()
    assert page.get_by_label("Chair").input_value() == str(world.senior.pk)  # by default
    when = timezone.localtime() + dt.timedelta(days=14)
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT14:00"))
    page.get_by_label("Place").fill("Northgate YOT, room 1")
    page.get_by_role("button", name="Arrange the review").click()
    page.get_by_text("Review meeting arranged. Now invite the professionals.").wait_for()
    meeting = Meeting.objects.reviews().get(case=case)
    _unfold(page, "Invite a professional")
    page.get_by_label("Or a new person: name").fill("Priya Shah")
    page.get_by_label("Agency", exact=True).select_option("education")
    page.get_by_label("E-mail", exact=True).fill("priya@example.org")
    page.get_by_role("button", name="Invite", exact=True).click()
    page.get_by_text("Invitation added.").wait_for()
    _unfold(page, "Invite a professional")
    page.get_by_label("Or a colleague on the case").select_option(str(world.case_manager.pk))
    page.get_by_role("button", name="Invite", exact=True).click()
    page.get_by_text("Invitation added.").wait_for()
    assert meeting.invitations.count() == 2
    # The meeting took place (moved to yesterday); attendance, then the review.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(days=1))
    page.reload()
    page.get_by_label("Status of Priya Shah").select_option("attended")
    page.get_by_role("button", name="Save Priya Shah").click()
    page.get_by_text("Saved for Priya Shah.").wait_for()
    page.get_by_role("link", name="Record the review").click()
    for person in (world.senior, world.psychologist, world.case_manager):
        assert page.get_by_label(str(person), exact=True).is_checked(), person
    assert "Priya Shah" in page.get_by_label("Others present").input_value()
    page.get_by_label("Reoffended since the last meeting?").select_option("no")
    page.get_by_label("Breach since the last meeting?").select_option("no")
    page.get_by_label("Progress on recommendation 1").select_option("in_progress")
    page.get_by_role("button", name="Save the review").click()
    page.get_by_text("Review recorded.").wait_for()
    review = Review.objects.get(case=case)
    meeting.refresh_from_db()
    assert review.meeting == meeting and meeting.status == "held"
    assert set(review.present.values_list("pk", flat=True)) == {
        world.senior.pk,
        world.psychologist.pk,
        world.case_manager.pk,
    }
    context.close()
