"""Reads of the formulation report, scoped by `ecm.access` through the case."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from ecm.access import access_for
from ecm.models import Case, CaseStatus, User
from ecm.selectors import case_list_for

from ..meeting.models import Meeting
from .models import Report, ReportComment


def report_for_case(case: Case):
    """The case's report (or None); the case was fetched through `case_get_for`."""
    return (
        Report.objects.filter(case=case)
        .select_related("case__child", "case__team", "meeting", "psychologist")
        .first()
    )


def report_versions(report):
    """Versions for a list: without the frozen drawings and texts."""
    return report.versions.defer(
        "sections", "recommendations", "timeline_svg", "timeline_shared_svg", "genogram_svg"
    ).select_related("finalised_by")


def reports_due_for(user: User):
    """Held meetings whose first final report this psychologist still owes (started or
    not), with the report if there is one. One query."""
    return (
        Meeting.objects.filter(
            psychologist=user,
            status=Meeting.Status.HELD,
            case__in=case_list_for(user).values("pk"),
        )
        .exclude(case__status__in=[CaseStatus.CLOSED, CaseStatus.NOT_ACCEPTED])
        .filter(Q(case__report__isnull=True) | Q(case__report__versions__isnull=True))
        .select_related("case__child", "case__report")
        .distinct()
        .order_by("starts_at")
    )


def reports_to_check_for(user: User):
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
            status=Report.Status.CHECKING,
            case__in=case_list_for(user).values("pk"),
        )
        .exclude(psychologist=user)
        .exclude(Exists(approved))
        .select_related("case__child", "psychologist")
        .order_by("sent_for_check_at")
    )
