"""Reviews after formulation in real headless Chromium: the senior practitioner records a
review (progress on each recommendation, a reoffence), the psychologist records that the
child dropped a TRM stage and the overview's trajectory shows the drop, then the case
manager closes the case through the closure review and re-opens it as a new episode. A
second journey re-opens a case without a new formulation meeting."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ecm.models import Case, Role
from formulation.meeting.services import trm_placement_save
from formulation.models import Meeting, Recommendation
from formulation.trm.selectors import stages_for
from referrals.demo import minimal_pdf
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

    # Re-opening asks why, on its own page.
    page.get_by_role("link", name="Re-open as a new episode").click()
    page.get_by_label("Returned from custody or the area").check()
    assert page.get_by_label("Case manager of the new episode").input_value() == str(
        case.case_manager_id
    )
    page.get_by_role("button", name="Re-open as a new episode").click()
    page.get_by_text(f"linked to {case.reference}").wait_for()
    new_case = Case.objects.get(previous_case=case)
    assert new_case.reopen_reason == "returned_from_custody"
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


@pytest.fixture
def closed_episode(formulated_case, django_db_blocker):
    """`formulated_case` after a whole episode: its referral (decided), the child's and
    parent's ECM consent signed two months ago, a final formulation report, then closed
    through the closure review."""
    from formulation.report import services as report_services
    from referrals.models import LEAFLET_VERSION, Consent, Referral
    from reviews.services import case_close_with_review
    from tests.referrals.conftest import full_answers

    reload_migration_data(django_db_blocker, "referrals.migrations.0002_rule_sets")
    case = formulated_case
    team = case.team
    cm = case.case_manager
    senior = team.memberships.get(role=Role.SENIOR_PRACTITIONER).user
    psychologist = team.memberships.get(role=Role.PSYCHOLOGIST).user
    Referral.objects.create(case=case, status="decided", referrer=cm, **full_answers())
    signed = timezone.localdate() - dt.timedelta(days=60)
    for kind, name in (("ecm_child", ""), ("parent_general", "Ann Parent")):
        Consent.objects.create(
            case=case,
            kind=kind,
            date=signed,
            explained_by=cm,
            recorded_by=cm,
            signatory_name=name,
            leaflet_version=LEAFLET_VERSION if kind == "ecm_child" else "",
        )
    report = report_services.report_start(actor=psychologist, case=case)
    report_services.report_save(
        actor=psychologist,
        report=report,
        data={
            "formulation": "Survival strategies learnt early.",
            "voice": "He wants to box.",
            "summary": "s",
            "needs": "n",
            "trm": "t",
            "plan": "p",
        },
        expected_revision=report.revision,
    )
    report_services.report_send_for_check(actor=psychologist, report=report)
    report_services.report_approve(actor=senior, report=report)
    report.refresh_from_db()
    report_services.report_finalise(
        actor=psychologist, report=report, expected_revision=report.revision
    )
    case_close_with_review(
        actor=cm,
        case=case,
        reason="order_completed",
        closed_on=timezone.localdate(),
        next_steps="Order completed; the family knows how to come back.",
        transitions={},
        risk={"reoffending": 2, "serious_harm": 1, "vulnerability": 2},
        outcomes=dict.fromkeys(OutcomeDomain.values, ("improved", "low")),
        no_review_reason="Order ended early.",
    )
    case.refresh_from_db()
    return case


def test_reopening_without_a_new_formulation_meeting(browser, live_server, closed_episode):
    """The case manager re-opens the case (the child reoffended), updates the pre-filled
    referral and submits it; the senior practitioner accepts it and the consent, still
    valid, carries forward; the psychologist records that no new meeting is needed: the
    episode is active on the carried-forward formulation, with its first review to arrange."""
    base = live_server.url
    old = closed_episode
    today = timezone.localdate()

    # 1. The case manager re-opens the case from its page, saying why.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "casemanager")
    page.goto(base + reverse("case_detail", args=[old.pk]))
    page.get_by_role("link", name="Re-open as a new episode").click()
    page.get_by_role("button", name="Re-open as a new episode").click()  # no reason yet
    page.get_by_text("Choose an answer to “Why is the case re-opened?”").first.wait_for()
    page.get_by_label("Reoffended: further YOT involvement").check()
    page.get_by_role("button", name="Re-open as a new episode").click()
    page.get_by_text(f"linked to {old.reference}").wait_for()
    new = Case.objects.get(previous_case=old)
    assert page.locator(".status-badge").first.inner_text() == "Ready for referral"

    # 2. The referral starts as a copy of the last one; the case manager updates the reason,
    # attaches the current AssetPlus and submits it; the page lists what changed.
    page.get_by_role("button", name="Start the referral form").click()
    page.get_by_text("this referral is pre-filled from the last episode's").wait_for()
    reason = page.get_by_label("Reason for this referral")
    assert reason.input_value() == old.referral.reason
    reason.fill("Reoffended (burglary) a month after the order ended.")
    page.get_by_label("AssetPlus assessment (PDF or Word)").set_input_files(
        {"name": "AssetPlus.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf("A+")}
    )
    page.get_by_role("button", name="Submit referral").click()
    page.get_by_text("Referral submitted to the senior practitioner.").wait_for()
    page.goto(base + reverse("referrals:changes", args=[new.pk]))
    changed = page.locator("#changes-heading + table tbody tr")
    assert changed.count() == 1
    assert "Reoffended (burglary)" in changed.first.inner_text()
    context.close()

    # 3. The senior practitioner accepts it: the consent carries forward, no waiting.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "senior")
    page.goto(base + reverse("referrals:check", args=[new.pk]))
    page.get_by_label("Accepted", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Decision recorded: Accepted").wait_for()
    assert page.locator(".status-badge").first.inner_text() == "Preparing for formulation"
    page.goto(base + reverse("referrals:consent", args=[new.pk]))
    page.get_by_text("Valid ECM consent is in place.").wait_for()
    assert page.get_by_text("Carried forward", exact=True).count() == 2
    context.close()

    # 4. The psychologist records that no new formulation meeting is needed.
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "psychologist")
    page.goto(base + reverse("case_detail", args=[new.pk]))
    page.get_by_role("link", name="Record the decision").click()
    page.get_by_label("Not needed: carry the formulation forward").check()
    page.get_by_label("Who agreed, and why").fill("Agreed with the case manager on the phone.")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_text(f"Formulation carried forward: {new.reference} is active.").wait_for()
    assert page.locator(".status-badge").first.inner_text() == "Active"
    page.get_by_text("Arrange the first review of this episode", exact=True).wait_for()
    page.goto(base + reverse("formulation:report", args=[new.pk]))
    page.get_by_text("Draft of version 1").wait_for()  # the last final text, to update
    assert "Survival strategies learnt early." in page.content()
    context.close()

    # 5. The case manager arranges that first review from the case page (the episode works
    # from the carried-forward formulation).
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "casemanager")
    page.goto(base + reverse("case_detail", args=[new.pk]))
    page.get_by_role("link", name="Arrange the review meeting").click()
    when = timezone.localtime() + dt.timedelta(days=14)
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT14:00"))
    page.get_by_label("Place").fill("Northgate YOT, room 1")
    page.get_by_role("button", name="Arrange the review").click()
    page.get_by_text("Review meeting arranged. Now invite the professionals.").wait_for()
    assert Meeting.objects.reviews().filter(case=new).count() == 1
    context.close()

    new.refresh_from_db()
    assert new.status == "active"
    assert new.formulation_decision == "carried_forward"
    assert new.first_review_on == today + dt.timedelta(weeks=6)
    assert new.consents.filter(carried_forward_from__isnull=False).count() == 2
    assert not Meeting.objects.formulation().filter(case=new).exists()
    assert new.report.formulation == "Survival strategies learnt early."
