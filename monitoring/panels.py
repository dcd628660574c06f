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
    shows them (`display.shown_value`), linked to the dashboard. One query."""
    access = access_for(request.user)
    team_ids = sorted(access.dashboard_team_ids)
    if not access.is_manager() or not team_ids:
        return ""
    period = default_period(timezone.localdate())
    figs = figures.case_figures(period, team_ids)
    wanted = {key: figs[key] for key in HOME_FIGURES if key in figs}
    counts = figures.count_all(team_ids, wanted)
    exact = access.sees_exact_counts(team_ids)
    rows = []
    for key, (label, _q) in wanted.items():
        row = figures.Row(key, str(label), counts[key])  # plain keys: their own aliases
        row.shown = display.shown_value(row, exact=exact)
        rows.append(row)
    return render_to_string(
        "monitoring/home_headline.html",
        {
            "rows": rows,
            "period": period,
            "exact": exact,
            "threshold": figures.threshold(),
        },
        request=request,
    )
