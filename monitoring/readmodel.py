"""The monitoring pages' read model: each page's figures computed by the worker and stored
(`FigureSnapshot`), so that a page costs one lookup however long the history.

A snapshot is one page (`SECTIONS`) for one scope (the sorted team ids), one period (or
"rolling": the default twelve months to the day it was computed) and one language (the labels
are translated when computed). It holds the figures only: counts, means and shares with their
labels, never a child's name, reference or id. What depends on the viewer (exact counts or
small cells hidden, drill-down links, benchmarks, charts) is applied when the page is shown,
from the stored values.

The page never computes: with no snapshot it asks for one (`request`: a row marked requested,
a task queued after commit) and polls until the worker has stored it. Beat refreshes
(`refresh_due`) every snapshot viewed in the last `FIGURES_VIEWED_DAYS` and every default
view, every `FIGURES_REFRESH_MINUTES`, and deletes the rest. A computation claims its row by a
conditional update, so two refreshes of one snapshot never both compute."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from ecm.access import MONITORING_ROLES, access_for
from ecm.models import Membership, Team, User
from ecm.queueing import queue_task

from . import display, fidelity, figures, trends
from .models import FigureSnapshot
from .panels import default_period

log = logging.getLogger(__name__)

SECTIONS = ("dashboard", "profile", "fidelity", "trends")
REFRESH_ONE = "monitoring.refresh_snapshot"
#: A claim older than this is a worker that stopped: the snapshot may be claimed again.
CLAIM_EXPIRES = dt.timedelta(minutes=15)
#: An asked-for snapshot no worker has taken up by then is queued again (a lost task).
REQUEUE_AFTER = dt.timedelta(minutes=2)
#: A view is recorded at most this often (a page view is a read, not a write).
VIEWED_EVERY = dt.timedelta(hours=1)


def refresh_minutes() -> int:
    return int(getattr(settings, "FIGURES_REFRESH_MINUTES", 10))


def viewed_days() -> int:
    return int(getattr(settings, "FIGURES_VIEWED_DAYS", 3))


# --- Serialising the figures (explicit, plain JSON: no pickle) -----------------------------


def _plain(value):
    """A figure as JSON holds it: an int, a float, None (or a label's text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"a figure must be a number or None, not {type(value).__name__}")


def row_to_dict(row: figures.Row) -> dict:
    return {
        "key": row.key,
        "label": str(row.label),
        "value": _plain(row.value),
        "denominator": _plain(row.denominator),
        "drill": row.drill,
        "unit": row.unit,
        "columns": {str(k): _plain(v) for k, v in row.columns.items()},
        "n": _plain(row.n),
    }


def row_from_dict(d: dict) -> figures.Row:
    return figures.Row(
        d["key"],
        d["label"],
        d["value"],
        d["denominator"],
        drill=d["drill"],
        unit=d["unit"],
        columns=dict(d["columns"]),
        n=d["n"],
    )


def table_to_dict(table: figures.Table) -> dict:
    """A table's figures, without what is decided when shown (`hidden`, the shown values)."""
    return {
        "key": table.key,
        "title": str(table.title),
        "rows": [row_to_dict(r) for r in table.rows],
        "columns": list(table.columns),
        "chart": table.chart,
        "split": table.split,
        "shares": table.shares,
    }


def table_from_dict(d: dict) -> figures.Table:
    """A stored table, its complementary suppression worked out again (`figures.protect`,
    by today's threshold)."""
    table = figures.Table(
        d["key"],
        d["title"],
        [row_from_dict(r) for r in d["rows"]],
        columns=tuple(d["columns"]),
        chart=d["chart"],
        split=d["split"],
        shares=d["shares"],
    )
    figures.protect(table)
    return table


# --- Computing a page's figures (the worker's part) ----------------------------------------


def compute(section: str, team_ids: list[int], period: figures.Period) -> dict:
    """A page's figures as plain data (`FigureSnapshot.data`). Runs the page's SQL."""
    if section == "dashboard":
        previous, _name = display.previous_period(period)
        compared = display.comparison(previous)
        tables = figures.dashboard(team_ids, period, compare=compared)
        return {
            "tables": [table_to_dict(t) for t in tables],
            "compared": {k: _plain(v) for k, v in compared.counts.items()},
        }
    if section == "profile":
        return {"tables": [table_to_dict(t) for t in figures.profile(team_ids, period)]}
    if section == "fidelity":
        return {"tables": [table_to_dict(fidelity.table(team_ids, period))]}
    if section == "trends":
        quarters, rows = trends.trends(team_ids, period.end)
        return {
            "quarters": [
                {
                    "start": q.period.start.isoformat(),
                    "end": q.period.end.isoformat(),
                    "label": q.label,
                    "to_date": q.to_date,
                }
                for q in quarters
            ],
            "rows": [
                {
                    "key": r.key,
                    "label": r.label,
                    "definition": r.definition,
                    "values": [_plain(v) for v in r.values],
                }
                for r in rows
            ],
        }
    raise ValueError(f"no monitoring page {section!r}")


def tables_of(snapshot: FigureSnapshot) -> list[figures.Table]:
    return [table_from_dict(t) for t in snapshot.data["tables"]]


def compared_of(snapshot: FigureSnapshot, period: figures.Period) -> figures.Comparison:
    """The previous period's headline counts, stored with the dashboard's figures."""
    previous, _name = display.previous_period(period)
    compared = display.comparison(previous)
    compared.counts = dict(snapshot.data.get("compared", {}))
    return compared


def trends_of(snapshot: FigureSnapshot) -> tuple[list[trends.Quarter], list[trends.Trend]]:
    quarters = [
        trends.Quarter(
            figures.Period(dt.date.fromisoformat(q["start"]), dt.date.fromisoformat(q["end"])),
            q["label"],
            q["to_date"],
        )
        for q in snapshot.data["quarters"]
    ]
    rows = [
        trends.Trend(r["key"], r["label"], r["definition"], list(r["values"]))
        for r in snapshot.data["rows"]
    ]
    return quarters, rows


def period_of(snapshot: FigureSnapshot) -> figures.Period:
    """The period the stored figures count (a rolling one: as of the day computed)."""
    return figures.Period(snapshot.period_start, snapshot.period_end)


# --- Looking up and asking for a snapshot (the page's part) --------------------------------


def key_for(section: str, team_ids, period: figures.Period | None, language: str) -> str:
    """The unique key of a page's figures; `period` None: the rolling default period."""
    teams = ",".join(str(t) for t in sorted(set(team_ids)))
    when = "rolling" if period is None else f"{period.start}..{period.end}"
    return hashlib.sha256(f"{section}|{teams}|{when}|{language}".encode()).hexdigest()


def _scope(section: str, team_ids, period: figures.Period, today: dt.date):
    """(key, rolling, language): the default period is looked up as the rolling one, so the page
    opens on figures a refresh keeps current from day to day."""
    rolling = period == default_period(today)
    language = translation.get_language() or settings.LANGUAGE_CODE
    return key_for(section, team_ids, None if rolling else period, language), rolling, language


def snapshot_for(section: str, team_ids, period: figures.Period) -> FigureSnapshot:
    """The stored figures of a page (one query; a view is recorded at most hourly), or, when
    there are none yet, a row asked for (its task queued after commit), which the page polls
    until the worker has computed it. Never computes."""
    snapshot, created = _get_or_ask(section, team_ids, period)
    if created:
        _queue_after_commit(snapshot.pk)
        return snapshot
    now = timezone.now()
    if snapshot.last_viewed_at is None or snapshot.last_viewed_at < now - VIEWED_EVERY:
        FigureSnapshot.objects.filter(pk=snapshot.pk).update(last_viewed_at=now)
    return snapshot


def _get_or_ask(section: str, team_ids, period: figures.Period) -> tuple[FigureSnapshot, bool]:
    key, rolling, language = _scope(section, team_ids, period, timezone.localdate())
    snapshot = FigureSnapshot.objects.filter(key=key).first()
    if snapshot is not None:
        return snapshot, False
    now = timezone.now()
    return FigureSnapshot.objects.get_or_create(
        key=key,
        defaults={
            "section": section,
            "team_ids": sorted(set(team_ids)),
            "rolling": rolling,
            "period_start": period.start,
            "period_end": period.end,
            "language": language,
            "requested_at": now,
            "last_viewed_at": now,
        },
    )


def request(snapshot: FigureSnapshot) -> bool:
    """Ask for the snapshot to be computed again ("Recompute now"). Asked once: a request
    while one is waiting or being computed queues nothing more. True if queued."""
    asked = (
        FigureSnapshot.objects.filter(pk=snapshot.pk, requested_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=timezone.now() - CLAIM_EXPIRES))
        .update(requested_at=timezone.now(), failed_at=None)
    )
    if asked:
        _queue_after_commit(snapshot.pk)
    return bool(asked)


