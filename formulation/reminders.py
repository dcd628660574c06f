"""Formulation reminders: report due, accuracy check waiting, meeting tomorrow (with the
.ics), ECM consent missing before a meeting. Titles name no child."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import case_reference, open_case
from ecm.reminders import Due, Words, due_title, link, occurrence, rules_by_team
from ecm.workdays import add_working_days
from referrals.services import has_valid_ecm_consent

from .meeting.ics import meeting_ics
from .meeting.models import Invitation, Meeting
from .report.models import Report
from .report.selectors import report_due_on, reports_owed


def report_due(today: dt.date):
    """The report of each formulation meeting (`reports_owed`), to the report's psychologist
    (the meeting's before it is started), as the home page and the report page count it."""
    rules = rules_by_team()
    rows = reports_owed().values(
        "case_id",
        "case__team_id",
        "starts_at",
        "psychologist_id",
        "case__report__due_on",
        "case__report__psychologist_id",
    )
    for row in rows:
        r = rules.get(row["case__team_id"], rules[None])
        if "report_due" in r.disabled_kinds:
            continue
        due = row["case__report__due_on"] or report_due_on(row["starts_at"])
        occ = occurrence(today, due, before=r.report_days_before, repeat=r.overdue_repeat_days)
        if occ is None:
            continue
        yield Due(
            kind="report_due",
            object_type="ecm.case",
            object_id=row["case_id"],
            occurrence=occ,
            title=due_title(_("Formulation report"), due, occ),
            link=link("formulation:report", row["case_id"]),
            case_reference=case_reference(row["case_id"]),
            team_id=row["case__team_id"],
            users=(row["case__report__psychologist_id"] or row["psychologist_id"],),
        )


def check_waiting(today: dt.date):
    rules = rules_by_team()
    rows = Report.objects.filter(
        status=Report.Status.CHECKING, sent_for_check_at__isnull=False
    ).values(
        "pk",
        "case_id",
        "case__team_id",
        "case__case_manager_id",
        "meeting__chair_id",
        "sent_for_check_at",
        "number",
    )
    for row in rows:
        r = rules.get(row["case__team_id"], rules[None])
        if "check_waiting" in r.disabled_kinds:
            continue
        start = timezone.localdate(row["sent_for_check_at"])
        threshold = add_working_days(start, r.check_working_days)
        if today < threshold:
            continue
        yield Due(
            kind="check_waiting",
            object_type="formulation.report",
            object_id=row["pk"],
            occurrence=threshold,
            title=Words(_("A formulation report draft is waiting for your accuracy check")),
            link=link("formulation:report", row["case_id"]) + "#check",
            case_reference=case_reference(row["case_id"]),
            team_id=row["case__team_id"],
            users=tuple(u for u in (row["case__case_manager_id"], row["meeting__chair_id"]) if u),
        )


def _scheduled_between(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    hi = timezone.make_aware(dt.datetime.combine(end, dt.time.min), tz)
    return Meeting.objects.filter(
        open_case("case__"), status=Meeting.Status.SCHEDULED, starts_at__gte=lo, starts_at__lt=hi
    )


def meeting_tomorrow(today: dt.date):
    """The day before the meeting: everyone invited (e-mail with the .ics) and the chair,
    psychologist and case manager (in the product too)."""
    tomorrow = today + dt.timedelta(days=1)
    meetings = list(
        _scheduled_between(tomorrow, tomorrow + dt.timedelta(days=1)).select_related("case")
    )
    emails: dict[int, list[str]] = {}
    for inv in (
        Invitation.objects.filter(meeting__in=meetings)
        .exclude(status__in=[Invitation.Status.DECLINED, Invitation.Status.APOLOGIES])
        .exclude(email="")
        .values("meeting_id", "email")
    ):
        emails.setdefault(inv["meeting_id"], []).append(inv["email"])
    rules = rules_by_team()
    for m in meetings:
        if "meeting_tomorrow" in rules.get(m.case.team_id, rules[None]).disabled_kinds:
            continue
        yield Due(
            kind="meeting_tomorrow",
            object_type="formulation.meeting",
            object_id=m.pk,
            occurrence=tomorrow - dt.timedelta(days=1),
            title=Words(
                _("Review meeting tomorrow at %(t)s")
                if m.is_review
                else _("Formulation meeting tomorrow at %(t)s"),
                t=timezone.localtime(m.starts_at).strftime("%H:%M"),
            ),
            link=link("formulation:meeting", m.pk),
            case_reference=m.case.reference,
            team_id=m.case.team_id,
            users=tuple(u for u in (m.chair_id, m.psychologist_id, m.case.case_manager_id) if u),
            emails=tuple(emails.get(m.pk, ())),
        )


def meeting_ics_attachment(reminder):
    meeting = Meeting.objects.select_related("case", "chair").get(pk=reminder.object_id)
    return [("meeting.ics", meeting_ics(meeting).encode(), "text/calendar; method=REQUEST")]


def consent_missing(today: dt.date):
    """A week before a scheduled meeting, if the child's ECM consent is not in place."""
    rules = rules_by_team()
    horizon = max(r.consent_days_before for r in rules.values())
    for m in (
        _scheduled_between(today, today + dt.timedelta(days=horizon + 1))
        .formulation()
        .select_related("case__child")
    ):
        r = rules.get(m.case.team_id, rules[None])
        if "consent_missing" in r.disabled_kinds:
            continue
        day = timezone.localdate(m.starts_at)
        first = day - dt.timedelta(days=r.consent_days_before)
        if not (first <= today < day) or has_valid_ecm_consent(m.case):
            continue
        yield Due(
            kind="consent_missing",
            object_type="formulation.meeting",
            object_id=m.pk,
            occurrence=first,
            title=Words(_("ECM consent is missing for the formulation meeting on %(d)s"), d=day),
            link=link("referrals:consent", m.case_id),
            case_reference=m.case.reference,
            team_id=m.case.team_id,
            users=tuple(u for u in (m.case.case_manager_id, m.chair_id) if u),
        )
