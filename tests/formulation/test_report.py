"""The formulation report: drafting from the meeting, who may edit, the accuracy check,
versions and stale edits, PDFs (text, sections, drawings, fetcher), exports and circulation."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from ecm.dates import add_months, display_date
from ecm.editing import StaleEditError
from ecm.models import AuditEvent
from formulation.meeting import services
from formulation.models import (
    FamilyMember,
    Meeting,
    Recommendation,
    Report,
    ReportComment,
    ReportRender,
    TimelineEvent,
    TRMFramework,
)
from formulation.report import pdf
from formulation.report import services as rs

SECTION_TEXT = {
    "summary": "Summary sentence about the information the group heard.",
    "needs": "Needs sentence naming safety and consistent adults.",
    "development": "Development sentence: emotional age about eight.",
    "trm": "TRM sentence: stage one, routine and structure first.",
    "formulation": "Formulation sentence: the anger keeps adults at a distance.",
    "voice": "Voice sentence: he wants to box and see his sister.",
    "plan": "Plan sentence: one worker, same day and place each week.",
}
RECOMMENDATION = "Recommendation sentence: boxing club twice a week."
TIMELINE_EVENT = "Moved to nan's house"
SENSITIVE_EVENT = "Told the nurse"
FAMILY_NAME = "Auntie Meinir"


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def held(world):
    """World's Alpha YOT case after a held formulation meeting, with a TRM placement, a
    recommendation, timeline events (one sensitive) and a family member."""
    case = world.case
    meeting = Meeting.objects.create(
        case=case,
        starts_at=timezone.now() - dt.timedelta(days=10),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
        held_at=timezone.now() - dt.timedelta(days=10),
        minutes_case_history="History presented with the genogram.",
        minutes_discussion="Group agreed routine first.",
    )
    stage = TRMFramework.objects.filter(is_active=True).first().stages.first()
    services.trm_placement_save(
        actor=world.psychologist,
        meeting=meeting,
        stage=stage,
        presentation="Quick to anger.",
        underlying_need="Safety and predictability.",
        intervention_recommendation="Routine first.",
    )
    rs.recommendation_add(
        actor=world.psychologist,
        meeting=meeting,
        data={"intervention": RECOMMENDATION, "owner_agency": "yot", "sequence": 1},
    )
    child = case.child
    dob = child.date_of_birth
    TimelineEvent.objects.create(
        child=child,
        title=TIMELINE_EVENT,
        category="accommodation",
        start_date=dob.replace(year=dob.year + 8),
    )
    TimelineEvent.objects.create(
        child=child,
        title=SENSITIVE_EVENT,
        category="health",
        start_date=dob.replace(year=dob.year + 12),
        sensitive=True,
    )
    FamilyMember.objects.create(child=child, name=FAMILY_NAME, relationship="aunt_uncle")
    return meeting


def start(world, held) -> Report:
    return rs.report_start(actor=world.psychologist, case=held.case)


def write_all(world, report) -> Report:
    report.refresh_from_db()
    return rs.report_save(
        actor=world.psychologist,
        report=report,
        data=SECTION_TEXT,
        expected_revision=report.revision,
    )


def finalised(world, held) -> Report:
    report = write_all(world, start(world, held))
    rs.report_send_for_check(actor=world.psychologist, report=report)
    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    rs.report_finalise(actor=world.psychologist, report=report, expected_revision=report.revision)
    report.refresh_from_db()
    return report


# --- Drafting ---


def test_report_is_prefilled_from_the_meeting_and_due_a_month_later(world, held):
    report = start(world, held)
    assert "History presented with the genogram." in report.summary
    assert "Safety and predictability." in report.needs
    assert "Quick to anger." in report.needs
    assert "Routine first." in report.trm
    assert RECOMMENDATION in report.plan
    assert "Group agreed routine first." in report.plan
    assert report.formulation == "" and report.voice == ""
    meeting_day = timezone.localdate(held.starts_at)
    assert report.due_on == add_months(meeting_day, 1)
    assert report.status == Report.Status.DRAFT and report.number == 1
    assert not report.has_final_version


def test_report_waits_for_a_held_meeting(world):
    Meeting.objects.create(
        case=world.case,
        starts_at=timezone.now() + dt.timedelta(days=3),
        chair=world.senior,
        psychologist=world.psychologist,
    )
    with pytest.raises(ValidationError, match="held"):
        rs.report_start(actor=world.psychologist, case=world.case)


# --- Only the psychologist edits: roles x states ---

STATES = ["draft", "checking", "final", "amending"]
EDITORS = ["case_manager", "senior", "psychologist", "manager", "team_admin", "other_senior"]


def in_state(world, held, state) -> Report:
    report = write_all(world, start(world, held))
    if state == "draft":
        return report
    rs.report_send_for_check(actor=world.psychologist, report=report)
    if state == "checking":
        report.refresh_from_db()
        return report
    rs.report_approve(actor=world.senior, report=report)
    report.refresh_from_db()
    rs.report_finalise(actor=world.psychologist, report=report, expected_revision=report.revision)
    report.refresh_from_db()
    if state == "amending":
        rs.report_amend(actor=world.psychologist, report=report, reason="Review found a move.")
        report.refresh_from_db()
    return report


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("who", EDITORS)
def test_only_the_psychologist_changes_the_report(world, held, state, who):
    report = in_state(world, held, state)
    user = getattr(world, who)
    data = {"formulation": "Changed by " + who}
    rec_data = {"intervention": "Another by " + who, "owner_agency": "yot", "sequence": 2}
    if who != "psychologist":
        with pytest.raises(PermissionDenied):
            rs.report_save(actor=user, report=report, data=data, expected_revision=report.revision)
        with pytest.raises(PermissionDenied):
            rs.recommendation_add(actor=user, meeting=held, data=rec_data)
        report.refresh_from_db()
        assert report.formulation == SECTION_TEXT["formulation"]
        return
    if state == "final":
        # Even the psychologist changes a final version only through an amendment.
        with pytest.raises(ValidationError, match="amendment"):
            rs.report_save(actor=user, report=report, data=data, expected_revision=report.revision)
        with pytest.raises(ValidationError, match="amendment"):
            rs.recommendation_add(actor=user, meeting=held, data=rec_data)
        return
    rs.report_save(actor=user, report=report, data=data, expected_revision=report.revision)
    rs.recommendation_add(actor=user, meeting=held, data=rec_data)
    report.refresh_from_db()
    assert report.formulation == data["formulation"]


@pytest.mark.parametrize("who", ["case_manager", "senior", "manager"])
def test_others_get_no_edit_form_and_a_refusal_over_http(client, world, held, who):
    report = start(world, held)
    client.force_login(getattr(world, who))
    page = client.get(reverse("formulation:report", args=[held.case.pk]))
    assert page.status_code == 200
    assert b'id="report-form"' not in page.content
    response = client.post(
        reverse("formulation:report_save", args=[held.case.pk]),
        {"revision": report.revision, **SECTION_TEXT},
    )
    assert response.status_code == 403


def test_another_teams_staff_get_404_everywhere(client, world, held):
    report = finalised(world, held)
    client.force_login(world.other_senior)
    pk = held.case.pk
    circulation = rs.circulation_record(
        actor=world.case_manager,
        report=report,
        data={
            "version": report.versions.get(),
            "recipient_name": "Jo",
            "agency": "health",
            "sent_on": timezone.localdate(),
            "purpose_kind": "referral",
            "purpose": "CAMHS",
            "scope": "full",
        },
    )
    job = rs.report_render_request(actor=world.case_manager, report=report)
    for url in (
        reverse("formulation:report", args=[pk]),
        reverse("formulation:report_pdf", args=[pk]),
        reverse("formulation:report_version", args=[pk, report.number]),
        reverse("formulation:report_compare", args=[pk]),
        reverse("formulation:circulation_pdf", args=[pk, circulation.pk]),
        reverse("formulation:report_render", args=[job.pk]),
        reverse("formulation:report_render_download", args=[job.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for name in (
        "report_save",
        "report_send",
        "report_comment",
        "report_approve",
        "report_finalise",
        "report_amend",
        "report_take_over",
        "circulation_add",
        "report_recommendation_add",
    ):
        url = reverse(f"formulation:{name}", args=[pk])
        assert client.post(url, {}).status_code == 404, name


def test_meeting_recommendations_belong_to_the_psychologist_once_the_report_starts(world, held):
    data = {"intervention": "Chair's addition", "owner_agency": "yot", "sequence": 3}
    rs.recommendation_add(actor=world.senior, meeting=held, data=data)  # before: allowed
    start(world, held)
    with pytest.raises(PermissionDenied):
        rs.recommendation_add(actor=world.senior, meeting=held, data=data)


def test_a_final_reports_recommendations_are_not_removed_from_the_meeting_page(client, world, held):
    """After the report is final, a forged removal from the meeting page is refused with the
    reason (not a server error) and the recommendation stays."""
    finalised(world, held)
    recommendation = held.recommendations.first()
    client.force_login(world.psychologist)
    url = reverse("formulation:recommendation_delete", args=[held.pk, recommendation.pk])
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "The report is final" in response.content.decode()
    assert held.recommendations.filter(pk=recommendation.pk).exists()


# --- Stale edits ---


def test_a_stale_edit_is_refused_not_merged(world, held):
    report = start(world, held)
    loaded = report.revision
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"formulation": "First tab"},
        expected_revision=loaded,
    )
    with pytest.raises(StaleEditError):
        rs.report_save(
            actor=world.psychologist,
            report=report,
            data={"formulation": "Second tab"},
            expected_revision=loaded,
        )
    report.refresh_from_db()
    assert report.formulation == "First tab"


def test_stale_edit_page_keeps_the_typed_text_and_shows_the_saved_one(client, world, held):
    report = start(world, held)
    loaded = report.revision
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"formulation": "Saved elsewhere"},
        expected_revision=loaded,
    )
    client.force_login(world.psychologist)
    url = reverse("formulation:report_save", args=[held.case.pk])
    typed = {**SECTION_TEXT, "formulation": "Typed in this tab", "revision": loaded}
    response = client.post(url, typed)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Typed in this tab" in body and "Saved elsewhere" in body
    assert "Someone saved this draft" in body
    # The form now carries the saved revision: saving again is taken.
    again = client.post(
        url, {**typed, "revision": response.context["report_form"]["revision"].value()}
    )
    assert again.status_code == 302
    report.refresh_from_db()
    assert report.formulation == "Typed in this tab"


# --- Accuracy check, finalising, amendments, versions ---


def test_accuracy_check_and_finalise(world, held):
    report = write_all(world, start(world, held))
    with pytest.raises(ValidationError, match="accuracy check"):
        rs.report_finalise(
            actor=world.psychologist, report=report, expected_revision=report.revision
        )
    with pytest.raises(ValidationError, match="not waiting"):
        rs.report_comment_add(actor=world.case_manager, report=report, section="summary", text="x")
    rs.report_send_for_check(actor=world.psychologist, report=report)
    with pytest.raises(PermissionDenied):  # the psychologist resolves; checkers comment
        rs.report_comment_add(actor=world.psychologist, report=report, section="", text="x")
    comment = rs.report_comment_add(
        actor=world.case_manager, report=report, section="summary", text="School changed in Y8."
    )
    report.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        rs.report_finalise(
            actor=world.psychologist, report=report, expected_revision=report.revision
        )
    assert "open comment" in str(refused.value) and "approve" in str(refused.value)
    rs.report_comment_resolve(actor=world.psychologist, comment=comment, response="Fixed.")
    rs.report_approve(actor=world.senior, report=report)
    rs.report_approve(actor=world.senior, report=report)  # twice is once
    assert report.comments.filter(kind=ReportComment.Kind.APPROVAL).count() == 1
    version = rs.report_finalise(
        actor=world.psychologist, report=report, expected_revision=report.revision
    )
    assert version.number == 1
    assert version.sections["formulation"] == SECTION_TEXT["formulation"]
    assert version.recommendations[0]["intervention"] == RECOMMENDATION
    assert SENSITIVE_EVENT in version.timeline_svg
    assert SENSITIVE_EVENT not in version.timeline_shared_svg
    assert FAMILY_NAME in version.genogram_svg
    assert world.senior.get_full_name() in version.approved_by


def test_finalising_with_an_empty_section_names_it(world, held):
    report = write_all(world, start(world, held))
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"voice": "  "},
        expected_revision=report.revision,
    )
    rs.report_send_for_check(actor=world.psychologist, report=report)
    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    with pytest.raises(ValidationError, match="The child's and family's voice"):
        rs.report_finalise(
            actor=world.psychologist, report=report, expected_revision=report.revision
        )
    report.refresh_from_db()
    assert report.status == Report.Status.CHECKING and not report.versions.exists()


def test_finalise_page_lists_the_reasons(client, world, held):
    report = start(world, held)  # formulation and voice empty
    rs.report_send_for_check(actor=world.psychologist, report=report)
    report.refresh_from_db()
    client.force_login(world.psychologist)
    response = client.post(
        reverse("formulation:report_finalise", args=[held.case.pk]), {"revision": report.revision}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The report was not finalised" in body
    assert "Clinical opinion: the formulation" in body


def test_amendment_makes_a_new_version_and_earlier_ones_stay_readable(client, world, held):
    report = finalised(world, held)
    with pytest.raises(ValidationError, match="why"):
        rs.report_amend(actor=world.psychologist, report=report, reason=" ")
    with pytest.raises(PermissionDenied):
        rs.report_amend(actor=world.senior, report=report, reason="Because")
    assert report.has_final_version
    rs.report_amend(actor=world.psychologist, report=report, reason="Review: moved to foster care.")
    report.refresh_from_db()
    assert (report.number, report.status) == (2, Report.Status.DRAFT)
    assert report.has_final_version  # version 1 stays final while version 2 is drafted
    assert report.has_final_version == report.versions.exists()
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"formulation": "Amended formulation after the move to foster care."},
        expected_revision=report.revision,
    )
    report.refresh_from_db()
    v2 = rs.report_finalise(
        actor=world.psychologist, report=report, expected_revision=report.revision
    )
    assert v2.number == 2 and v2.reason == "Review: moved to foster care."

    client.force_login(world.case_manager)
    v1_page = client.get(reverse("formulation:report_version", args=[held.case.pk, 1]))
    assert SECTION_TEXT["formulation"] in v1_page.content.decode()
    assert "earlier version" in v1_page.content.decode()
    compare = client.get(reverse("formulation:report_compare", args=[held.case.pk]))
    body = compare.content.decode()
    assert compare.status_code == 200
    assert "<del" in body and "<ins" in body
    assert "1 section changed." in body
    assert AuditEvent.objects.filter(
        action="view", actor=world.case_manager, detail="compare v1 v2"
    ).exists()


# --- PDF ---


def test_full_pdf_has_every_section_drawings_and_the_header(world, held):
    report = finalised(world, held)
    doc = pdf.document_for(report, user=world.psychologist, version=report.versions.get())
    text = flat(text_of(pdf.render_pdf(doc)))
    for sentence in SECTION_TEXT.values():
        assert sentence in text
    assert RECOMMENDATION in text
    assert TIMELINE_EVENT in text  # the timeline drawing
    assert FAMILY_NAME in text  # the genogram drawing
    assert SENSITIVE_EVENT in text  # the service's own copy keeps it
    child = held.case.child
    assert "OFFICIAL-SENSITIVE" in text
    assert child.full_name in text
    assert display_date(child.date_of_birth) in text
    assert "Version 1" in text and "Page 1 of" in text
    assert "not a court report" in text.lower()


def test_section_limited_pdf_has_only_its_sections(client, world, held):
    report = finalised(world, held)
    version = report.versions.get()
    circulation = rs.circulation_record(
        actor=world.case_manager,
        report=report,
        data={
            "version": version,
            "recipient_name": "Adult Services Duty",
            "agency": "other",
            "sent_on": timezone.localdate(),
            "purpose_kind": "transition",
            "purpose": "Transition at 18",
            "scope": "sections",
            "sections": ["formulation", "recommendations", "timeline"],
        },
    )
    client.force_login(world.case_manager)
    response = client.get(
        reverse("formulation:circulation_pdf", args=[held.case.pk, circulation.pk])
    )
    assert response.status_code == 200
    text = flat(text_of(response.content))
    assert SECTION_TEXT["formulation"] in text
    assert RECOMMENDATION in text
    assert TIMELINE_EVENT in text
    for key in ("summary", "needs", "development", "trm", "voice", "plan"):
        assert SECTION_TEXT[key] not in text, key
    assert FAMILY_NAME not in text  # genogram not sent
    assert SENSITIVE_EVENT not in text  # restricted: never leaves the service
    assert "Copy for Adult Services Duty" in text
    assert "selected sections only" in text


def test_static_only_fetcher():
    fetcher = pdf.StaticOnlyFetcher()
    response = fetcher.fetch("file:///static/ecm/report-pdf.css")
    assert b"@page" in response.read()
    for url in (
        "http://example.org/x.png",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "file:///static/../ecm/settings/base.py",
        "data:text/plain,hello",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)


def test_typed_text_is_printed_as_text_never_fetched_or_run(world, held):
    report = start(world, held)
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"formulation": '<img src="http://example.org/track.png"> Visible words'},
        expected_revision=report.revision,
    )
    report.refresh_from_db()
    doc = pdf.document_for(report, user=world.psychologist)
    html = pdf.render_html(doc)
    assert '<img src="http' not in html
    text = flat(text_of(pdf.render_pdf(doc)))
    assert '<img src="http://example.org/track.png"> Visible words' in text


def test_typed_text_cannot_break_out_of_the_page_styles(world, held):
    report = finalised(world, held)
    circulation = rs.circulation_record(
        actor=world.case_manager,
        report=report,
        data={
            "version": report.versions.get(),
            "recipient_name": '</style><h1>FAKE HEADING</h1>"',
            "agency": "health",
            "sent_on": timezone.localdate(),
            "purpose_kind": "referral",
            "purpose": "CAMHS referral",
            "scope": "full",
        },
    )
    doc = pdf.document_for(report, user=world.case_manager, circulation=circulation)
    html = pdf.render_html(doc)
    style = html[html.index("<style>") : html.index("</style>")]
    assert "<h1>" not in style and "FAKE" in style
    assert html.count("<h1>") == 1  # only the report's own title


def test_export_is_audited_and_not_cached(client, world, held):
    report = finalised(world, held)
    client.force_login(world.case_manager)
    response = client.get(
        reverse("formulation:report_pdf", args=[held.case.pk]) + f"?version={report.number}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert held.case.child.last_name not in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="export", actor=world.case_manager)
    assert event.child_id == held.case.child_id and event.detail == "pdf v1 full"


def test_a_failed_render_says_so_and_leaves_the_draft(client, world, held, monkeypatch):
    report = write_all(world, start(world, held))
    before = (report.revision, report.formulation)

    def broken(*args, **kwargs):
        raise RuntimeError("cairo exploded")

    monkeypatch.setattr("weasyprint.document.Document.write_pdf", broken)
    client.force_login(world.psychologist)
    response = client.get(reverse("formulation:report_pdf", args=[held.case.pk]), follow=True)
    assert "The PDF could not be made. Your report is unchanged." in response.content.decode()
    report.refresh_from_db()
    assert (report.revision, report.formulation) == before
    assert not AuditEvent.objects.filter(action="export").exists()


def test_large_report_renders_in_a_task_with_progress(client, world, held, settings):
    settings.REPORT_PDF_INLINE_LIMIT = 1
    start(world, held)
    client.force_login(world.psychologist)
    response = client.get(reverse("formulation:report_pdf", args=[held.case.pk]))
    job = ReportRender.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("formulation:report_render", args=[job.pk])
    page = client.get(response.url)
    assert "Waiting for a worker" in page.content.decode()
    assert 'hx-trigger="every 1s"' in page.content.decode()
    assert "X-ECM-Background-Poll" in page.content.decode()  # polls do not keep the session alive
    # Someone else cannot see or take the job.
    other = client.__class__()
    other.force_login(world.senior)
    assert other.get(response.url).status_code == 404

    assert rs.report_render_run(job.pk) == "done"
    assert rs.report_render_run(job.pk) == "skipped"  # a second delivery does nothing
    partial = client.get(response.url, headers={"HX-Request": "true"})
    assert "The PDF is ready." in partial.content.decode()
    download = client.get(reverse("formulation:report_render_download", args=[job.pk]))
    assert download.status_code == 200 and download["Cache-Control"].startswith("no-store")
    assert "OFFICIAL-SENSITIVE" in text_of(download.content)
    assert AuditEvent.objects.filter(action="export", actor=world.psychologist).count() == 1


def test_asking_again_for_a_pdf_being_rendered_gives_the_same_render(client, world, held, settings):
    settings.REPORT_PDF_INLINE_LIMIT = 1
    start(world, held)
    client.force_login(world.psychologist)
    url = reverse("formulation:report_pdf", args=[held.case.pk])
    first, again = client.get(url), client.get(url)
    assert first.url == again.url and ReportRender.objects.count() == 1
    other = client.get(url + "?sections=plan")  # another PDF: its own render
    assert other.url != first.url and ReportRender.objects.count() == 2
    job = ReportRender.objects.get(sections=[])
    assert rs.report_render_run(job.pk) == "done"
    client.get(url)  # once rendered, a new request makes a new PDF of the draft as it is
    assert ReportRender.objects.count() == 3


def test_a_failed_task_render_is_reported(world, held, monkeypatch):
    report = start(world, held)
    job = rs.report_render_request(actor=world.psychologist, report=report)
    monkeypatch.setattr("weasyprint.document.Document.write_pdf", lambda *a, **k: 1 / 0)
    assert rs.report_render_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "report is unchanged" in job.error


def test_stuck_and_old_renders_are_tidied(world, held):
    report = start(world, held)
    job = rs.report_render_request(actor=world.psychologist, report=report)
    ReportRender.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=20)
    )
    rs.report_renders_tidy()
    job.refresh_from_db()
    assert job.status == "failed" and "No worker" in job.error
    ReportRender.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=90)
    )
    rs.report_renders_tidy()
    assert not ReportRender.objects.exists()


# --- Circulation ---


def test_circulation_rules(world, held):
    report = finalised(world, held)
    version = report.versions.get()
    base = {
        "version": version,
        "recipient_name": "Jo",
        "agency": "health",
        "sent_on": timezone.localdate(),
        "purpose_kind": "transition",
        "purpose": "Transition",
        "scope": "full",
        "sections": [],
    }
    with pytest.raises(ValidationError, match="selected sections only"):
        rs.circulation_record(actor=world.case_manager, report=report, data=base)
    with pytest.raises(ValidationError, match="Choose the sections"):
        rs.circulation_record(
            actor=world.case_manager, report=report, data={**base, "scope": "sections"}
        )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="future"):
        rs.circulation_record(
            actor=world.case_manager,
            report=report,
            data={**base, "purpose_kind": "referral", "sent_on": tomorrow},
        )
    with pytest.raises(PermissionDenied):
        rs.circulation_record(
            actor=world.manager, report=report, data={**base, "purpose_kind": "referral"}
        )
    record = rs.circulation_record(
        actor=world.case_manager, report=report, data={**base, "purpose_kind": "referral"}
    )
    assert record.scope == "full" and record.sections == []


def test_circulation_form_keeps_input_on_error(client, world, held):
    report = finalised(world, held)
    client.force_login(world.case_manager)
    response = client.post(
        reverse("formulation:circulation_add", args=[held.case.pk]),
        {
            "version": report.versions.get().pk,
            "recipient_name": "Pat Probation",
            "agency": "probation",
            "sent_on": timezone.localdate().isoformat(),
            "purpose_kind": "transition",
            "purpose": "Moving to probation at 18",
            "scope": "full",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Pat Probation" in body and "Moving to probation at 18" in body
    assert "selected sections only" in body


# --- Due dates on the case and the home pages ---


def test_due_and_overdue_on_case_and_home(client, world, held):
    client.force_login(world.psychologist)
    home = client.get(reverse("home")).content.decode()
    due_on = add_months(timezone.localdate(held.starts_at), 1)
    days = (due_on - timezone.localdate()).days
    assert f"{days} days left" in home and "Not started" in home
    Meeting.objects.filter(pk=held.pk).update(starts_at=timezone.now() - dt.timedelta(days=45))
    report = start(world, held)
    home = client.get(reverse("home")).content.decode()
    overdue = (timezone.localdate() - report.due_on).days
    assert f"Overdue by {overdue} days" in home
    case_page = client.get(reverse("case_detail", args=[held.case.pk])).content.decode()
    assert f"Overdue by {overdue} days" in case_page

    rs.report_send_for_check(actor=world.psychologist, report=report)
    client.force_login(world.case_manager)
    home = client.get(reverse("home")).content.decode()
    assert "Drafts waiting for your accuracy check" in home
    rs.report_approve(actor=world.case_manager, report=report)
    home = client.get(reverse("home")).content.decode()
    assert "Drafts waiting for your accuracy check" not in home


def test_report_page_is_audited_and_costs_constant_queries(client, world, held):
    report = write_all(world, start(world, held))
    rs.report_send_for_check(actor=world.psychologist, report=report)
    client.force_login(world.psychologist)
    url = reverse("formulation:report", args=[held.case.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(20):
        Recommendation.objects.create(
            meeting=held, case=held.case, intervention=f"Rec {n}", sequence=n + 2
        )
        ReportComment.objects.create(
            report=report, number=1, section="summary", text=f"c{n}", author=world.case_manager
        )
    assert count() == few
    assert AuditEvent.objects.filter(
        action="view", object_type="formulation.report", actor=world.psychologist
    ).exists()


# --- Review findings: who checks, approvals, frozen drawings ---


def test_only_the_allocated_case_manager_or_a_senior_checks_and_circulates(world, held):
    report = write_all(world, start(world, held))
    rs.report_send_for_check(actor=world.psychologist, report=report)
    with pytest.raises(PermissionDenied):  # a colleague case manager, not this case's
        rs.report_approve(actor=world.case_manager_2, report=report)
    with pytest.raises(PermissionDenied):
        rs.report_comment_add(actor=world.case_manager_2, report=report, section="", text="x")
    from tests.factories import MembershipFactory

    # A psychologist who is also a senior practitioner cannot approve their own draft.
    MembershipFactory(user=world.psychologist, team=world.yot_a, role="senior_practitioner")
    with pytest.raises(PermissionDenied):
        rs.report_approve(actor=world.psychologist, report=report)
    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    rs.report_finalise(actor=world.psychologist, report=report, expected_revision=report.revision)
    data = {
        "version": report.versions.get(),
        "recipient_name": "Jo",
        "agency": "health",
        "sent_on": timezone.localdate(),
        "purpose_kind": "referral",
        "purpose": "CAMHS",
        "scope": "full",
    }
    with pytest.raises(PermissionDenied):
        rs.circulation_record(actor=world.case_manager_2, report=report, data=data)
    rs.circulation_record(actor=world.senior, report=report, data=data)


def test_an_approval_is_for_the_draft_as_it_was(world, held):
    report = write_all(world, start(world, held))
    rs.report_send_for_check(actor=world.psychologist, report=report)
    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"formulation": "Rewritten after the approval."},
        expected_revision=report.revision,
    )
    report.refresh_from_db()
    with pytest.raises(ValidationError, match="changed after it was approved"):
        rs.report_finalise(
            actor=world.psychologist, report=report, expected_revision=report.revision
        )
    rs.report_approve(actor=world.case_manager, report=report)
    # Changing the recommendations is a change of the draft too.
    rs.recommendation_add(
        actor=world.psychologist,
        meeting=held,
        data={"intervention": "Late addition", "owner_agency": "yot", "sequence": 2},
    )
    report.refresh_from_db()
    with pytest.raises(ValidationError, match="changed after it was approved"):
        rs.report_finalise(
            actor=world.psychologist, report=report, expected_revision=report.revision
        )
    rs.report_approve(actor=world.case_manager, report=report)
    version = rs.report_finalise(
        actor=world.psychologist, report=report, expected_revision=report.revision
    )
    assert [r["intervention"] for r in version.recommendations][-1] == "Late addition"


def test_another_psychologist_takes_over_before_editing(world, held):
    from tests.factories import member

    colleague = member(world.yot_a, "psychologist", username="psy_a2")
    report = start(world, held)
    with pytest.raises(PermissionDenied):
        rs.report_save(
            actor=colleague,
            report=report,
            data={"formulation": "Colleague"},
            expected_revision=report.revision,
        )
    rs.report_take_over(actor=colleague, report=report)
    report.refresh_from_db()
    rs.report_save(
        actor=colleague,
        report=report,
        data={"formulation": "Colleague"},
        expected_revision=report.revision,
    )
    assert AuditEvent.objects.filter(
        action="update", actor=colleague, changed_fields=["psychologist"]
    ).exists()
    with pytest.raises(PermissionDenied):  # the former author now comments only
        rs.report_save(
            actor=world.psychologist, report=report, data={}, expected_revision=report.revision
        )


def test_a_frozen_version_shows_only_this_teams_offences(client, world, held):
    from referrals.models import Offence
    from tests.factories import CaseFactory, MembershipFactory

    # The psychologist also works for Bravo YOT, which had the same child on a closed case.
    MembershipFactory(user=world.psychologist, team=world.yot_b, role="psychologist")
    bravo = CaseFactory(
        team=world.yot_b,
        child=held.case.child,
        status="closed",
        opened_on=dt.date(2024, 1, 1),
        closed_on=dt.date(2024, 9, 1),
        closure_reason="order_completed",
    )
    Offence.objects.create(case=bravo, date=dt.date(2024, 3, 1), offence_type="Bravo secret")
    Offence.objects.create(case=held.case, date=dt.date(2024, 6, 1), offence_type="Alpha known")
    report = finalised(world, held)
    version = report.versions.get()
    assert "Alpha known" in version.timeline_svg
    assert "Bravo secret" not in version.timeline_svg
    client.force_login(world.case_manager)
    page = client.get(reverse("formulation:report_version", args=[held.case.pk, 1]))
    assert "Alpha known" in page.content.decode()
    assert "Bravo secret" not in page.content.decode()


def test_circulated_copy_export_records_its_sections(client, world, held):
    report = finalised(world, held)
    circulation = rs.circulation_record(
        actor=world.case_manager,
        report=report,
        data={
            "version": report.versions.get(),
            "recipient_name": "Jo",
            "agency": "health",
            "sent_on": timezone.localdate(),
            "purpose_kind": "referral",
            "purpose": "CAMHS",
            "scope": "sections",
            "sections": ["plan", "needs"],
        },
    )
    client.force_login(world.case_manager)
    client.get(reverse("formulation:circulation_pdf", args=[held.case.pk, circulation.pk]))
    event = AuditEvent.objects.get(action="export")
    assert event.detail == f"pdf v1 plan,needs circulation {circulation.pk}"


def test_case_page_formulation_section_follows_the_report(client, world, held):
    """The case page lists the meeting and says where the report is: not started and due,
    a draft and due, then final with no due date."""
    url = reverse("case_detail", args=[held.case.pk])
    client.force_login(world.case_manager)
    due_on = add_months(timezone.localdate(held.starts_at), 1)

    def section():
        body = client.get(url).content.decode()
        return body[body.index('id="formulation-panel-heading"') :]

    body = section()
    assert reverse("formulation:meeting", args=[held.pk]) in body and "Held" in body
    assert "not started" in body and f"due {date_format(due_on, 'j M Y')}" in body
    report = start(world, held)
    body = section()
    assert "version 1, draft" in body and f"due {date_format(due_on, 'j M Y')}" in body
    report = write_all(world, report)
    rs.report_send_for_check(actor=world.psychologist, report=report)
    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    rs.report_finalise(actor=world.psychologist, report=report, expected_revision=report.revision)
    body = section()
    assert "version 1 final" in body and "· due" not in body


# --- One formulation meeting per case: the first held ---


def test_with_two_held_meetings_everything_counts_from_the_first(client, world, held):
    """A case can hold a second meeting after the first (a re-convened one). The report page,
    the case page, the psychologist's home page, the reminder and the report itself all take
    the first as the formulation meeting, so they agree on the date the report is due."""
    from formulation.reminders import report_due

    Meeting.objects.filter(pk=held.pk).update(starts_at=timezone.now() - dt.timedelta(days=40))
    held.refresh_from_db()
    later = Meeting.objects.create(
        case=held.case,
        starts_at=timezone.now() - dt.timedelta(days=2),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
        held_at=timezone.now() - dt.timedelta(days=2),
        minutes_case_history="What the later meeting heard.",
    )
    first_day = timezone.localdate(held.starts_at)
    due_on = add_months(first_day, 1)
    later_due = add_months(timezone.localdate(later.starts_at), 1)
    client.force_login(world.psychologist)

    page = client.get(reverse("formulation:report", args=[held.case.pk])).content.decode()
    assert f"held on {date_format(first_day)}" in page
    assert f"Draft due for the accuracy check {date_format(due_on)}" in page
    case_page = client.get(reverse("case_detail", args=[held.case.pk])).content.decode()
    assert f"due {date_format(due_on, 'j M Y')}" in case_page
    assert date_format(later_due, "j M Y") not in case_page
    home = client.get(reverse("home")).content.decode()
    owed = home[home.index('id="home-reports-heading"') :].split("</section>")[0]
    assert owed.count(held.case.reference) == 1
    assert date_format(due_on, "j M Y") in owed and date_format(later_due, "j M Y") not in owed
    [reminder] = [d for d in report_due(timezone.localdate()) if d.object_id == held.case.pk]
    assert str(reminder.title) == f"Formulation report overdue (was due {display_date(due_on)})"

    report = start(world, held)
    assert report.meeting_id == held.pk and report.due_on == due_on
    assert "What the later meeting heard." not in report.summary
    assert "History presented with the genogram." in report.summary
    page = client.get(reverse("formulation:report", args=[held.case.pk])).content.decode()
    assert f"Draft due for the accuracy check {date_format(due_on)}" in page


def test_a_report_taken_over_is_owed_by_its_new_psychologist(client, world, held):
    """After a take-over the report is on the new psychologist's home page and reminders,
    and no longer on the former author's."""
    from formulation.reminders import report_due
    from tests.factories import member

    Meeting.objects.filter(pk=held.pk).update(starts_at=timezone.now() - dt.timedelta(days=40))
    colleague = member(world.yot_a, "psychologist", username="psy_a2")
    report = start(world, held)
    rs.report_take_over(actor=colleague, report=report)

    def owed_on_home(user) -> bool:
        client.force_login(user)
        home = client.get(reverse("home")).content.decode()
        section = home[home.find("Reports you owe") :].split("Drafts back from the accuracy")[0]
        return "Reports you owe" in home and held.case.reference in section

    assert owed_on_home(colleague)
    assert not owed_on_home(world.psychologist)
    [reminder] = [d for d in report_due(timezone.localdate()) if d.object_id == held.case.pk]
    assert reminder.users == (colleague.pk,)


