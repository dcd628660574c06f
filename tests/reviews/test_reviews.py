"""Reviews, actions, contacts, TRM trajectory, risk and outcomes, closure and re-opening."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm import services as core
from ecm.dates import display_date
from ecm.editing import StaleEditError
from ecm.models import Case
from formulation.models import TimelineEvent, TRMFramework
from formulation.timeline import services as timeline_services
from referrals.models import Offence
from reviews import selectors, services
from reviews.models import (
    Action,
    Contact,
    OutcomeDomain,
    RecommendationProgress,
    Review,
    ReviewOffence,
    ReviewRecommendation,
    TRMStageRecord,
)

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _today():
    """TODAY is read when each test starts, not when the module is imported: a run that
    crosses midnight would otherwise post "tomorrow" when it is already today."""
    global TODAY
    TODAY = timezone.localdate()


def stage(number):
    return TRMFramework.objects.get(code="practice-stages").stages.get(number=number)


def review_data(**changes):
    data = {
        "kind": "scheduled",
        "held_on": TODAY,
        "reoffended": False,
        "breach": False,
        "next_review_on": TODAY + dt.timedelta(weeks=6),
    }
    data.update(changes)
    return data


def all_progress(case, status="in_progress"):
    return {r.pk: (status, "") for r in case.recommendations.all()}


def record(world, case, actor=None, **changes):
    return services.review_save(
        actor=actor or world.senior,
        case=case,
        data=review_data(**changes),
        progress=all_progress(case),
    )


# --- Reviews ---


def test_review_records_progress_on_every_recommendation(world, formulated):
    review = record(world, formulated)
    progress = RecommendationProgress.objects.filter(review=review)
    assert progress.count() == 2
    assert set(progress.values_list("status", flat=True)) == {"in_progress"}
    # One missing is refused, naming it.
    first = formulated.recommendations.order_by("sequence").first()
    with pytest.raises(ValidationError, match="Recommendation 2"):
        services.review_save(
            actor=world.senior,
            case=formulated,
            data=review_data(),
            progress={first.pk: ("done", "")},
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # Dates as functions, so they are worked out from TODAY when the test runs.
        (lambda: {"held_on": TODAY - dt.timedelta(days=90)}, "before the formulation meeting"),
        (lambda: {"held_on": TODAY + dt.timedelta(days=1)}, "in the future"),
        (lambda: {"next_review_on": TODAY - dt.timedelta(days=1)}, "cannot be in the past"),
        ({"next_review_on": None}, "Set the next review date"),
        ({"reoffended": True}, "Give each offence since the last meeting"),
        ({"reoffended": None}, "Say whether the child has reoffended"),
        ({"breach": True}, "Describe the breach"),
        ({"plan_changed": True}, "why the intervention plan changed"),
    ],
)
def test_review_bad_input_is_refused_with_the_reason(world, formulated, changes, message):
    if callable(changes):
        changes = changes()
    with pytest.raises(ValidationError, match=message):
        record(world, formulated, **changes)
    assert not Review.objects.exists()


def test_closure_review_needs_no_next_date(world, formulated):
    review = record(world, formulated, kind="closure", next_review_on=None)
    assert review.next_review_on is None


def offence(type_, days_ago, gravity, disposal="", pk=None):
    return {
        "pk": pk,
        "offence_type": type_,
        "date": TODAY - dt.timedelta(days=days_ago),
        "gravity": gravity,
        "disposal": disposal,
    }


def test_a_review_records_several_offences_each_an_offence_of_the_case(world, formulated):
    review = services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(reoffended=True),
        progress=all_progress(formulated),
        offences=[
            offence("Theft", 10, 3, "Referral order extended"),
            offence("Criminal damage", 3, 2),
        ],
    )
    rows = list(Offence.objects.filter(case=formulated).order_by("date"))
    assert [(o.offence_type, o.gravity, o.disposal) for o in rows] == [
        ("Theft", 3, "Referral order extended"),
        ("Criminal damage", 2, ""),
    ]
    assert list(selectors.review_offences(review)) == rows
    # Correcting the review: one corrected, one removed, one added; the rest untouched.
    theft, damage = rows
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(reoffended=True),
        progress=all_progress(formulated),
        review=review,
        expected_version=review.version,
        offences=[offence("Theft", 10, 4, "YRO", pk=theft.pk), offence("Assault", 1, 5)],
    )
    rows = list(Offence.objects.filter(case=formulated).order_by("date"))
    assert [(o.offence_type, o.gravity, o.disposal) for o in rows] == [
        ("Theft", 4, "YRO"),
        ("Assault", 5, ""),
    ]
    assert rows[0].pk == theft.pk and not Offence.objects.filter(pk=damage.pk).exists()
    # Each offence has its own audit rows: created, changed, removed.
    from ecm.models import AuditEvent

    audited = AuditEvent.objects.filter(object_type="referrals.offence")
    assert audited.filter(action="delete", object_id=str(damage.pk)).exists()
    assert audited.filter(action="update", object_id=str(theft.pk)).exists()
    assert audited.filter(action="create").count() == 3
    # Saving again without `offences` keeps the saved ones.
    review.refresh_from_db()
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(reoffended=True, discussion="x"),
        progress=all_progress(formulated),
        review=review,
        expected_version=review.version,
    )
    assert Offence.objects.filter(case=formulated).count() == 2


@pytest.mark.parametrize(
    ("reoffended", "rows", "message"),
    [
        (True, lambda: [], "Give each offence"),
        (False, lambda: [offence("Theft", 2, 3)], "remove the offences"),
        (True, lambda: [offence("", 2, 3)], "Offence 1: give the offence type"),
        (True, lambda: [offence("Theft", 2, 3), offence("Theft", -1, 3)], "Offence 2: the"),
        (True, lambda: [offence("Theft", 2, None)], "Offence 1: give the gravity"),
    ],
)
def test_offences_are_checked(world, formulated, reoffended, rows, message):
    with pytest.raises(ValidationError, match=message):
        services.review_save(
            actor=world.senior,
            case=formulated,
            data=review_data(reoffended=reoffended),
            progress=all_progress(formulated),
            offences=rows(),
        )
    assert not Offence.objects.exists() and not Review.objects.exists()


def test_another_reviews_offence_cannot_be_changed_through_this_one(world, formulated):
    first = services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(reoffended=True, held_on=TODAY - dt.timedelta(days=5)),
        progress=all_progress(formulated),
        offences=[offence("Theft", 10, 3)],
    )
    theft = Offence.objects.get()
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(reoffended=True),
        progress=all_progress(formulated),
        offences=[offence("Robbery", 1, 6, pk=theft.pk)],
    )
    theft.refresh_from_db()
    assert theft.offence_type == "Theft"  # the other review's offence, untouched
    assert list(selectors.review_offences(first)) == [theft]
    assert Offence.objects.count() == 2


def test_second_editor_of_a_review_is_told_and_keeps_their_text(client, world, formulated):
    review = record(world, formulated)
    loaded = review.version
    services.review_save(
        actor=world.case_manager,
        case=formulated,
        data=review_data(discussion="First editor"),
        progress=all_progress(formulated),
        review=review,
        expected_version=loaded,
    )
    with pytest.raises(StaleEditError):
        services.review_save(
            actor=world.senior,
            case=formulated,
            data=review_data(discussion="Second editor"),
            progress=all_progress(formulated),
            review=review,
            expected_version=loaded,
        )
    client.force_login(world.senior)
    post = {
        "version": loaded,
        "kind": "scheduled",
        "held_on": TODAY.isoformat(),
        "reoffended": "no",
        "breach": "no",
        "next_review_on": (TODAY + dt.timedelta(weeks=6)).isoformat(),
        "discussion": "Typed by the second editor",
    }
    for rec in formulated.recommendations.all():
        post[f"progress_{rec.pk}"] = "done"
    response = client.post(reverse("reviews:review_edit", args=[review.pk]), post)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Typed by the second editor" in body
    assert "Someone else saved this review" in body
    assert "Their saved version" in body and "First editor" in body
    # Without the version it was loaded from, an edit is not taken at all.
    post.pop("version")
    assert client.post(reverse("reviews:review_edit", args=[review.pk]), post).status_code == 400
    review.refresh_from_db()
    assert review.discussion == "First editor"


def test_review_form_walks_through_open_actions(client, world, formulated):
    action = services.action_add(
        actor=world.case_manager,
        case=formulated,
        data={
            "description": "Book the screen",
            "owner_user": world.case_manager,
            "due_on": TODAY - dt.timedelta(days=2),
        },
    )
    client.force_login(world.senior)
    page = client.get(reverse("reviews:review_new", args=[formulated.pk])).content.decode()
    assert "Book the screen" in page and "Overdue" in page
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(),
        progress=all_progress(formulated),
        action_updates={action.pk: "done"},
    )
    action.refresh_from_db()
    assert action.status == "done" and action.completed_on == TODAY


# --- TRM stage ---


@pytest.mark.parametrize("who", ["case_manager", "senior", "manager"])
def test_only_the_psychologist_sets_the_trm_stage(world, formulated, who):
    review = record(world, formulated)
    with pytest.raises(PermissionDenied):
        services.trm_stage_record(
            actor=getattr(world, who), review=review, stage=stage(2), explanation="x"
        )


def test_trm_stage_history_and_trajectory(client, world, formulated):
    first = record(world, formulated, held_on=TODAY - dt.timedelta(days=20))
    with pytest.raises(ValidationError, match="say what explains it"):
        services.trm_stage_record(actor=world.psychologist, review=first, stage=stage(2))
    services.trm_stage_record(
        actor=world.psychologist, review=first, stage=stage(2), explanation="Placement broke down"
    )
    second = record(world, formulated)
    services.trm_stage_record(
        actor=world.psychologist, review=second, stage=stage(4), explanation="Settled"
    )
    history = selectors.stage_history(world.case_manager, formulated)
    assert [(row["kind"], row["stage"].number) for row in history] == [
        ("formulation", 3),
        ("review", 2),
        ("review", 4),
    ]
    client.force_login(world.case_manager)
    page = client.get(reverse("reviews:overview", args=[formulated.pk])).content.decode()
    assert "Placement broke down" in page
    assert "▼" in page and "▲" in page  # the drop and the rise, not by colour alone
    assert reverse("reviews:review", args=[first.pk]) in page  # the point links to its review


# --- Contacts and missed appointments ---


def missed(world, case, n):
    for i in range(n):
        services.contact_add(
            actor=world.case_manager,
            case=case,
            data={
                "date": TODAY - dt.timedelta(days=10 - i),
                "kind": "missed",
                "purpose": "Session",
            },
        )


def test_missed_appointment_prompt_on_the_fourth_miss_not_the_third(client, world, formulated):
    client.force_login(world.case_manager)
    url = reverse("case_detail", args=[formulated.pk])
    missed(world, formulated, 3)
    assert not selectors.consultation_due(selectors.missed_since_last_decision(formulated))
    assert "More than three missed appointments" not in client.get(url).content.decode()
    missed(world, formulated, 1)
    assert selectors.consultation_due(selectors.missed_since_last_decision(formulated))
    assert "More than three missed appointments" in client.get(url).content.decode()
    with pytest.raises(ValidationError, match="psychologist"):
        services.missed_decision_record(
            actor=world.case_manager,
            case=formulated,
            decision="warning",
            psychologist=world.senior,
            advice="x",
        )
    decision = services.missed_decision_record(
        actor=world.case_manager,
        case=formulated,
        decision="no_action",
        psychologist=world.psychologist,
        advice="Missed sessions follow contact with dad; change the day, no warning.",
    )
    assert decision.missed_count == 4 and decision.decided_by == world.case_manager
    assert not selectors.consultation_due(selectors.missed_since_last_decision(formulated))


def test_contact_dates_are_checked(world, formulated):
    with pytest.raises(ValidationError, match="once it has happened"):
        services.contact_add(
            actor=world.case_manager,
            case=formulated,
            data={"date": TODAY + dt.timedelta(days=1), "kind": "phone", "purpose": "x"},
        )


# --- Actions ---


def test_overdue_actions_stand_out_for_their_owner(client, world, formulated):
    services.action_add(
        actor=world.senior,
        case=formulated,
        data={
            "description": "Call the school",
            "owner_user": world.case_manager,
            "due_on": TODAY - dt.timedelta(days=1),
        },
    )
    client.force_login(world.case_manager)
    home = client.get(reverse("home")).content.decode()
    assert "Your overdue actions" in home and "Call the school" in home
    case_page = client.get(reverse("case_detail", args=[formulated.pk])).content.decode()
    assert "1 overdue action" in case_page
    client.force_login(world.senior)
    assert "Your overdue actions" not in client.get(reverse("home")).content.decode()


def test_other_teams_get_404(client, world, formulated):
    review = record(world, formulated)
    action = services.action_add(
        actor=world.senior,
        case=formulated,
        data={"description": "x", "owner_agency": "yot", "due_on": TODAY},
    )
    client.force_login(world.other_senior)
    for url in (
        reverse("reviews:overview", args=[formulated.pk]),
        reverse("reviews:review", args=[review.pk]),
        reverse("reviews:contacts", args=[formulated.pk]),
        reverse("reviews:close", args=[formulated.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("reviews:action_status", args=[action.pk]), {"status": "done"})
    assert response.status_code == 404


# --- Closure and re-opening ---


def close(world, case, **changes):
    kwargs = {
        "actor": world.case_manager,
        "case": case,
        "reason": "transition",
        "closed_on": TODAY,
        "next_steps": "Joint meeting with probation.",
        "transitions": {"probation": ["formulation", "plan"]},
        "risk": {"reoffending": 2, "serious_harm": 1, "vulnerability": 2},
        "outcomes": dict.fromkeys(OutcomeDomain.values, ("improved", "low")),
        "no_review_reason": "Child moved away before a review could be held.",
    }
    kwargs.update(changes)
    return services.case_close_with_review(**kwargs)


def test_closure_validation(world, formulated):
    with pytest.raises(ValidationError, match="moving on to"):
        close(world, formulated, transitions={})
    incomplete = dict.fromkeys(OutcomeDomain.values[:5], ("improved", "low"))
    with pytest.raises(ValidationError, match="Rate every outcome domain"):
        close(world, formulated, outcomes=incomplete)
    with pytest.raises(PermissionDenied):  # another case manager's case
        close(world, formulated, actor=world.case_manager_2)
    formulated.refresh_from_db()
    assert formulated.status == "active"


def test_closure_makes_the_case_read_only_for_every_role(client, world, formulated):
    review = record(world, formulated)
    closure = close(world, formulated)
    formulated.refresh_from_db()
    assert formulated.status == "closed" and formulated.closure_reason == "transition"
    assert closure.transitions.get().sections == ["formulation", "plan"]
    for who in ("case_manager", "senior", "psychologist", "manager"):
        user = getattr(world, who)
        with pytest.raises(ValidationError, match="read-only"):
            record(world, formulated, actor=user)
        with pytest.raises(ValidationError, match="read-only"):
            services.contact_add(
                actor=user, case=formulated, data={"date": TODAY, "kind": "phone", "purpose": "x"}
            )
        with pytest.raises(ValidationError, match="read-only"):
            services.trm_stage_record(actor=user, review=review, stage=stage(2), explanation="x")
        with pytest.raises(PermissionDenied):  # the formulation workspace too
            timeline_services.timeline_event_save(
                actor=user,
                case=formulated,
                data={"title": "x", "category": "family", "start_date": TODAY},
            )
    client.force_login(world.senior)
    page = client.get(reverse("reviews:overview", args=[formulated.pk])).content.decode()
    assert "read-only" in page and "Record a review" not in page


def test_reopening_carries_the_timeline_and_the_formulation(world, formulated):
    from formulation.report import services as rs

    TimelineEvent.objects.create(
        child=formulated.child, title="Moved school", category="education", start_date=TODAY
    )
    report = rs.report_start(actor=world.psychologist, case=formulated)
    rs.report_save(
        actor=world.psychologist,
        report=report,
        data={
            "formulation": "The story so far.",
            "voice": "He said so.",
            "summary": "s",
            "needs": "n",
            "trm": "t",
            "plan": "p",
        },
        expected_revision=report.revision,
    )
    rs.report_send_for_check(actor=world.psychologist, report=report)
    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    rs.report_finalise(actor=world.psychologist, report=report, expected_revision=report.revision)
    close(world, formulated)
    formulated.refresh_from_db()
    new = core.case_reopen(actor=world.case_manager, case=formulated, reason="reoffended")
    assert new.previous_case_id == formulated.pk and new.case_manager == world.case_manager
    assert new.child.timeline.filter(title="Moved school").exists()
    carried = rs.report_start(actor=world.psychologist, case=new)
    assert carried.formulation == "The story so far."
    assert "Carried forward" in carried.amendment_reason
    assert [r.intervention for r in new.recommendations.order_by("sequence")] == [
        "Recommendation 1",
        "Recommendation 2",
    ]
    assert formulated.recommendations.count() == 2  # the old episode is untouched


def test_close_page_keeps_input_on_error(client, world, formulated):
    client.force_login(world.case_manager)
    response = client.post(
        reverse("reviews:close", args=[formulated.pk]),
        {
            "version": formulated.version,
            "reason": "transition",
            "closed_on": TODAY.isoformat(),
            "next_steps": "Hand over to adult mental health",
            "reoffending": 2,
            "serious_harm": 1,
            "vulnerability": 2,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Hand over to adult mental health" in body
    formulated.refresh_from_db()
    assert formulated.status == "active"


def test_active_case_closes_only_through_the_closure_review(client, world, formulated):
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[formulated.pk])).content.decode()
    assert reverse("reviews:close", args=[formulated.pk]) in body
    assert reverse("case_not_carried_forward", args=[formulated.pk]) not in body
    formulated.refresh_from_db()
    assert formulated.status == "active"


def test_consent_withdrawn_on_ecm_leads_to_the_closure_record(client, world, formulated):
    """Withdrawal of consent on an active case does not close it at once: the consent page
    leads to the closure record with the reason and date chosen, which asks for next steps
    and, with no closure review, why there was none."""
    from referrals.models import Consent
    from referrals.services import consent_record

    consent = Consent.objects.filter(case=formulated, kind="ecm_child").first() or (
        consent_record(actor=world.case_manager, case=formulated, kind="ecm_child", date=TODAY)
    )
    client.force_login(world.case_manager)
    response = client.post(
        reverse("referrals:consent", args=[formulated.pk]),
        {
            "withdraw": "1",
            "consent_id": consent.pk,
            "date": TODAY.isoformat(),
            "reason": "Does not want the psychologist involved",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url.startswith(reverse("reviews:close", args=[formulated.pk]))
    formulated.refresh_from_db()
    assert formulated.status == "active"
    body = client.get(response.url).content.decode()
    assert 'value="consent_withdrawn" selected' in body
    assert "why there was no closure review" in body.lower()
    post = {
        "version": formulated.version,
        "reason": "consent_withdrawn",
        "closed_on": TODAY.isoformat(),
        "next_steps": "Case manager continues statutory work without psychology input.",
        "reoffending": 2,
        "serious_harm": 1,
        "vulnerability": 2,
        **{f"change_{d}": "no_change" for d in OutcomeDomain.values},
        **{f"concern_{d}": "medium" for d in OutcomeDomain.values},
    }
    response = client.post(reverse("reviews:close", args=[formulated.pk]), post)
    assert response.status_code == 400
    assert "Record the review first, or say why there was none" in response.content.decode()
    post["no_review_reason"] = "Consent withdrawn between reviews."
    response = client.post(reverse("reviews:close", args=[formulated.pk]), post)
    assert response.status_code == 302, response.content.decode()[:3000]
    formulated.refresh_from_db()
    assert formulated.status == "closed"
    assert formulated.closure_reason == "consent_withdrawn"
    assert formulated.closure.no_review_reason == "Consent withdrawn between reviews."


def test_disengaged_needs_why(world, formulated):
    with pytest.raises(ValidationError, match="why the child disengaged"):
        close(world, formulated, reason="disengaged")
    closure = close(world, formulated, reason="disengaged", reason_detail="Stopped attending")
    assert closure.reason_detail == "Stopped attending"


def test_voluntary_period_keeps_the_case_open_then_closes_it(client, world, formulated):
    """A voluntary period after the order: the case stays open (reviews and contacts go on)
    until its date, then the daily task closes it with the reason recorded."""

    until = TODAY + dt.timedelta(days=60)
    close(world, formulated, reason="order_completed", transitions={}, voluntary_until=until)
    formulated.refresh_from_db()
    assert formulated.status == "voluntary" and formulated.is_open
    assert formulated.voluntary_until == until and formulated.closed_on is None
    services.contact_add(
        actor=world.case_manager,
        case=formulated,
        data={"date": TODAY, "kind": "face_to_face", "purpose": "Voluntary check-in"},
    )
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[formulated.pk])).content.decode()
    assert reverse("reviews:voluntary_end", args=[formulated.pk]) in body
    assert "End the voluntary period now" in body and "Closure recorded" in body
    action = services.action_add(
        actor=world.case_manager,
        case=formulated,
        data={
            "description": "Keep the boxing club going",
            "owner_agency": "education",
            "due_on": until,
        },
    )
    assert services.voluntary_periods_end(today=until - dt.timedelta(days=1)) == 0
    assert services.voluntary_periods_end(today=until) == 1
    assert services.voluntary_periods_end(today=until) == 0  # harmless twice
    action.refresh_from_db()
    assert action.status == "dropped"  # open actions end with the case
    formulated.refresh_from_db()
    assert formulated.status == "closed"
    assert formulated.closed_on == until and formulated.closure_reason == "order_completed"


def test_voluntary_period_can_end_early(client, world, formulated):
    until = TODAY + dt.timedelta(days=60)
    close(world, formulated, reason="order_completed", transitions={}, voluntary_until=until)
    client.force_login(world.case_manager)
    url = reverse("reviews:voluntary_end", args=[formulated.pk])
    assert client.get(url).status_code == 200
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    assert client.post(url, {"on": future}).status_code == 400
    # Not before the voluntary period began (the closure record's date).
    before = (TODAY - dt.timedelta(days=1)).isoformat()
    assert client.post(url, {"on": before}).status_code == 400
    # The closure form is not offered again: its closure is recorded.
    assert client.get(reverse("reviews:close", args=[formulated.pk])).url == url
    assert client.post(url, {"on": TODAY.isoformat()}).status_code == 302
    formulated.refresh_from_db()
    assert formulated.status == "closed" and formulated.closed_on == TODAY


# --- Constant queries ---


def test_pages_cost_constant_queries(client, world, formulated):
    client.force_login(world.case_manager)
    urls = [
        reverse("case_detail", args=[formulated.pk]),
        reverse("reviews:overview", args=[formulated.pk]),
        reverse("reviews:contacts", args=[formulated.pk]),
        reverse("reviews:review_new", args=[formulated.pk]),
    ]

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200, url
            out.append(len(ctx.captured_queries))
        return out

    latest = record(world, formulated)
    urls += [
        reverse("reviews:review", args=[latest.pk]),
        reverse("reviews:review_edit", args=[latest.pk]),
    ]
    few = counts()
    recs = list(formulated.recommendations.all())
    # The latest review: many offences and new recommendations, some confirmed.
    offences = Offence.objects.bulk_create(
        Offence(case=formulated, date=TODAY, offence_type=f"o{i}", gravity=1 + i % 8)
        for i in range(30)
    )
    ReviewOffence.objects.bulk_create(ReviewOffence(review=latest, offence=o) for o in offences)
    Review.objects.filter(pk=latest.pk).update(reoffended=True)
    ReviewRecommendation.objects.bulk_create(
        ReviewRecommendation(
            review=latest,
            intervention=f"r{i}",
            owner_user=world.case_manager,
            owner_agency="camhs",
            recommendation=recs[i] if i < 2 else None,
            confirmed_at=timezone.now() if i < 2 else None,
        )
        for i in range(20)
    )
    reviews = Review.objects.bulk_create(
        Review(
            case=formulated,
            held_on=TODAY - dt.timedelta(days=50 - i),
            reoffended=False,
            breach=False,
            next_review_on=TODAY + dt.timedelta(days=30),
        )
        for i in range(50)
    )
    RecommendationProgress.objects.bulk_create(
        RecommendationProgress(review=r, recommendation=rec, status="done")
        for r in reviews
        for rec in recs
    )
    TRMStageRecord.objects.bulk_create(
        TRMStageRecord(case=formulated, review=r, stage=stage(1 + i % 5), recorded_on=r.held_on)
        for i, r in enumerate(reviews)
    )
    Contact.objects.bulk_create(
        Contact(case=formulated, date=TODAY - dt.timedelta(days=i % 50), kind="phone", purpose="p")
        for i in range(200)
    )
    Action.objects.bulk_create(
        Action(
            case=formulated,
            description=f"a{i}",
            owner_user=world.case_manager,
            due_on=TODAY - dt.timedelta(days=i % 3),
        )
        for i in range(100)
    )
    assert counts() == few


def test_demo_has_reviews_a_closed_and_a_reopened_case(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    assert Review.objects.values("case").distinct().count() >= 3
    assert TRMStageRecord.objects.count() >= 3
    assert any(a.is_overdue for a in Action.objects.all())
    assert Case.objects.filter(status="closed", closure__transitions__destination="probation")
    assert Case.objects.filter(previous_case__isnull=False).exists()
    # ... that went straight to active: consent carried forward, no new meeting.
    reopened = Case.objects.get(previous_case__isnull=False)
    assert (reopened.status, reopened.formulation_decision) == ("active", "carried_forward")
    assert reopened.reopen_reason == "reoffended"
    assert reopened.consents.filter(carried_forward_from__isnull=False).exists()
    assert reopened.report.formulation
    assert selectors.next_review_due(reopened) == reopened.first_review_on


def test_baseline_outcome_survey(client, world, formulated):
    client.force_login(world.case_manager)
    url = reverse("reviews:baseline", args=[formulated.pk])
    data = {f"concern_{d}": "medium" for d in OutcomeDomain.values}
    data.pop("concern_ete")
    response = client.post(url, data)
    assert response.status_code == 400  # one domain missing: kept, and said
    assert response.content.decode().count("selected>Medium") == len(OutcomeDomain.values) - 1
    data["concern_ete"] = "high"
    assert client.post(url, data).status_code == 302
    survey = formulated.outcome_surveys.get(point="baseline")
    assert survey.ratings.count() == len(OutcomeDomain.values)
    assert survey.ratings.get(domain="ete").concern == "high"


# --- Review findings ---


def test_an_old_review_can_be_corrected_after_its_next_date(world, formulated):
    import time_machine

    with time_machine.travel(timezone.now() - dt.timedelta(days=30), tick=False):
        review = record(
            world,
            formulated,
            held_on=timezone.localdate(),
            next_review_on=timezone.localdate() + dt.timedelta(days=10),
        )
        services.trm_stage_record(
            actor=world.psychologist, review=review, stage=stage(2), explanation="Moved"
        )
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(
            held_on=review.held_on - dt.timedelta(days=1),
            next_review_on=review.next_review_on,
            discussion="Typo fixed",
        ),
        progress=all_progress(formulated),
        review=review,
        expected_version=review.version,
    )
    review.refresh_from_db()
    assert review.discussion == "Typo fixed"
    assert review.trm_record.recorded_on == review.held_on  # the TRM point moves with it


def test_closing_ends_open_actions(client, world, formulated):
    services.action_add(
        actor=world.senior,
        case=formulated,
        data={
            "description": "Call the school",
            "owner_user": world.case_manager,
            "due_on": TODAY - dt.timedelta(days=1),
        },
    )
    close(world, formulated)
    assert not Action.objects.filter(case=formulated, status="open").exists()
    client.force_login(world.case_manager)
    assert "Your overdue actions" not in client.get(reverse("home")).content.decode()


def test_a_miss_recorded_after_the_decision_counts_even_the_same_day(world, formulated):
    missed(world, formulated, 4)
    services.missed_decision_record(
        actor=world.case_manager,
        case=formulated,
        decision="warning",
        psychologist=world.psychologist,
        advice="Warn, gently.",
    )
    assert selectors.missed_since_last_decision(formulated) == 0
    services.contact_add(
        actor=world.case_manager,
        case=formulated,
        data={"date": TODAY, "kind": "missed", "purpose": "Session"},
    )
    assert selectors.missed_since_last_decision(formulated) == 1
    services.missed_decision_record(
        actor=world.case_manager,
        case=formulated,
        decision="no_action",
        psychologist=world.psychologist,
        advice="One more miss: no action.",
    )
    with pytest.raises(ValidationError, match="no missed appointments"):
        services.missed_decision_record(
            actor=world.case_manager,
            case=formulated,
            decision="breach",
            psychologist=world.psychologist,
            advice="x",
        )


def test_closure_cannot_predate_the_last_review(world, formulated):
    record(world, formulated)
    with pytest.raises(ValidationError, match="before its last review"):
        close(world, formulated, closed_on=TODAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="report sections"):
        close(world, formulated, transitions={"probation": ["<script>"]})


def test_closure_review_keeps_the_agreed_next_date_until_closed(world, formulated):
    record(world, formulated, held_on=TODAY - dt.timedelta(days=1))
    record(world, formulated, kind="closure", next_review_on=None)
    assert selectors.next_review_due(formulated) == TODAY + dt.timedelta(weeks=6)


def test_review_edit_and_closure_pages_are_audited(client, world, formulated):
    from ecm.models import AuditEvent

    review = record(world, formulated)
    client.force_login(world.case_manager)
    client.get(reverse("reviews:review_edit", args=[review.pk]))
    client.get(reverse("reviews:close", args=[formulated.pk]))
    details = set(
        AuditEvent.objects.filter(actor=world.case_manager, action="view").values_list(
            "detail", flat=True
        )
    )
    assert {"edit", "closure"} <= details


def test_each_review_keeps_the_date_it_was_due(world, formulated):
    import time_machine

    first_due = timezone.localdate(formulated.meetings.get().review_at)
    with time_machine.travel(timezone.now() - dt.timedelta(days=3), tick=False):
        then = timezone.localdate()
        r1 = record(world, formulated, held_on=then, next_review_on=then + dt.timedelta(days=1))
    assert r1.due_on == first_due and r1.on_time  # set at the formulation meeting
    r2 = record(world, formulated, held_on=TODAY)
    assert r2.due_on == r1.next_review_on and r2.on_time is False  # set at the review before
    # Correcting the first review's next date moves the second's due date with it.
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(held_on=r1.held_on, next_review_on=TODAY + dt.timedelta(days=1)),
        progress=all_progress(formulated),
        review=r1,
        expected_version=r1.version,
    )
    r2.refresh_from_db()
    assert r2.due_on == TODAY + dt.timedelta(days=1) and r2.on_time is True
    adhoc = record(world, formulated, kind="ad_hoc", held_on=TODAY)
    assert adhoc.due_on is not None and adhoc.on_time is None  # ad hoc: never "late"


@pytest.mark.parametrize(
    ("statuses", "completed"),
    [
        (("done", "done"), True),
        (("done", "dropped"), True),
        (("done", "in_progress"), False),
        (("dropped", "dropped"), False),  # nothing was done
    ],
)
def test_closure_records_whether_the_plan_was_completed(world, formulated, statuses, completed):
    recommendations = list(formulated.recommendations.order_by("sequence"))
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(kind="closure", next_review_on=None),
        progress={r.pk: (s, "") for r, s in zip(recommendations, statuses, strict=True)},
    )
    closure = close(world, formulated)
    assert closure.plan_completed is completed
    assert selectors.plan_completed(formulated) is completed


def test_case_summary_of_the_case_page(world, formulated):
    """The reviews section's one query: the count, the next date agreed at the latest
    review that set one (a closure review sets none), the stage recorded last, and the
    misses since the last decision; before the first review, the meeting's date."""
    summary = selectors.case_summary(formulated)
    assert summary == {
        "review_count": 0,
        "next_review_on": timezone.localdate(timezone.now() + dt.timedelta(days=5)),
        "latest_stage": None,
        "missed": 0,
    }
    first = record(
        world,
        formulated,
        held_on=TODAY - dt.timedelta(days=20),
        next_review_on=TODAY + dt.timedelta(weeks=2),
    )
    services.trm_stage_record(
        actor=world.psychologist, review=first, stage=stage(4), explanation="Settled"
    )
    second = record(world, formulated, held_on=TODAY - dt.timedelta(days=3))
    services.trm_stage_record(
        actor=world.psychologist, review=second, stage=stage(2), explanation="Moved home"
    )
    record(world, formulated, kind="closure", next_review_on=None)
    missed(world, formulated, 2)
    summary = selectors.case_summary(formulated)
    assert summary["review_count"] == 3
    assert summary["next_review_on"] == second.next_review_on
    assert summary["latest_stage"] == str(stage(2))
    assert summary["missed"] == 2 == selectors.missed_since_last_decision(formulated)


