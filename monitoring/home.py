"""The monitoring app's section of the home page (registered in apps.py through
`ecm.panels`): a manager's headline figures for their teams, from the dashboard's stored
default view."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from ecm.access import access_for

from . import display, figures, panels, readmodel
from .panels import HOME_FIGURES, counted_rows


def headline_home_panel(request) -> str:
    """The manager's home: the headline case figures of the teams whose dashboard they see,
    over the dashboard's default period, exact or with small cells hidden as the dashboard
    shows them (`display.shown_value`), linked to the dashboard. One query: the figures the
    dashboard's default view stored (`readmodel.stored_default`, kept current by beat), with
    the time they were computed; counted here only while that view has none yet."""
    access = access_for(request.user)
    team_ids = sorted(access.dashboard_team_ids)
    if not access.is_manager() or not team_ids:
        return ""
    exact = access.sees_exact_counts(team_ids)
    snapshot = readmodel.stored_default("dashboard", team_ids)
    if snapshot is not None:
        period = readmodel.period_of(snapshot)
        stored = {r.key: r for t in readmodel.tables_of(snapshot) for r in t.rows}
        rows = [stored[key] for key in HOME_FIGURES if key in stored]
    else:
        period = panels.default_period(timezone.localdate())
        rows = counted_rows(period, team_ids)
    for row in rows:
        row.shown = display.shown_value(row, exact=exact)
    return render_to_string(
        "monitoring/home_headline.html",
        {
            "rows": rows,
            "period": period,
            "exact": exact,
            "threshold": figures.threshold(),
            "computed_at": snapshot.computed_at if snapshot is not None else None,
        },
        request=request,
    )
