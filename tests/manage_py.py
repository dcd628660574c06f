"""Running manage.py in a child process, as `make run` does: for tests of the embedded demo
(the development settings on a SQLite file of the test's own, the filesystem broker)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sqlite_demo_env(folder: Path, **extra: str) -> dict:
    """The environment of `make run`, with its SQLite file, broker and uploads in `folder`."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="ecm.settings.development",
        DATABASE_URL=f"sqlite:///{folder / 'ecm.sqlite3'}",
        CELERY_BROKER_DIR=str(folder / "broker"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(folder / "beat-schedule"),
        PRIVATE_MEDIA_ROOT=str(folder / "private"),
        **extra,
    )
    return env


def manage(env: dict, *args: str, timeout: int = 300) -> str:
    """Run `manage.py args` with `env`; fail the test with its output if it fails."""
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