# --- Recommendations agreed at a review ---


def proposed(world, case, *rows, actor=None):
    return services.review_save(
        actor=actor or world.senior,
        case=case,
        data=review_data(),
        progress=all_progress(case),
        new_recommendations=list(rows),
    )


def final_report(world, case):
    from formulation.models import Meeting, Report

    return Report.objects.create(
        case=case,
        meeting=Meeting.objects.get(case=case),
        psychologist=world.psychologist,
        status=Report.Status.FINAL,
        due_on=TODAY,
        summary="Summary",
    )


BOXING = {"intervention": "Boxing club twice a week", "owner_agency": "other", "owner_name": "Club"}


def test_recommendations_agreed_at_a_review_are_proposed_until_confirmed(world, formulated):
    review = proposed(world, formulated, BOXING)
    (proposal,) = selectors.review_proposals(review)
    assert (proposal.intervention, proposal.owner_label) == (
        "Boxing club twice a week",
        "Club, Other",
    )
    assert not proposal.is_confirmed
    assert formulated.recommendations.count() == 2  # not in the formulation yet
    assert list(selectors.proposals_waiting(formulated)) == [proposal]


def test_a_proposal_needs_its_text_and_who(world, formulated):
    with pytest.raises(ValidationError, match="New recommendation 1: say who is best placed"):
        proposed(world, formulated, {"intervention": "Boxing"})
    with pytest.raises(ValidationError, match="New recommendation 1: write it"):
        proposed(world, formulated, {"intervention": " ", "owner_agency": "yot"})
    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["case_manager", "senior", "manager", "other_senior"])