def _queue_after_commit(pk: int) -> None:
    transaction.on_commit(lambda: queue_task(REFRESH_ONE, pk))


# --- Refreshing (the worker's part) --------------------------------------------------------


def refresh(pk: int) -> str:
    """Compute one snapshot asked for (`requested_at`) and store it. Claimed first by a
    conditional update: a second refresh of the same snapshot while one computes does
    nothing ("busy"), and one after it finds nothing asked since ("fresh"). Idempotent."""
    now = timezone.now()
    claimed = (
        FigureSnapshot.objects.filter(pk=pk)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES))
        .update(claimed_at=now)
    )
    if not claimed:
        return "busy" if FigureSnapshot.objects.filter(pk=pk).exists() else "gone"
    snapshot = FigureSnapshot.objects.get(pk=pk)
    if snapshot.requested_at is None or (
        snapshot.computed_at is not None and snapshot.computed_at >= snapshot.requested_at
    ):
        # Computed since it was asked for (a task queued twice): nothing to do.
        FigureSnapshot.objects.filter(pk=pk, claimed_at=now).update(claimed_at=None)
        return "fresh"
    try:
        period = period_of(snapshot)
        if snapshot.rolling:
            period = default_period(timezone.localdate())
        with translation.override(snapshot.language):
            data = compute(snapshot.section, snapshot.team_ids, period)
    except Exception:
        FigureSnapshot.objects.filter(pk=pk, claimed_at=now).update(claimed_at=None)
        raise
    FigureSnapshot.objects.filter(pk=pk, claimed_at=now).update(
        data=data,
        period_start=period.start,
        period_end=period.end,
        computed_at=timezone.now(),
        requested_at=None,
        claimed_at=None,
        failed_at=None,
    )
    return "computed"


