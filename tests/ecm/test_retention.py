"""Retention (issue 20): which records the daily task lists for review, the decisions, legal
holds, the two-person erasure and its worker job. The erasure engine itself is tested on its
own branch; here `ecm.erasure.erase_child` is replaced by a fake that records the call and
reports progress (the one fake: the engine is not this module's)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ecm import erasure, queueing, reminders, retention
from ecm.dates import add_years
from ecm.models import (
    AuditEvent,
    Case,
    ErasureRequest,
    LegalHold,
    Notification,
    Reminder,
    RetentionReview,
    RetentionRule,
    Role,
)
from tests.factories import CaseFactory, ChildFactory, member

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def closed_child(team, *, age=26, closed_years_ago=7, status="closed", **child):
    """A child whose only episode (of `team`) ended `closed_years_ago` years ago."""
    closed_on = add_years(today(), -closed_years_ago)
    kid = ChildFactory(date_of_birth=add_years(today(), -age) - dt.timedelta(days=30), **child)
    CaseFactory(
        child=kid,
        team=team,
        status=status,
        opened_on=closed_on - dt.timedelta(days=200),
        closed_on=closed_on,
    )
    return kid


def listed_ids():
    return set(
        RetentionReview.objects.filter(decision="pending").values_list("child_id", flat=True)
    )


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued by name (the broker is the outside world here)."""
    sent = []
    monkeypatch.setattr(
        queueing.current_app, "send_task", lambda name, args, **kw: sent.append((name, args))
    )
    return sent


@pytest.fixture
def engine(monkeypatch):
    """The fake erasure engine: records its call and reports three steps of progress."""
    calls = []

    def fake_erase_child(child_id, *, progress=None):
        calls.append(child_id)
        for done, step in enumerate(["referrals", "formulation", "reviews"], start=1):
            progress(done, 3, step)
            calls.append(ErasureRequest.objects.values_list("progress_done", "progress_step").get())
        return {"children": 1, "cases": 1, "note": "a string is not kept"}

    monkeypatch.setattr(erasure, "erase_child", fake_erase_child)
    return calls


@pytest.fixture
def second_manager(world):
    return member(world.yot_a, Role.MANAGER, username="mgr_a2")


@pytest.fixture
def dpo(world):
    return member(world.yot_a, Role.DPO, username="dpo_a")


# --- The selection ------------------------------------------------------------------------------


def test_default_rule_is_25_or_six_years_after_closure_whichever_is_later(world):
    old_enough = closed_child(world.yot_a, age=26, closed_years_ago=7)
    too_young = closed_child(world.yot_a, age=24, closed_years_ago=7)
    too_recent = closed_child(world.yot_a, age=30, closed_years_ago=5)
    assert retention.retention_find_due() == 1
    assert listed_ids() == {old_enough.pk}
    assert too_young.pk not in listed_ids() and too_recent.pk not in listed_ids()
    review = RetentionReview.objects.get(child=old_enough)
    assert review.team_id == world.yot_a.pk
    assert review.due_on == add_years(review.last_closed_on, 6)


def test_a_team_rule_set_in_the_admin_applies(world):
    RetentionRule.objects.create(team=world.yot_a, years_after_closure=2, minimum_age=20)
    kid = closed_child(world.yot_a, age=21, closed_years_ago=3)
    kept_elsewhere = closed_child(world.yot_b, age=21, closed_years_ago=3)  # default rule
    retention.retention_find_due()
    assert listed_ids() == {kid.pk}
    assert kept_elsewhere.pk not in listed_ids()


def test_every_team_that_owned_an_episode_keeps_it_as_long_as_its_rule_says(world):
    RetentionRule.objects.create(team=world.yot_a, years_after_closure=1, minimum_age=18)
    kid = closed_child(world.yot_a, age=21, closed_years_ago=3)
    earlier = add_years(today(), -4)
    CaseFactory(child=kid, team=world.yot_b, status="closed", opened_on=earlier, closed_on=earlier)
    retention.retention_find_due()
    assert kid.pk not in listed_ids()  # Bravo's default rule (25) is not met yet


