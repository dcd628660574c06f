"""Reads of the formulation report, scoped by `ecm.access` through the case: the report and
its versions, what is due and waiting, the text drafted from the meeting record."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecm.access import access_for
from ecm.dates import AddMonths, add_months
from ecm.models import Case, User, open_case
from ecm.selectors import case_list_for
from ecm.workdays import working_days_between

from ..meeting.models import Invitation, Meeting, Recommendation
from ..timeline.models import SummaryItem
from .models import (
    REQUIRED_SECTIONS,
    Circulation,
    Report,
    ReportComment,
    ReportSection,
    ReportVersion,
)


def report_for_case(case: Case) -> Report | None:
    """The case's report (or None); the case was fetched through `case_get_for`."""
    return (
        Report.objects.filter(case=case)
        .select_related("case__child", "case__team", "meeting", "psychologist")
        .first()
    )


def final_version_exists(**where) -> Exists:
    """A subquery: is there a final version of the report `where` points to? For example
    `final_version_exists(report=OuterRef("pk"))` on reports, or
    `final_version_exists(report__case=OuterRef("case_id"))` on meetings."""
    return Exists(ReportVersion.objects.filter(**where))


def report_status(case: Case) -> Report | None:
    """The case's report with only what the case page says of it (status, version, due
    date, when the draft went to the checkers; `has_final_version` and `draft_owed` follow
    from them); None before it is started."""
    return (
        Report.objects.filter(case=case)
        .only("case_id", "status", "number", "due_on", "sent_for_check_at", "finalised_at")
        .first()
    )


def report_versions(report: Report) -> QuerySet[ReportVersion]:
    """Versions for a list: without the frozen drawings and texts."""
    return report.versions.defer(
        "sections", "recommendations", "timeline_svg", "timeline_shared_svg", "genogram_svg"
    ).select_related("finalised_by")


def previous_final_version(case: Case) -> ReportVersion | None:
    """The latest final version of the previous episode's report (for a re-opened case)."""
    if not case.previous_case_id:
        return None
    return (
        ReportVersion.objects.filter(report__case_id=case.previous_case_id)
        .select_related("report__meeting", "report__case")
        .order_by("-number")
        .first()
    )


# --- Due dates -----------------------------------------------------------------------------------


def report_due_on(meeting_start: dt.datetime) -> dt.date:
    """When the draft report is due to be sent for the accuracy check: one month after the
    formulation meeting, which started at `meeting_start` ("A draft formulation report will
    be produced by the psychologist, within one month of the meeting"). The final version
    has no deadline of its own: `check_duration` says how long the check is taking."""
    return add_months(timezone.localdate(meeting_start), 1)


def due_label(due_on: dt.date, today: dt.date | None = None) -> dict:
    """Days left or overdue, as words (never colour alone), and the badge's colour for
    formulation/_due.html: red when overdue, amber within a week."""
    today = today or timezone.localdate()
    days = (due_on - today).days
    if days < 0:
        text = ngettext("Overdue by %(n)s day", "Overdue by %(n)s days", -days) % {"n": -days}
        return {"overdue": True, "days": -days, "text": text, "badge": "text-bg-danger"}
    badge = "text-bg-warning" if days <= 7 else "text-bg-secondary"
    if days == 0:
        return {"overdue": False, "days": 0, "text": _("Due today"), "badge": badge}
    text = ngettext("%(n)s day left", "%(n)s days left", days) % {"n": days}
    return {"overdue": False, "days": days, "text": text, "badge": badge}


def check_duration(report: Report, today: dt.date | None = None) -> dict | None:
    """How long the accuracy check of the first version is taking (while with the checkers)
    or took (once final), in working days, as words: the final version has no deadline of
    its own in the guidance. None before the draft is sent, and for amendments."""
    if report.sent_for_check_at is None or report.number != 1:
        return None
    sent_on = timezone.localdate(report.sent_for_check_at)
    if report.status == Report.Status.CHECKING:
        days = working_days_between(sent_on, today or timezone.localdate())
        text = ngettext(
            "With the checkers for %(n)s working day",
            "With the checkers for %(n)s working days",
            days,
        )
        return {"checking": True, "days": days, "sent_on": sent_on, "text": text % {"n": days}}
    if report.finalised_at is None:
        return None
    days = working_days_between(sent_on, timezone.localdate(report.finalised_at))
    text = ngettext("Checked in %(n)s working day", "Checked in %(n)s working days", days) % {
        "n": days
    }
    return {"checking": False, "days": days, "sent_on": sent_on, "text": text}