def refresh_failed(pk: int) -> None:
    """The last try failed: the page says so (and offers "Recompute now")."""
    FigureSnapshot.objects.filter(pk=pk).update(
        failed_at=timezone.now(), requested_at=None, claimed_at=None
    )


def default_scopes() -> set[tuple[int, ...]]:
    """The scopes the monitoring pages open on: each team alone, every team together, and
    each manager's and senior practitioner's own default (their teams with the YOTs that
    refer to them)."""
    all_ids = tuple(sorted(Team.objects.values_list("pk", flat=True)))
    scopes = {(pk,) for pk in all_ids}
    if all_ids:
        scopes.add(all_ids)
    users = (
        Membership.objects.approved()
        .filter(role__in=MONITORING_ROLES)
        .select_related("user")
        .order_by("user_id")
    )
    seen = set()
    for membership in users:
        if membership.user_id in seen:
            continue
        seen.add(membership.user_id)
        allowed = access_for(membership.user).dashboard_team_ids
        if allowed:
            scopes.add(tuple(sorted(allowed)))
    return scopes


def ensure_defaults(scopes, sections=SECTIONS) -> set[str]:
    """Create each default view's snapshot that does not exist yet (never computed, so due;
    three queries); their keys. In each language someone uses (issue 23)."""
    languages = {settings.LANGUAGE_CODE} | set(
        User.objects.exclude(language="").order_by().values_list("language", flat=True).distinct()
    )
    period = default_period(timezone.localdate())
    wanted = {
        key_for(section, team_ids, None, language): (section, team_ids, language)
        for team_ids in scopes
        for section in sections
        for language in sorted(languages)
    }
    have = set(FigureSnapshot.objects.filter(key__in=wanted).values_list("key", flat=True))
    FigureSnapshot.objects.bulk_create(
        [
            FigureSnapshot(
                key=key,
                section=section,
                team_ids=list(team_ids),
                rolling=True,
                period_start=period.start,
                period_end=period.end,
                language=language,
            )
            for key, (section, team_ids, language) in wanted.items()
            if key not in have
        ],
        ignore_conflicts=True,
    )
    return set(wanted)


