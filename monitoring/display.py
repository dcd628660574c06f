"""How the dashboard shows its figures: exact counts to someone who can open every case they
count, the small-cell rules (`figures.shown_row`, `shown_percent`, `protect`) to everyone
else; the headline cards with their change against the previous period. Presentation only:
the figures themselves are `figures.dashboard`'s."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecm.dates import add_months, quarter_start

from . import figures

#: The headline cards, in order, by the dashboard's row keys (a key the dashboard does not
#: have is left out, so that a figure added to `figures.dashboard` appears once it exists).
HEADLINES = (
    "caseload",
    "pipeline",
    "referred",
    "criteria_met",
    "formulations",
    "reviewed",
    "closed",
    "reoffended",
)
#: In `previous_counts`: a figure counted "now", the same whatever the period.
NOW = object()


def shown_value(row, *, exact: bool) -> str:
    if not exact:
        return figures.shown_row(row)
    return "—" if row.value is None else str(row.value)


def shown_percent(row, *, exact: bool) -> str:
    if exact and row.denominator and row.value is not None:
        return f"{row.percent}%"
    return figures.shown_percent(row)


def shown_cell(value, *, exact: bool) -> str:
    if exact:
        return "—" if value is None else str(value)
    return figures.shown(value)


def present(tables, *, exact: bool) -> None:
    """Set what each row shows (`shown`, `shown_percent`, `shown_columns`)."""
    for table in tables:
        for row in table.rows:
            row.shown = shown_value(row, exact=exact)
            row.shown_percent = shown_percent(row, exact=exact)
            row.shown_columns = {k: shown_cell(v, exact=exact) for k, v in row.columns.items()}
            row.shown_denominator = shown_cell(row.denominator, exact=exact)


# --- The previous period ------------------------------------------------------------------


def _months_between(period: figures.Period) -> int | None:
    """The whole calendar-month length of the period (1-24), None if not whole months."""
    for m in range(1, 25):
        if add_months(period.start, m) - dt.timedelta(days=1) == period.end:
            return m
    return None


def previous_period(period: figures.Period) -> tuple[figures.Period, str]:
    """The period of the same length just before `period`, and how to name it ("the
    previous quarter"): whole months shift by months, anything else by days."""
    months = _months_between(period)
    if months:
        start = add_months(period.start, -months)
        if months == 3 and quarter_start(period.start) == period.start:
            name = _("the previous quarter")
        else:
            name = ngettext("the previous month", "the previous %(n)d months", months) % {
                "n": months
            }
    else:
        days = (period.end - period.start).days + 1
        start = period.start - dt.timedelta(days=days)
        name = ngettext("the previous day", "the previous %(n)d days", days) % {"n": days}
    return figures.Period(start, period.start - dt.timedelta(days=1)), name


# --- Headline cards ------------------------------------------------------------------------


@dataclass
class Card:
    row: object
    shown: str
    change: str  # the change in words, with an arrow that is never the only signal
    direction: str  # "up", "down", "same", "" (not shown)


def change_words(now, before, *, exact: bool, name: str) -> tuple[str, str]:
    if before is NOW:
        return _("A count now: not compared with %(p)s") % {"p": name}, ""
    if not isinstance(now, int) or not isinstance(before, int):
        return _("Not compared with %(p)s") % {"p": name}, ""
    if not exact and (figures.suppressed(now) or figures.suppressed(before)):
        # The difference would give a small count away.
        return _("Change on %(p)s not shown: small numbers") % {"p": name}, ""
    delta = now - before
    if delta > 0:
        return _("▲ up %(n)d on %(p)s (was %(b)d)") % {"n": delta, "p": name, "b": before}, "up"
    if delta < 0:
        return (
            _("▼ down %(n)d on %(p)s (was %(b)d)") % {"n": -delta, "p": name, "b": before},
            "down",
        )
    return _("No change on %(p)s") % {"p": name}, "same"


def headline_cards(tables, previous: dict, *, exact: bool, name: str) -> list[Card]:
    rows = {row.key: row for table in tables for row in table.rows}
    cards = []
    for key in HEADLINES:
        row = rows.get(key)
        if row is None:
            continue
        change, direction = change_words(row.value, previous.get(key), exact=exact, name=name)
        cards.append(Card(row, shown_value(row, exact=exact), change, direction))
    return cards


def comparison(previous: figures.Period) -> figures.Comparison:
    """The headline figures of the `previous` period, for `figures.dashboard(compare=...)` to
    count in its own case aggregate (not a second whole dashboard)."""
    return figures.Comparison(previous, HEADLINES)


def previous_counts(compared: figures.Comparison) -> dict:
    """key -> the previous period's count, or NOW for a figure that does not depend on the
    period (a count "now", such as the caseload): nothing to compare with."""
    return {
        k: compared.counts.get(k, NOW)
        for k in HEADLINES
        if k in compared.counts or k in figures.NOW_FIGURES
    }
