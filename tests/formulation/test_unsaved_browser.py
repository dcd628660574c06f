"""Nothing typed is lost, in real headless Chromium (issue 18): the psychologist types into a
report section and presses "Send for accuracy check" without saving: the text typed is the
draft sent. Leaving with unsaved changes asks first; the draft saves itself, says when, and
the next "Save the draft" is taken."""

import pytest
from django.urls import reverse

from formulation.models import Report
from tests.conftest import login
from tests.formulation import test_report_browser as journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

trm_frameworks = journey.trm_frameworks  # fixtures: a held meeting in Northgate YOT
held_case = journey.held_case
TYPED = "Typed and never saved: he tests every new worker before trusting them."
OPINION = "Clinical opinion: the formulation"


def _started_report(browser, live_server, case):
    context = browser.new_context()
    page = context.new_page()
    login(page, live_server.url, "psychologist")
    page.goto(live_server.url + reverse("formulation:report", args=[case.pk]))
    page.get_by_role("button", name="Start the report").click()
    page.get_by_text("Report started from the meeting record.").wait_for()
    return context, page


def test_send_for_accuracy_check_sends_what_was_typed(browser, live_server, held_case):
    context, page = _started_report(browser, live_server, held_case)
    page.locator("#section-formulation").get_by_label(OPINION).fill(TYPED)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.get_by_role("button", name="Send for accuracy check").click()
    page.get_by_text("Draft sent to the case manager and senior practitioner").wait_for()
    assert dialogs == []  # the draft's own button: no "unsaved changes" question
    context.close()
    report = Report.objects.get(case=held_case)
    assert report.status == Report.Status.CHECKING
    assert report.formulation == TYPED


def test_leaving_with_unsaved_changes_asks_first(browser, live_server, held_case):
    context, page = _started_report(browser, live_server, held_case)
    report_url = page.url
    box = page.locator("#section-formulation").get_by_label(OPINION)
    box.click()
    page.keyboard.type(TYPED)
    dialogs = []

    messages = []

    def stay(dialog):
        dialogs.append(dialog.type)
        messages.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", stay)
    # A link away: the browser asks, the psychologist stays, the text is still there.
    page.get_by_role("link", name="Open the timeline").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url == report_url
    assert box.input_value() == TYPED
    # Another form of the page (adding a recommendation) says why, and can be cancelled.
    page.get_by_text("Add a recommendation").click()
    page.locator("#section-recommendations").get_by_role(
        "button", name="Add recommendation"
    ).click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload", "confirm"]
    assert "The report has changes that are not saved yet" in messages[-1]
    assert box.input_value() == TYPED
    # Saved: no question any more.
    page.remove_listener("dialog", stay)
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("Draft saved.").wait_for()
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.get_by_role("link", name="Open the timeline").click()
    page.wait_for_url("**/timeline/**")
    assert dialogs == ["beforeunload", "confirm"]
    context.close()
    assert Report.objects.get(case=held_case).formulation == TYPED


def test_the_draft_saves_itself_and_the_next_save_is_taken(browser, live_server, held_case):
    context, page = _started_report(browser, live_server, held_case)
    page.add_init_script("window.ecmAutosaveSeconds = 1")
    page.reload()
    box = page.locator("#section-formulation").get_by_label(OPINION)
    box.fill(TYPED)
    status = page.locator("#report-autosave")
    status.get_by_text("Saved at").wait_for()
    assert Report.objects.get(case=held_case).formulation == TYPED
    box.fill(TYPED + " Second thought.")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("Draft saved.").wait_for()  # not refused as a stale edit
    context.close()
    assert Report.objects.get(case=held_case).formulation == TYPED + " Second thought."


def test_a_refused_save_keeps_the_text_and_still_warns(browser, live_server, held_case):
    from formulation.report import services as rs

    context, page = _started_report(browser, live_server, held_case)
    report = Report.objects.get(case=held_case)
    rs.report_save(  # another tab saves meanwhile
        actor=report.psychologist,
        report=report,
        data={"formulation": "Saved in another tab"},
        expected_revision=report.revision,
    )
    page.locator("#section-formulation").get_by_label(OPINION).fill(TYPED)
    page.get_by_role("button", name="Send for accuracy check").click()
    page.get_by_text("The draft was not sent for the accuracy check").wait_for()
    box = page.locator("#section-formulation").get_by_label(OPINION)
    assert box.input_value() == TYPED
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.get_by_role("link", name="Open the timeline").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]  # what was typed is not saved yet: it warns at once
    context.close()
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT
    assert report.formulation == "Saved in another tab"
