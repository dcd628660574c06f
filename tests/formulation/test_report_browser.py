"""The formulation report in real headless Chromium: the psychologist drafts it from the held
meeting, the case manager checks it for accuracy, the psychologist resolves the comment,
finalises version 1 and downloads it as a PDF."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from ecm.models import Role
from formulation.models import (
    Category,
    FamilyMember,
    Meeting,
    Partnership,
    Recommendation,
    Report,
    ReportComment,
    TimelineEvent,
    TRMPlacement,
    TRMStage,
)
from tests.conftest import login, reload_migration_data
from tests.factories import CaseFactory, TeamFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLINICAL_OPINION = (
    "Early losses and frequent moves left him expecting adults to leave, so he tests "
    "every new worker before trusting them."
)
VOICE = "He said he wants one worker who keeps turning up. His mother wants him home."
COMMENT = "Please add that the move to Northgate was in 2019, not 2018."


@pytest.fixture
def trm_frameworks(django_db_blocker):
    reload_migration_data(django_db_blocker, "formulation.migrations.0002_trm_frameworks")


@pytest.fixture
def held_case(trm_frameworks):
    team = TeamFactory(name="Northgate YOT", code="northgate")
    casemanager = member(team, Role.CASE_MANAGER, username="casemanager")
    senior = member(team, Role.SENIOR_PRACTITIONER, username="senior")
    psychologist = member(team, Role.PSYCHOLOGIST, username="psychologist")
    case = CaseFactory(team=team, case_manager=casemanager, status="active")
    child = case.child
    meeting = Meeting.objects.create(
        case=case,
        status=Meeting.Status.HELD,
        starts_at=timezone.now() - dt.timedelta(days=7),
        held_at=timezone.now() - dt.timedelta(days=7),
        location="Northgate YOT, room 2",
        chair=senior,
        psychologist=psychologist,
        created_by=senior,
        minutes_case_history="Three school moves by age 11; lived with his nan from 2017.",
        minutes_discussion="Agreed one consistent worker and a predictable routine.",
    )
    stage = TRMStage.objects.get(framework__code="practice-stages", number=1)
    TRMPlacement.objects.create(
        meeting=meeting,
        stage=stage,
        presentation="Chaotic; misses appointments.",
        underlying_need="Safety and predictability.",
        intervention_recommendation="Routine and one consistent adult.",
        placed_by=psychologist,
    )
    for n, text in enumerate(
        ("Same time and place every week", "Joint visit with social worker"), start=1
    ):
        Recommendation.objects.create(
            meeting=meeting,
            case=case,
            intervention=text,
            owner_agency="yot",
            sequence=n,
            trm_stage=stage,
            created_by=psychologist,
        )
    dob = child.date_of_birth
    for n, (title, category) in enumerate(
        (
            ("Parents separate", Category.FAMILY),
            ("Starts primary school", Category.EDUCATION),
            ("Moves to his nan", Category.ACCOMMODATION),
        )
    ):
        TimelineEvent.objects.create(
            child=child,
            title=title,
            category=category,
            start_date=dob + dt.timedelta(days=900 * (n + 1)),
            created_by=psychologist,
        )
    index = FamilyMember.objects.create(
        child=child, name=child.first_name, relationship="self", sex="male", date_of_birth=dob
    )
    mother = FamilyMember.objects.create(
        child=child, name="Donna", relationship="mother", sex="female", year_of_birth=1985
    )
    father = FamilyMember.objects.create(
        child=child, name="Gareth", relationship="father", sex="male", year_of_birth=1982
    )
    index.mother, index.father = mother, father
    index.save()
    Partnership.objects.create(child=child, a=father, b=mother, status="separated")
    return case


def test_report_journey(browser, live_server, held_case, tmp_path):
    from pypdf import PdfReader

    base = live_server.url
    case = held_case
    report_url = base + reverse("formulation:report", args=[case.pk])

    # The psychologist starts the report from the meeting record, writes the clinical
    # opinion and the voice, saves, and sends the draft for the accuracy check.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "psychologist")
    page.goto(report_url)
    page.get_by_role("button", name="Start the report").click()
    page.get_by_text("Report started from the meeting record.").wait_for()
    page.locator("#section-formulation").get_by_label("Clinical opinion: the formulation").fill(
        CLINICAL_OPINION
    )
    page.locator("#section-voice").get_by_label("The child's and family's voice").fill(VOICE)
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("Draft saved.").wait_for()
    report = Report.objects.get(case=case)
    assert report.formulation == CLINICAL_OPINION
    assert report.voice == VOICE
    assert "Three school moves" in report.summary  # pre-filled from the minutes
    page.get_by_role("button", name="Send for accuracy check").click()
    page.get_by_text("Draft sent to the case manager and senior practitioner").wait_for()
    context.close()
    report.refresh_from_db()
    assert report.status == Report.Status.CHECKING

    # The case manager comments on a section and approves the draft as accurate.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "casemanager")
    page.goto(report_url)
    check = page.locator("#check")
    check.get_by_label("Section").select_option(label="Clinical opinion: the formulation")
    check.get_by_label("Comment").fill(COMMENT)
    check.get_by_role("button", name="Add comment").click()
    page.get_by_text("Comment added for the psychologist.").wait_for()
    page.locator("#section-formulation").get_by_text(COMMENT).wait_for()
    page.locator("#check").get_by_role("button", name="Approve as accurate").click()
    page.get_by_text("You approved the draft as accurate.").wait_for()
    context.close()
    comment = ReportComment.objects.get(report=report, kind=ReportComment.Kind.COMMENT)
    assert comment.section == "formulation"
    assert comment.text == COMMENT
    assert ReportComment.objects.filter(report=report, kind="approval").count() == 1

    # The psychologist resolves the comment, finalises version 1 and downloads the PDF.
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, base, "psychologist")
    page.goto(report_url)
    page.locator("#section-formulation").get_by_role("button", name="Resolve").click()
    page.get_by_text("Comment resolved.").wait_for()
    page.get_by_role("button", name="Finalise version 1").click()
    page.get_by_text("Version 1 is final.").wait_for()
    report.refresh_from_db()
    assert report.status == Report.Status.FINAL
    assert report.versions.count() == 1
    comment.refresh_from_db()
    assert comment.resolved_at is not None

    with page.expect_download() as info:
        page.get_by_role("link", name="Download version 1 (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith("-v1.pdf")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    context.close()

    reader = PdfReader(io.BytesIO(target.read_bytes()))
    assert len(reader.pages) > 0
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    assert CLINICAL_OPINION in text
    assert "OFFICIAL-SENSITIVE" in text
    assert case.child.full_name in text
    assert "not a court report" in text.lower()
    assert "Moves to his nan" in text  # the timeline drawing
    assert "Gareth" in text  # the genogram
    assert "DRAFT" not in text  # the final version carries no draft marking
