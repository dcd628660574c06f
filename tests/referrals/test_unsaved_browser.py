"""The referral form saves its draft by itself, in real headless Chromium (issue 18): the case
manager types the reason, the page says "Saved at ..." and the next "Save draft" is taken."""

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import Referral
from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Typed, not saved by hand: escalating violence after a bereavement."


def test_the_referral_saves_itself(browser, live_server, world, potential_case):
    services.referral_mark_ready(actor=world.case_manager, case=potential_case)
    referral = services.referral_start(actor=world.case_manager, case=potential_case)
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script("window.ecmAutosaveSeconds = 1")
    login(page, live_server.url, world.case_manager.username)
    page.goto(live_server.url + reverse("referrals:edit", args=[potential_case.pk]))
    page.get_by_label("Reason for this referral").fill(REASON)
    page.locator("#referral-autosave").get_by_text("Saved at").wait_for()
    saved = Referral.objects.get(pk=referral.pk)
    assert saved.reason == REASON
    assert saved.version == referral.version + 1
    page.get_by_label("Reason for this referral").fill(REASON + " More.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()  # not refused as a stale edit
    context.close()
    assert Referral.objects.get(pk=referral.pk).reason == REASON + " More."
