"""Nothing typed is lost on the formulation report (issue 18): "Send for accuracy check" and
"Finalise" are buttons of the draft's form and save what was typed first (or refuse, keeping
it, and say why); the draft saves itself through the autosave endpoint, with the same
stale-edit check, one audit row per actual change, and a revision the next save accepts."""

import re

import pytest
from django.urls import reverse

from ecm.models import AuditEvent
from formulation.models import Report, ReportComment
from formulation.report import services as rs
from tests.formulation import test_report as tr

held = tr.held  # the fixture: a held formulation meeting in world's Alpha YOT case
SECTION_TEXT = tr.SECTION_TEXT
TYPED = "Typed just before pressing the button: the losses explain the testing of adults."

pytestmark = pytest.mark.django_db


def _post(client, case, revision, action="", **sections):
    data = {**SECTION_TEXT, **sections, "revision": revision}
    if action:
        data["action"] = action
    return client.post(reverse("formulation:report_save", args=[case.pk]), data)


def _autosave(client, case, revision, **sections):
    data = {**SECTION_TEXT, **sections, "revision": revision}
    return client.post(reverse("formulation:report_autosave", args=[case.pk]), data)


def _updates(report) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, object_type__icontains="report", object_id=str(report.pk)
    ).count()


# --- Send and Finalise save the typed text first ---


def test_send_saves_what_was_typed_then_sends_it(client, world, held):
    report = tr.start(world, held)
    client.force_login(world.psychologist)
    response = _post(client, held.case, report.revision, "send", formulation=TYPED)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.CHECKING
    assert report.formulation == TYPED  # the draft sent is the text as typed
    assert _updates(report) == 1


def test_a_refused_save_sends_nothing_and_keeps_the_text(client, world, held):
    report = tr.start(world, held)
    loaded = report.revision
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"formulation": "Saved in another tab"},
        expected_revision=loaded,
    )
    client.force_login(world.psychologist)
    response = _post(client, held.case, loaded, "send", formulation=TYPED)
    assert response.status_code == 409
    body = response.content.decode()
    assert TYPED in body  # still in the box
    assert "was not sent for the accuracy check" in body
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT
    assert report.formulation == "Saved in another tab"


def test_finalise_saves_what_was_typed_into_the_final_version(client, world, held):
    report = tr.write_all(world, tr.start(world, held))
    rs.report_send_for_check(actor=world.psychologist, report=report)
    report.refresh_from_db()
    client.force_login(world.case_manager)
    client.post(reverse("formulation:report_approve", args=[held.case.pk]))
    report.refresh_from_db()
    # The psychologist changes the text and finalises: the approval was for the text before,
    # so the change is saved, finalising is refused with the reason, and nothing is lost.
    client.force_login(world.psychologist)
    response = _post(client, held.case, report.revision, "finalise", formulation=TYPED)
    assert response.status_code == 400
    assert "approve it again" in response.content.decode()
    report.refresh_from_db()
    assert report.formulation == TYPED
    assert report.status == Report.Status.CHECKING
    assert not report.versions.exists()
    # Approved again as it stands, then finalised from the same form: the version has it.
    client.force_login(world.case_manager)
    client.post(reverse("formulation:report_approve", args=[held.case.pk]))
    client.force_login(world.psychologist)
    report.refresh_from_db()
    response = _post(client, held.case, report.revision, "finalise", formulation=TYPED)
    assert response.status_code == 302
    version = report.versions.get()
    assert version.sections["formulation"] == TYPED


def test_an_invalid_action_form_finalises_nothing(client, world, held):
    report = tr.write_all(world, tr.start(world, held))
    client.force_login(world.psychologist)
    response = client.post(
        reverse("formulation:report_save", args=[held.case.pk]),
        {**SECTION_TEXT, "formulation": TYPED, "action": "finalise"},  # no revision
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert TYPED in body and "was not finalised" in body
    report.refresh_from_db()
    assert report.formulation == SECTION_TEXT["formulation"]
    assert report.status == Report.Status.DRAFT


def test_the_page_sends_and_finalises_through_the_drafts_form(client, world, held):
    report = tr.start(world, held)
    client.force_login(world.psychologist)
    body = client.get(reverse("formulation:report", args=[held.case.pk])).content.decode()
    button = r'form="report-form"\s+name="action"\s+value="{}"'
    assert re.search(button.format("send"), body)
    assert "data-warn-unsaved" in body
    assert reverse("formulation:report_autosave", args=[held.case.pk]) in body
    assert 'id="report-autosave"' in body and 'aria-live="polite"' in body
    rs.report_send_for_check(actor=world.psychologist, report=report)
    body = client.get(reverse("formulation:report", args=[held.case.pk])).content.decode()
    assert re.search(button.format("finalise"), body)


# --- Autosave ---


def test_autosave_saves_and_the_next_save_is_taken(client, world, held):
    report = tr.start(world, held)
    client.force_login(world.psychologist)
    first = _autosave(client, held.case, report.revision, formulation="First words")
    assert first.status_code == 200
    reply = first.json()
    assert reply["message"].startswith("Saved at ")
    assert reply["revision"] == report.revision + 1
    second = _autosave(client, held.case, reply["revision"], formulation="First words, more")
    assert second.status_code == 200
    # The page's form now carries the autosave's revision: "Save the draft" is not refused.
    response = _post(client, held.case, second.json()["revision"], formulation="All of it")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.formulation == "All of it"
    assert _updates(report) == 3  # one row per actual change


def test_autosave_without_a_change_writes_nothing(client, world, held):
    report = tr.write_all(world, tr.start(world, held))
    before = _updates(report)
    client.force_login(world.psychologist)
    reply = _autosave(client, held.case, report.revision).json()
    assert reply["revision"] == report.revision
    assert _updates(report) == before


def test_autosave_refuses_a_stale_draft_and_overwrites_nothing(client, world, held):
    report = tr.start(world, held)
    loaded = report.revision
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={"formulation": "Saved in another tab"},
        expected_revision=loaded,
    )
    client.force_login(world.psychologist)
    response = _autosave(client, held.case, loaded, formulation=TYPED)
    assert response.status_code == 409
    assert "reload the page" in response.json()["message"]
    report.refresh_from_db()
    assert report.formulation == "Saved in another tab"


def test_autosave_is_refused_to_others(client, world, held):
    report = tr.start(world, held)
    url = reverse("formulation:report_autosave", args=[held.case.pk])
    data = {**SECTION_TEXT, "revision": report.revision}
    client.force_login(world.other_senior)  # another team: the case does not exist for them
    assert client.post(url, data).status_code == 404
    client.force_login(world.case_manager)  # the case's team, but not the report's writer
    assert client.post(url, data).status_code == 403
    client.force_login(world.psychologist)
    assert client.get(url).status_code == 405
    report.refresh_from_db()
    assert report.formulation != SECTION_TEXT["formulation"]


def test_autosave_of_a_final_report_is_refused(client, world, held):
    report = tr.finalised(world, held)
    client.force_login(world.psychologist)
    response = _autosave(client, held.case, report.revision, formulation=TYPED)
    assert response.status_code == 400
    assert "final" in response.json()["message"]
    assert not ReportComment.objects.filter(report=report, text=TYPED).exists()
    report.refresh_from_db()
    assert report.formulation != TYPED
