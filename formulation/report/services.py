"""Writes of the formulation report: drafting, accuracy check, finalising, amendments and
circulation, and the PDFs a worker renders. Each service checks Access, refuses stale edits,
and writes its audit row in the same transaction.

The report's life: the psychologist starts it from the held meeting (sections pre-filled),
edits the draft, sends it to the case manager and senior practitioner for an accuracy check
(they comment per section or approve), resolves the comments and finalises: the final text
is frozen as a numbered `ReportVersion`. An amendment (after a review) re-opens the draft as
the next version with its reason; earlier versions stay readable.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.dates import add_months
from ecm.editing import check_version, model_update
from ecm.language import FIRST_FINAL_VERSION
from ecm.models import AuditEvent, Case, User
from ecm.queueing import queue_task

from ..genogram.selectors import genogram_svg
from ..meeting.models import Meeting, Recommendation
from ..meeting.selectors import formulation_meeting
from ..timeline.selectors import timeline_svg
from . import pdf
from .models import (
    TEXT_SECTIONS,
    Circulation,
    Report,
    ReportComment,
    ReportRender,
    ReportSection,
    ReportVersion,
)
from .selectors import (
    empty_required_sections,
    previous_final_version,
    recommendation_rows,
    report_due_on,
    report_prefill,
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


#: The Celery task that renders one queued PDF (formulation/report/tasks.py).
RENDER_PDF = "formulation.render_report_pdf"
#: A render no worker has finished after this long is reported as failed.
RENDER_STALE_MINUTES = 15
log = logging.getLogger(__name__)


# --- Drafting ------------------------------------------------------------------------------


@transaction.atomic
def report_start(*, actor: User, case: Case) -> Report:
    """The psychologist starts the report from the held formulation meeting."""
    case = Case.objects.select_for_update().select_related("child").get(pk=case.pk)
    _require(access_for(actor).can_write_report(case))
    existing = Report.objects.filter(case=case).first()
    if existing:
        return existing
    meeting = formulation_meeting(case)
    if meeting is None:
        carried = _carry_forward(actor, case)
        if carried is not None:
            return carried
        raise ValidationError(
            _("Record the formulation meeting as held before starting the report.")
        )
    report = Report.objects.create(
        case=case,
        meeting=meeting,
        psychologist=actor,
        due_on=report_due_on(meeting.starts_at),
        updated_by=actor,
        **report_prefill(case, meeting),
    )
    _audit(actor, AuditEvent.Action.CREATE, report, case, list(TEXT_SECTIONS))
    return report


def _carry_forward(actor: User, case: Case) -> Report | None:
    """A re-opened case starts its report from the previous episode's final formulation,
    with its recommendations, for the psychologist to update."""
    previous = previous_final_version(case)
    if previous is None:
        return None
    old = previous.report
    report = Report.objects.create(
        case=case,
        meeting=old.meeting,
        psychologist=actor,
        due_on=add_months(timezone.localdate(), 1),
        updated_by=actor,
        amendment_reason=_("Carried forward from %(ref)s version %(n)s (case re-opened).")
        % {"ref": old.case.reference, "n": previous.number},
        **{key: previous.sections.get(key, "") for key in TEXT_SECTIONS},
    )
    for rec in old.case.recommendations.order_by("sequence", "pk"):
        Recommendation.objects.create(
            meeting=rec.meeting,
            case=case,
            intervention=rec.intervention,
            owner_user=rec.owner_user,
            owner_agency=rec.owner_agency,
            owner_name=rec.owner_name,
            sequence=rec.sequence,
            trm_stage=rec.trm_stage,
            priority=rec.priority,
            created_by=actor,
        )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        report,
        case,
        list(TEXT_SECTIONS),
        detail=f"carried forward from {old.case.reference} v{previous.number}",
    )
    return report


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("case__child").get(pk=report.pk)


def _require_open(report: Report) -> None:
    if report.status == Report.Status.FINAL:
        raise ValidationError(
            _("Version %(n)s is final. Start an amendment, with its reason, to change it.")
            % {"n": report.number}
        )


@transaction.atomic
def report_save(
    *, actor: User, report: Report, data: dict[str, str], expected_revision: int
) -> Report:
    """Save the draft's section texts. Refused if the draft changed since the form was
    loaded (the form keeps what was typed)."""
    report = _locked(report)
    _require(access_for(actor).can_write_report(report.case, report))
    _require_open(report)
    check_version(report, expected_revision, field="revision", what=_("report"))
    texts = {key: (data[key] or "").strip() for key in TEXT_SECTIONS if key in data}
    changed = model_update(report, texts)
    if not changed:
        return report
    report.revision += 1
    report.updated_by = actor
    report.save()
    _audit(actor, AuditEvent.Action.UPDATE, report, report.case, changed)
    return report


@transaction.atomic
def report_send_for_check(*, actor: User, report: Report) -> Report:
    """The psychologist sends the draft to the case manager and senior practitioner."""
    report = _locked(report)
    _require(access_for(actor).can_write_report(report.case, report))
    if report.status != Report.Status.DRAFT:
        raise ValidationError(
            _("Only a draft can be sent for checking; this report is %(s)s.")
            % {"s": report.get_status_display().lower()}
        )
    report.status = Report.Status.CHECKING
    report.sent_for_check_at = timezone.now()
    report.revision += 1
    report.save()
    _audit(actor, AuditEvent.Action.TRANSITION, report, report.case, ["status"], "checking")
    return report


def _require_checking(report: Report) -> None:
    if report.status != Report.Status.CHECKING:
        raise ValidationError(
            _("The report is not waiting for an accuracy check (it is %(s)s).")
            % {"s": report.get_status_display().lower()}
        )


@transaction.atomic
def report_comment_add(*, actor: User, report: Report, section: str, text: str) -> ReportComment:
    """A checker comments on a section of the draft (or on the whole report)."""
    report = _locked(report)
    _require(access_for(actor).can_check_report(report.case))
    _require_checking(report)
    if not text.strip():
        raise ValidationError({"text": _("Write the comment.")})
    if section and section not in ReportSection.values:
        raise ValidationError({"section": _("Choose a section of the report.")})
    comment = ReportComment.objects.create(
        report=report, number=report.number, section=section, text=text.strip(), author=actor
    )
    _audit(actor, AuditEvent.Action.CREATE, comment, report.case, ["section", "text"])
    return comment


@transaction.atomic
def report_approve(*, actor: User, report: Report) -> ReportComment:
    """A checker confirms the draft, as it stands now, is accurate. An approval is for one
    revision: if the psychologist changes the draft afterwards, it must be approved again."""
    report = _locked(report)
    _require(access_for(actor).can_check_report(report.case))
    _require(actor.pk != report.psychologist_id)
    _require_checking(report)
    approval, _created = ReportComment.objects.update_or_create(
        report=report,
        number=report.number,
        author=actor,
        kind=ReportComment.Kind.APPROVAL,
        defaults={"revision": report.revision, "created_at": timezone.now()},
    )
    _audit(actor, AuditEvent.Action.CREATE, approval, report.case, detail="approved")
    return approval


@transaction.atomic
def report_take_over(*, actor: User, report: Report) -> Report:
    """Another psychologist of the case takes the report over (e.g. the author is away)."""
    report = _locked(report)
    _require(access_for(actor).can_take_over_report(report.case, report))
    previous = report.psychologist_id
    report.psychologist = actor
    report.revision += 1
    report.save(update_fields=["psychologist", "revision", "updated_at"])
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        report,
        report.case,
        ["psychologist"],
        detail=f"taken over from user {previous}",
    )
    return report


@transaction.atomic
def report_comment_resolve(*, actor: User, comment: ReportComment, response: str = "") -> None:
    """The psychologist resolves a comment (changing the draft, or answering why not)."""
    comment = (
        ReportComment.objects.select_for_update().select_related("report__case").get(pk=comment.pk)
    )
    _require(access_for(actor).can_write_report(comment.report.case, comment.report))
    if comment.resolved_at:
        return
    comment.resolved_by = actor
    comment.resolved_at = timezone.now()
    comment.response = response.strip()
    comment.save(update_fields=["resolved_by", "resolved_at", "response"])
    _audit(actor, AuditEvent.Action.UPDATE, comment, comment.report.case, ["resolved_at"])


@transaction.atomic
def report_finalise(*, actor: User, report: Report, expected_revision: int) -> ReportVersion:
    """Freeze the draft as the next final version. The first version must have been through
    the accuracy check with at least one approval; every comment must be resolved; the
    sections that cannot be empty must not be."""
    report = _locked(report)
    case = report.case
    _require(access_for(actor).can_write_report(case, report))
    _require_open(report)
    check_version(report, expected_revision, field="revision", what=_("report"), typed=False)
    errors = []
    empty = empty_required_sections(report)
    if empty:
        errors.append(
            _("These sections must be written before the report is final: %(s)s.")
            % {"s": "; ".join(empty)}
        )
    this_round = report.comments.filter(number=report.number)
    open_comments = this_round.filter(kind=ReportComment.Kind.COMMENT, resolved_at__isnull=True)
    if open_comments.exists():
        errors.append(
            _("Resolve the %(n)s open comment(s) from the accuracy check first.")
            % {"n": open_comments.count()}
        )
    approvals = list(
        this_round.filter(
            kind=ReportComment.Kind.APPROVAL, revision=report.revision
        ).select_related("author")
    )
    outdated = this_round.filter(kind=ReportComment.Kind.APPROVAL).exclude(revision=report.revision)
    if report.number == 1:
        if report.status != Report.Status.CHECKING:
            errors.append(
                _(
                    "Send the draft to the case manager and senior practitioner for an "
                    "accuracy check before it is final."
                )
            )
        elif not approvals and outdated.exists():
            errors.append(
                _(
                    "The draft changed after it was approved: ask the case manager or the "
                    "senior practitioner to approve it again."
                )
            )
        elif not approvals:
            errors.append(
                _(
                    "Wait for the case manager or the senior practitioner to approve the "
                    "draft as accurate."
                )
            )
    if errors:
        raise ValidationError(errors)

    version = ReportVersion.objects.create(
        report=report,
        number=report.number,
        sections=report.section_texts(),
        recommendations=recommendation_rows(case),
        # Frozen for every future reader of the case: only the offences of this team's own
        # cases, whatever else the finalising psychologist may see.
        timeline_svg=timeline_svg(actor, case, team_only=True),
        timeline_shared_svg=timeline_svg(actor, case, shared=True, team_only=True),
        genogram_svg=genogram_svg(case),
        # Ours in English (shown in the reader's language); an amendment's as typed.
        reason=report.amendment_reason if report.number > 1 else FIRST_FINAL_VERSION,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        approved_by=", ".join(
            a.author.get_full_name() or a.author.username for a in approvals if a.author
        ),
        finalised_by=actor,
    )
    report.status = Report.Status.FINAL
    report.finalised_at = version.finalised_at
    report.revision += 1
    report.save()
    _audit(
        actor,
        AuditEvent.Action.TRANSITION,
        report,
        case,
        ["status"],
        detail=f"final v{version.number}",
    )
    return version


@transaction.atomic
def report_amend(*, actor: User, report: Report, reason: str) -> Report:
    """Open the next version for amendment (ordinarily after a review), with its reason."""
    report = _locked(report)
    _require(access_for(actor).can_write_report(report.case, report))
    if report.status != Report.Status.FINAL:
        raise ValidationError(_("Only a final report can be amended; finish this draft first."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the formulation is being amended.")})
    report.number += 1
    report.status = Report.Status.DRAFT
    report.amendment_reason = reason.strip()
    report.sent_for_check_at = None
    report.revision += 1
    report.updated_by = actor
    report.save()
    _audit(
        actor,
        AuditEvent.Action.TRANSITION,
        report,
        report.case,
        ["status", "amendment_reason"],
        detail=f"amending to v{report.number}",
    )
    return report


# --- Circulation -----------------------------------------------------------------------------


@transaction.atomic
def circulation_record(*, actor: User, report: Report, data: dict) -> Circulation:
    """Record who received a final version, why, and which sections. Transitions to adult
    services share selected sections only."""
    report = _locked(report)
    _require(access_for(actor).can_circulate_report(report.case))
    version = data.get("version")
    if version is None or version.report_id != report.pk:
        raise ValidationError({"version": _("Choose a final version of this report.")})
    errors = {}
    sections = [s for s in data.get("sections") or [] if s in ReportSection.values]
    scope = data.get("scope")
    if scope == Circulation.Scope.FULL:
        sections = []
        if data.get("purpose_kind") == Circulation.Purpose.TRANSITION:
            errors["scope"] = _(
                "A transition to adult services shares selected sections only: choose them."
            )
    elif not sections:
        errors["sections"] = _("Choose the sections that were sent.")
    sent_on = data.get("sent_on")
    if sent_on and sent_on > timezone.localdate():
        errors["sent_on"] = _("The date sent cannot be in the future.")
    elif sent_on and sent_on < timezone.localdate(version.finalised_at):
        errors["sent_on"] = _("The date sent cannot be before version %(n)s was final.") % {
            "n": version.number
        }
    if errors:
        raise ValidationError(errors)
    circulation = Circulation.objects.create(
        report=report,
        version=version,
        recipient_name=data["recipient_name"],
        recipient_role=data.get("recipient_role", ""),
        agency=data["agency"],
        organisation=data.get("organisation", ""),
        sent_on=sent_on,
        purpose_kind=data["purpose_kind"],
        purpose=data["purpose"],
        scope=scope,
        sections=sections,
        language=data.get("language") or translation.get_language() or settings.LANGUAGE_CODE,
        recorded_by=actor,
    )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        circulation,
        report.case,
        ["recipient_name", "agency", "sent_on", "purpose", "scope", "sections"],
        detail=f"v{version.number} " + (",".join(sections) or "full"),
    )
    return circulation


# --- PDF renders by a worker -----------------------------------------------------------------


def report_render_request(
    *,
    actor: User,
    report: Report,
    version: ReportVersion | None = None,
    sections=None,
    circulation: Circulation | None = None,
    language: str = "",
) -> ReportRender:
    """Queue a PDF for a worker (a large report); the page shows its progress. Asking again
    for the same PDF while a worker has it in hand gives that render, not a second one. The
    render is a download being made, not a change to the report (so a GET may ask for it)."""
    if circulation is not None:
        number = circulation.version.number
    else:
        number = version.number if version is not None else report.number
    wanted = {
        "report": report,
        "version": version,
        "circulation": circulation,
        "sections": list(sections or []),
        "number": number,
        "requested_by": actor,
        "language": language or translation.get_language() or settings.LANGUAGE_CODE,
    }
    in_hand = ReportRender.objects.filter(
        **wanted, status__in=[ReportRender.Status.QUEUED, ReportRender.Status.RUNNING]
    ).first()
    if in_hand is not None:
        return in_hand
    with transaction.atomic():
        render = ReportRender.objects.create(
            id=uuid.uuid4(), stage=gettext_noop("Waiting for a worker"), **wanted
        )
        # If the broker is down the render stays queued and is reported as failed after
        # RENDER_STALE_MINUTES (the user is told to try again).
        transaction.on_commit(lambda: queue_task(RENDER_PDF, str(render.pk)))
    return render


def report_render_run(render_id) -> str:
    """Render a queued PDF. Claimed by a conditional update, so a task delivered twice
    renders once; progress is written as each stage starts; a failure is recorded and
    shown to the user (the report itself is never touched)."""
    claimed = ReportRender.objects.filter(pk=render_id, status=ReportRender.Status.QUEUED).update(
        status=ReportRender.Status.RUNNING, progress=5, stage=gettext_noop("Starting")
    )
    if not claimed:
        return "skipped"
    render = ReportRender.objects.select_related(
        "report__case__child", "report__meeting", "report__psychologist", "requested_by"
    ).get(pk=render_id)

    def progress(percent: int, stage: str) -> None:
        ReportRender.objects.filter(pk=render_id).update(progress=min(percent, 99), stage=stage)

    try:
        with translation.override(render.language):  # as chosen at download (issue 23)
            doc = pdf.document_for(
                render.report,
                user=render.requested_by,
                version=render.version,
                sections=render.sections or None,
                circulation=render.circulation,
            )
            data = pdf.render_pdf(doc, progress=progress)
    except Exception:
        log.exception("report PDF %s failed", render_id)
        ReportRender.objects.filter(pk=render_id).update(
            status=ReportRender.Status.FAILED,
            error=gettext_noop("The PDF could not be made. The report is unchanged; try again."),
            finished_at=timezone.now(),
        )
        return "failed"
    ReportRender.objects.filter(pk=render_id).update(
        status=ReportRender.Status.DONE,
        progress=100,
        stage=gettext_noop("Ready"),
        pdf=data,
        filename=doc.filename,
        finished_at=timezone.now(),
    )
    return "done"


def report_renders_tidy() -> int:
    """Clear rendered PDFs after REPORT_PDF_KEEP_MINUTES; report renders no worker finished."""
    now = timezone.now()
    stuck = ReportRender.objects.filter(
        status__in=[ReportRender.Status.QUEUED, ReportRender.Status.RUNNING],
        created_at__lt=now - dt.timedelta(minutes=RENDER_STALE_MINUTES),
    ).update(
        status=ReportRender.Status.FAILED,
        error=gettext_noop("No worker finished this PDF. The report is unchanged; try again."),
        finished_at=now,
    )
    expired, _deleted = ReportRender.objects.filter(
        created_at__lt=now - dt.timedelta(minutes=settings.REPORT_PDF_KEEP_MINUTES)
    ).delete()
    return stuck + expired


# --- Recommendations: recorded at the meeting, the psychologist's once the report starts ---


def _require_recommendations_open(actor: User, case: Case) -> Report | None:
    """Recommendations belong to the meeting until the psychologist starts the report; from
    then on only the psychologist changes them, and a final report first needs an amendment.
    Locks the report, so a change cannot slip in beside a finalise; returns it (or None)."""
    report = Report.objects.select_for_update().filter(case=case).first()
    _require(access_for(actor).can_change_recommendations(case, report))
    if report is not None and report.status == Report.Status.FINAL:
        raise ValidationError(
            _(
                "The report is final. Start an amendment (with its reason) to change the "
                "recommendations."
            )
        )
    return report


def _recommendations_changed(report: Report | None) -> None:
    """A change of the recommendations is a change of the draft: earlier approvals and open
    forms are out of date."""
    if report is not None:
        Report.objects.filter(pk=report.pk).update(revision=F("revision") + 1)


@transaction.atomic
def recommendation_add(*, actor: User, meeting: Meeting, data: dict) -> Recommendation:
    report = _require_recommendations_open(actor, meeting.case)
    if not (data.get("owner_user") or data.get("owner_agency") or data.get("owner_name")):
        raise ValidationError(_("Say who is best placed: a person or an agency."))
    recommendation = Recommendation(meeting=meeting, case=meeting.case, created_by=actor)
    changed = model_update(recommendation, data)
    recommendation.full_clean(exclude=["meeting", "case"])
    recommendation.save()
    _recommendations_changed(report)
    _audit(actor, AuditEvent.Action.CREATE, recommendation, meeting.case, changed)
    return recommendation


@transaction.atomic
def recommendation_delete(*, actor: User, recommendation: Recommendation) -> None:
    report = _require_recommendations_open(actor, recommendation.case)
    _audit(actor, AuditEvent.Action.DELETE, recommendation, recommendation.case)
    recommendation.delete()
    _recommendations_changed(report)