def reports_owed() -> QuerySet[Meeting]:
    """The formulation meetings of open cases whose draft report the psychologist still owes
    (started or not): not yet sent for the accuracy check, and no version final. Each is
    owed by the report's psychologist, or the meeting's before it is started. Once sent, the
    draft waits on the checkers (their own reminder), not on the psychologist."""
    return (
        Meeting.objects.formulation_meetings()
        .filter(open_case("case__"))
        .exclude(final_version_exists(report__case=OuterRef("case_id")))
        .exclude(
            Exists(Report.objects.filter(case=OuterRef("case_id"), sent_for_check_at__isnull=False))
        )
    )


def reports_due_for(user: User) -> QuerySet[Meeting]:
    """The reports this psychologist owes: their formulation meetings (`reports_owed`), with
    the report if there is one. Two queries (the second only if any)."""
    # The few cases this psychologist is named on (by a report, or by a formulation meeting),
    # each side read by its own index, first: given as a list, they narrow the rows before
    # the "owed" tests join the meetings and reports of every open case (which the planner
    # otherwise does first, for the OR below). Two queries; one when none.
    named = list(
        Report.objects.filter(psychologist=user)
        .order_by()  # no ORDER BY inside a compound statement (SQLite refuses one)
        .values_list("case_id", flat=True)
        .union(
            Meeting.objects.formulation()
            .filter(psychologist=user)
            .order_by()
            .values_list("case_id", flat=True)
        )
    )
    return (
        reports_owed()
        .filter(case_id__in=named)
        .filter(
            Q(case__report__psychologist=user) | Q(case__report__isnull=True, psychologist=user),
            case__in=case_list_for(user).values("pk"),
        )
        .select_related("case__child", "case__report")
        .order_by("starts_at", "pk")
    )


def reports_to_check_for(user: User) -> QuerySet[Report]:
    """Drafts waiting for this user's accuracy check (`Access.can_check_report` as a query),
    not yet approved by them. One query."""
    approved = ReportComment.objects.filter(
        report=OuterRef("pk"),
        number=OuterRef("number"),
        revision=OuterRef("revision"),
        author=user,
        kind=ReportComment.Kind.APPROVAL,
    )
    return (
        Report.objects.filter(
            access_for(user).report_check_scope("case__"),
            access_for(user).case_scope("case__"),
            status=Report.Status.CHECKING,
        )
        .exclude(psychologist=user)
        .exclude(Exists(approved))
        .select_related("case__child", "psychologist")
        .order_by("sent_for_check_at", "pk")
    )


# --- What a version freezes, and what is still missing ------------------------------------------


def recommendation_who(rec: Recommendation) -> str:
    person = rec.owner_user.get_full_name() or rec.owner_user.username if rec.owner_user else ""
    parts = [p for p in (person, rec.owner_name, rec.get_owner_agency_display()) if p]
    return ", ".join(parts)


def recommendation_rows(case: Case) -> list[dict]:
    """The case's recommendations as plain data (what a version freezes, what a PDF prints)."""
    recommendations = case.recommendations.select_related("owner_user", "trm_stage")
    return [
        {
            "id": rec.pk,
            "sequence": rec.sequence,
            "intervention": rec.intervention,
            "who": recommendation_who(rec),
            "trm_stage": str(rec.trm_stage) if rec.trm_stage else "",
            "priority": rec.get_priority_display(),
        }
        for rec in recommendations.order_by("sequence", "pk")
    ]


def empty_required_sections(report: Report) -> list[str]:
    """Labels of the sections a final version cannot leave empty, that are empty."""
    has_recommendations = report.case.recommendations.exists()
    empty = []
    for key in REQUIRED_SECTIONS:
        if key == ReportSection.RECOMMENDATIONS:
            written = has_recommendations
        else:
            written = bool(getattr(report, key).strip())
        if not written:
            empty.append(str(key.label))
    return empty


# --- The draft's first text, from the meeting record -------------------------------------------


def _paragraphs(*pairs) -> str:
    return "\n\n".join(f"{heading}\n{text.strip()}" for heading, text in pairs if text.strip())


