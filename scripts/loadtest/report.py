"""Print one `make loadtest` phase from locust's own CSV files, and judge it.

    report.py NAME PREFIX --users N --wait-min S --wait-max S [--baseline PREFIX] [--capacity]

Reads PREFIX_stats.csv (per endpoint), PREFIX_stats_history.csv (per second) and
PREFIX_failures.csv that `locust --csv PREFIX` wrote, and PREFIX_ramp.json (what happened while
the users started and signed in, which the locustfile writes before it resets the statistics
for the steady state), prints each endpoint's requests,
failures, p50/p95/p99 and its p50 over the floor page's p50, then the verdicts:

- every phase: 0 errors, the ramp's included;
- with --capacity (the 50-user phase), issue 22's capacity targets:
  * throughput equal to the offered load (within 10 %), the offered load being what the users
    would ask for if the server did not slow them: users / (mean wait + the unloaded mean
    response time, from --baseline). With this phase's own response times it would be Little's
    law, true of any closed loop, saturated or not; a saturated server shows as throughput
    below it;
  * the floor page's p95 at most twice its unloaded value (the --baseline phase's);
  * every page's p50 at most 3x the floor's, the dashboard's pages aside (their own targets
    are `make bench`'s) and sign-in aside (a password hash by design; "sign-in" also includes
    the home page it lands on);
- without --capacity, the same figures are printed for information.

Writes PREFIX_summary.json (the floor's p50 and p95, the mean response time) for later phases.
Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

FLOOR = "floor: notification preferences"
PAGE_OVER_FLOOR = 3.0
FLOOR_P95_OVER_UNLOADED = 2.0
THROUGHPUT_TOLERANCE = 0.10


def aside(name: str) -> str:
    """Why an endpoint is outside the 3x target ('' if it is not)."""
    if name.startswith("dashboard"):
        return "dashboard"
    if name == "sign-in":
        return "sign-in"
    return ""


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def steady_throughput(history: list[dict], users: int, settle: float) -> tuple[float, float]:
    """Requests a second once every user had started (and the seconds that covers): from the
    statistics' reset at the end of the ramp, less the first `settle` seconds (the users that
    started last make their first request without a wait)."""
    rows = [r for r in history if r.get("Name") == "Aggregated" and num(r["User Count"]) >= users]
    if rows:
        low = min(num(r["Total Request Count"]) for r in rows)
        rows = rows[[num(r["Total Request Count"]) for r in rows].index(low) :]
    if rows and num(rows[-1]["Timestamp"]) - num(rows[0]["Timestamp"]) > 3 * settle:
        start = num(rows[0]["Timestamp"]) + settle
        rows = [r for r in rows if num(r["Timestamp"]) >= start]
    if len(rows) < 2:
        return 0.0, 0.0
    first, last = rows[0], rows[-1]
    seconds = num(last["Timestamp"]) - num(first["Timestamp"])
    done = num(last["Total Request Count"]) - num(first["Total Request Count"])
    return (done / seconds if seconds > 0 else 0.0), seconds


def print_ramp(ramp: dict) -> int:
    """The ramp's figures (sign-ins and first pages, before the statistics were reset); its
    failures."""
    rows = sorted(ramp["endpoints"], key=lambda r: r["name"])
    if not rows:
        return 0
    width = max(len(r["name"]) for r in rows)
    print("while the users started and signed in (not in the figures above):")
    for r in rows:
        print(
            f"  {r['name']:<{width}}  {r['requests']:>8}  {r['failures']:>8}  "
            f"{r['p50']:>6.0f}  {r['p95']:>6.0f}  {r['p99']:>6.0f}"
        )
    for e in ramp["errors"][:10]:
        print(f"  failure: {e['name']}: {e['error']} (x{e['occurrences']})")
    return sum(r["failures"] for r in rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("prefix")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--wait-min", type=float, required=True)
    parser.add_argument("--wait-max", type=float, required=True)
    parser.add_argument("--baseline", help="the unloaded phase's CSV prefix")
    parser.add_argument("--capacity", action="store_true", help="judge the capacity targets")
    args = parser.parse_args(argv)
    prefix = Path(args.prefix)

    stats = read_rows(Path(f"{prefix}_stats.csv"))
    # Locust keeps an endpoint's row, empty, after the statistics are reset at the ramp's end.
    endpoints = [r for r in stats if r["Name"] != "Aggregated" and num(r["Request Count"]) > 0]
    total = next((r for r in stats if r["Name"] == "Aggregated"), None)
    if total is None or not endpoints:
        print(f"{args.name}: no statistics in {prefix}_stats.csv", file=sys.stderr)
        return 1
    by_name = {r["Name"]: r for r in endpoints}
    floor = by_name.get(FLOOR)
    floor_p50 = num(floor["50%"]) if floor else 0.0

    width = max(len(r["Name"]) for r in endpoints)
    head = f"{'endpoint':<{width}}  {'requests':>8}  {'failures':>8}  {'p50':>6}  {'p95':>6}"
    print(f"{head}  {'p99':>6}  {'p50/floor':>9}  (ms)")
    for r in sorted(endpoints, key=lambda r: (r["Name"] != FLOOR, r["Name"])):
        ratio = num(r["50%"]) / floor_p50 if floor_p50 else 0.0
        note = f"  ({aside(r['Name'])} aside)" if aside(r["Name"]) else ""
        print(
            f"{r['Name']:<{width}}  {int(num(r['Request Count'])):>8}  "
            f"{int(num(r['Failure Count'])):>8}  {num(r['50%']):>6.0f}  {num(r['95%']):>6.0f}  "
            f"{num(r['99%']):>6.0f}  {ratio:>8.2f}x{note}"
        )
    requests, failures = int(num(total["Request Count"])), int(num(total["Failure Count"]))
    print(
        f"{'all':<{width}}  {requests:>8}  {failures:>8}  {num(total['50%']):>6.0f}  "
        f"{num(total['95%']):>6.0f}  {num(total['99%']):>6.0f}"
    )
    for row in read_rows(Path(f"{prefix}_failures.csv"))[:10]:
        print(f"  failure: {row['Name']}: {row['Error']} (x{row['Occurrences']})")
    ramp_path = Path(f"{prefix}_ramp.json")
    if ramp_path.exists():
        ramp = json.loads(ramp_path.read_text(encoding="utf-8"))
        failures += print_ramp(ramp)
        requests += sum(r["requests"] for r in ramp["endpoints"])

    mean_response = num(total["Average Response Time"]) / 1000
    summary = {
        "floor_p50": floor_p50,
        "floor_p95": num(floor["95%"]) if floor else 0.0,
        "mean_response_s": mean_response,
    }
    Path(f"{prefix}_summary.json").write_text(json.dumps(summary), encoding="utf-8")

    verdicts: list[tuple[bool, str]] = []  # (met, line), judged
    notes: list[str] = []  # printed, not judged
    verdicts.append((failures == 0 and requests > 0, f"0 errors: {failures} in {requests:,}"))
    if floor is None:
        verdicts.append((False, "the floor page was not requested"))
    base = None
    if args.baseline:
        base = json.loads(Path(f"{args.baseline}_summary.json").read_text(encoding="utf-8"))
    lines: list[tuple[bool, str]] = []
    if base and floor:
        wait = (args.wait_min + args.wait_max) / 2
        offered = args.users / (wait + base["mean_response_s"])
        history = read_rows(Path(f"{prefix}_stats_history.csv"))
        got, secs = steady_throughput(history, args.users, settle=args.wait_max)
        ratio = got / offered if offered else 0.0
        lines.append(
            (
                abs(ratio - 1) <= THROUGHPUT_TOLERANCE,
                f"throughput {got:.1f} req/s over the last {secs:.0f} s with all {args.users} "
                f"users, offered {offered:.1f} req/s ({args.users} / ({wait:.2f} s wait + "
                f"{base['mean_response_s'] * 1000:.0f} ms unloaded response)): {ratio:.2f}x",
            )
        )
        floor_p95 = num(floor["95%"])
        limit = FLOOR_P95_OVER_UNLOADED * base["floor_p95"]
        lines.append(
            (
                floor_p95 <= limit,
                f"floor p95 {floor_p95:.0f} ms, unloaded {base['floor_p95']:.0f} ms: "
                f"{floor_p95 / base['floor_p95'] if base['floor_p95'] else 0:.2f}x "
                f"(at most {FLOOR_P95_OVER_UNLOADED:.0f}x)",
            )
        )
    if floor_p50:
        over = [
            f"{r['Name']} {num(r['50%']) / floor_p50:.2f}x"
            for r in endpoints
            if not aside(r["Name"]) and num(r["50%"]) > PAGE_OVER_FLOOR * floor_p50
        ]
        worst = max(
            (r for r in endpoints if not aside(r["Name"]) and r["Name"] != FLOOR),
            key=lambda r: num(r["50%"]),
            default=None,
        )
        worst_text = (
            f"; highest {worst['Name']} {num(worst['50%']) / floor_p50:.2f}x" if worst else ""
        )
        lines.append(
            (
                not over,
                f"every page's p50 within {PAGE_OVER_FLOOR:.0f}x the floor's ({floor_p50:.0f} ms)"
                + (f": over it {', '.join(over)}" if over else worst_text),
            )
        )
    if args.capacity:
        verdicts.extend(lines)
    else:
        notes.extend(line for _met, line in lines)

    print(f"-- {args.name}: {args.users} user(s)")
    for met, line in verdicts:
        print(f"{'MET   ' if met else 'FAILED'} {line}")
    for line in notes:
        print(f"info   {line}")
    return 0 if all(met for met, _line in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
