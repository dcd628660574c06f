"""The formulation report pages: draft, accuracy check, versions and comparison, PDFs and
circulation. Thin: parse with a form, call a service, render."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ecm.access import access_for
from ecm.audit import audit_case_record
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import add_service_errors
from ecm.models import AuditEvent
from ecm.selectors import case_get_for, case_team_members

from ..meeting.forms import RecommendationForm
from ..meeting.selectors import formulation_meeting, meeting_get_for
from ..meeting.views import back_to_section, meeting_form_post
from ..trm.selectors import stages_for
from . import pdf, selectors, services
from .forms import (
    AmendForm,
    CirculationForm,
    CompareForm,
    FinaliseForm,
    PdfForm,
    ReportCommentForm,
    ReportForm,
    ResolveCommentForm,
)
from .models import (
    REQUIRED_SECTIONS,
    TEXT_SECTIONS,
    Report,
    ReportComment,
    ReportRender,
    ReportSection,
    ReportVersion,
)

log = logging.getLogger(__name__)


def _report_or_404(case) -> Report:
    report = selectors.report_for_case(case)
    if report is None:
        raise Http404
    return report


def _version_or_404(report, number) -> ReportVersion:
    return get_object_or_404(report.versions.select_related("finalised_by"), number=number)


def _back(case, anchor=""):
    return redirect(
        reverse("formulation:report", args=[case.pk]) + (f"#{anchor}" if anchor else "")
    )


def _do(request, action, success: str) -> None:
    """Run a service that needs no form; say what happened, or why it was refused."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)


def _form_post(request, pk, form_name: str, build, act, success: str, anchor: str = ""):
    """The flow of the report page's forms (like the meeting page's): build the form from
    the POST (`build(report)`), call the service (`act(report, form)`, which may return the
    message to show), go back to the form's section; on error show the page with what was
    typed and the reason (400)."""
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = build(report)
    if form.is_valid():
        try:
            message = act(report, form) or success
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return _back(case, anchor)
    return _render_page(request, case, report, status=400, **{form_name: form})


# --- The report page ---------------------------------------------------------------------------


def _not_started(case) -> dict:
    """Before the report: when the formulation meeting was and when the report is due, or
    the previous episode's formulation to carry forward (a re-opened case)."""
    meeting = formulation_meeting(case)
    if meeting is None:
        return {"meeting": None, "carried_from": selectors.previous_final_version(case)}
    due_on = selectors.report_due_on(meeting.starts_at)
    return {"meeting": meeting, "due_on": due_on, "due": selectors.due_label(due_on)}


def _sections(report, form, comments_by_section) -> list[dict]:
    """Every section in print order, with its text, its box (when editable) and comments."""
    return [
        {
            "key": key,
            "label": label,
            "text": getattr(report, key) if key in TEXT_SECTIONS else "",
            "field": form[key] if form is not None and key in TEXT_SECTIONS else None,
            "comments": comments_by_section.get(key, []),
            "required": key in REQUIRED_SECTIONS,
        }
        for key, label in ReportSection.choices
    ]


