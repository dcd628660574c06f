"""The formulation's panels on the case page and the home page (registered in apps.py)."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.models import ON_ECM_STATUSES, CaseStatus, Role, case_reference

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
    """On the home page: the reports this psychologist owes (due dates, overdue first), their
    drafts back from the accuracy check, and the drafts waiting for this user's check. Shown
    with its empty states to psychologists and senior practitioners (whose home leads with
    it); to anyone else only when something waits for them. Three queries."""
    user = request.user
    access = access_for(user)
    is_psychologist = access.has_role(Role.PSYCHOLOGIST)
    today = timezone.localdate()
    owed = []
    back = []
    if is_psychologist:
        for meeting in report_selectors.reports_due_for(user)[:50]:
            report = getattr(meeting.case, "report", None)
            due_on = report.due_on if report else report_selectors.report_due_on(meeting.starts_at)
            due = report_selectors.due_label(due_on, today)
            owed.append({"meeting": meeting, "report": report, "due_on": due_on, **due})
        owed.sort(key=lambda row: row["due_on"])  # the most overdue first
        back = list(report_selectors.reports_back_from_check_for(user)[:50])
    to_check = list(report_selectors.reports_to_check_for(user)[:50])
    is_checker = access.has_role(Role.SENIOR_PRACTITIONER)
    if not (owed or back or to_check or is_psychologist or is_checker):
        return ""
    return render_to_string(
        "formulation/home_reports.html",
        {
            "owed": owed,
            "back": back,
            "to_check": to_check,
            "is_psychologist": is_psychologist,
            "is_checker": is_checker or bool(to_check),
        },
        request=request,
    )


def meetings_home_panel(request) -> str:
    """On the home page: the meetings (formulation and review) this user chairs, from today
    on. Shown with its empty state to senior practitioners (who chair them); to anyone else
    only when they chair one. One query."""
    user = request.user
    since = timezone.make_aware(
        dt.datetime.combine(timezone.localdate(), dt.time.min), timezone.get_current_timezone()
    )
    meetings = list(meeting_selectors.meetings_chaired_by(user, since)[:20])
    if not meetings and not access_for(user).has_role(Role.SENIOR_PRACTITIONER):
        return ""
    return render_to_string(
        "formulation/home_meetings.html", {"meetings": meetings}, request=request
    )


def next_steps(cases, today) -> dict[int, str]:
    """The next step of each case preparing for its formulation meeting, from its meetings:
    schedule one, prepare for the one arranged, or record the one that has taken place as
    held. (A re-opened episode still deciding whether it needs another meeting is left to
    the case's own next step.) One query."""
    preparing = [
        case
        for case in cases
        if case.status == CaseStatus.PREPARATION
        and not (case.previous_case_id and not case.formulation_decision)
    ]
    if not preparing:
        return {}
    scheduled = meeting_selectors.scheduled_formulation_meetings([case.pk for case in preparing])
    steps = {}
    for case in preparing:
        meeting = scheduled.get(case.pk)
        if meeting is None:
            steps[case.pk] = _(
                "Schedule the formulation meeting; recording it as held makes the case active"
            )
            continue
        on = date_format(timezone.localtime(meeting.starts_at))
        if timezone.localdate(meeting.starts_at) < today:
            steps[case.pk] = _(
                "Record the formulation meeting of %(date)s as held: that makes the case active"
            ) % {"date": on}
        else:
            steps[case.pk] = _(
                "Prepare for the formulation meeting on %(date)s; recording it as held makes "
                "the case active"
            ) % {"date": on}
    return steps
