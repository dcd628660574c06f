"""Subject access in real headless Chromium, with a real Celery worker and Redis: the child's
team manager opens the case, records a request, reviews the third-party information (the
review form has no axe-core violation), withholds a family member with a reason, releases,
watches the worker's progress (htmx polling under the CSP) and downloads the zip, whose JSON
lists the withheld item and its reason and holds no trace of it."""

import io
import json
import zipfile

import pytest
from axe_playwright_python.sync_playwright import Axe
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from ecm.celery import app
from monitoring.subject_access.models import RedactionItem, SubjectAccessRequest
from tests.conftest import build_world, login
from tests.monitoring.test_subject_access import fill_record

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db):
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests need REDIS_URL"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def test_a_manager_produces_a_redacted_bundle(browser, live_server, worker):
    world = build_world()
    case = fill_record(world)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    login(page, base, "mgr_a")
    page.locator("form[action$='/logout/'] button").wait_for(state="attached")
    page.goto(base + reverse("case_detail", args=[case.pk]))
    page.get_by_role("link", name="Subject access requests for this child").click()
    page.get_by_label("Who asked").fill("The child")
    page.get_by_role("button", name="Record the request").click()
    expect(page.get_by_role("heading", name="Third-party information to review")).to_be_visible()
    violations = Axe().run(page).response["violations"]
    assert not violations, [v["id"] for v in violations]

    sar = SubjectAccessRequest.objects.get()
    for item in sar.items.all():
        if item.label.startswith("Uncle Secretive"):
            page.locator(f"input[name='decision_{item.pk}'][value='withhold']").check()
            page.locator(f"input[name='reason_{item.pk}']").fill("Not known to the child")
        else:
            page.locator(f"input[name='decision_{item.pk}'][value='release']").check()
    page.get_by_role("button", name="Save the decisions").click()
    page.get_by_role("button", name="Release and build the bundle").click()
    link = page.get_by_role("link", name="Download the bundle (zip)")
    expect(link).to_be_visible(timeout=30_000)  # the page polled the worker's progress
    with page.expect_download() as info:
        link.click()
    data = info.value.path().read_bytes()
    context.close()

    zf = zipfile.ZipFile(io.BytesIO(data))
    bundle = json.loads(zf.read("data.json"))
    assert bundle["withheld"][0]["reason"] == "Not known to the child"
    assert bundle["withheld"][0]["kind"] == str(RedactionItem.Kind.FAMILY_MEMBER.label)
    assert "Uncle Secretive" not in zf.read("data.json").decode()
    assert "Uncle Secretive" not in zf.read("index.html").decode()
    assert case.child.full_name in zf.read("index.html").decode()