def _context(request, case, report, **forms) -> dict:
    """The report page: the draft or the final version, what the user may do, the accuracy
    check, versions and circulation. `forms` replace the blank ones (sent back with their
    errors), and `finalise_errors` lists why finalising was refused."""
    access = access_for(request.user)
    can_write = access.can_write_report(case, report)
    ctx = {
        "Section": ReportSection,
        "case": case,
        "child": case.child,
        "report": report,
        "can_write": can_write,
        "can_check": access.can_check_report(case),
        "can_circulate": access.can_circulate_report(case),
        "can_take_over": report is not None and access.can_take_over_report(case, report),
    }
    if report is None:
        return {**ctx, **_not_started(case), **forms}
    editable = can_write and report.status != Report.Status.FINAL
    check = selectors.accuracy_check(report, request.user)
    for comments in check.comments_by_section.values():
        for comment in comments:
            comment.resolve_form = ResolveCommentForm(comment=comment)
    versions = list(selectors.report_versions(report))
    recommendations = selectors.case_recommendations(case)
    form = forms.pop("report_form", None)
    if form is None and editable:
        form = ReportForm(instance=report, initial={"revision": report.revision})
    blank = {
        "comment_form": ReportCommentForm(),
        "amend_form": AmendForm(),
        "recommendation_form": RecommendationForm(
            stages=stages_for(case),
            people=case_team_members(case),
            initial={"sequence": len(recommendations) + 1},
        )
        if editable
        else None,
        "circulation_form": CirculationForm(
            versions=selectors.report_versions(report).order_by("-number"),
            initial={"sent_on": timezone.localdate(), "scope": "full"},
        )
        if versions
        else None,
    }
    return {
        **ctx,
        **blank,
        "editable": editable,
        "report_form": form,
        "sections": _sections(report, form, check.comments_by_section),
        "general_comments": check.comments_by_section.get("", []),
        "approvals": check.approvals,
        "open_comments": check.open_comments,
        "user_approved": check.user_approved,
        "versions": versions,
        "recommendations": recommendations,
        "circulations": selectors.circulations_for(report),
        "due": selectors.due_label(report.due_on) if report.draft_owed else None,
        "check_duration": selectors.check_duration(report),
        **forms,
    }


def _render_page(request, case, report, status=200, **forms):
    context = _context(request, case, report, **forms)
    return render(request, "formulation/report.html", context, status=status)


@require_GET
def report_page(request, pk: int):
    case = case_get_for(request.user, pk)
    report = selectors.report_for_case(case)
    if report is not None:
        audit_case_record(request.user, AuditEvent.Action.VIEW, report, case)
    return _render_page(request, case, report)


# --- Drafting, the accuracy check, finalising and amending ----------------------------------------


@require_POST
def report_start(request, pk: int):
    case = case_get_for(request.user, pk)
    start = partial(services.report_start, actor=request.user, case=case)
    _do(request, start, _("Report started from the meeting record."))
    return _back(case)


#: Why a button of the draft's form did nothing when the draft could not be saved.
_NOT_DONE = {
    "send": gettext_lazy(
        "The draft was not sent for the accuracy check, because it could not be saved."
    ),
    "finalise": gettext_lazy("The report was not finalised, because the draft could not be saved."),
}


@require_POST
def report_save(request, pk: int):
    """Save the draft; for the form's other buttons ("Send for accuracy check", "Finalise",
    `name="action"`) then do that, with the text as saved, so nothing typed is lost. An edit
    made on a stale copy is refused (409): nothing is sent or finalised, the page keeps what
    was typed, shows the saved text under each section and carries the saved revision, so
    that once compared the next save is taken."""
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    action = request.POST.get("action", "")
    form = ReportForm(request.POST, instance=Report(pk=report.pk))
    status = 400
    if form.is_valid():
        try:
            report = services.report_save(
                actor=request.user,
                report=report,
                data={key: form.cleaned_data[key] for key in TEXT_SECTIONS},
                expected_revision=form.cleaned_data["revision"],
            )
        except StaleEditError as exc:
            form = form_with_saved_version(
                ReportForm,
                request.POST,
                report,
                exc,
                field="revision",
                instance=Report(pk=report.pk),
            )
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if action == "send":
                return _send_saved(request, case, report)
            if action == "finalise":
                return _finalise_saved(request, case, report)
            messages.success(request, _("Draft saved."))
            return _back(case)
    report.refresh_from_db()  # the saved text, shown beside what was typed
    not_done = _NOT_DONE.get(action)
    return _render_page(
        request, case, report, status=status, report_form=form, action_not_done=not_done
    )


def _send_saved(request, case, report):
    """ "Send for accuracy check" once the draft is saved (report_save)."""
    send = partial(services.report_send_for_check, actor=request.user, report=report)
    _do(
        request,
        send,
        _("Draft sent to the case manager and senior practitioner for an accuracy check."),
    )
    return _back(case)


