"""`make loadtest`'s users: the role mix of a YOT's working day, signing in through the form.

Case managers 6 : senior practitioners 2 : psychologists 1 : managers 1, each waiting 1-3 s
between pages (LOADTEST_WAIT_MIN/LOADTEST_WAIT_MAX to change). Each user takes one of the
accounts `manage.py loadtest_users` wrote to LOADTEST_USERS_FILE (JSON), signs in at start
through the real allauth form (GET for the CSRF cookie, POST `login` and `password`), then
moves between the pages that role uses all day, each request named by its page (not by its
URL with ids) so that locust's statistics group per endpoint. Every role also requests the
floor page (notification preferences), the page every other one is compared with.

Each user sends its own client address in X-Forwarded-For, as the TLS proxy in front of
production would. A page counts as failed when it does not answer 200 or when it lands on
the sign-in form (the session was lost). LOADTEST_TOUR=1 has each user visit every page of its
role once after signing in, and one user of each role is started whatever the number asked
for (tests/monitoring/test_loadtest.py).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, events, task

with open(os.environ["LOADTEST_USERS_FILE"], encoding="utf-8") as f:
    DATA = json.load(f)
URLS = DATA["urls"]
WAIT = between(
    float(os.environ.get("LOADTEST_WAIT_MIN", "1")), float(os.environ.get("LOADTEST_WAIT_MAX", "3"))
)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FLOOR = "floor: notification preferences"
TOUR = os.environ.get("LOADTEST_TOUR") == "1"

_addresses = itertools.count(1)
_accounts = {
    role: itertools.cycle([u for u in DATA["users"] if u["role"] == role] or [None])
    for role in ("case_manager", "senior_practitioner", "psychologist", "manager")
}


_environment = []
_started = itertools.count(1)


@events.init.add_listener
def _init(environment, **_kw):
    _environment.append(environment)


def _ramp_done():
    """With LOADTEST_RAMP_FILE set, once the last user has signed in: write what the ramp did
    (the sign-ins, the first pages), then start the statistics afresh, so that locust's CSV
    holds the steady state alone (as `--reset-stats` does at the end of spawning, but after
    the sign-ins, and with the ramp kept for the report)."""
    path = os.environ.get("LOADTEST_RAMP_FILE")
    if not path:
        return
    environment = _environment[0]
    rows = [
        {
            "name": e.name,
            "requests": e.num_requests,
            "failures": e.num_failures,
            **{f"p{q}": e.get_response_time_percentile(q / 100) for q in (50, 95, 99)},
        }
        for e in environment.stats.entries.values()
    ]
    errors = [
        {"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"endpoints": rows, "errors": errors}, f)
    environment.stats.reset_all()


class StaffUser(HttpUser):
    abstract = True
    wait_time = WAIT
    role = ""
    fixed_count = 1 if TOUR else 0

    def on_start(self):
        self.account = next(_accounts[self.role])
        if self.account is None:
            raise RuntimeError(f"no {self.role} in {os.environ['LOADTEST_USERS_FILE']}")
        # Each user at a desk of their own: the address the TLS proxy would put in
        # X-Forwarded-For (ecm/settings/loadtest.py trusts one proxy, as production does).
        n = next(_addresses)
        self.client.headers["X-Forwarded-For"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        self.sign_in()
        if TOUR:  # every page of the role once, first (the test suite's check)
            for page in dict.fromkeys(self.tasks):
                page(self)
        if next(_started) == self.environment.runner.target_user_count:
            _ramp_done()

    def sign_in(self):
        login = URLS["login"]
        with self.client.get(login, name="sign-in form", catch_response=True) as r:
            match = CSRF_INPUT.search(r.text or "")
            if r.status_code != 200 or not match:
                r.failure(f"sign-in form: {r.status_code}, no CSRF token")
                return
        form = {"login": self.account["login"], "password": DATA["password"]}
        form["csrfmiddlewaretoken"] = match.group(1)
        with self.client.post(
            login, data=form, name="sign-in", catch_response=True, headers={"Referer": login}
        ) as r:
            if r.status_code != 200 or r.url.split("?")[0].endswith(login):
                r.failure(f"sign-in refused for {self.account['login']} ({r.status_code})")

    def page(self, name: str, url: str):
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
            elif URLS["login"] in r.url:
                r.failure("landed on the sign-in form (session lost)")

    def one_of(self, key: str) -> str:
        return random.choice(self.account[key])

    # Every role.
    @task(2)
    def floor(self):
        self.page(FLOOR, URLS["floor"])

    def home(self):
        self.page(f"home ({self.role.replace('_', ' ')})", URLS["home"])


class CaseManager(StaffUser):
    weight = 6
    role = "case_manager"

    @task(3)
    def home_page(self):
        self.home()

    @task(2)
    def case_list(self):
        self.page("case list", URLS["case_list"])

    @task(4)
    def case_page(self):
        self.page("case page", self.one_of("cases"))


class SeniorPractitioner(StaffUser):
    weight = 2
    role = "senior_practitioner"

    @task(2)
    def home_page(self):
        self.home()

    @task(1)
    def case_list(self):
        self.page("case list", URLS["case_list"])

    @task(2)
    def case_page(self):
        self.page("case page", self.one_of("cases"))

    @task(2)
    def meeting(self):
        self.page("meeting page", self.one_of("meetings"))

    @task(1)
    def timeline(self):
        self.page("timeline page", self.one_of("timelines"))

    @task(1)
    def waiting_list(self):
        self.page("waiting list", URLS["waiting_list"])

    @task(1)
    def referral_queue(self):
        self.page("referral queue", URLS["referral_queue"])


class Psychologist(StaffUser):
    weight = 1
    role = "psychologist"

    @task(2)
    def home_page(self):
        self.home()

    @task(1)
    def case_list(self):
        self.page("case list", URLS["case_list"])

    @task(1)
    def case_page(self):
        self.page("case page", self.one_of("cases"))

    @task(2)
    def meeting(self):
        self.page("meeting page", self.one_of("meetings"))

    @task(2)
    def timeline(self):
        self.page("timeline page", self.one_of("timelines"))

    @task(2)
    def supervision(self):
        self.page("supervision", URLS["supervision"])


class Manager(StaffUser):
    weight = 1
    role = "manager"

    @task(1)
    def home_page(self):
        self.home()

    @task(2)
    def dashboard(self):
        self.page("dashboard", URLS["dashboard"])

    @task(1)
    def profile(self):
        self.page("dashboard: profile", URLS["profile"])

    @task(1)
    def fidelity(self):
        self.page("dashboard: model fidelity", URLS["fidelity"])

    @task(1)
    def trends(self):
        self.page("dashboard: trends", URLS["trends"])

    @task(1)
    def case_list(self):
        self.page("case list", URLS["case_list"])
