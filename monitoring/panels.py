"""The monitoring app's part of the home page (registered in apps.py through `ecm.panels`):
a manager's headline figures for their teams, shown as the dashboard shows them."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone

from ecm.access import access_for
from ecm.dates import add_months

from . import display, figures

#: The dashboard's headline figures the home page shows: counted in one aggregate query.
HOME_FIGURES = ("caseload", "pipeline", "waiting", "referred", "formulations", "closed")


def default_period(today: dt.date) -> figures.Period:
    """The twelve months to today: the period the dashboard opens on."""
    return figures.Period(add_months(today, -12) + dt.timedelta(days=1), today)


def headline_home_panel(request) -> str:
    """The manager's home: the headline case figures of the teams whose dashboard they see,
    over the dashboard's default period, exact or with small cells hidden as the dashboard
    shows them (`display.shown_value`), linked to the dashboard. One query: the figures the
    dashboard's default view stored (`readmodel.stored_default`, kept current by beat), with
    the time they were computed; counted here only while that view has none yet."""
    from . import readmodel  # it imports this module

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
        period = default_period(timezone.localdate())
        rows = _counted_rows(period, team_ids)
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


def _counted_rows(period: figures.Period, team_ids) -> list[figures.Row]:
    """The headline figures counted now, in one aggregate query (no stored figures yet)."""
    figs = figures.case_figures(period, team_ids)
    wanted = {key: figs[key] for key in HOME_FIGURES if key in figs}
    counts = figures.count_all(team_ids, wanted)
    # plain keys: their own aliases
    return [figures.Row(key, str(label), counts[key]) for key, (label, _q) in wanted.items()]
