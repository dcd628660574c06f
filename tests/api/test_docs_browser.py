"""In Chromium: the tokens page (axe-core clean, a token made and shown once) and the API
documentation from vendored Swagger UI, with no CSP violation (the browser fixture fails a
test on any)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.conftest import build_world
from tests.ecm.test_csp_browser import settle, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tokens_page_and_api_docs(browser, live_server):
    w = build_world()
    context = signed_in_context(browser, live_server.url, w.manager)
    page = context.new_page()
    page.goto(live_server.url + reverse("api:tokens"))
    page.get_by_label("Integration").fill("ChildView")
    page.get_by_label("Record offences").check()
    page.get_by_role("button", name="Make the token").click()
    secret = page.get_by_label("New token").input_value()
    assert secret.startswith("ecm_")
    violations = Axe().run(page).response["violations"]
    assert not violations, [v["id"] for v in violations]

    page.goto(live_server.url + reverse("api:docs"))
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=15000)
    assert page.locator(".swagger-ui").get_by_text("/api/v1/cases/{id}/offences/").count()
    settle(page)
    context.close()