def test_an_episode_not_accepted_without_a_closing_date_ended_with_its_status(world):
    kid = ChildFactory(date_of_birth=add_years(today(), -30))
    long_ago = timezone.now() - dt.timedelta(days=365 * 8)
    CaseFactory(
        child=kid,
        team=world.yot_a,
        status="not_accepted",
        opened_on=today() - dt.timedelta(days=365 * 9),
        status_changed_at=long_ago,
    )
    retention.retention_find_due()
    assert RetentionReview.objects.get(child=kid).last_closed_on == timezone.localdate(long_ago)


def test_a_child_with_an_open_episode_is_never_listed(world):
    kid = closed_child(world.yot_a)
    CaseFactory(child=kid, team=world.yot_a, status="potential")
    retention.retention_find_due()
    assert kid.pk not in listed_ids()


def test_an_episode_reopened_takes_the_child_off_the_list(world):
    kid = closed_child(world.yot_a)
    retention.retention_find_due()
    assert kid.pk in listed_ids()
    CaseFactory(child=kid, team=world.yot_a, status="active")
    assert not retention.due_reviews_for(world.manager).exists()  # at once, on the page
    retention.retention_find_due()
    assert kid.pk not in listed_ids()  # and the next run removes the row


def test_a_held_child_is_not_listed_and_cannot_be_erased(world, second_manager):
    kid = closed_child(world.yot_a)
    retention.retention_find_due()
    review = RetentionReview.objects.get(child=kid)
    retention.legal_hold_place(actor=world.manager, review=review, reason="Complaint open")
    assert not retention.due_reviews_for(world.manager).exists()
    with pytest.raises(ValidationError, match="legal hold"):
        retention.erasure_propose(actor=world.manager, review=review, reason="Rule reached")
    retention.retention_find_due()
    assert kid.pk not in listed_ids()
    with pytest.raises(ValidationError, match="no longer due"):
        retention.erasure_propose(actor=world.manager, review=review, reason="Rule reached")


def test_the_task_runs_twice_harmlessly_and_keep_until_is_respected(world):
    kid = closed_child(world.yot_a)
    assert retention.retention_find_due() == 1
    assert retention.retention_find_due() == 0
    review = RetentionReview.objects.get(child=kid)
    until = today() + dt.timedelta(days=30)
    retention.retention_keep(
        actor=world.manager, review=review, keep_until=until, reason="Serious case review"
    )
    retention.retention_find_due()
    assert kid.pk not in listed_ids()
    assert retention.retention_find_due(until) == 0  # kept through that day
    assert retention.retention_find_due(until + dt.timedelta(days=1)) == 1  # then due again


def test_keep_needs_a_future_date_and_a_reason(world):
    closed_child(world.yot_a)
    retention.retention_find_due()
    review = RetentionReview.objects.get()
    with pytest.raises(ValidationError):
        retention.retention_keep(actor=world.manager, review=review, keep_until=today(), reason="x")
    with pytest.raises(ValidationError):
        retention.retention_keep(
            actor=world.manager,
            review=review,
            keep_until=today() + dt.timedelta(days=1),
            reason=" ",
        )
    with pytest.raises(PermissionDenied):
        retention.retention_keep(
            actor=world.senior, review=review, keep_until=today() + dt.timedelta(days=9), reason="x"
        )


def test_one_reminder_per_manager_without_the_childs_name(world, second_manager):
    kid = closed_child(world.yot_a, first_name="Zebedee", last_name="Quist")
    retention.retention_find_due()
    reminders.sweep()
    rows = Reminder.objects.filter(kind=retention.REMINDER_KIND)
    assert {r.recipient_id for r in rows} == {world.manager.pk, second_manager.pk}
    assert all("Zebedee" not in r.title and "Quist" not in r.title for r in rows)
    assert Notification.objects.filter(reminder__in=rows).count() == 2
    message = reminders.build_email(rows[0])
    assert "Zebedee" not in message.subject + message.body
    assert kid.yot_reference not in message.subject + message.body
    reminders.sweep()
    assert Reminder.objects.filter(kind=retention.REMINDER_KIND).count() == 2  # once each


# --- Two people ---------------------------------------------------------------------------------


@pytest.fixture
def proposed(world):
    closed_child(world.yot_a)
    retention.retention_find_due()
    review = RetentionReview.objects.get()
    return retention.erasure_propose(actor=world.manager, review=review, reason="Rule reached")