def report_prefill(case: Case, meeting: Meeting) -> dict[str, str]:
    """Section texts drafted from what the meeting recorded; the psychologist edits them and
    writes the clinical opinion and the child's and family's voice."""
    invitations = list(meeting.invitations.all())
    present = [
        f"{i.name} ({i.get_agency_display()})"
        for i in invitations
        if i.status == Invitation.Status.ATTENDED
    ]
    written = [
        f"{i.name} ({i.get_agency_display()}): {i.written_information.strip()}"
        for i in invitations
        if i.written_information.strip()
    ]
    summary = _paragraphs(
        (_("Present at the meeting"), ", ".join(present)),
        (_("Case history"), meeting.minutes_case_history),
        (_("Information from others"), meeting.minutes_additional),
        (_("Written information"), "\n".join(written)),
    )
    strengths = [
        f"- {item.title}" + (f": {item.detail.strip()}" if item.detail.strip() else "")
        for item in SummaryItem.objects.filter(
            child_id=case.child_id, kind=SummaryItem.Kind.STRENGTH
        ).order_by("pk")
    ]
    placement = getattr(meeting, "trm_placement", None)
    dmap = getattr(meeting, "developmental_map", None)
    needs = _paragraphs(
        (_("Needs"), placement.underlying_need if placement else ""),
        (_("Difficulties"), placement.presentation if placement else ""),
        (_("Strengths"), "\n".join(strengths)),
    )
    development = ""
    if dmap:
        age = case.child.age_on(timezone.localdate(meeting.starts_at))
        lines = [
            _("Age at the meeting: %(n)s") % {"n": age},
            _("Physical age: %(v)s") % {"v": dmap.physical_age or "—"},
            _("Social age: %(v)s") % {"v": dmap.social_age or "—"},
            _("Cognitive age: %(v)s") % {"v": dmap.cognitive_age or "—"},
            _("Emotional age: %(v)s") % {"v": dmap.emotional_age or "—"},
        ]
        development = "\n".join(lines) + (f"\n\n{dmap.notes.strip()}" if dmap.notes.strip() else "")
    trm = ""
    if placement:
        stage = placement.stage
        trm = _paragraphs(
            (
                _("Stage"),
                f"{stage.number}. {stage.name} "
                f"({stage.framework.name}, v{stage.framework.version})",
            ),
            (_("Presentation"), placement.presentation),
            (_("Underlying need"), placement.underlying_need),
            (_("Intervention recommendation"), placement.intervention_recommendation),
        )
    plan_lines = [
        f"{row['sequence']}. {row['intervention']}"
        + (f" ({row['who']})" if row["who"] else "")
        + (f"; {_('TRM stage')} {row['trm_stage']}" if row["trm_stage"] else "")
        for row in recommendation_rows(case)
    ]
    plan = _paragraphs(
        (_("Sequence of work"), "\n".join(plan_lines)),
        (_("Discussion at the meeting"), meeting.minutes_discussion),
    )
    return {
        ReportSection.SUMMARY: summary,
        ReportSection.NEEDS: needs,
        ReportSection.DEVELOPMENT: development,
        ReportSection.TRM: trm,
        ReportSection.FORMULATION: "",
        ReportSection.VOICE: "",
        ReportSection.PLAN: plan,
    }


# --- The report page ------------------------------------------------------------------------------


@dataclass
class AccuracyCheck:
    """Where the accuracy check of the draft stands, for one user."""

    comments_by_section: dict[str, list[ReportComment]]  # "" for the whole report
    approvals: list[ReportComment]  # each with `is_current`: for the draft as it is now
    open_comments: int
    user_approved: bool


def accuracy_check(report: Report, user: User) -> AccuracyCheck:
    """The comments and approvals of the draft of this version (one query)."""
    comments = report.comments.filter(number=report.number)
    current = list(comments.select_related("author", "resolved_by"))
    by_section: dict[str, list[ReportComment]] = {}
    approvals = []
    for comment in current:
        if comment.kind == ReportComment.Kind.APPROVAL:
            comment.is_current = comment.revision == report.revision
            approvals.append(comment)
        else:
            by_section.setdefault(comment.section, []).append(comment)
    return AccuracyCheck(
        comments_by_section=by_section,
        approvals=approvals,
        open_comments=sum(
            1 for c in current if c.kind == ReportComment.Kind.COMMENT and not c.resolved_at
        ),
        user_approved=any(a.author_id == user.pk and a.is_current for a in approvals),
    )