def test_case_page_formulation_section_costs_constant_queries(client, world, held):
    url = reverse("case_detail", args=[held.case.pk])
    client.force_login(world.case_manager)
    client.get(url)  # the first visit makes the user's preferences

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(12):
        Meeting.objects.create(
            case=held.case,
            starts_at=timezone.now() + dt.timedelta(days=n + 1),
            chair=world.senior,
            psychologist=world.psychologist,
            status=Meeting.Status.CANCELLED if n % 2 else Meeting.Status.SCHEDULED,
        )
    assert count() == few
    start(world, held)
    assert count() <= few  # the report's row replaces the look-up of the meeting


# --- The deadline is for the draft sent for the accuracy check ---


def test_the_due_date_is_for_the_draft_and_the_check_shows_how_long_it_takes(client, world, held):
    """ "A draft formulation report will be produced by the psychologist, within one month of
    the meeting." Once the draft is sent for the accuracy check the psychologist is no longer
    shown overdue nor reminded; the page says how long the check is taking instead, and
    the checkers keep their own reminder."""
    import time_machine

    from formulation.reminders import check_waiting, report_due

    Meeting.objects.filter(pk=held.pk).update(starts_at=timezone.now() - dt.timedelta(days=45))
    report = write_all(world, start(world, held))
    overdue = (timezone.localdate() - report.due_on).days
    case_url = reverse("case_detail", args=[held.case.pk])
    report_url = reverse("formulation:report", args=[held.case.pk])

    def mine(reminders):
        return [d for d in reminders if d.object_id in (held.case.pk, report.pk)]

    client.force_login(world.psychologist)
    assert f"Overdue by {overdue} days" in client.get(reverse("home")).content.decode()
    assert f"Overdue by {overdue} days" in client.get(report_url).content.decode()
    assert len(mine(report_due(timezone.localdate()))) == 1

    rs.report_send_for_check(actor=world.psychologist, report=report)
    report.refresh_from_db()
    home = client.get(reverse("home")).content.decode()
    assert "Overdue by" not in home and "You owe no formulation reports." in home
    assert mine(report_due(timezone.localdate())) == []
    page = client.get(report_url).content.decode()
    assert "Overdue by" not in page and "Draft due for the accuracy check" not in page
    assert "With the checkers for 0 working days" in page
    body = client.get(case_url).content.decode()
    panel = body[body.index('id="formulation-panel-heading"') :].split("</section>")[0]
    assert "Overdue by" not in panel and "draft due" not in panel
    assert "version 1, accuracy check" in panel and "With the checkers for 0 working days" in panel

    # Working days: a week later (five working days, fewer over a bank holiday).
    sent_on = timezone.localdate(report.sent_for_check_at)
    later = sent_on + dt.timedelta(days=7)
    from ecm.workdays import working_days_between

    days = working_days_between(sent_on, later)
    assert 3 <= days <= 5
    with time_machine.travel(dt.datetime.combine(later, dt.time(12)), tick=False):
        client.force_login(world.psychologist)  # a new session at the later time
        body = client.get(case_url).content.decode()
        assert f"With the checkers for {days} working days" in body
        assert mine(report_due(later)) == []
        [waiting] = mine(check_waiting(later))
        assert set(waiting.users) == {world.case_manager.pk, world.senior.pk}

    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    rs.report_finalise(actor=world.psychologist, report=report, expected_revision=report.revision)
    body = client.get(case_url).content.decode()
    panel = body[body.index('id="formulation-panel-heading"') :].split("</section>")[0]
    assert "version 1 final" in panel and "Checked in 0 working days" in panel
    assert "The draft was sent for the accuracy check" in client.get(report_url).content.decode()


