"""Web replicas (issue 22): nothing in a web process is its own state. Two real gunicorn
processes (A and B) on the suite's PostgreSQL and Redis, with the shared cache and sessions of
production (`shared_cache_settings`: Redis cache, sessions "cached_db"), and one person moved
between them in the middle of each step, as a load balancer may: the password on A, the
authenticator code on B; a form loaded on A and saved on B with A's CSRF token and session
cookie; the result seen on A; signing out on B ends the session on A. A TOTP code used on one
replica is refused on the other (the used codes live in the shared cache)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.db import connection

from ecm.models import NotificationPreference
from tests.conftest import build_world

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"  # noqa: S105


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def replicas(transactional_db, tmp_path):
    assert settings.REDIS_URL, "this test needs REDIS_URL (scripts/run-tests starts Redis)"
    # The cache in a Redis database of its own (the broker uses the URL's).
    cache_url = re.sub(r"/\d*$", "", settings.REDIS_URL) + "/3"
    import redis

    redis.Redis.from_url(cache_url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ecm.settings.test",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": cache_url,
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    }
    procs, urls = [], []
    for name in ("a", "b"):
        port = _free_port()
        with open(tmp_path / f"{name}.log", "wb") as log:
            procs.append(
                subprocess.Popen(  # noqa: S603 (gunicorn from our venv)
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "ecm.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for proc, url, name in zip(procs, urls, "ab", strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()
                try:
                    requests.get(f"{url}/healthz", timeout=10)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline, f"web {name} did not start"
                    time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _password_step(browser: requests.Session, base: str, username: str) -> requests.Response:
    page = browser.get(f"{base}/accounts/login/")
    assert page.status_code == 200
    return browser.post(
        f"{base}/accounts/login/",
        {"csrfmiddlewaretoken": _csrf(page.text), "login": username, "password": PASSWORD},
        allow_redirects=False,
    )


def test_a_person_moves_between_two_web_processes_mid_journey(replicas):
    a, b = replicas
    world = build_world()
    user = world.case_manager
    user.set_password(PASSWORD)
    user.save()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)

    # Not within a few seconds of the code's 30-second window ending: the replay below must
    # use the very code that was accepted, while it is still current.
    if time.time() % 30 > 22:
        time.sleep(30 - time.time() % 30 + 0.5)

    browser = requests.Session()  # one browser; its cookies go to whichever replica answers
    first = _password_step(browser, a, user.username)  # the password on A...
    assert first.status_code == 302 and first.headers["Location"] == "/accounts/2fa/authenticate/"
    # ...a second browser (someone who watched the code being typed) reaches the same step.
    other = requests.Session()
    assert _password_step(other, a, user.username).status_code == 302

    code = _code(secret)
    form = browser.get(f"{a}/accounts/2fa/authenticate/")  # the code form from A
    done = browser.post(  # ...answered on B, which knows the half-finished sign-in
        f"{b}/accounts/2fa/authenticate/",
        {"csrfmiddlewaretoken": _csrf(form.text), "code": code},
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text[-500:]
    assert browser.get(f"{a}/", allow_redirects=False).status_code == 200  # signed in on A
    assert browser.get(f"{b}/", allow_redirects=False).status_code == 200  # and on B

    # The same code again, on the other replica: refused (used codes are in the shared cache).
    replay_form = other.get(f"{b}/accounts/2fa/authenticate/")
    replay = other.post(
        f"{a}/accounts/2fa/authenticate/",
        {"csrfmiddlewaretoken": _csrf(replay_form.text), "code": code},
        allow_redirects=False,
    )
    assert _code(secret) == code  # still the current code: refused as used, not as stale
    assert replay.status_code == 200
    assert other.get(f"{b}/", allow_redirects=False).status_code == 302  # not signed in

    # A form loaded on A and saved on B, with A's CSRF token and session cookie.
    page = browser.get(f"{a}/notifications/preferences/")
    assert page.status_code == 200
    saved = browser.post(
        f"{b}/notifications/preferences/",
        {"csrfmiddlewaretoken": _csrf(page.text), "email_mode": "digest"},
        allow_redirects=False,
    )
    assert saved.status_code == 302 and saved.headers["Location"] == "/notifications/"
    assert NotificationPreference.objects.get(user=user).email_mode == "digest"
    after = browser.get(f"{a}/notifications/")  # the result (and the message) on A
    assert "Your reminder preference is saved." in after.text
    again = browser.get(f"{a}/notifications/preferences/").text
    assert re.search(r'value="digest"[^>]*checked', again)

    # Signing out on B ends the session on A too.
    home = browser.get(f"{a}/accounts/logout/")
    out = browser.post(
        f"{b}/accounts/logout/",
        {"csrfmiddlewaretoken": _csrf(home.text)},
        allow_redirects=False,
    )
    assert out.status_code == 302
    assert browser.get(f"{a}/", allow_redirects=False).status_code == 302
