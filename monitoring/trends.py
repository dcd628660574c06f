"""Trends: the headline figures quarter by quarter over the last two years, each counted
exactly as the dashboard counts it for that quarter (the same `figures.case_figures`
definitions), all in one aggregate query over the cases. The quarter that is running is
counted to date and says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ecm.dates import add_months, quarter_start
from ecm.models import Case

from . import figures

#: The figures followed over time, by the dashboard's keys (all depend on the period).
TREND_KEYS = (
    "on_ecm",
    "started",
    "referred",
    "criteria_met",
    "formulations",
    "reviewed",
    "closed",
    "reoffended_by_end",
)
QUARTERS = 8
#: Short names for the charts and the table (the dashboard's label, the definition, is
#: written under each chart's heading).
SHORT = {
    "on_ecm": gettext_lazy("Cases on ECM"),
    "started": gettext_lazy("Started ECM"),
    "referred": gettext_lazy("Referrals submitted"),
    "criteria_met": gettext_lazy("Referrals meeting the criteria"),
    "formulations": gettext_lazy("Formulation meetings held"),
    "reviewed": gettext_lazy("Cases reviewed"),
    "closed": gettext_lazy("Cases closed"),
    "reoffended_by_end": gettext_lazy("Reoffended by the end of the quarter"),
}


@dataclass
class Quarter:
    period: figures.Period
    label: str  # "Jan–Mar 2026"
    to_date: bool = False  # the quarter that is running: counted to today


@dataclass
class Trend:
    key: str
    label: str  # short
    definition: str  # the dashboard's label
    values: list[int] = field(default_factory=list)  # one per quarter, oldest first
    shown: list[str] = field(default_factory=list)  # what each shows (small-cell rules)
    svg: str = ""  # the chart (views: charts.bar_chart over `chart_table`)


def quarters_to(day: dt.date, n: int = QUARTERS) -> list[Quarter]:
    """The n calendar quarters ending with the one `day` is in, oldest first; that last one
    ends at `day` when `day` is before its last day."""
    out = []
    start = quarter_start(day)
    for _i in range(n):
        end = add_months(start, 3) - dt.timedelta(days=1)
        to_date = day < end
        label = f"{date_format(start, 'M')}–{date_format(end, 'M Y')}"
        out.append(Quarter(figures.Period(start, min(end, day)), label, to_date))
        start = add_months(start, -3)
    return out[::-1]


def trends(team_ids, day: dt.date, n: int = QUARTERS) -> tuple[list[Quarter], list[Trend]]:
    """Each trend figure for each of the n quarters to `day`: one query."""
    scoped = figures.scoped_ids(team_ids)
    quarters = quarters_to(day, n)
    wanted = {}
    labels = {}
    for i, quarter in enumerate(quarters):
        figs = figures.case_figures(quarter.period, scoped)
        # Reoffended by the quarter's end, as `figures.reoffended_by` counts it, from each
        # case's first offence since its ECM start, looked up once for the eight quarters.
        figs["reoffended_by_end"] = (
            figs["reoffended_by_end"][0],
            figures.on_ecm_in(quarter.period, scoped) & Q(first_reoffence__lte=quarter.period.end),
        )
        for key in TREND_KEYS:
            labels[key] = str(figs[key][0])
            wanted[f"q{i}:{key}"] = figs[key]
    # DISTINCT (the rows are distinct anyway) makes the aggregate read an inner query, which
    # computes each case's first offence once rather than once per quarter.
    cases = (
        Case.objects.filter(figures.scope(scoped))
        .annotate(first_reoffence=figures.first_offence_since_start())
        .distinct()
    )
    counts = cases.aggregate(
        **{figures._alias(key): Count("pk", filter=q) for key, (_l, q) in wanted.items()}
    )
    rows = [
        Trend(
            key,
            str(SHORT[key]),
            labels[key],
            [counts[figures._alias(f"q{i}:{key}")] for i in range(n)],
        )
        for key in TREND_KEYS
    ]
    return quarters, rows


def present(rows: list[Trend], *, exact: bool) -> None:
    """What each value shows: exact counts, or small cells hidden (`figures.shown`)."""
    for row in rows:
        row.shown = [
            ("—" if v is None else str(v)) if exact else figures.shown(v) for v in row.values
        ]


def quarter_name(quarter: Quarter) -> str:
    """ "Jan–Mar 2026", or "Oct–Dec 2026, to date" for the quarter that is running."""
    if quarter.to_date:
        return _("%(quarter)s, to date") % {"quarter": quarter.label}
    return quarter.label


def chart_table(row: Trend, quarters: list[Quarter]) -> figures.Table:
    """A trend as a table of the dashboard's kind, one row per quarter, oldest first, for
    `charts.bar_chart` (legible at any width, the value written beside each bar)."""
    return figures.Table(
        f"trend-{row.key}",
        row.label,
        [
            figures.Row(f"{row.key}:{i}", quarter_name(q), v, drill=False)
            for i, (q, v) in enumerate(zip(quarters, row.values, strict=True))
        ],
        chart=True,
    )