def circulations_for(report: Report) -> list[Circulation]:
    """Who received which version, newest first, each with `section_labels`."""
    labels = dict(ReportSection.choices)
    circulations = list(report.circulations.select_related("version", "recorded_by"))
    for circulation in circulations:
        circulation.section_labels = [labels.get(key, key) for key in circulation.sections]
    return circulations


def case_recommendations(case: Case) -> list[Recommendation]:
    return list(
        case.recommendations.select_related("owner_user", "trm_stage").order_by("sequence", "pk")
    )


# --- Comparing versions ---------------------------------------------------------------------------

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


def _recommendations_text(rows: list[dict]) -> str:
    return "\n".join(
        f"{r['sequence']}. {r['intervention']} ({r['who']}; {r['trm_stage'] or '—'}; "
        f"{r['priority']})"
        for r in rows
    )


def version_changes(old: ReportVersion, new: ReportVersion) -> list[dict]:
    """Section by section (the drawings left out): whether it changed, and the words
    removed and added."""
    rows = []
    for key, label in ReportSection.choices:
        if key in (ReportSection.TIMELINE, ReportSection.GENOGRAM):
            continue
        if key == ReportSection.RECOMMENDATIONS:
            before = _recommendations_text(old.recommendations)
            after = _recommendations_text(new.recommendations)
        else:
            before, after = old.sections.get(key, ""), new.sections.get(key, "")
        changed = before != after
        rows.append(
            {"key": key, "label": label, "changed": changed, "diff": diff_words(before, after)}
        )
    return rows


# --- The home page ------------------------------------------------------------------------


def reports_back_from_check_for(user: User) -> QuerySet[Report]:
    """This psychologist's drafts with the checkers that the checkers have answered: open
    comments on this version to respond to, or approvals of the draft as it is now. One
    query."""
    this_version = Q(comments__number=F("number"))
    return (
        Report.objects.filter(
            access_for(user).case_scope("case__"),
            psychologist=user,
            status=Report.Status.CHECKING,
        )
        .annotate(
            open_comments=Count(
                "comments",
                filter=this_version
                & Q(comments__kind=ReportComment.Kind.COMMENT, comments__resolved_at__isnull=True),
            ),
            approvals=Count(
                "comments",
                filter=this_version
                & Q(comments__kind=ReportComment.Kind.APPROVAL, comments__revision=F("revision")),
            ),
        )
        .filter(Q(open_comments__gt=0) | Q(approvals__gt=0))
        .select_related("case__child")
        .order_by("sent_for_check_at", "pk")
    )


def reports_overdue_in_scope(user: User, today: dt.date) -> QuerySet[Meeting]:
    """The formulation meetings whose report is owed (`reports_owed`) on the cases this user
    sees and past its due date (`report_due`: the report's own, or one month after the
    meeting's day before it is started), most overdue first. The due date is filtered and
    ordered in SQL (issue 22: it was worked out in Python over every owed report)."""
    due = Coalesce(
        F("case__report__due_on"),
        AddMonths(TruncDate("starts_at", tzinfo=timezone.get_current_timezone()), 1, DateField()),
        output_field=DateField(),
    )
    return (
        reports_owed()
        .filter(access_for(user).case_scope("case__"))
        .annotate(report_due=due)
        .filter(report_due__lt=today)
        .select_related("case__child", "case__report__psychologist", "psychologist")
        .order_by("report_due", "starts_at", "pk")
    )


def reports_overdue_for(user: User, today: dt.date, *, limit: int = 200) -> list[dict]:
    """The first `limit` reports owed (`reports_owed`) on the cases this user sees whose
    draft is past its due date, most overdue first (a manager's "anything overdue in their
    teams"). One query (`reports_overdue_in_scope`): each due date is the report's own, or
    one month after its meeting before it is started."""
    return overdue_report_rows(reports_overdue_in_scope(user, today)[:limit], today)


def overdue_report_rows(meetings, today: dt.date) -> list[dict]:
    """The rows the pages show for `reports_overdue_in_scope`'s meetings (a slice of them):
    the case, the due date and who owes the draft, with its label. One query."""
    rows = []
    for meeting in meetings:
        report = getattr(meeting.case, "report", None)
        rows.append(
            {
                "case": meeting.case,
                "due_on": meeting.report_due,
                "psychologist": report.psychologist if report else meeting.psychologist,
                **due_label(meeting.report_due, today),
            }
        )
    return rows
