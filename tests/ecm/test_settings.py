"""Production settings pass Django's deployment checks; migrations are up to date."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_extra):
    drop = {"SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "ecm.settings.production",
    "SECRET_KEY": "x" * 64 + "-production-test-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "ecm.example.org",
    "DATABASE_URL": "postgres://ecm:secret@db.example.org:5432/ecm",
}


def test_production_check_deploy_reports_no_issues():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", env_extra=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = dict(PRODUCTION)
    env["SECRET_KEY"] = ""
    result = _manage("check", env_extra=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_seed_demo_refuses_production():
    result = _manage("seed_demo", env_extra=PRODUCTION)
    assert result.returncode != 0
    assert "refuses to run under production settings" in result.stderr


def test_locale_and_time_zone(settings):
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.LANGUAGE_CODE == "en-gb"
    assert "cy" in dict(settings.LANGUAGES)


def test_no_missing_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
