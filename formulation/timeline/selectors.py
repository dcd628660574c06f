"""Reads of the child's timeline, and its drawing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ecm.models import Case, User
from ecm.selectors import case_list_for
from referrals.models import Offence

from . import drawing
from .models import TimelineEvent


def _normalise(day: dt.date, precision: str) -> dt.date:
    if precision == "month":
        return day.replace(day=1)
    if precision == "year":
        return day.replace(month=1, day=1)
    return day


def timeline_items(
    user: User, case: Case, *, shared: bool = False, team_only: bool = False
) -> list[drawing.TimelineItem]:
    """The child's timeline: its events (including those made from case-summary entries)
    and the offences recorded on the child's cases this user may see. Two queries.
    `shared`: the copy that leaves the service (circulated reports) leaves out the events
    marked sensitive. `team_only`: offences of this team's cases only (what a frozen report
    version shows to everyone who can see the case)."""
    events = TimelineEvent.objects.filter(child_id=case.child_id).order_by("start_date", "pk")
    if shared:
        events = events.filter(sensitive=False)
    items = [
        drawing.TimelineItem(
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
            drawing.TimelineItem(
                id=-offence.pk,
                title=f"Offence: {offence.offence_type}",
                category="offending",
                start=offence.date,
            )
        )
    return items


def timeline_svg(user: User, case: Case, *, shared: bool = False, team_only: bool = False) -> str:
    return drawing.render_timeline(
        timeline_items(user, case, shared=shared, team_only=team_only),
        date_of_birth=case.child.date_of_birth,
        today=timezone.localdate(),
        title=f"Timeline {case.reference}",
    )
