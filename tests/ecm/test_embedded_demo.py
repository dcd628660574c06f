"""The embedded default of `make run` (SQLite, filesystem broker) under ordinary concurrent use.

A real web server and a real Celery worker run on one SQLite file in a temporary folder, with
the development settings `make run` uses. Three people sign in through HTTP and write at once
(case pages, which audit every view; starting reports; allocation; preferences) while the
worker writes too (heartbeats on one row, reminder sweeps). Nothing may fail: no 500, no
"database is locked" in either log, every task and every report start done.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.manage_py import ROOT, manage, sqlite_demo_env

PASSWORD = "ecm-demo-password"  # noqa: S105 (the documented demo password)
HEARTBEATS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SHELL_CASES = """
import json
from formulation.models import Meeting, Report
held = Meeting.objects.filter(status="held").values_list("case_id", flat=True)
no_report = sorted(set(held) - set(Report.objects.values_list("case_id", flat=True)))
from ecm.models import Case
active = sorted(Case.objects.filter(team__code="northgate-yot", status="active")
                .values_list("pk", flat=True))
print(json.dumps({"no_report": no_report, "northgate_active": active}))
"""

SHELL_QUEUE = f"""
from ecm.tasks import heartbeat, sweep_reminders
for i in range({HEARTBEATS}):
    heartbeat.delay()
    if i % 10 == 0:
        sweep_reminders.delay()
"""

SHELL_AFTER = """
import json
from formulation.models import Report
print(json.dumps({"reports": sorted(Report.objects.values_list("case_id", flat=True))}))
"""


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    env = sqlite_demo_env(tmp, DEMO_PASSWORD=PASSWORD)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "-v0")
    port = _free_port()
    logs = {name: open(tmp / f"{name}.log", "w+") for name in ("web", "worker")}  # noqa: SIM115
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=logs["web"],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ecm",
                "worker",
                "--pool=threads",
                "--concurrency=2",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310
            break
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, "the demo server did not start"
            time.sleep(0.3)
    try:
        yield {"base": base, "env": env, "logs": logs, "tmp": tmp}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)
        for log in logs.values():
            log.close()


class Browser:
    """A person at a browser: a cookie jar, sign-in through the login form, CSRF-checked
    POSTs (the token from the cookie, as htmx sends it)."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.statuses: list[tuple[str, int]] = []
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        self.post(
            "/accounts/login/",
            {"login": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert any(c.name == "sessionid" for c in self.jar), f"{username} could not sign in"

    def _open(self, request) -> str:
        try:
            with self.opener.open(request, timeout=60) as response:
                self.statuses.append((request.full_url, response.status))
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            self.statuses.append((request.full_url, exc.code))
            return exc.read().decode()

    def get(self, path: str) -> str:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310

    def post(self, path: str, data: dict) -> str:
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        request = urllib.request.Request(  # noqa: S310
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"X-CSRFToken": csrf, "Referer": self.base + path},
        )
        return self._open(request)


def test_concurrent_web_and_worker_writes_on_sqlite(demo_site):
    base, env = demo_site["base"], demo_site["env"]
    cases = json.loads(manage(env, "shell", "-v0", "-c", SHELL_CASES))
    assert cases["no_report"], "the demo should have held meetings whose report is not started"
    assert cases["northgate_active"]
    failures: list[str] = []
    browsers: list[Browser] = []
    start = threading.Barrier(3)

    def psychologist():
        me = Browser(base, "psychologist")
        browsers.append(me)
        start.wait()
        for pk in cases["no_report"]:
            me.get(f"/cases/{pk}/")
            me.post(f"/cases/{pk}/report/start/", {})
            me.get(f"/cases/{pk}/report/")

    def case_manager():
        me = Browser(base, "casemanager")
        browsers.append(me)
        start.wait()
        for _round in range(4):
            for pk in cases["northgate_active"]:
                me.get(f"/cases/{pk}/")
            me.post("/notifications/preferences/", {"email_mode": "digest"})
            me.get("/notifications/")

    def senior():
        me = Browser(base, "senior")
        browsers.append(me)
        start.wait()
        for _round in range(4):
            for pk in cases["northgate_active"]:
                me.get(f"/cases/{pk}/")
            me.get("/")

    def run(fn):
        try:
            fn()
        except Exception as exc:  # reported below, with the responses
            failures.append(f"{fn.__name__}: {exc!r}")

    threads = [
        threading.Thread(target=run, args=(fn,)) for fn in (psychologist, case_manager, senior)
    ]
    for thread in threads:
        thread.start()
    manage(env, "shell", "-v0", "-c", SHELL_QUEUE)  # the worker writes while the browsers do
    for thread in threads:
        thread.join(timeout=180)

    worker_log = demo_site["logs"]["worker"]
    deadline = time.monotonic() + 90
    while True:
        worker_log.seek(0)
        text = worker_log.read()
        done = len(re.findall(r"Task ecm\.heartbeat\[[^\]]+\] succeeded", text))
        if done >= HEARTBEATS or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    demo_site["logs"]["web"].seek(0)
    web_log = demo_site["logs"]["web"].read()
    assert not failures, failures
    errors = [(url, status) for b in browsers for url, status in b.statuses if status >= 500]
    assert not errors, (errors, web_log[-3000:])
    assert "database is locked" not in web_log
    assert "database is locked" not in text
    assert " raised unexpected" not in text and "Traceback" not in text, text[-3000:]
    assert done == HEARTBEATS, f"the worker finished {done} of {HEARTBEATS} tasks"
    after = json.loads(manage(env, "shell", "-v0", "-c", SHELL_AFTER))
    assert set(cases["no_report"]) <= set(after["reports"])


def test_demo_error_pages_are_the_products_own(demo_site):
    """The demo runs with DEBUG off: a missing page is the product's 404, not Django's
    debug page (which lists the URLconf)."""
    person = Browser(demo_site["base"], "casemanager")
    page = person.get("/no-such-page/")
    assert person.statuses[-1][1] == 404
    assert "Page not found" in page
    assert "Using the URLconf" not in page and "Traceback" not in page


def test_demo_dashboard_opens_on_seeded_figures_and_its_worker_computes_a_new_choice(demo_site):
    """The demo's dashboard shows the figures seed_demo computed; a period nobody has looked
    at waits for the worker (on the embedded broker), which computes it."""
    manager = Browser(demo_site["base"], "manager")
    page = manager.get("/monitoring/")
    assert "Figures computed at" in page and 'id="headlines"' in page
    path = "/monitoring/?start=2025-01-01&end=2025-03-31"
    assert "being computed" in manager.get(path)
    deadline = time.monotonic() + 60
    while "Figures computed at" not in (page := manager.get(path)):
        assert time.monotonic() < deadline, "the worker did not compute the figures"
        time.sleep(0.5)
    assert 'id="headlines"' in page
    assert all(status < 500 for _url, status in manager.statuses)