def test_the_people_who_may_approve_are_told_not_the_proposer(world, proposed, dpo, second_manager):
    reminders.sweep()
    rows = Reminder.objects.filter(kind=retention.APPROVAL_KIND)
    assert {r.recipient_id for r in rows} == {dpo.pk, second_manager.pk}
    assert all(proposed.reference in r.title for r in rows)
    assert all(proposed.child.last_name not in r.title for r in rows)
    assert rows[0].link == f"/retention/erasures/{proposed.pk}/"


def test_the_proposer_cannot_approve(world, proposed):
    with pytest.raises(PermissionDenied):
        retention.erasure_approve(actor=world.manager, request=proposed)
    with pytest.raises(PermissionDenied):
        retention.erasure_refuse(actor=world.manager, request=proposed, reason="no")
    proposed.refresh_from_db()
    assert proposed.status == ErasureRequest.Status.PROPOSED


def test_the_database_refuses_a_self_approval_whatever_wrote_it(world, proposed):
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.filter(pk=proposed.pk).update(approved_by=world.manager)


@pytest.mark.parametrize("who", ["senior", "psychologist", "case_manager", "team_admin"])
def test_other_roles_cannot_approve_or_propose(world, proposed, who):
    user = getattr(world, who)
    with pytest.raises(PermissionDenied):
        retention.erasure_approve(actor=user, request=proposed)
    with pytest.raises(PermissionDenied):
        retention.erasure_propose(actor=user, review=proposed.review, reason="x")


def test_another_teams_manager_cannot_approve(world, proposed):
    with pytest.raises(PermissionDenied):
        retention.erasure_approve(actor=world.other_manager, request=proposed)


