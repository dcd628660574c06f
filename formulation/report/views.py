"""The formulation report pages: draft, accuracy check, versions and comparison, PDFs and
circulation. Thin: parse with a form, call a service, render."""

from __future__ import annotations

import difflib
import logging
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ecm.access import access_for
from ecm.audit import audit_case_record
from ecm.forms import add_service_errors
from ecm.models import AuditEvent
from ecm.selectors import case_get_for
from ecm.services import StaleEditError

from ..meeting.forms import RecommendationForm
from ..meeting.models import Recommendation
from ..meeting.selectors import case_staff, formulation_meeting
from ..meeting.services import recommendation_add, recommendation_delete
from ..trm.selectors import stages_for
from . import pdf, selectors, services
from .forms import (
    AmendForm,
    CirculationForm,
    ReportCommentForm,
    ReportForm,
    ResolveCommentForm,
)
from .models import (
    REQUIRED_SECTIONS,
    TEXT_SECTIONS,
    Circulation,
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


def _context(request, case, report, **forms):
    user = request.user
    can_write = access_for(user).can_write_report(case, report)
    can_check = access_for(user).can_check_report(case)
    ctx = {
        "case": case,
        "child": case.child,
        "report": report,
        "can_write": can_write,
        "can_check": can_check,
        "can_circulate": access_for(user).can_circulate_report(case),
        "can_take_over": report is not None and access_for(user).can_take_over_report(case, report),
    }
    if report is None:
        meeting = formulation_meeting(case)
        ctx["meeting"] = meeting
        ctx["carried_from"] = None if meeting else selectors.previous_final_version(case)
        if meeting:
            ctx["due_on"] = selectors.report_due_on(meeting.starts_at)
            ctx["due"] = selectors.due_label(ctx["due_on"])
        ctx.update(forms)
        return ctx
    editable = can_write and report.status != Report.Status.FINAL
    comments = list(report.comments.select_related("author", "resolved_by"))
    current = [c for c in comments if c.number == report.number]
    by_section: dict[str, list] = {}
    for c in current:
        if c.kind == ReportComment.Kind.COMMENT:
            by_section.setdefault(c.section, []).append(c)
    approvals = [c for c in current if c.kind == ReportComment.Kind.APPROVAL]
    for approval in approvals:
        approval.is_current = approval.revision == report.revision
    versions = list(selectors.report_versions(report))
    recommendations = list(
        case.recommendations.select_related("owner_user", "trm_stage").order_by("sequence", "pk")
    )
    sections = []
    form = forms.get("report_form") or (
        ReportForm(instance=report, initial={"revision": report.revision}) if editable else None
    )
    for key, label in ReportSection.choices:
        sections.append(
            {
                "key": key,
                "label": label,
                "text": getattr(report, key) if key in TEXT_SECTIONS else "",
                "field": form[key] if form is not None and key in TEXT_SECTIONS else None,
                "comments": by_section.get(key, []),
                "required": key in REQUIRED_SECTIONS,
            }
        )
    stages = stages_for(case) if editable else None
    labels = dict(ReportSection.choices)
    circulations = list(report.circulations.select_related("version", "recorded_by"))
    for c in circulations:
        c.section_labels = [labels.get(key, key) for key in c.sections]
    ctx.update(
        {
            "editable": editable,
            "report_form": form,
            "sections": sections,
            "general_comments": by_section.get("", []),
            "approvals": approvals,
            "open_comments": sum(
                1 for c in current if c.kind == ReportComment.Kind.COMMENT and not c.resolved_at
            ),
            "user_approved": any(a.author_id == user.pk and a.is_current for a in approvals),
            "versions": versions,
            "recommendations": recommendations,
            "recommendation_form": forms.get("recommendation_form")
            or (
                RecommendationForm(
                    stages=stages,
                    people=case_staff(case),
                    initial={"sequence": len(recommendations) + 1},
                )
                if editable
                else None
            ),
            "comment_form": forms.get("comment_form") or ReportCommentForm(),
            "amend_form": forms.get("amend_form") or AmendForm(),
            "circulations": circulations,
            "circulation_form": forms.get("circulation_form")
            or (
                CirculationForm(
                    versions=selectors.report_versions(report).order_by("-number"),
                    initial={"sent_on": timezone.localdate(), "scope": "full"},
                )
                if versions
                else None
            ),
            "due": selectors.due_label(report.due_on) if not versions else None,
            "finalise_errors": forms.get("finalise_errors"),
        }
    )
    return ctx


def _render_page(request, case, report, status=200, **forms):
    return render(
        request,
        "formulation/report.html",
        _context(request, case, report, **forms),
        status=status,
    )


def _back(case, anchor=""):
    return redirect(
        reverse("formulation:report", args=[case.pk]) + (f"#{anchor}" if anchor else "")
    )


@require_GET
def report_page(request, pk: int):
    case = case_get_for(request.user, pk)
    report = selectors.report_for_case(case)
    if report is not None:
        audit_case_record(request.user, AuditEvent.Action.VIEW, report, case)
    return _render_page(request, case, report)


@require_POST
def report_start(request, pk: int):
    case = case_get_for(request.user, pk)
    try:
        services.report_start(actor=request.user, case=case)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Report started from the meeting record."))
    return _back(case)


@require_POST
def report_save(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = ReportForm(request.POST, instance=Report(pk=report.pk))
    status = 400
    if form.is_valid():
        try:
            services.report_save(
                actor=request.user,
                report=report,
                data={k: form.cleaned_data[k] for k in TEXT_SECTIONS},
                expected_revision=form.cleaned_data["revision"],
            )
        except StaleEditError as exc:
            # Keep what was typed; carry the saved revision so that, once compared, the next
            # save is taken.
            report.refresh_from_db()
            data = request.POST.copy()
            data["revision"] = str(report.revision)
            form = ReportForm(data, instance=Report(pk=report.pk))
            form.is_valid()
            add_service_errors(form, exc)
            form.stale = True
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return _back(case)
    # The saved report is shown beside what was typed (which stays in the form).
    report.refresh_from_db()
    return _render_page(request, case, report, status=status, report_form=form)


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
    try:
        services.report_send_for_check(actor=request.user, report=report)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Draft sent to the case manager and senior practitioner for an accuracy check."),
        )
    return _back(case)


@require_POST
def report_comment(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = ReportCommentForm(request.POST)
    if form.is_valid():
        try:
            services.report_comment_add(
                actor=request.user,
                report=report,
                section=form.cleaned_data["section"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Comment added for the psychologist."))
            return _back(case, "check")
    return _render_page(request, case, report, status=400, comment_form=form)


@require_POST
def report_approve(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    try:
        services.report_approve(actor=request.user, report=report)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You approved the draft as accurate."))
    return _back(case, "check")


@require_POST
def report_resolve(request, pk: int, comment_id: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    try:
        comment = report.comments.get(pk=comment_id, kind=ReportComment.Kind.COMMENT)
    except ReportComment.DoesNotExist:
        raise Http404 from None
    form = ResolveCommentForm(request.POST)
    form.is_valid()
    services.report_comment_resolve(
        actor=request.user, comment=comment, response=form.cleaned_data.get("response", "")
    )
    messages.success(request, _("Comment resolved."))
    return _back(case, f"section-{comment.section}" if comment.section else "check")


@require_POST
def report_finalise(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1
    try:
        version = services.report_finalise(
            actor=request.user, report=report, expected_revision=revision
        )
    except ValidationError as exc:  # includes StaleEditError
        report.refresh_from_db()
        return _render_page(request, case, report, status=400, finalise_errors=exc.messages)
    messages.success(request, _("Version %(n)s is final.") % {"n": version.number})
    return _back(case)


@require_POST
def report_amend(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = AmendForm(request.POST)
    if form.is_valid():
        try:
            services.report_amend(
                actor=request.user, report=report, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Amendment started: version %(n)s is a draft.") % {"n": report.number + 1},
            )
            return _back(case)
    return _render_page(request, case, report, status=400, amend_form=form)


# --- Recommendations (the psychologist's, once the report has started) ----------------------


@require_POST
def report_recommendation(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = RecommendationForm(request.POST, stages=stages_for(case), people=case_staff(case))
    if form.is_valid():
        try:
            recommendation_add(actor=request.user, meeting=report.meeting, data=form.model_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recommendation added."))
            return _back(case, "section-recommendations")
    return _render_page(request, case, report, status=400, recommendation_form=form)


@require_POST
def report_recommendation_delete(request, pk: int, rec_id: int):
    case = case_get_for(request.user, pk)
    _report_or_404(case)
    try:
        recommendation = case.recommendations.get(pk=rec_id)
    except Recommendation.DoesNotExist:
        raise Http404 from None
    try:
        recommendation_delete(actor=request.user, recommendation=recommendation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(case, "section-recommendations")


# --- Versions and comparison ------------------------------------------------------------------


def _version_or_404(report, number) -> ReportVersion:
    try:
        return report.versions.select_related("finalised_by").get(number=number)
    except (ReportVersion.DoesNotExist, ValueError):
        raise Http404 from None


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
            "case": case,
            "child": case.child,
            "report": report,
            "version": version,
            "sections": sections,
            "versions": versions,
            "is_latest": version.number == max(v.number for v in versions),
        },
    )


_TOKEN = re.compile(r"\s+|[^\s]+")


def diff_words(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level differences: a list of (op, text), op in equal / insert / delete."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return out


def _recommendations_text(rows) -> str:
    return "\n".join(
        f"{r['sequence']}. {r['intervention']} ({r['who']}; {r['trm_stage'] or '—'}; "
        f"{r['priority']})"
        for r in rows
    )


@require_GET
def report_compare(request, pk: int):
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    versions = list(report.versions.order_by("number"))
    if len(versions) < 2:
        messages.info(request, _("There is only one final version so far."))
        return _back(case, "versions")
    by_number = {v.number: v for v in versions}
    try:
        old = by_number[int(request.GET.get("from", versions[-2].number))]
        new = by_number[int(request.GET.get("to", versions[-1].number))]
    except (KeyError, ValueError):
        raise Http404 from None
    rows = []
    for key, label in ReportSection.choices:
        if key in ("timeline", "genogram"):
            continue
        if key == "recommendations":
            before, after = (
                _recommendations_text(old.recommendations),
                _recommendations_text(new.recommendations),
            )
        else:
            before, after = old.sections.get(key, ""), new.sections.get(key, "")
        rows.append(
            {
                "key": key,
                "label": label,
                "changed": before != after,
                "diff": diff_words(before, after),
            }
        )
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
            "old": old,
            "new": new,
            "rows": rows,
            "versions": versions,
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


def _pdf(request, case, report, *, version=None, sections=None, circulation=None):
    """Render in the request when the report is light; otherwise queue a worker and show
    the progress page. A failed render leaves the report untouched and says so."""
    if pdf.estimated_size(report) > settings.REPORT_PDF_INLINE_LIMIT:
        with transaction.atomic():
            job = services.report_render_request(
                actor=request.user,
                report=report,
                version=version,
                sections=sections,
                circulation=circulation,
            )
        return redirect("formulation:report_render", render_id=job.pk)
    try:
        doc = pdf.document_for(
            report, user=request.user, version=version, sections=sections, circulation=circulation
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
    version = None
    if request.GET.get("version"):
        version = _version_or_404(report, request.GET["version"])
    sections = [s for s in request.GET.getlist("sections") if s in ReportSection.values]
    return _pdf(request, case, report, version=version, sections=sections or None)


@require_GET
def circulation_pdf(request, pk: int, circulation_id: int):
    """Exactly what was sent to that recipient: the version and sections recorded."""
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    try:
        circulation = report.circulations.select_related("version").get(pk=circulation_id)
    except Circulation.DoesNotExist:
        raise Http404 from None
    return _pdf(request, case, report, circulation=circulation)


def _render_job(request, render_id) -> ReportRender:
    try:
        job = ReportRender.objects.select_related("report__case").get(
            pk=render_id, requested_by=request.user
        )
    except (ReportRender.DoesNotExist, ValidationError):
        raise Http404 from None
    # The user must still see the case.
    case_get_for(request.user, job.report.case_id)
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
    case = case_get_for(request.user, pk)
    report = _report_or_404(case)
    form = CirculationForm(request.POST, versions=report.versions.all())
    if form.is_valid():
        try:
            services.circulation_record(actor=request.user, report=report, data=form.model_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Circulation recorded."))
            return _back(case, "circulation")
    return _render_page(request, case, report, status=400, circulation_form=form)
