"""Reads of the formulation workspace, scoped by `ecm.access` through the case."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from ecm.access import access_for
from ecm.models import Case, CaseStatus, User
from ecm.selectors import case_list_for
from referrals.models import Offence

from . import svg
from .models import (
    FamilyMember,
    Meeting,
    Partnership,
    Professional,
    Report,
    ReportComment,
    ReportVersion,
    TeamFormulationSettings,
    TimelineEvent,
    TRMFramework,
    TRMStage,
)


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


def active_framework(case: Case) -> TRMFramework | None:
    for team_id in (case.referred_to_id, case.team_id):
        if team_id:
            row = (
                TeamFormulationSettings.objects.filter(team_id=team_id)
                .select_related("framework")
                .first()
            )
            if row:
                return row.framework
    return TRMFramework.objects.filter(is_active=True).order_by("code").first()


def stages_for(case: Case):
    framework = active_framework(case)
    if framework is None:
        return TRMStage.objects.none()
    return framework.stages.select_related("framework").order_by("number")


def _normalise(day: dt.date, precision: str) -> dt.date:
    if precision == "month":
        return day.replace(day=1)
    if precision == "year":
        return day.replace(month=1, day=1)
    return day


def timeline_items(
    user: User, case: Case, *, shared: bool = False, team_only: bool = False
) -> list[svg.TimelineItem]:
    """The child's timeline: its events (including those made from case-summary entries)
    and the offences recorded on the child's cases this user may see. Two queries.
    `shared`: the copy that leaves the service (circulated reports) leaves out the events
    marked sensitive. `team_only`: offences of this team's cases only (what a frozen report
    version shows to everyone who can see the case)."""
    events = TimelineEvent.objects.filter(child_id=case.child_id).order_by("start_date", "pk")
    if shared:
        events = events.filter(sensitive=False)
    items = [
        svg.TimelineItem(
            id=e.pk,
            title=e.title,
            category=e.category,
            start=_normalise(e.start_date, e.precision),
            end=e.end_date,
            precision=e.precision,
            sensitive=e.sensitive,
        )
        for e in events
    ]
    if team_only:
        visible = Case.objects.filter(child_id=case.child_id, team_id=case.team_id).values("pk")
    else:
        visible = case_list_for(user).filter(child_id=case.child_id).values("pk")
    for offence in Offence.objects.filter(case__in=visible).order_by("date", "pk"):
        items.append(
            svg.TimelineItem(
                id=-offence.pk,
                title=f"Offence: {offence.offence_type}",
                category="offending",
                start=offence.date,
            )
        )
    return items


def timeline_svg(user: User, case: Case, *, shared: bool = False, team_only: bool = False) -> str:
    return svg.render_timeline(
        timeline_items(user, case, shared=shared, team_only=team_only),
        date_of_birth=case.child.date_of_birth,
        today=timezone.localdate(),
        title=f"Timeline {case.reference}",
    )


def genogram_svg(case: Case) -> str:
    members = list(FamilyMember.objects.filter(child_id=case.child_id))
    unions = list(Partnership.objects.filter(child_id=case.child_id))
    people = []
    for m in members:
        notes = tuple(
            label
            for flag, label in (
                (m.mental_health, "mental health"),
                (m.substance_misuse, "substance misuse"),
                (m.imprisonment, "imprisonment"),
                (m.domestic_abuse, "domestic abuse"),
            )
            if flag
        )
        people.append(
            svg.GenoPerson(
                id=m.pk,
                name=m.name,
                sex=m.sex,
                birth_label=m.birth_label,
                deceased=m.deceased,
                is_child=m.relationship == "self",
                lives_with_child=m.lives_with_child,
                notes=notes,
                generation=FamilyMember.GENERATION.get(m.relationship, 0),
                father_id=m.father_id,
                mother_id=m.mother_id,
            )
        )
    geno_unions = [
        svg.GenoUnion(
            a=u.a_id,
            b=u.b_id,
            status=u.status,
            label=" – ".join(str(y) for y in (u.start_year, u.end_year) if y),
        )
        for u in unions
    ]
    return svg.render_genogram(people, geno_unions, title=f"Genogram {case.reference}")


# --- Formulation report ------------------------------------------------------------------------


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
