"""Time the manager dashboard on a large dataset, side by side with its own SQL, a minimal
page (the floor) and a case page.

    .venv/bin/python scripts/bench_dashboard.py [--runs 5]

Needs PostgreSQL holding a dataset from `manage.py generate_data` (scripts/run-bench makes
both). DJANGO_SETTINGS_MODULE defaults to ecm.settings.test (PostgreSQL from DATABASE_URL).

What it measures, in one run, through Django's test Client (no network, no browser):

  (a) GET /monitoring/ with every team and the last 12 months, as a manager of every team
      (median of --runs, after one warm-up request); (a') the same for the largest team
      alone, a YOT manager's usual view (shown, not a target);
  (b) `monitoring.figures.dashboard(team_ids, period)` alone: the SQL behind (a), which the
      page reads from the figures the worker stored; (b') that refresh task's own time;
  (c) the floor: a minimal authenticated page (notification preferences, as the case's
      manager), and (d) the case page of one active case, as its case manager: 30 of each,
      taken in turns, medians;
  (e) the number of queries of each.

Database connections are kept between requests as in production (CONN_MAX_AGE: run-bench sets
DB_CONN_MAX_AGE=60, production's default; the test settings otherwise close them after each
request).

Targets: the dashboard within 500 ms and within twice its SQL, the other monitoring pages
(profile, model fidelity, trends) within 500 ms each; the case page within three
times the floor. Prints PASS/FAIL for each and exits 1 if any fails. The dashboard and its
SQL are timed outside a transaction, as in production, on the one connection of the request;
the manager it signs in with is deleted at the end. The floor and the case page are timed
inside a transaction that is rolled back (with the audit events and sessions those requests
write), so the database is left as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecm.settings.test")
os.environ.setdefault("DB_CONN_MAX_AGE", "60")  # kept between requests, as in production

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Exists, OuterRef  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from ecm.dates import add_months  # noqa: E402
from ecm.models import Case, CaseStatus, Child, Membership, Role, Team, User  # noqa: E402
from formulation.models import Report, TimelineEvent  # noqa: E402
from monitoring import figures, readmodel  # noqa: E402
from monitoring.models import FigureSnapshot  # noqa: E402
from reviews.models import Review  # noqa: E402

DASHBOARD_MS = 500
DASHBOARD_OVER_SQL = 2.0
CASE_OVER_FLOOR = 3.0


def timed(fn, runs: int, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of fn() in ms over `runs` calls, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), times


def queries_of(fn) -> tuple[int, list[dict]]:
    """The queries of one call (all of them on this connection)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries), list(ctx.captured_queries)


def get_ok(client: Client, url: str, data=None):
    def go():
        response = client.get(url, data)
        if response.status_code != 200:
            raise SystemExit(f"error: GET {url} answered {response.status_code}")
        return response

    return go


def slowest(what: str, captured: list[dict], n: int) -> None:
    """The n slowest of a run's queries (times as Django's debug cursor records them)."""
    print(f"\nSlowest queries of {what} (one run):")
    for q in sorted(captured, key=lambda q: -float(q["time"]))[:n]:
        sql_text = " ".join(q["sql"].split())
        print(f"  {float(q['time']) * 1000:8.1f}ms  {sql_text[:150]}...")
    total = sum(float(q["time"]) for q in captured)
    print(f"  {total * 1000:8.1f}ms  in all, {len(captured)} queries")


