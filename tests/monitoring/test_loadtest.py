"""`make loadtest` cannot rot: its locustfile runs headless for a few seconds against a live
server holding a tiny generated dataset, every role signs in through the form and opens each of
its pages without a failure; the reporter judges locust's CSV and fails a missed target."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import reload_migration_data

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "scripts/loadtest/locustfile.py"
REPORT = ROOT / "scripts/loadtest/report.py"
PAGES = {  # every page the locustfile names, by role (and the ones every role requests)
    "every role": {"sign-in form", "sign-in", "floor: notification preferences"},
    "case_manager": {"home (case manager)", "case list", "case page"},
    "senior_practitioner": {
        "home (senior practitioner)",
        "meeting page",
        "timeline page",
        "waiting list",
        "referral queue",
    },
    "psychologist": {"home (psychologist)", "supervision"},
    "manager": {
        "home (manager)",
        "dashboard",
        "dashboard: profile",
        "dashboard: model fidelity",
        "dashboard: trends",
    },
}


@pytest.fixture
def reference_data(django_db_blocker):
    reload_migration_data(django_db_blocker, "formulation.migrations.0002_trm_frameworks")
    reload_migration_data(django_db_blocker, "referrals.migrations.0002_rule_sets")


def run_report(prefix, *extra):
    return subprocess.run(
        [sys.executable, str(REPORT), "phase", str(prefix), *extra],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_every_role_signs_in_and_opens_its_pages(live_server, reference_data, tmp_path):
    call_command("generate_data", teams=1, children=60, reviews=120, timeline=300, seed=7)
    users = tmp_path / "users.json"
    call_command(
        "loadtest_users", out=str(users), case_managers=2, seniors=1, psychologists=1, managers=1
    )
    data = json.loads(users.read_text())
    assert {u["role"] for u in data["users"]} == set(PAGES) - {"every role"}

    prefix = tmp_path / "smoke"
    env = {
        **os.environ,
        "LOADTEST_USERS_FILE": str(users),
        "LOADTEST_TOUR": "1",
        "LOADTEST_RAMP_FILE": f"{prefix}_ramp.json",
        "LOADTEST_WAIT_MIN": "0.05",
        "LOADTEST_WAIT_MAX": "0.2",
    }
    # LOADTEST_TOUR: one user of each role, who visits each of its pages once after signing in.
    run = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
        + ["--host", live_server.url, "-u", "4", "-r", "4", "-t", "10s", "--csv", str(prefix)]
        + ["--exit-code-on-error", "0", "--loglevel", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[:3000]
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    failures = Path(f"{prefix}_failures.csv").read_text()
    assert rows["Aggregated"]["Failure Count"] == "0", failures
    # What the users did while they started (before the statistics were reset).
    ramp = json.loads(Path(f"{prefix}_ramp.json").read_text())
    assert not ramp["errors"], ramp["errors"]
    requested = set(rows) - {"Aggregated"} | {r["name"] for r in ramp["endpoints"]}
    every_page = set().union(*PAGES.values())
    assert requested == every_page, (requested ^ every_page, run.stderr[-2000:])

    report = run_report(prefix, "--users", "4", "--wait-min", "0.05", "--wait-max", "0.2")
    assert report.returncode == 0, report.stdout + report.stderr
    assert "MET    0 errors: 0 in" in report.stdout
    assert "floor: notification preferences" in report.stdout


STATS_HEADER = "Type,Name,Request Count,Failure Count,Average Response Time,50%,95%,99%"
HISTORY_HEADER = "Timestamp,User Count,Name,Total Request Count"


def write_phase(prefix, floor_p95, *, failures=0, page_p50=20, requests_per_s=9.8):
    floor = "floor: notification preferences"
    Path(f"{prefix}_stats.csv").write_text(
        f"{STATS_HEADER}\nGET,{floor},100,0,10,10,{floor_p95},{floor_p95}\n"
        f"GET,case page,100,{failures},20,{page_p50},40,50\n"
        f",Aggregated,200,{failures},15,12,40,50\n"
    )
    history = [HISTORY_HEADER] + [
        f"{1000 + t},20,Aggregated,{round(t * requests_per_s)}" for t in range(0, 61)
    ]
    Path(f"{prefix}_stats_history.csv").write_text("\n".join(history) + "\n")


def test_the_reporter_judges_the_capacity_targets(tmp_path):
    base, good, bad = tmp_path / "base", tmp_path / "good", tmp_path / "bad"
    write_phase(base, floor_p95=12)
    assert run_report(base, "--users", "1", "--wait-min", "1", "--wait-max", "3").returncode == 0
    args = ["--users", "20", "--wait-min", "1", "--wait-max", "3", "--baseline", str(base)]

    write_phase(good, floor_p95=20)  # 20 users / (2 s + 15 ms) = 9.9 req/s offered
    report = run_report(good, *args, "--capacity")
    assert report.returncode == 0, report.stdout
    assert report.stdout.count("MET ") == 4, report.stdout

    # Saturated: a quarter below the offered load, the floor's p95 3x, a page 4x the floor.
    write_phase(bad, floor_p95=36, failures=1, page_p50=40, requests_per_s=7.4)
    report = run_report(bad, *args, "--capacity")
    assert report.returncode == 1
    assert report.stdout.count("FAILED") == 4, report.stdout
    # The same figures without --capacity (the peak phase): only the errors are judged.
    report = run_report(bad, *args)
    assert report.returncode == 1
    assert report.stdout.count("FAILED") == 1 and report.stdout.count("info ") == 3

    # A failure while the users started counts, though the steady state had none.
    Path(f"{good}_ramp.json").write_text(
        json.dumps(
            {
                "endpoints": [
                    {"name": "sign-in", "requests": 20, "failures": 1, "p50": 90, "p95": 200}
                    | {"p99": 250}
                ],
                "errors": [{"name": "sign-in", "error": "429", "occurrences": 1}],
            }
        )
    )
    report = run_report(good, *args, "--capacity")
    assert report.returncode == 1
    assert "FAILED 0 errors: 1 in 220" in report.stdout
    assert "failure: sign-in: 429 (x1)" in report.stdout


def test_loadtest_users_refuses_where_generated_data_is_not_allowed(db, settings, tmp_path):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("loadtest_users", out=str(tmp_path / "users.json"))
    assert not (tmp_path / "users.json").exists()