def test_only_the_psychologist_confirms_a_proposal(world, formulated, who):
    (proposal,) = selectors.review_proposals(proposed(world, formulated, BOXING))
    with pytest.raises(PermissionDenied):
        services.review_recommendation_confirm(actor=getattr(world, who), proposal=proposal)
    assert formulated.recommendations.count() == 2


def test_confirming_into_a_final_report_opens_its_amendment(world, formulated):
    report = final_report(world, formulated)
    review = proposed(world, formulated, BOXING, {"intervention": "CAMHS", "owner_agency": "camhs"})
    first, second = selectors.review_proposals(review)
    rec = services.review_recommendation_confirm(actor=world.psychologist, proposal=first)
    assert (rec.intervention, rec.owner_name, rec.owner_agency, rec.sequence) == (
        "Boxing club twice a week",
        "Club",
        "other",
        3,
    )
    report.refresh_from_db()
    assert (report.number, report.status) == (2, "draft")
    assert display_date(TODAY) in report.amendment_reason
    first.refresh_from_db()
    assert first.is_confirmed and first.recommendation == rec
    assert first.confirmed_by == world.psychologist
    # The second joins the same amendment (the draft is open); a proposal confirms once.
    services.review_recommendation_confirm(actor=world.psychologist, proposal=second)
    report.refresh_from_db()
    assert report.number == 2
    assert [r.sequence for r in formulated.recommendations.all()] == [1, 2, 3, 4]
    with pytest.raises(ValidationError, match="already in the formulation"):
        services.review_recommendation_confirm(actor=world.psychologist, proposal=first)
    assert list(selectors.proposals_waiting(formulated)) == []