def _finalise_saved(request, case, report):
    """ "Finalise" once the draft is saved (report_save): the version is the text as saved.
    A refusal lists its reasons on the page; the draft stays saved."""
    try:
        version = services.report_finalise(
            actor=request.user, report=report, expected_revision=report.revision
        )
    except ValidationError as exc:
        messages.info(request, _("Draft saved."))
        report.refresh_from_db()
        return _render_page(request, case, report, status=400, finalise_errors=exc.messages)
    messages.success(request, _("Version %(n)s is final.") % {"n": version.number})
    return _back(case)


def _autosave_reply(message: str, status: int = 200, **data) -> JsonResponse:
    return JsonResponse({"message": message, **data}, status=status)


def _saved_at() -> str:
    return _("Saved at %(time)s") % {"time": timezone.localtime().strftime("%H:%M")}


_STALE_AUTOSAVE = gettext_lazy(
    "Not saved: someone else saved this draft after you opened it. What you typed is still "
    "here. Copy it, reload the page and compare before saving."
)


@require_POST
def report_autosave(request, pk: int):
    """The draft's save every half minute while it changes (static/ecm/unsaved.js): the same
    service and stale-edit check as "Save the draft" (one audit row per actual change), and
    the new revision for the page's form, so that its next save is taken. A stale draft is
    refused (409) and nothing is overwritten."""
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = ReportForm(request.POST, instance=Report(pk=report.pk))
    if not form.is_valid():
        return _autosave_reply(_("Not saved automatically: use Save the draft."), 400)
    try:
        report = services.report_save(
            actor=request.user,
            report=report,
            data={key: form.cleaned_data[key] for key in TEXT_SECTIONS},
            expected_revision=form.cleaned_data["revision"],
        )
    except StaleEditError:
        return _autosave_reply(_STALE_AUTOSAVE, 409)
    except ValidationError as exc:
        return _autosave_reply(" ".join(exc.messages), 400)
    return _autosave_reply(_saved_at(), revision=report.revision)


