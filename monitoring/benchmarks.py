"""The published evaluations' figures, as benchmarks beside a team's figure on the dashboard.

Plain data, no queries: each benchmark names the dashboard row (`Row.key` in
`monitoring.figures.dashboard`) it sits beside, the figure as published (with its wording and
unit), how many cases it is over where the source says so, the study's period and cohort, and
where in the source it is stated. Only figures stated in the documents are here
(/work/shared/seeds/000_*.txt, the Cordis Bright evaluation of the Welsh trial, and 001_*.txt,
the ORS evaluation in England). The ORS evaluation describes most of its monitoring data in
words ("most case review meetings took place as planned", reoffending "fairly equally split");
the one table of counts it publishes, the children who transferred to adult services (Table 1),
sits beside the transitions in its groups. A figure that is not published is left out rather
than estimated.
"""

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Study:
    key: str
    name: str  # short, as shown on the page
    period: str
    n: int  # children in the evaluated cohort
    document: str


@dataclass(frozen=True)
class Benchmark:
    row_key: str  # the dashboard row it sits beside
    value: str  # as published, with its unit/wording
    study: Study
    section: str  # where the source states it
    n: int | None = None  # what the figure is over, when the source says (else the cohort)


WELSH_TRIAL = Study(
    "welsh_trial",
    _("Welsh trial"),
    "2014-16",
    21,
    _(
        "Cordis Bright (2017), evaluation of the ECM trial for YJB Cymru and the Welsh "
        "Government, final report"
    ),
)
ORS = Study(
    "ors",
    _("ORS evaluation in England"),
    "2019-22",
    37,
    _(
        "Opinion Research Services, Enhanced Case Management (ECM) Evaluation, "
        "Phase One Report (March 2023)"
    ),
)

BENCHMARKS = (
    Benchmark(
        "referral_to_meeting",
        _("38 days, mean time between referral and formulation meeting"),
        WELSH_TRIAL,
        "§3.17",
    ),
    Benchmark(
        "meeting_to_draft",
        _(
            "41 days, mean time between formulation meeting and production of the "
            "formulation report"
        ),
        WELSH_TRIAL,
        "§3.17",
    ),
    Benchmark(
        "reviews_per_case",
        _("5.8 reviews per case on average, range 1 to 11"),
        WELSH_TRIAL,
        "§3.17",
    ),
    Benchmark(
        "time_on_ecm",
        _("315 days, mean length of involvement in ECM (300, 304 and 396 days in the three YOTs)"),
        WELSH_TRIAL,
        "§3.44",
        n=15,
    ),
    Benchmark(
        "reoffended_by_end",
        _("12 of the 21 children (57%) had a record of reoffending by the end of the trial"),
        WELSH_TRIAL,
        "§3.71",
        n=21,
    ),
    Benchmark(
        "time_to_reoffend",
        _(
            "4.7 months on average from entering the trial to reoffending, range 0.6 to 13.3 "
            "months, for those who reoffended"
        ),
        WELSH_TRIAL,
        "§3.71",
    ),
)


#: ORS evaluation, "Case transition", Table 1: "Numbers of children supported by ECM who
#: transferred to adult services" (some to several).
BENCHMARKS += tuple(
    Benchmark(f"transition_group:{group}", value, ORS, _("Table 1 (case transition)"), n=37)
    for group, value in (
        ("adult_support", _("9 of 37 children: adult social care / mental health / other support")),
        ("prison", _("2 of 37 children: prison")),
        ("probation", _("7 of 37 children: probation")),
        ("housing", _("4 of 37 children: other services: housing")),
    )
)


def for_rows() -> dict[str, list[Benchmark]]:
    """The benchmarks by the dashboard row they sit beside."""
    by_row: dict[str, list[Benchmark]] = {}
    for b in BENCHMARKS:
        by_row.setdefault(b.row_key, []).append(b)
    return by_row


def text(b: Benchmark) -> str:
    """The line shown beside the row, in words, e.g. "Published: 38 days, ... (Welsh trial
    2014-16, n=21, §3.17)"."""
    if b.n is not None and b.n != b.study.n:
        where = gettext(
            "%(study)s %(period)s, n=%(cohort)d; this figure over %(n)d, %(section)s"
        ) % {
            "study": b.study.name,
            "period": b.study.period,
            "cohort": b.study.n,
            "n": b.n,
            "section": b.section,
        }
    else:
        where = gettext("%(study)s %(period)s, n=%(cohort)d, %(section)s") % {
            "study": b.study.name,
            "period": b.study.period,
            "cohort": b.study.n,
            "section": b.section,
        }
    return gettext("Published: %(value)s (%(where)s)") % {"value": b.value, "where": where}


def source(b: Benchmark) -> str:
    """The full source, for a title/tooltip and the README."""
    return f"{b.study.document}, {b.section}"


def attach(tables) -> None:
    """Set `row.benchmarks` (lines of text) on every dashboard row that has a published
    figure to compare with. No queries."""
    by_row = for_rows()
    for table in tables:
        for row in table.rows:
            row.benchmarks = [(text(b), source(b)) for b in by_row.get(row.key, ())]