def refresh_due() -> list[int]:
    """Beat's sweep: make sure every default view exists, delete the snapshots nobody viewed
    in `FIGURES_VIEWED_DAYS` (default views aside), mark as asked for those due (viewed
    since or a default view, computed over `FIGURES_REFRESH_MINUTES` ago, or asked for and
    not taken up for `REQUEUE_AFTER`: a task lost with the broker) and return their ids to
    queue. A task computes only what was asked for since the last computation, and claims
    it first, so a snapshot queued twice is computed once."""
    defaults = ensure_defaults(default_scopes())
    now = timezone.now()
    viewed = Q(last_viewed_at__gte=now - dt.timedelta(days=viewed_days()))
    waiting = Q(requested_at__gte=now - REQUEUE_AFTER)
    FigureSnapshot.objects.exclude(viewed).exclude(key__in=defaults).exclude(waiting).delete()
    due = (
        FigureSnapshot.objects.filter(viewed | Q(key__in=defaults))
        .filter(
            Q(computed_at__isnull=True)
            | Q(computed_at__lt=now - dt.timedelta(minutes=refresh_minutes()))
            | Q(requested_at__isnull=False)
        )
        .exclude(waiting)
        .exclude(claimed_at__gte=now - CLAIM_EXPIRES)
    )
    ids = list(due.order_by("computed_at").values_list("pk", flat=True))
    FigureSnapshot.objects.filter(pk__in=ids).update(requested_at=now)
    return ids


def compute_now(section: str, team_ids, period: figures.Period | None = None) -> FigureSnapshot:
    """Compute a page's snapshot here and now (the demo seed, tests and the benchmark; pages
    never do). `period` None: the rolling default."""
    period = period or default_period(timezone.localdate())
    snapshot, _created = _get_or_ask(section, team_ids, period)
    FigureSnapshot.objects.filter(pk=snapshot.pk).update(requested_at=timezone.now())
    refresh(snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot


def compute_defaults() -> int:
    """Compute every default view here and now, in Welsh and English (`seed_demo`: the demo
    opens on figures before its worker has run, in either language). How many."""
    scopes = default_scopes()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for team_ids in scopes:
                for section in SECTIONS:
                    compute_now(section, list(team_ids))
    return len(scopes) * len(SECTIONS) * len(settings.LANGUAGES)


def stored_default(section: str, team_ids) -> FigureSnapshot | None:
    """The computed figures of a page's default view (the rolling twelve months) for these
    teams, in the current language, if there are any: one query, nothing written (beat keeps
    every manager's default view current: `default_scopes`). The home page's headline."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return (
        FigureSnapshot.objects.filter(
            key=key_for(section, team_ids, None, language), computed_at__isnull=False
        )
        .only("section", "data", "period_start", "period_end", "computed_at")
        .first()
    )
