"""Reviews after formulation in real headless Chromium: the senior practitioner records a
review (progress on each recommendation, a reoffence), the psychologist records that the
child dropped a TRM stage and the overview's trajectory shows the drop, then the case
manager closes the case through the closure review and re-opens it as a new episode."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ecm.models import Case, Role
from formulation.meeting.services import trm_placement_save
from formulation.models import Meeting, Recommendation
from formulation.trm.selectors import stages_for
from referrals.models import Offence
from reviews.models import (
    Closure,
    OutcomeDomain,
    OutcomeSurvey,
    RecommendationProgress,
    Review,
    RiskRating,
    Transition,
    TRMStageRecord,
)
from tests.conftest import login, reload_migration_data
from tests.factories import CaseFactory, TeamFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECOMMENDATIONS = ("Same time and place every week", "Joint visit with social worker")
OFFENCE_TYPE = "Theft from a shop"
NEW_RECOMMENDATION = "Boxing club twice a week with the same coach"
EXPLANATION = "His foster placement broke down after the reoffence; he moved to a new carer."
NEXT_STEPS = "Handover meeting with his probation officer; the formulation report goes along."


@pytest.fixture
def trm_frameworks(django_db_blocker):
    reload_migration_data(django_db_blocker, "formulation.migrations.0002_trm_frameworks")


@pytest.fixture
def formulated_case(trm_frameworks):
    """An active case, opened four months ago, with a held formulation meeting two months
    ago: the child placed at stage 3 and two recommendations."""
    team = TeamFactory(name="Northgate YOT", code="northgate")
    casemanager = member(team, Role.CASE_MANAGER, username="casemanager")
    senior = member(team, Role.SENIOR_PRACTITIONER, username="senior")
    psychologist = member(team, Role.PSYCHOLOGIST, username="psychologist")
    case = CaseFactory(
        team=team,
        case_manager=casemanager,
        status="active",
        opened_on=timezone.localdate() - dt.timedelta(days=120),
    )
    held = timezone.now() - dt.timedelta(days=60)
    meeting = Meeting.objects.create(
        case=case,
        status=Meeting.Status.HELD,
        starts_at=held,
        held_at=held,
        location="Northgate YOT, room 2",
        chair=senior,
        psychologist=psychologist,
        created_by=senior,
    )
    stage_3 = stages_for(case).get(number=3)
    trm_placement_save(
        actor=psychologist,
        meeting=meeting,
        stage=stage_3,
        presentation="Talks about his losses when he trusts the adult in the room.",
        underlying_need="To make sense of what happened to him.",
        intervention_recommendation="Keep the same worker; life-story work.",
    )
    for n, text in enumerate(RECOMMENDATIONS, start=1):
        Recommendation.objects.create(
            meeting=meeting,
            case=case,
            intervention=text,
            owner_agency="yot",
            sequence=n,
            trm_stage=stage_3,
            created_by=psychologist,
        )
    return case


def test_review_trm_closure_and_reopen_journey(browser, live_server, formulated_case):
    base = live_server.url
    case = formulated_case
    today = timezone.localdate()
    overview_url = base + reverse("reviews:overview", args=[case.pk])
    case_url = base + reverse("case_detail", args=[case.pk])

    # 1. The senior practitioner records a review: progress on both recommendations and a
    # reoffence, no breach.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "senior")
    page.goto(overview_url)
    page.get_by_role("link", name="Record a review").click()
    page.get_by_role("button", name="Save the review").wait_for()
    assert page.get_by_label("Date of the review").input_value() == today.isoformat()
    six_weeks = today + dt.timedelta(weeks=6)
    assert page.get_by_label("Next review", exact=True).input_value() == six_weeks.isoformat()
    page.get_by_label("Progress on recommendation 1").select_option(label="Done")
    page.get_by_label("Progress on recommendation 2").select_option(label="In progress")
    page.get_by_label("Reoffended since the last meeting?").select_option(label="Yes")
    page.get_by_label("Offence 1: type").fill(OFFENCE_TYPE)
    offence_date = today - dt.timedelta(days=5)
    page.get_by_label("Offence 1: date").fill(offence_date.isoformat())
    page.get_by_label("Offence 1: gravity (1-8)").fill("3")
    page.get_by_label("Offence 1: outcome (disposal)").fill("Referral order extended")
    # A second offence: a row more, in place; what was typed stays.
    page.get_by_role("button", name="Add another offence").click()
    page.get_by_label("Offence 2: type").fill("Criminal damage")
    page.get_by_label("Offence 2: date").fill((today - dt.timedelta(days=2)).isoformat())
    page.get_by_label("Offence 2: gravity (1-8)").fill("2")
    assert page.get_by_label("Offence 1: type").input_value() == OFFENCE_TYPE
    # A new recommendation agreed at the review.
    page.get_by_role("button", name="Add a new recommendation").click()
    page.get_by_label("New recommendation 1", exact=True).fill(NEW_RECOMMENDATION)
    page.get_by_label("New recommendation 1: who (agency)").select_option(label="Other")
    page.get_by_label("New recommendation 1: who (name)").fill("Northgate boxing club")
    page.get_by_label("Breach since the last meeting?").select_option(label="No")
    page.get_by_role("button", name="Save the review").click()
    page.get_by_text("Review recorded.").wait_for()
    page.get_by_text(OFFENCE_TYPE).wait_for()
    page.get_by_text("Proposed at review: waiting for the psychologist").wait_for()
    context.close()

    review = Review.objects.get(case=case)
    assert review.reoffended is True
    assert review.breach is False
    assert review.held_on == today
    assert review.next_review_on == six_weeks
    offence, damage = Offence.objects.filter(case=case).order_by("date")
    assert list(review.offences.order_by("date")) == [offence, damage]
    assert (offence.offence_type, offence.date, offence.gravity, offence.disposal) == (
        OFFENCE_TYPE,
        offence_date,
        3,
        "Referral order extended",
    )
    assert (damage.offence_type, damage.gravity) == ("Criminal damage", 2)
    progress = {
        p.recommendation.sequence: p.status
        for p in RecommendationProgress.objects.filter(review=review).select_related(
            "recommendation"
        )
    }
    assert progress == {1: "done", 2: "in_progress"}

    # 2. The psychologist opens the review from the overview and records that the child is
    # at stage 2 now (stage 3 at formulation), with what explains the drop.
    stage_2 = stages_for(case).get(number=2)
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "psychologist")
    page.goto(overview_url)
    page.locator("#reviews").get_by_role("link", name=review.held_on.strftime("%-d %b %Y")).click()
    # The recommendation agreed at the review joins the formulation when she confirms it.
    page.get_by_role("button", name="Confirm into the formulation").click()
    page.get_by_text("Recommendation 3 is in the formulation").wait_for()
    assert case.recommendations.filter(intervention=NEW_RECOMMENDATION, sequence=3).exists()
    # The TRM stage now, on the review form itself (stage 3 at formulation shown beside it).
    page.get_by_role("link", name="Edit this review").click()
    trm = page.locator("#trm")
    trm.get_by_role("definition").get_by_text(str(stages_for(case).get(number=3))).wait_for()
    trm.get_by_label("TRM stage now").select_option(str(stage_2.pk))
    trm.get_by_label("What explains the change").fill(EXPLANATION)
    page.get_by_label("Progress on recommendation 3").select_option(label="Not started")
    page.get_by_role("button", name="Save the review").click()
    page.get_by_text("Review saved.").wait_for()
    assert page.locator("#trm").get_by_text(EXPLANATION).count() >= 1

    record = TRMStageRecord.objects.select_related("stage").get(review=review)
    assert record.stage.number == 2
    assert record.case_id == case.pk
    assert record.explanation == EXPLANATION

    page.goto(overview_url)
    svg = page.locator('#trajectory svg[data-kind="trajectory"]')
    svg.wait_for()
    # One segment, formulation (3) to the review (2): a drop, drawn dashed with "▼". The key
    # also shows a drop symbol, so look at the plotted segment itself.
    drops = svg.locator('g[data-kind="segment"][data-direction="drop"]')
    assert drops.count() == 1
    assert svg.locator('g[data-kind="segment"]').count() == 1
    assert drops.locator("line").get_attribute("stroke-dasharray") == "7 5"
    assert drops.locator('[data-kind="drop-glyph"]').text_content() == "▼"
    assert "Dropped from stage 3 to stage 2" in drops.locator("title").text_content()
    desc = svg.locator("desc").text_content()
    assert "Stage 3 at formulation" in desc
    assert "dropped to stage 2" in desc
    assert EXPLANATION in desc
    history = page.locator("#trajectory table")
    row = history.locator("tbody tr").filter(has_text=EXPLANATION)
    assert row.count() == 1
    assert str(stage_2) in row.inner_text()
    assert "Review" in row.inner_text()
    assert history.locator("tbody tr").count() == 2  # formulation and the review
    # The reviews list shows the stage recorded at the review.
    assert page.locator("#reviews tbody tr").first.locator("td").last.inner_text() == "2"
    context.close()

    # 3. The case manager closes the case through the closure review, then re-opens it.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "casemanager")
    page.goto(case_url)
    page.get_by_role("link", name="Close the case (closure review)").click()
    page.get_by_role("button", name="Close the case").wait_for()
    page.get_by_role("combobox", name="Reason").select_option(
        label="Turned 18 / transition to adult services"
    )
    page.get_by_label("Next steps agreed").fill(NEXT_STEPS)
    # The review held was a scheduled one, not a closure review: the form asks why.
    page.get_by_label("Why there was no closure review").fill("Closed at the last review.")
    page.get_by_label("Probation").check()
    page.get_by_label("Clinical opinion: the formulation").check()
    page.get_by_label("Recommendations").check()
    page.get_by_label("Risk of reoffending at closure").select_option(label="Medium (YOGRS 44-76%)")
    page.get_by_label("Risk of serious harm at closure").select_option(label="High")
    page.get_by_label("Vulnerability at closure").select_option(label="Very high")
    survey = page.locator("section[aria-labelledby='h-outcomes']")
    assert survey.locator("select").count() == 2 * len(OutcomeDomain.choices)
    for index, (_domain, label) in enumerate(OutcomeDomain.choices):
        # Each answer is found by its label, as a screen reader user finds it.
        survey.get_by_label(f"{label}: change").select_option(
            "improved" if index % 2 == 0 else "no_change"
        )
        survey.get_by_label(f"{label}: current level of concern").select_option("low")
    page.get_by_role("button", name="Close the case").click()
    page.get_by_text(f"Case {case.reference} is closed.").wait_for()
    assert page.locator(".case-header .status-badge").inner_text() == "Closed"

    case.refresh_from_db()
    assert case.status == "closed"
    assert case.closure_reason == "transition"
    assert case.closed_on == today
    closure = Closure.objects.get(case=case)
    assert closure.next_steps == NEXT_STEPS
    assert closure.reason == "transition"
    transition = Transition.objects.get(closure=closure)
    assert transition.destination == Transition.Destination.PROBATION
    assert sorted(transition.sections) == ["formulation", "recommendations"]
    risk = RiskRating.objects.get(case=case, point=RiskRating.Point.CLOSURE)
    assert (risk.reoffending, risk.serious_harm, risk.vulnerability) == (2, 3, 4)
    closing_survey = OutcomeSurvey.objects.get(case=case, point=OutcomeSurvey.Point.CLOSURE)
    assert closing_survey.ratings.count() == len(OutcomeDomain.choices)
    assert not closing_survey.ratings.exclude(concern="low").exists()

    page.get_by_role("button", name="Re-open as a new episode").click()
    page.get_by_text(f"linked to {case.reference}").wait_for()
    new_case = Case.objects.get(previous_case=case)
    assert Case.objects.filter(previous_case=case).count() == 1
    assert new_case.child_id == case.child_id
    assert new_case.case_manager.username == "casemanager"
    assert new_case.status != "closed"
    assert page.url.rstrip("/").endswith(reverse("case_detail", args=[new_case.pk]).rstrip("/"))

    # The old episode's reviews are read-only now.
    page.goto(overview_url)
    page.get_by_text(f"Case {case.reference} is closed: it is read-only.").wait_for()
    assert page.get_by_role("link", name="Record a review").count() == 0
    assert page.get_by_role("link", name="Close the case (closure review)").count() == 0
    page.locator("#reviews").get_by_role("link").first.click()
    page.get_by_text("The case is closed, so this review is read-only.").wait_for()
    assert page.get_by_role("link", name="Edit this review").count() == 0
    context.close()