def test_an_amendment_has_no_deadline_and_no_check_duration(world, held):
    from formulation.report import selectors

    report = finalised(world, held)
    rs.report_amend(actor=world.psychologist, report=report, reason="After the first review")
    report.refresh_from_db()
    assert not report.draft_owed
    assert selectors.check_duration(report) is None
    assert not selectors.reports_owed().filter(case=held.case).exists()


def test_working_days_between_skips_weekends_and_bank_holidays():
    from ecm.workdays import add_working_days, working_days_between

    thursday = dt.date(2026, 4, 2)  # Maundy Thursday: Good Friday and Easter Monday follow
    assert working_days_between(thursday, thursday) == 0
    assert working_days_between(thursday, dt.date(2026, 4, 6)) == 0
    assert working_days_between(thursday, dt.date(2026, 4, 7)) == 1
    assert working_days_between(thursday, add_working_days(thursday, 10)) == 10
    assert working_days_between(dt.date(2026, 4, 9), thursday) == 0


def test_a_version_finalised_in_welsh_says_so_and_its_reason_reads_in_either_language(
    client, world, held
):
    """Issue 23: the frozen drawings are marked with the language they were made in; the
    product's own reason ("First final version") is kept in English and shown translated."""
    from django.utils import translation

    with translation.override("cy"):
        report = finalised(world, held)
    version = report.versions.get(number=1)
    assert version.language == "cy" and version.reason == "First final version"
    url = reverse("formulation:report_version", args=[held.case.pk, 1])
    client.force_login(world.case_manager)
    page = client.get(url).content.decode()
    assert '<div lang="cy">' in page and "First final version" in page
    world.case_manager.language = "cy"
    world.case_manager.save()
    page = client.get(url).content.decode()
    with translation.override("cy"):
        from django.utils.translation import gettext

        assert gettext("First final version") in page
    assert "First final version" not in page


def test_a_circulated_copy_is_made_again_in_the_language_it_was_sent_in(client, world, held):
    """Issue 23: "exactly what was sent" includes its language, whoever downloads it."""
    report = finalised(world, held)
    circulation = rs.circulation_record(
        actor=world.case_manager,
        report=report,
        data={
            "version": report.versions.get(),
            "recipient_name": "Jo",
            "agency": "health",
            "sent_on": timezone.localdate(),
            "purpose_kind": "referral",
            "purpose": "CAMHS",
            "scope": "full",
            "language": "cy",
        },
    )
    assert circulation.language == "cy"
    client.force_login(world.case_manager)  # whose pages are in English
    url = reverse("formulation:circulation_pdf", args=[held.case.pk, circulation.pk])
    assert client.get(url)["Content-Disposition"].endswith('-cy.pdf"')
    response = client.get(url, {"language": "en-gb"})  # another language, when asked for
    assert not response["Content-Disposition"].endswith('-cy.pdf"')