def pick_case() -> Case:
    """An ordinary active case: formulated, a final report, a few reviews; its manager set."""
    final = Report.objects.filter(case=OuterRef("pk"), status=Report.Status.FINAL)
    cases = (
        Case.objects.filter(status=CaseStatus.ACTIVE, case_manager__isnull=False)
        .annotate(n_reviews=Count("reviews", distinct=True), has_final=Exists(final))
        .filter(has_final=True, n_reviews__gte=3)
        .order_by("pk")
    )
    case = cases.first() or Case.objects.filter(status=CaseStatus.ACTIVE).order_by("pk").first()
    if case is None or case.case_manager is None:
        raise SystemExit("error: no active case with a case manager: run generate_data first")
    return case


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="dashboard runs (default 9)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("error: the dashboard bench needs PostgreSQL (set DATABASE_URL)", file=sys.stderr)
        return 2
    if not Case.objects.exists():
        print("error: no cases: run `manage.py generate_data` first", file=sys.stderr)
        return 2

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    today = timezone.localdate()
    end = today
    start = add_months(end, -12) + dt.timedelta(days=1)
    period = figures.Period(start, end)
    print(f"Database: PostgreSQL {pg_version} (jit {jit}); today {today}; period {start} to {end}")
    print(
        f"Data: {Team.objects.count()} teams, {Child.objects.count():,} children, "
        f"{Case.objects.count():,} cases ({Case.objects.filter(status='active').count():,} "
        f"active), {Review.objects.count():,} reviews, "
        f"{TimelineEvent.objects.count():,} timeline events"
    )

    results = {}
    # The dashboard is timed outside a transaction, as it runs in production. Its manager is
    # committed, then deleted with its sessions at the end; the dashboard writes nothing else.
    manager = User.objects.create(
        username=f"bench-dashboard-manager-{os.getpid()}",
        first_name="Bench",
        last_name="Manager",
        password=make_password(None),
    )
    mc = Client()
    bench_started = timezone.now()
    try:
        teams = list(Team.objects.order_by("pk"))
        Membership.objects.bulk_create(
            [
                Membership(user=manager, team=t, role=Role.MANAGER, approved_at=timezone.now())
                for t in teams
            ]
        )
        team_ids = [t.pk for t in teams]
        mc.force_login(manager)

        params = {"teams": team_ids, "start": start.isoformat(), "end": end.isoformat()}
        # The pages read the figures the worker stored (monitoring.readmodel): computed first;
        # (b') times that computation, the refresh task, on its own.
        for section in readmodel.SECTIONS:
            readmodel.compute_now(section, team_ids, period)
        dashboard = get_ok(mc, reverse("monitoring:dashboard"), params)
        n, _q = queries_of(dashboard)  # also the warm-up
        median, runs = timed(dashboard, args.runs, warmup=0)
        results["dashboard"] = (
            "(a) dashboard GET /monitoring/ (all teams, 12 months)",
            median,
            runs,
            n,
        )
        # A YOT manager's usual view: one team (the largest), same period. Informational.
        largest = (
            Case.objects.values("team_id").annotate(n=Count("pk")).order_by("-n").first()["team_id"]
        )
        readmodel.compute_now("dashboard", [largest], period)
        one = get_ok(mc, reverse("monitoring:dashboard"), {**params, "teams": [largest]})
        n, _q = queries_of(one)
        median, runs = timed(one, args.runs, warmup=0)
        results["one_team"] = ("(a') the same for one team (not a target)", median, runs, n)

        # The other monitoring pages, all teams: each within the dashboard's target.
        for key, name, label in (
            ("profile", "monitoring:profile", "(e) profile page (all teams)"),
            ("fidelity", "monitoring:fidelity", "(f) model fidelity page (all teams)"),
            ("trends", "monitoring:trends", "(g) trends page (all teams, 8 quarters)"),
        ):
            other = get_ok(mc, reverse(name), params)
            n, _q = queries_of(other)
            median, runs = timed(other, args.runs, warmup=0)
            results[key] = (label, median, runs, n)

        def sql():
            return figures.dashboard(team_ids, period)

        n, captured = queries_of(sql)
        median, runs = timed(sql, args.runs, warmup=0)
        results["sql"] = ("(b) figures.dashboard() alone (its SQL)", median, runs, n)

        def refresh():
            return readmodel.compute_now("dashboard", team_ids, period)

        n, _q = queries_of(refresh)
        median, runs = timed(refresh, args.runs, warmup=0)
        results["refresh"] = ("(b') the refresh task of (a)'s figures", median, runs, n)
    finally:
        mc.logout()
        manager.delete()
        FigureSnapshot.objects.filter(created_at__gte=bench_started).delete()

    # The floor and the case page as the case's manager, in a transaction rolled back at the
    # end (with the audit events and sessions the requests write).
    with transaction.atomic():
        case = pick_case()
        cc = Client()
        cc.force_login(case.case_manager)
        floor = get_ok(cc, reverse("notification_preferences"))
        floor()  # a first visit warms the connection and caches, as for the case page
        n_floor, _q = queries_of(floor)
        page = get_ok(cc, reverse("case_detail", args=[case.pk]))
        n_case, case_queries = queries_of(page)
        # Taken in turns, so that a slow spell of a shared machine weighs on both alike.
        floor_runs, case_runs = [], []
        for _ in range(30):
            floor_runs.append(timed(floor, 1, warmup=0)[0])
            case_runs.append(timed(page, 1, warmup=0)[0])
        results["floor"] = (
            "(c) floor: GET notification preferences",
            statistics.median(floor_runs),
            floor_runs,
            n_floor,
        )
        label = f"(d) case page {case.reference} as its case manager"
        results["case"] = (label, statistics.median(case_runs), case_runs, n_case)
        case_info = (
            f"{case.reference}: {case.reviews.count()} reviews, "
            f"{TimelineEvent.objects.filter(child_id=case.child_id).count()} timeline events, "
            f"{case.recommendations.count()} recommendations, {case.actions.count()} actions"
        )
        transaction.set_rollback(True)

    width = max(len(r[0]) for r in results.values())
    print()
    print(f"{'':<{width}}  {'median':>9}  {'min':>9}  {'max':>9}  {'queries':>7}")
    for label, median, runs, n in results.values():
        print(
            f"{label:<{width}}  {median:>7.1f}ms  {min(runs):>7.1f}ms  {max(runs):>7.1f}ms  {n:>7}"
        )
    print(f"(case: {case_info})")

    slowest("figures.dashboard()", captured, 6)
    slowest("the case page", case_queries, 4)

    dash, sql_ms = results["dashboard"][1], results["sql"][1]
    floor_ms, case_ms = results["floor"][1], results["case"][1]
    checks = [
        (f"dashboard within {DASHBOARD_MS} ms", dash <= DASHBOARD_MS, f"{dash:.0f} ms"),
        (
            f"dashboard within {DASHBOARD_OVER_SQL:g}x its SQL",
            dash <= DASHBOARD_OVER_SQL * sql_ms,
            f"{dash / sql_ms:.2f}x ({dash:.0f} / {sql_ms:.0f} ms)",
        ),
        *(
            (
                f"{key} page within {DASHBOARD_MS} ms",
                results[key][1] <= DASHBOARD_MS,
                f"{results[key][1]:.0f} ms",
            )
            for key in ("profile", "fidelity", "trends")
        ),
        (
            f"case page within {CASE_OVER_FLOOR:g}x the floor",
            case_ms <= CASE_OVER_FLOOR * floor_ms,
            f"{case_ms / floor_ms:.2f}x ({case_ms:.1f} / {floor_ms:.1f} ms)",
        ),
    ]
    print("\nTargets:")
    for name, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return 0 if all(ok for _n, ok, _d in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
