"""The referral journey in real headless Chromium: referral, decision, consent, refusal."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ecm.models import Case
from referrals import services
from referrals.demo import minimal_pdf
from referrals.models import ACE_HOUSEHOLD, ACE_MALTREATMENT, COMPLEXITY_CPN, COMPLEXITY_YND
from tests.conftest import login, open_navigation
from tests.factories import CaseFactory
from tests.referrals.conftest import full_answers, pdf_upload

# serialized_rollback: live_server tests flush the database; this brings back the rule sets
# that a data migration installed.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _fill_referral(page):
    page.get_by_label("Case manager contact number").fill("01632 960555")
    page.get_by_label("Reason for this referral").fill("Escalating violence after a bereavement.")
    page.get_by_label("Why ECM will make a difference").fill(
        "The network needs one shared understanding of what lies behind the behaviour."
    )
    page.get_by_label("Current status (order or disposal)").select_option("yro")
    started = timezone.localdate() - dt.timedelta(days=30)
    page.get_by_label("Start date").fill(started.isoformat())
    page.get_by_label("Length (months)").fill("12")
    page.get_by_label("Number of previous YOT interventions").fill("2")
    page.get_by_label("Repeat offender?").select_option("true")
    # The AssetPlus ratings, chosen by their words.
    page.get_by_label("Risk of reoffending").select_option(label="High (YOGRS 77-100%)")
    page.get_by_label("Vulnerability (risk of harm to self)").select_option(label="Medium")
    page.get_by_label("Risk of serious harm to others").select_option(label="Very high")
    cpn = ["Current", "Previous", "Don't know", "Never"]
    for i, (_name, label) in enumerate(COMPLEXITY_CPN):
        page.get_by_label(f"{label}: {cpn[i]}", exact=True).check()
    ynd = ["Yes", "No", "Don't know"]
    for i, (_name, label) in enumerate(COMPLEXITY_YND):
        page.get_by_label(f"{label}: {ynd[i % 3]}", exact=True).check()
    ace = ["Yes", "Don't know", "No"]
    for i, (_name, label) in enumerate(ACE_MALTREATMENT + ACE_HOUSEHOLD):
        page.get_by_label(f"{label}: {ace[i % 3]}", exact=True).check()
    page.get_by_label("AssetPlus assessment (PDF or Word)").set_input_files(
        {
            "name": "AssetPlus.pdf",
            "mimeType": "application/pdf",
            "buffer": minimal_pdf("AssetPlus browser test"),
        }
    )


def test_referral_decision_consent_and_refusal(browser, live_server, shipped_rule_sets, world):
    base = live_server.url
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    child = case.child

    # The case manager assesses readiness, completes the referral and submits it.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "cm_a")
    page.goto(base + reverse("case_detail", args=[case.pk]))
    page.get_by_role("button", name="Assessed as ready: start the referral").click()
    page.get_by_role("heading", name=f"ECM referral for {child.full_name}").wait_for()
    _fill_referral(page)
    page.get_by_role("button", name="Submit referral").click()
    page.get_by_text("Referral submitted to the senior practitioner.").wait_for()
    assert page.locator(".status-badge").first.inner_text() == "Referred – awaiting decision"
    context.close()
    case.refresh_from_db()
    referral = case.referral
    assert referral.status == "submitted"
    assert referral.cx_slcn == "dont_know"  # "Don't know" stored as such
    assert referral.cx_other_social_care == "dont_know"  # in the current/previous/never rows too
    assert (referral.risk_reoffending, referral.risk_harm_self, referral.risk_harm_others) == (
        3,
        2,
        4,
    )
    assert referral.assetplus_name == "AssetPlus.pdf"

    # A second referral, for another child, is waiting too.
    other = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="ready")
    second = services.referral_start(actor=world.case_manager, case=other)
    answers = full_answers() | {"disposal": "youth_caution", "order_length_months": 3}
    services.referral_save(
        actor=world.case_manager, referral=second, data=answers, upload=pdf_upload()
    )
    services.referral_submit(actor=world.case_manager, referral=second)

    # The central team's senior practitioner checks eligibility and accepts.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "sp_c")
    open_navigation(page)
    page.get_by_role("link", name="Referral queue").click()
    page.get_by_role("heading", name="Referrals awaiting a decision").wait_for()
    page.get_by_role("link", name=f"Check and decide {child.full_name}").click()
    page.get_by_role("heading", name=f"Eligibility check: {child.full_name}").wait_for()
    expect(page.get_by_text("Suggested because")).to_have_count(4)
    page.get_by_label("Accepted", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Decision recorded: Accepted").wait_for()
    assert page.locator(".status-badge").first.inner_text() == "Accepted – awaiting consent"

    # The second referral is refused: six months of involvement are not there.
    page.goto(base + reverse("referrals:check", args=[other.pk]))
    six_months = page.get_by_role("group", name="At least six months")
    assert six_months.get_by_label("Not met").is_checked()  # pre-filled from the referral
    page.get_by_label("Criteria not met", exact=True).check()
    page.get_by_label("Less than six months of YOT involvement").check()
    page.get_by_label("Reasons and notes").fill("Caution ends within three months.")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Decision recorded: Criteria not met").wait_for()
    page.goto(base + reverse("referrals:edit", args=[other.pk]))
    history = page.get_by_role("region", name="Referral history")
    assert history.get_by_text("Less than six months of YOT involvement").is_visible()
    assert history.get_by_text("Caution ends within three months.").is_visible()
    context.close()
    other.refresh_from_db()
    assert other.status == "not_accepted"

    # The case manager records consent; the case moves to preparation.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "cm_a")
    page.goto(base + reverse("referrals:consent", args=[case.pk]))
    page.get_by_label("Consent*", exact=True).select_option("ecm_child")
    page.get_by_role("button", name="Record consent").click()
    page.get_by_text("Consent recorded.").wait_for()
    assert page.get_by_text("the parent/carer's general YOT consent is needed").is_visible()
    page.get_by_label("Consent*", exact=True).select_option("parent_general")
    page.get_by_label("Name of parent/carer (general YOT consent)").fill("Jo Carer")
    page.get_by_role("button", name="Record consent").click()
    page.get_by_text("Valid ECM consent is in place.").wait_for()
    context.close()
    assert Case.objects.get(pk=case.pk).status == "preparation"
