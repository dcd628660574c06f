"""Reads of the YOT caseload teams record (monitoring/models.py), scoped by the caller's
team choice (already cut to what the user may see by `Access.dashboard_team_ids`)."""

from __future__ import annotations

from dataclasses import dataclass

from ecm.dates import quarter_start

from .figures import Period
from .models import TeamCaseload


@dataclass
class QuarterCaseload:
    quarter_start: object
    caseload: int  # the sum over the teams that recorded it
    teams_recorded: int
    teams_chosen: int
    notes: list[str]


def caseloads_in(team_ids, period: Period) -> list[QuarterCaseload]:
    """Per quarter that overlaps the period, newest first: the caseload the chosen teams
    recorded (summed) and how many of them recorded one. One query."""
    team_ids = list(team_ids)
    rows = (
        TeamCaseload.objects.filter(
            team_id__in=team_ids,
            quarter_start__gte=quarter_start(period.start),
            quarter_start__lte=period.end,
        )
        .select_related("team")
        .order_by("-quarter_start", "team__name")
    )
    by_quarter: dict = {}
    for row in rows:
        q = by_quarter.setdefault(
            row.quarter_start, QuarterCaseload(row.quarter_start, 0, 0, len(team_ids), [])
        )
        q.caseload += row.caseload
        q.teams_recorded += 1
        if row.note:
            q.notes.append(f"{row.team.name}: {row.note}")
    return list(by_quarter.values())


def recorded_for(team_ids):
    """The rows the user's teams recorded, newest first (for the recording page)."""
    return (
        TeamCaseload.objects.filter(team_id__in=list(team_ids))
        .select_related("team", "recorded_by")
        .order_by("-quarter_start", "team__name")
    )
