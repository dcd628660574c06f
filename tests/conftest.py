"""Shared fixtures. Three standing characters in the healthchecks style: a member of the
child's team, a colleague in another team, and an outsider with no team at all."""

import os
from types import SimpleNamespace

import pytest
from django.urls import reverse

from ecm.models import Role, Team
from tests import csp_watch
from tests.factories import CaseFactory, TeamFactory, UserFactory, member


@pytest.fixture(autouse=True)
def _fresh_cache():
    """django-allauth keeps rate-limit counters and used TOTP codes in the cache (local
    memory in tests): each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def world(db):
    return build_world()


def build_world():
    central = TeamFactory(name="Central ECM", code="central", kind=Team.Kind.CENTRAL)
    yot_a = TeamFactory(name="Alpha YOT", code="alpha", central_team=central)
    yot_b = TeamFactory(name="Bravo YOT", code="bravo", central_team=central)
    w = SimpleNamespace(central=central, yot_a=yot_a, yot_b=yot_b)
    # Members of Alpha YOT, one per role.
    w.case_manager = member(yot_a, Role.CASE_MANAGER, username="cm_a")
    w.case_manager_2 = member(yot_a, Role.CASE_MANAGER, username="cm_a2")
    w.senior = member(yot_a, Role.SENIOR_PRACTITIONER, username="sp_a")
    w.psychologist = member(yot_a, Role.PSYCHOLOGIST, username="psy_a")
    w.manager = member(yot_a, Role.MANAGER, username="mgr_a")
    w.team_admin = member(yot_a, Role.ADMIN, username="adm_a")
    # A colleague in another team, for every role.
    w.other_case_manager = member(yot_b, Role.CASE_MANAGER, username="cm_b")
    w.other_senior = member(yot_b, Role.SENIOR_PRACTITIONER, username="sp_b")
    w.other_manager = member(yot_b, Role.MANAGER, username="mgr_b")
    # Central team roles.
    w.central_senior = member(central, Role.SENIOR_PRACTITIONER, username="sp_c")
    w.central_psychologist = member(central, Role.PSYCHOLOGIST, username="psy_c")
    w.central_case_manager = member(central, Role.CASE_MANAGER, username="cm_c")
    # Outsiders: no team at all, and a superuser with no team.
    w.outsider = UserFactory(username="outsider")
    w.superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    w.case = CaseFactory(team=yot_a, case_manager=w.case_manager, status="active")
    w.referred_case = CaseFactory(
        team=yot_a, referred_to=central, case_manager=w.case_manager, status="referred"
    )
    w.other_case = CaseFactory(team=yot_b, case_manager=w.other_case_manager, status="active")
    return w


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own database
    # calls are still synchronous, so allow them for the length of these tests only.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    executable = os.environ.get("ECM_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield csp_watch.watching(browser)  # every page reports CSP violations (issue 19)
        browser.close()
    if saved is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture(autouse=True)
def no_csp_violation():
    """A browser test fails if any page it opened refused something under the CSP."""
    csp_watch.take()
    yield
    found = csp_watch.take()
    assert not found, "Content Security Policy violations:\n" + "\n".join(found)


def login(page, base, username, password="correct-horse-battery"):  # noqa: S107
    page.goto(base + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def reload_migration_data(django_db_blocker, module: str) -> None:
    """Run a data migration's `load` again: tests on a live server (transaction=True) flush
    the database between tests, which removes what data migrations installed."""
    from importlib import import_module

    from django.apps import apps

    with django_db_blocker.unblock():
        import_module(module).load(apps, None)
        # ...and the Welsh of that reference data (issue 23).
        welsh = WELSH_DATA_MIGRATIONS[module.split(".")[0]]
        import_module(welsh).both_languages(apps, None)


WELSH_DATA_MIGRATIONS = {
    "referrals": "referrals.migrations.0009_rule_sets_in_welsh",
    "formulation": "formulation.migrations.0010_trm_in_welsh",
}


def open_navigation(page) -> None:
    """Open the main navigation when it is collapsed behind its toggle (as it is at 1280 px
    for roles with many links); does nothing when it is laid out in full."""
    toggler = page.locator("nav.navbar .navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#nav-main.show").wait_for()