def test_a_confirmed_proposal_stays_when_the_review_is_corrected(world, formulated):
    review = proposed(world, formulated, BOXING, {"intervention": "CAMHS", "owner_agency": "camhs"})
    first, second = selectors.review_proposals(review)
    services.review_recommendation_confirm(actor=world.psychologist, proposal=first)
    review.refresh_from_db()
    # The form lists only the unconfirmed: removing them all leaves the confirmed one.
    services.review_save(
        actor=world.senior,
        case=formulated,
        data=review_data(),
        progress=all_progress(formulated),
        review=review,
        expected_version=review.version,
        new_recommendations=[],
    )
    assert [p.pk for p in selectors.review_proposals(review)] == [first.pk]


# --- The TRM stage on the review form ---


def test_the_psychologist_records_the_stage_now_with_the_review(world, formulated):
    review = record(world, formulated, actor=world.psychologist)
    assert not TRMStageRecord.objects.exists()
    services.review_save(
        actor=world.psychologist,
        case=formulated,
        data=review_data(),
        progress=all_progress(formulated),
        review=review,
        expected_version=review.version,
        trm={"stage": stage(2), "explanation": "Placement broke down"},
    )
    record_ = TRMStageRecord.objects.get(review=review)
    assert (record_.stage.number, record_.explanation) == (2, "Placement broke down")


def test_a_moved_stage_without_its_reason_saves_nothing(world, formulated):
    with pytest.raises(ValidationError) as exc:
        services.review_save(
            actor=world.psychologist,
            case=formulated,
            data=review_data(),
            progress=all_progress(formulated),
            trm={"stage": stage(2), "explanation": ""},
        )
    assert "trm_explanation" in exc.value.message_dict
    assert not Review.objects.exists() and not TRMStageRecord.objects.exists()


def test_only_the_psychologist_records_the_stage_on_the_form(world, formulated):
    with pytest.raises(PermissionDenied):
        services.review_save(
            actor=world.senior,
            case=formulated,
            data=review_data(),
            progress=all_progress(formulated),
            trm={"stage": stage(3), "explanation": ""},
        )
    assert not Review.objects.exists()
