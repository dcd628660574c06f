"""What `make run` and `make test` promise on a fresh machine: one list of system packages
that installs itself as root and says exactly what to run otherwise; the demo's logins all
printed and documented; the product's own error pages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path

from ecm.management.commands.seed_demo import USERS, demo_logins

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-system-packages"


def _script(*args, env_extra=None, as_user=None, script=SCRIPT):
    env = {**os.environ, **(env_extra or {})}
    command = [str(script), *args]
    if as_user:
        command = [
            "runuser",
            "-u",
            as_user,
            "--",
            "env",
            *[f"{k}={v}" for k, v in (env_extra or {}).items()],
            *command,
        ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_one_package_list_serves_run_test_and_lint():
    run = _script("--list", "run").stdout.split()
    test = _script("--list", "test").stdout.split()
    lint = _script("--list", "lint").stdout.split()
    assert {"libpango-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"} <= set(run)
    assert set(run) < set(test)
    assert {"postgresql", "redis-server", "chromium"} <= set(test)
    assert lint == ["docker-compose", "gettext"]  # gettext: the Welsh catalogue's check
    assert "gettext" in run  # msgfmt builds the catalogue at set-up
    for user in (ROOT / "Makefile", ROOT / ".ci" / "run", ROOT / "Dockerfile"):
        text = user.read_text()
        assert "install-system-packages" in text, user
        assert "libpango" not in text and "redis-server" not in text, f"a second list in {user}"


def test_nothing_to_do_when_everything_is_installed():
    # The suite itself runs on this machine, so what it needs is there.
    result = _script("test")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the script as another user")
def test_not_root_prints_the_exact_command_and_fails():
    # A copy another user can reach, wherever the checkout lies (mktemp -d makes a folder
    # only its owner may enter).
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        copy = folder / SCRIPT.name
        shutil.copy(SCRIPT, copy)
        copy.chmod(0o755)
        result = _script(
            "test",
            env_extra={"ECM_ASSUME_MISSING": "redis-server chromium"},
            as_user="nobody",
            script=copy,
        )
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 2
    assert "missing: redis-server chromium" in result.stderr
    assert "apt-get install -y --no-install-recommends redis-server chromium" in result.stderr


def test_an_unknown_group_is_refused():
    result = _script("everything")
    assert result.returncode == 64
    assert "unknown group" in result.stderr


def test_every_demo_login_is_printed_and_documented():
    printed = demo_logins()
    readme = (ROOT / "README.md").read_text()
    table = re.findall(r"^\| `([a-z]+)` \|", readme, flags=re.MULTILINE)
    for username, *_rest in USERS:
        assert re.search(rf"^    {username}\s", printed, flags=re.MULTILINE), username
        assert username in table, f"{username} is not in the README's demo logins"


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]


def test_a_server_error_shows_the_products_page(settings, db):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "Nothing you had already saved is lost" in page
    assert "RuntimeError" not in page and "Traceback" not in page