@require_POST
def report_take_over(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    services.report_take_over(actor=request.user, report=report)
    messages.success(request, _("You are now the psychologist writing this report."))
    return _back(case)


@require_POST
def report_send(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    send = partial(services.report_send_for_check, actor=request.user, report=report)
    _do(
        request,
        send,
        _("Draft sent to the case manager and senior practitioner for an accuracy check."),
    )
    return _back(case)


@require_POST
def report_comment(request, pk: int):
    def add(report, form):
        services.report_comment_add(actor=request.user, report=report, **form.cleaned_data)

    def build(report):
        return ReportCommentForm(request.POST)

    success = _("Comment added for the psychologist.")
    return _form_post(request, pk, "comment_form", build, add, success, "check")


@require_POST
def report_approve(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    approve = partial(services.report_approve, actor=request.user, report=report)
    _do(request, approve, _("You approved the draft as accurate."))
    return _back(case, "check")


@require_POST
def report_resolve(request, pk: int, comment_id: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    comment = get_object_or_404(report.comments, pk=comment_id, kind=ReportComment.Kind.COMMENT)
    form = ResolveCommentForm(request.POST)
    if form.is_valid():  # the response is optional: always valid
        services.report_comment_resolve(actor=request.user, comment=comment, **form.cleaned_data)
        messages.success(request, _("Comment resolved."))
    return _back(case, f"section-{comment.section}" if comment.section else "check")


@require_POST
def report_finalise(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = FinaliseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Reload the page, then finalise again."))
        version = services.report_finalise(
            actor=request.user, report=report, expected_revision=form.cleaned_data["revision"]
        )
    except ValidationError as exc:  # includes StaleEditError
        report.refresh_from_db()
        return _render_page(request, case, report, status=400, finalise_errors=exc.messages)
    messages.success(request, _("Version %(n)s is final.") % {"n": version.number})
    return _back(case)


@require_POST
def report_amend(request, pk: int):
    def amend(report, form):
        amended = services.report_amend(actor=request.user, report=report, **form.cleaned_data)
        return _("Amendment started: version %(n)s is a draft.") % {"n": amended.number}

    def build(report):
        return AmendForm(request.POST)

    return _form_post(request, pk, "amend_form", build, amend, "")


# --- Recommendations: the meeting's, then the psychologist's once the report has started ---


@require_POST
def meeting_recommendation_add(request, pk: int):
    def build(meeting):
        case = meeting.case
        stages = stages_for(case)
        return RecommendationForm(request.POST, stages=stages, people=case_team_members(case))

    def act(meeting, form):
        services.recommendation_add(actor=request.user, meeting=meeting, data=form.model_data())

    return meeting_form_post(
        request, pk, "recommendation_form", build, act, _("Recommendation added.")
    )


@require_POST
def meeting_recommendation_delete(request, pk: int, rec_id: int):
    meeting = meeting_get_for(request.user, pk)
    recommendation = get_object_or_404(meeting.recommendations, pk=rec_id)
    try:
        services.recommendation_delete(actor=request.user, recommendation=recommendation)
    except ValidationError as exc:  # e.g. the report is final: say so, change nothing
        messages.error(request, " ".join(exc.messages))
    return back_to_section(meeting, "recommendations")


@require_POST
def report_recommendation(request, pk: int):
    def add(report, form):
        services.recommendation_add(
            actor=request.user, meeting=report.meeting, data=form.model_data()
        )

    def build(report):
        case = report.case
        return RecommendationForm(
            request.POST, stages=stages_for(case), people=case_team_members(case)
        )

    success, anchor = _("Recommendation added."), "section-recommendations"
    return _form_post(request, pk, "recommendation_form", build, add, success, anchor)


@require_POST
def report_recommendation_delete(request, pk: int, rec_id: int):
    case = case_get_for(request.user, pk)
    _report_or_404(case)
    recommendation = get_object_or_404(case.recommendations, pk=rec_id)
    try:
        services.recommendation_delete(actor=request.user, recommendation=recommendation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(case, "section-recommendations")


# --- Versions and comparison ------------------------------------------------------------------


@require_GET
def report_version(request, pk: int, number: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    version = _version_or_404(report, number)
    audit_case_record(
        request.user, AuditEvent.Action.VIEW, version, case, detail=f"v{version.number}"
    )
    sections = [
        {"key": key, "label": label, "text": version.sections.get(key, "")}
        for key, label in ReportSection.choices
    ]
    versions = list(selectors.report_versions(report))
    return render(
        request,
        "formulation/report_version.html",
        {
            "Section": ReportSection,
            "case": case,
            "child": case.child,
            "report": report,
            "version": version,
            "sections": sections,
            "versions": versions,
            "is_latest": version.number == max(v.number for v in versions),
        },
    )


@require_GET
def report_compare(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    versions = list(report.versions.order_by("number"))
    if len(versions) < 2:
        messages.info(request, _("There is only one final version so far."))
        return _back(case, "versions")
    form = CompareForm(request.GET or None, versions=versions)
    if form.is_bound and not form.is_valid():
        raise Http404
    by_number = {v.number: v for v in versions}
    old_number, new_number = form.chosen()
    old, new = by_number[old_number], by_number[new_number]
    rows = selectors.version_changes(old, new)
    audit_case_record(
        request.user,
        AuditEvent.Action.VIEW,
        report,
        case,
        detail=f"compare v{old.number} v{new.number}",
    )
    return render(
        request,
        "formulation/report_compare.html",
        {
            "case": case,
            "child": case.child,
            "report": report,
            "form": form,
            "old": old,
            "new": new,
            "rows": rows,
            "changed_count": sum(1 for r in rows if r["changed"]),
        },
    )


# --- PDFs --------------------------------------------------------------------------------------


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _audit_export(user, report, case, *, number, sections, circulation=None):
    if circulation is not None:
        sections = circulation.sections
    detail = f"pdf v{number} " + (",".join(sections) if sections else "full")
    if circulation is not None:
        detail += f" circulation {circulation.pk}"
    audit_case_record(user, AuditEvent.Action.EXPORT, report, case, detail=detail)


def _pdf(request, case, report, *, version=None, sections=None, circulation=None, language=""):
    """Render in the request when the report is light; otherwise a worker makes it and the
    progress page shows it coming (asking again meanwhile gives the same render). A failed
    render leaves the report untouched and says so. In `language` (Welsh or English, chosen
    at download), else the page's."""
    language = language or translation.get_language()
    if pdf.estimated_size(report) > settings.REPORT_PDF_INLINE_LIMIT:
        job = services.report_render_request(
            actor=request.user,
            report=report,
            version=version,
            sections=sections,
            circulation=circulation,
            language=language,
        )
        return redirect("formulation:report_render", render_id=job.pk)
    try:
        with translation.override(language):
            doc = pdf.document_for(
                report,
                user=request.user,
                version=version,
                sections=sections,
                circulation=circulation,
            )
            data = pdf.render_pdf(doc)
    except Exception:
        log.exception("report PDF failed for case %s", case.pk)
        messages.error(
            request,
            _(
                "The PDF could not be made. Your report is unchanged. Try again; if it keeps "
                "failing, tell your system administrator."
            ),
        )
        return _back(case)
    _audit_export(
        request.user, report, case, number=doc.number, sections=sections, circulation=circulation
    )
    return _pdf_response(data, doc.filename)


@require_GET
def report_pdf(request, pk: int):
    """The current draft, or a final version (?version=N); optionally only some sections
    (?sections=summary&sections=plan)."""
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = PdfForm(request.GET)
    if not form.is_valid():
        raise Http404
    number = form.cleaned_data["version"]
    version = _version_or_404(report, number) if number else None
    return _pdf(
        request,
        case,
        report,
        version=version,
        sections=form.cleaned_data["sections"] or None,
        language=form.cleaned_data["language"],
    )


@require_GET
def circulation_pdf(request, pk: int, circulation_id: int):
    """Exactly what was sent to that recipient: the version and sections recorded."""
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    circulations = report.circulations.select_related("version")
    circulation = get_object_or_404(circulations, pk=circulation_id)
    # In the language it was sent in, unless another is asked for.
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = circulation.language
    return _pdf(request, case, report, circulation=circulation, language=language)


def _render_job(request, render_id) -> ReportRender:
    try:
        job = ReportRender.objects.select_related("report__case").get(
            pk=render_id, requested_by=request.user
        )
    except (ReportRender.DoesNotExist, ValidationError):
        raise Http404 from None
    case_get_for(request.user, job.report.case_id)  # the user must still see the case
    return job


@require_GET
def report_render(request, render_id):
    job = _render_job(request, render_id)
    ctx = {"job": job, "case": job.report.case}
    if request.headers.get("HX-Request"):
        return HttpResponse(render_to_string("formulation/_render_progress.html", ctx, request))
    return render(request, "formulation/report_render.html", ctx)


@require_GET
def report_render_download(request, render_id):
    job = _render_job(request, render_id)
    if job.status != ReportRender.Status.DONE or job.pdf is None:
        raise Http404
    report = job.report
    _audit_export(
        request.user,
        report,
        report.case,
        number=job.number,
        sections=job.sections,
        circulation=job.circulation,
    )
    return _pdf_response(bytes(job.pdf), job.filename)


# --- Circulation ---------------------------------------------------------------------------------


@require_POST
def circulation_add(request, pk: int):
    def record(report, form):
        services.circulation_record(actor=request.user, report=report, data=form.model_data())

    def build(report):
        return CirculationForm(request.POST, versions=report.versions.all())

    success = _("Circulation recorded.")
    return _form_post(request, pk, "circulation_form", build, record, success, "circulation")
