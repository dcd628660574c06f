"""The monitoring pages' tables, by page: the dashboard's (`figures.dashboard`), the
profile's (`figures.profile`) and model fidelity's (`fidelity.table`). Each page computes
only its own; an export computes the page that holds its table."""

from __future__ import annotations

from . import fidelity, figures


def tables_for(table_key: str, team_ids, period: figures.Period) -> list[figures.Table]:
    """The tables of the page that holds `table_key`."""
    if table_key.startswith("profile_"):
        return figures.profile(team_ids, period)
    if table_key == "fidelity":
        return [fidelity.table(team_ids, period)]
    return figures.dashboard(team_ids, period)


def every_table(team_ids, period: figures.Period) -> list[figures.Table]:
    """Every monitoring page's tables (the trends aside: they are these figures by quarter)."""
    return [
        *figures.dashboard(team_ids, period),
        *figures.profile(team_ids, period),
        fidelity.table(team_ids, period),
    ]
