"""Reads of the child's timeline and case information summary, and the timeline's drawing."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.models import Case, User
from ecm.selectors import case_list_for
from referrals.models import Offence

from . import drawing
from .models import Category, Precision, SummaryItem, TimelineEvent


def earliest_timeline_date(case: Case) -> dt.date:
    """No event can be earlier: 1 January 1900. The child's history starts before their
    birth (the parents' relationship, "Dad violent to Mum since 1991", the pregnancy), so
    the drawing starts at the earliest event when it is before the year before birth."""
    return drawing.EARLIEST


def timeline_events(case: Case) -> QuerySet[TimelineEvent]:
    """The child's events in date order (those made from summary entries too)."""
    return TimelineEvent.objects.filter(child_id=case.child_id).order_by("start_date", "pk")


def offences_for(user: User, case: Case) -> QuerySet[Offence]:
    """The offences recorded on the child's cases that `user` may see."""
    visible = case_list_for(user).filter(child_id=case.child_id).values("pk")
    return Offence.objects.filter(case__in=visible).order_by("date", "pk")


def summary_groups(case: Case) -> list[tuple[str, list[SummaryItem]]]:
    """The child's case-summary entries by kind, every kind listed (empty ones too)."""
    items = list(SummaryItem.objects.filter(child_id=case.child_id))
    return [
        (label, [i for i in items if i.kind == kind]) for kind, label in SummaryItem.Kind.choices
    ]


def _drawn_from(day: dt.date, precision: str) -> dt.date:
    """Where an event known to the month or year is drawn: the month's or year's start."""
    if precision == Precision.MONTH:
        return day.replace(day=1)
    if precision == Precision.YEAR:
        return day.replace(month=1, day=1)
    return day


def timeline_items(
    user: User,
    case: Case,
    *,
    shared: bool = False,
    team_only: bool = False,
    events: list[TimelineEvent] | None = None,
) -> list[drawing.TimelineItem]:
    """The child's timeline: its events (including those made from case-summary entries)
    and the offences recorded on the child's cases this user may see. Two queries.
    `shared`: the copy that leaves the service (circulated reports) leaves out the events
    marked sensitive. `team_only`: offences of this team's cases only (what a frozen report
    version shows to everyone who can see the case). `events`: the child's events
    (`timeline_events`), when the caller has read them already (one query fewer)."""
    if events is None:
        events = timeline_events(case)
        if shared:
            events = events.filter(sensitive=False)
    elif shared:
        events = [e for e in events if not e.sensitive]
    items = [
        drawing.TimelineItem(
            id=e.pk,
            title=e.title,
            category=e.category,
            start=_drawn_from(e.start_date, e.precision),
            end=e.end_date,
            precision=e.precision,
            sensitive=e.sensitive,
        )
        for e in events
    ]
    if team_only:
        visible = Case.objects.filter(child_id=case.child_id, team_id=case.team_id).values("pk")
        offences = Offence.objects.filter(case__in=visible).order_by("date", "pk")
    else:
        offences = offences_for(user, case)
    items.extend(
        drawing.TimelineItem(
            id=-offence.pk,
            title=_("Offence: %(type)s") % {"type": offence.offence_type},
            category=Category.OFFENDING,
            start=offence.date,
        )
        for offence in offences
    )
    return items


def timeline_svg(
    user: User,
    case: Case,
    *,
    shared: bool = False,
    team_only: bool = False,
    screen: bool = False,
    events: list[TimelineEvent] | None = None,
) -> str:
    """The case's timeline drawing; `screen`: drawn to fill the projector's screen;
    `events` as for `timeline_items`."""
    render = drawing.render_timeline_for_screen if screen else drawing.render_timeline
    return render(
        timeline_items(user, case, shared=shared, team_only=team_only, events=events),
        date_of_birth=case.child.date_of_birth,
        today=timezone.localdate(),
        title=_("Timeline %(ref)s") % {"ref": case.reference},
    )
