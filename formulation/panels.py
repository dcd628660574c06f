"""The formulation's panels on the case page and the home page (registered in apps.py)."""

from __future__ import annotations

from django.template.loader import render_to_string

from ecm.access import access_for

from .meeting import selectors as meeting_selectors
from .meeting.models import Meeting
from .report import selectors as report_selectors
from .report.services import held_meeting, report_due_on
from .report.views import due_label


def formulation_panel(request, case) -> str:
    meetings, report = meeting_selectors.case_panel_reads(case)
    due = None
    if report is not None:
        if not report.has_final:
            due = {"on": report.due_on, **due_label(report.due_on)}
    else:
        held = next((m for m in meetings if m.status == Meeting.Status.HELD), None) or (
            held_meeting(case) if meetings else None
        )
        if held is not None:
            due_on = report_due_on(held)
            due = {"on": due_on, **due_label(due_on)}
    return render_to_string(
        "formulation/panel.html",
        {
            "case": case,
            "meetings": meetings,
            "report": report,
            "due": due,
            "can_schedule": access_for(request.user).can_schedule_meeting(case),
        },
        request=request,
    )


def reports_home_panel(request) -> str:
    """On the home page: the reports this psychologist owes (days left or overdue) and the
    drafts waiting for this user's accuracy check. Two queries."""
    owed = []
    for meeting in report_selectors.reports_due_for(request.user)[:50]:
        report = getattr(meeting.case, "report", None)
        due_on = report.due_on if report else report_due_on(meeting)
        owed.append({"meeting": meeting, "report": report, "due_on": due_on, **due_label(due_on)})
    to_check = list(report_selectors.reports_to_check_for(request.user)[:50])
    if not owed and not to_check:
        return ""
    return render_to_string(
        "formulation/home_reports.html", {"owed": owed, "to_check": to_check}, request=request
    )
