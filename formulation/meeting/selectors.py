"""Reads of the formulation meeting, scoped by `ecm.access` through the case."""

from __future__ import annotations

from django.http import Http404

from ecm.access import access_for
from ecm.models import Case, User
from ecm.selectors import case_list_for

from ..report.models import Report, ReportVersion
from .models import Meeting, Professional


def meeting_get_for(user: User, pk: int) -> Meeting:
    try:
        return (
            Meeting.objects.filter(case__in=case_list_for(user).values("pk"))
            .select_related("case", "case__child", "case__team", "chair", "psychologist")
            .get(pk=pk)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None


def meetings_for_case(case: Case):
    return case.meetings.select_related("chair", "psychologist").order_by("-starts_at")


def directory_for(user: User, case: Case | None = None):
    team_ids = {case.team_id, case.referred_to_id} - {None} if case else None
    qs = Professional.objects.filter(is_active=True)
    if team_ids is not None:
        return qs.filter(team_id__in=team_ids).order_by("name")
    return qs.filter(team_id__in=access_for(user).team_ids()).order_by("name")


def case_panel_reads(case: Case) -> tuple[list[Meeting], Report | None]:
    """What the case page's formulation section shows: the latest three meetings and the
    report, with whether it has a final version (`has_final`). Short statements written as SQL
    (`raw`, so the model fields are still converted), like the referral section's: building
    them through the ORM cost twice what running them did."""
    meetings = list(
        Meeting.objects.raw(
            f"SELECT id, case_id, starts_at, status FROM {Meeting._meta.db_table}"  # noqa: S608
            " WHERE case_id = %s ORDER BY starts_at DESC, id DESC LIMIT 3",
            [case.pk],
        )
    )
    report_table, versions = Report._meta.db_table, ReportVersion._meta.db_table
    report = next(
        iter(
            Report.objects.raw(
                f"SELECT id, case_id, status, number, due_on, EXISTS ("  # noqa: S608
                f"SELECT 1 FROM {versions} WHERE report_id = {report_table}.id) AS has_final"
                f" FROM {report_table} WHERE case_id = %s",
                [case.pk],
            )
        ),
        None,
    )
    return meetings, report
