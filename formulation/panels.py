"""The formulation's panels on the case page and the home page (registered in apps.py)."""

from __future__ import annotations

from django.template.loader import render_to_string

from ecm.access import access_for
from ecm.models import ON_ECM_STATUSES, CaseStatus, case_reference

from .meeting import selectors as meeting_selectors
from .report import selectors as report_selectors


def formulation_panel(request, case) -> str:
    """The case page's formulation section: the latest meetings and where the report is,
    with its due date until the draft is sent for the accuracy check, then how long the
    check is taking. Three queries at most."""
    meetings = meeting_selectors.latest_meetings(case)
    report = report_selectors.report_status(case)
    due_on = None
    check = None
    if report is not None:
        due_on = report.due_on if report.draft_owed else None
        check = report_selectors.check_duration(report)
    elif meetings:
        held = meeting_selectors.formulation_meeting(case)
        due_on = report_selectors.report_due_on(held.starts_at) if held else None
    due = {"on": due_on, **report_selectors.due_label(due_on)} if due_on else None
    shown = case.status in (CaseStatus.PREPARATION, *ON_ECM_STATUSES) or bool(
        meetings or case.previous_case_id
    )
    return render_to_string(
        "formulation/panel.html",
        {
            "shown": shown,
            "case": case,
            "previous_reference": case_reference(case.previous_case_id),
            "meetings": meetings,
            "report": report,
            "due": due,
            "check": check,
            "can_schedule": access_for(request.user).can_schedule_meeting(case),
            # A re-opened episode: another meeting, or the formulation carried forward?
            "can_decide": case.status == CaseStatus.PREPARATION
            and access_for(request.user).can_decide_formulation_need(case),
        },
        request=request,
    )


def reports_home_panel(request) -> str:
    """On the home page: the reports this psychologist owes (days left or overdue) and the
    drafts waiting for this user's accuracy check. Two queries."""
    owed = []
    for meeting in report_selectors.reports_due_for(request.user)[:50]:
        report = getattr(meeting.case, "report", None)
        due_on = report.due_on if report else report_selectors.report_due_on(meeting.starts_at)
        due = report_selectors.due_label(due_on)
        owed.append({"meeting": meeting, "report": report, "due_on": due_on, **due})
    to_check = list(report_selectors.reports_to_check_for(request.user)[:50])
    if not owed and not to_check:
        return ""
    return render_to_string(
        "formulation/home_reports.html", {"owed": owed, "to_check": to_check}, request=request
    )