def test_another_manager_approves_and_the_job_is_queued_on_commit(
    world, proposed, second_manager, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        retention.erasure_approve(actor=second_manager, request=proposed)
    proposed.refresh_from_db()
    assert proposed.status == ErasureRequest.Status.APPROVED
    assert proposed.approved_by == second_manager
    assert queued == [(retention.RUN_ERASURE, (proposed.pk,))]


def test_the_data_protection_officer_approves_but_does_not_propose(world, proposed, dpo, queued):
    retention.erasure_approve(actor=dpo, request=proposed)
    assert ErasureRequest.objects.get().status == ErasureRequest.Status.APPROVED
    RetentionReview.objects.update(decision="pending")
    with pytest.raises(PermissionDenied):
        retention.erasure_propose(actor=dpo, review=RetentionReview.objects.get(), reason="x")


def test_refusal_puts_the_record_back_on_the_list(world, proposed, second_manager):
    retention.erasure_refuse(actor=second_manager, request=proposed, reason="Complaint likely")
    proposed.refresh_from_db()
    assert proposed.status == ErasureRequest.Status.REFUSED
    assert proposed.refusal_reason == "Complaint likely"
    assert list(retention.due_reviews_for(world.manager)) == [proposed.review]


def test_approval_refused_while_an_episode_is_open(world, proposed, second_manager):
    CaseFactory(child=proposed.child, team=world.yot_a, status="referred")
    with pytest.raises(ValidationError, match="open episode"):
        retention.erasure_approve(actor=second_manager, request=proposed)
    assert ErasureRequest.objects.get().status == ErasureRequest.Status.PROPOSED


def test_a_hold_placed_refuses_the_waiting_erasure(world, proposed, dpo):
    retention.legal_hold_place(actor=dpo, review=proposed.review, reason="Litigation")
    proposed.refresh_from_db()
    assert proposed.status == ErasureRequest.Status.REFUSED
    hold = LegalHold.objects.get()
    assert hold.is_active and hold.placed_by == dpo
    retention.legal_hold_lift(actor=world.manager, hold=hold, reason="Settled")
    hold.refresh_from_db()
    assert not hold.is_active and hold.lifted_by == world.manager
    with pytest.raises(ValidationError):
        retention.legal_hold_lift(actor=world.manager, hold=hold, reason="again")


def test_every_step_is_audited_without_the_childs_name(world, proposed, second_manager, engine):
    retention.erasure_approve(actor=second_manager, request=proposed)
    child = proposed.child
    retention.erasure_run(proposed.pk)
    rows = AuditEvent.objects.filter(detail__startswith=f"erasure {proposed.reference}")
    assert [r.detail.split(": ")[1] for r in rows.order_by("at", "pk")] == [
        "proposed",
        "approved",
        "started",
        "done",
    ]
    for row in AuditEvent.objects.all():
        assert child.first_name not in row.detail and child.last_name not in row.detail
        assert child.first_name not in row.object_label


# --- The worker job -----------------------------------------------------------------------------


@pytest.fixture
def approved(world, proposed, second_manager, queued):
    retention.erasure_approve(actor=second_manager, request=proposed)
    proposed.refresh_from_db()
    return proposed


def test_the_job_calls_the_engine_records_progress_and_finishes(world, approved, engine):
    child_id = approved.child_id
    assert retention.erasure_run(approved.pk) == "done"
    assert engine[0] == child_id
    # Progress was written to the request as each step was reported.
    assert engine[1:] == [(1, "referrals"), (2, "formulation"), (3, "reviews")]
    approved.refresh_from_db()
    assert approved.status == ErasureRequest.Status.DONE
    assert (approved.progress_done, approved.progress_total) == (3, 3)
    assert approved.percent == 100
    assert approved.result == {"children": 1, "cases": 1}  # counts only
    # The fake engine leaves the child's row (an engine may keep it anonymised): an erased
    # record is never listed for review again.
    assert retention.retention_find_due() == 0
    assert not retention.due_reviews_for(world.manager).exists()
    assert retention.erasure_run(approved.pk) == "skipped"  # delivered twice: runs once
    assert len([c for c in engine if isinstance(c, int)]) == 1


def test_a_failing_engine_is_recorded_reported_and_left_for_an_operator(
    world, approved, monkeypatch, second_manager, queued, settings
):
    settings.ADMINS = ["ops@example.org"]

    def broken(child_id, *, progress=None):
        progress(1, 4, "formulation")
        raise RuntimeError("disk full near Tyler's genogram")

    monkeypatch.setattr(erasure, "erase_child", broken)
    assert retention.erasure_run(approved.pk) == "failed"
    approved.refresh_from_db()
    assert approved.status == ErasureRequest.Status.FAILED
    assert approved.error == "RuntimeError (formulation)"  # never the message: it may name
    assert "Tyler" not in approved.error
    assert len(mail.outbox) == 1 and approved.reference in mail.outbox[0].subject
    assert "Tyler" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(detail=f"erasure {approved.reference}: failed").exists()
    # Not retried by itself: the requeue task leaves it alone ...
    queued.clear()
    assert retention.erasures_requeue(minutes=0) == 0
    # ... an operator (never the proposer) runs it again.
    with pytest.raises(PermissionDenied):
        retention.erasure_retry(actor=world.manager, request=approved)
    retention.erasure_retry(actor=second_manager, request=approved)
    approved.refresh_from_db()
    assert approved.status == ErasureRequest.Status.APPROVED and approved.error == ""


def test_the_job_refuses_when_an_episode_opened_after_approval(world, approved, engine):
    Case.objects.create(child=approved.child, team=world.yot_a, status="potential")
    assert retention.erasure_run(approved.pk) == "refused"
    approved.refresh_from_db()
    assert approved.status == ErasureRequest.Status.REFUSED
    assert "open episode" in approved.refusal_reason
    assert engine == []  # the engine was never called


def test_approved_jobs_never_queued_are_queued_again(world, approved, queued):
    queued.clear()
    assert retention.erasures_requeue(minutes=0) == 1
    assert queued == [(retention.RUN_ERASURE, (approved.pk,))]


def test_one_erasure_under_way_per_child(world, approved):
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.create(
            child=approved.child, team=world.yot_a, reason="again", proposed_by=world.manager
        )


def test_a_job_whose_worker_stopped_can_be_run_again_by_an_operator(
    world, approved, second_manager, queued
):
    long_ago = timezone.now() - dt.timedelta(hours=2)
    ErasureRequest.objects.filter(pk=approved.pk).update(
        status=ErasureRequest.Status.RUNNING, started_at=long_ago, progress_at=long_ago
    )
    approved.refresh_from_db()
    assert approved.is_stale()
    retention.erasure_retry(actor=second_manager, request=approved)
    assert ErasureRequest.objects.get().status == ErasureRequest.Status.APPROVED
    # One still making progress is not run twice.
    ErasureRequest.objects.update(status=ErasureRequest.Status.RUNNING, progress_at=timezone.now())
    with pytest.raises(ValidationError):
        retention.erasure_retry(actor=second_manager, request=ErasureRequest.objects.get())
