"""Exactly one scheduler (issue 22): two real `celery beat` processes on the suite's Redis with a
fast schedule (tests/beat_app.py: one probe entry a second, each run one message in a queue of
the test's own). Only the lock holder sends; the other stands by. Killed, the leader's lock
expires and the standby takes over from the recorded last run; stopped cleanly, a leader gives
the lock up. Without Redis (the embedded demo) the scheduler is Celery's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from ecm.beat import LAST_RUN_KEY, LOCK_KEY, SingleBeatScheduler
from ecm.celery import app

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 1.0
LOCK_SECONDS = 3.0


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def beats(tmp_path):
    assert settings.REDIS_URL, "this test needs REDIS_URL (scripts/run-tests starts Redis)"
    r = redis.Redis.from_url(settings.REDIS_URL)
    queue = f"beat-test-{uuid.uuid4().hex[:8]}"
    r.delete(LOCK_KEY, LAST_RUN_KEY, queue)
    procs: dict[str, subprocess.Popen] = {}
    logs: dict[str, Path] = {}

    def start(name: str) -> subprocess.Popen:
        logs[name] = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ecm.settings.test",
            "BEAT_LOCK_SECONDS": str(LOCK_SECONDS),
            "BEAT_TEST_INTERVAL": str(INTERVAL),
            "BEAT_TEST_QUEUE": queue,
        }
        with open(logs[name], "wb") as log:
            procs[name] = subprocess.Popen(  # noqa: S603 (celery from our venv)
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tests.beat_app",
                    "beat",
                    "--loglevel=INFO",
                    "--schedule",
                    str(tmp_path / f"{name}-schedule"),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return procs[name]

    def holder_pid() -> int | None:
        value = r.get(LOCK_KEY)
        return int(value.decode().split(":")[1]) if value else None

    def log(name: str) -> str:
        return logs[name].read_text()

    def runs() -> int:
        return r.llen(queue)

    yield type(
        "Beats",
        (),
        {"start": start, "holder_pid": holder_pid, "log": log, "runs": runs, "redis": r},
    )
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    r.delete(LOCK_KEY, LAST_RUN_KEY, queue)


def test_two_beats_send_each_run_once_and_the_standby_takes_over(beats):
    a = beats.start("a")
    _wait(lambda: beats.holder_pid() == a.pid, 60, "beat A to take the lock")
    _wait(lambda: beats.runs() >= 1, 30, "beat A's first run")
    leading_since = time.monotonic()
    b = beats.start("b")
    _wait(lambda: "standby" in beats.log("b"), 60, "beat B to start and stand by")

    # Both running: one run a second, not two.
    first, started = beats.runs(), time.monotonic()
    time.sleep(6)
    sent = beats.runs() - first
    assert 1 <= sent <= (time.monotonic() - started) / INTERVAL + 1, sent
    assert beats.holder_pid() == a.pid
    assert "Sending due task" not in beats.log("b")

    # The leader dies without a word: its lock expires and B takes over, from A's last run.
    a.send_signal(signal.SIGKILL)
    a.wait(timeout=10)
    killed = time.monotonic()
    _wait(lambda: beats.holder_pid() == b.pid, LOCK_SECONDS + 15, "beat B to take the lock")
    assert time.monotonic() - killed >= LOCK_SECONDS - 1  # not before A's lock ran out
    before = beats.runs()
    _wait(lambda: beats.runs() > before, 15, "beat B's first run")
    assert "took the scheduler lock" in beats.log("b")
    assert "Sending due task beat-probe" in beats.log("b")
    time.sleep(3)
    # Each due run once over the whole test: never more than one per interval.
    assert beats.runs() <= (time.monotonic() - leading_since) / INTERVAL + 2

    # A leader that stops cleanly gives the lock up at once.
    b.send_signal(signal.SIGTERM)
    b.wait(timeout=30)
    assert beats.redis.get(LOCK_KEY) is None
    assert "gave up the scheduler lock" in beats.log("b")


@override_settings(REDIS_URL="")
def test_without_redis_the_scheduler_is_celerys_own(tmp_path):
    """The embedded demo (`make run`, filesystem broker): no lock, the schedule as before."""
    assert app.conf.beat_scheduler == "ecm.beat:SingleBeatScheduler"
    scheduler = SingleBeatScheduler(
        app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True
    )
    assert scheduler._redis is None
    assert "single beat" in scheduler.info
