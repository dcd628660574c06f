"""The monitoring app's part of the home page: a manager's headline figures for their teams,
shown as the dashboard shows them (the section itself: `home.headline_home_panel`)."""

from __future__ import annotations

import datetime as dt

from ecm.dates import add_months

from . import figures

#: The dashboard's headline figures the home page shows: counted in one aggregate query.
HOME_FIGURES = ("caseload", "pipeline", "waiting", "referred", "formulations", "closed")


def default_period(today: dt.date) -> figures.Period:
    """The twelve months to today: the period the dashboard opens on."""
    return figures.Period(add_months(today, -12) + dt.timedelta(days=1), today)


def counted_rows(period: figures.Period, team_ids) -> list[figures.Row]:
    """The headline figures counted now, in one aggregate query (no stored figures yet)."""
    figs = figures.case_figures(period, team_ids)
    wanted = {key: figs[key] for key in HOME_FIGURES if key in figs}
    counts = figures.count_all(team_ids, wanted)
    # plain keys: their own aliases
    return [figures.Row(key, str(label), counts[key]) for key, (label, _q) in wanted.items()]
