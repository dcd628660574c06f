"""Demo data after formulation: several reviews with progress, a TRM trajectory that drops
and rises, overdue actions, contacts with four missed appointments, a closed case with a
transition to probation, and a re-opened one that went straight to active (no new
formulation meeting)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ecm import services as core
from ecm.models import CaseStatus, ReopenReason
from formulation.decision.services import CARRIED_FORWARD, reopened_formulation_decide
from formulation.demo import ON_ECM_PATHS
from formulation.meeting.selectors import formulation_meeting
from formulation.trm.selectors import stages_for
from referrals import services as referrals
from referrals.demo import decide, minimal_pdf
from referrals.models import Decision

from . import selectors, services
from .models import OutcomeDomain, RecommendationProgress, Review

TRAJECTORY = [
    (2, "Settled at his nan's; attending every session."),
    (1, "Placement broke down after a fight at home; moved to emergency foster care."),
    (3, "Settled with the foster carers; trusting his worker; ready for some offence work."),
]


def seed(ctx) -> None:
    first = True
    for ref, case in ctx.new_cases.items():
        path = ctx.paths[ref]
        case.refresh_from_db()
        if path not in ON_ECM_PATHS or case.status != CaseStatus.ACTIVE:
            continue
        meeting = formulation_meeting(case)
        if meeting is None or case.reviews.exists():
            continue
        closing = path in ("closed", "reopened", "voluntary")
        _after_formulation(case, meeting, ctx, rich=first, closing=closing)
        first = False
        if closing:
            _close(case, path, ctx)


def _after_formulation(case, meeting, ctx, *, rich: bool, closing: bool = False) -> None:
    today = timezone.localdate()
    cm, senior = case.case_manager, ctx.users["senior"]
    psychologist = ctx.users["psychologist"]
    # The ratings at the start are the referral's (entered once, carried forward).
    recommendations = list(case.recommendations.order_by("sequence"))
    stages = {s.number: s for s in stages_for(case)}
    met = timezone.localdate(meeting.starts_at)
    dates = [met + dt.timedelta(weeks=6 * n) for n in (1, 2, 3)]
    dates = [d for d in dates if d < today] or [today]
    for index, held_on in enumerate(dates):
        last = index == len(dates) - 1
        statuses = ["in_progress", "done", "done"][min(index, 2)]
        if last:
            # The latest review goes through the service, as a user would record it today.
            review = services.review_save(
                actor=senior,
                case=case,
                data={
                    # A closing case's last review is its closure review (000 §1.40).
                    "kind": "closure" if closing else "scheduled",
                    "held_on": held_on,
                    "chair": senior,
                    "present_others": "Social worker",
                    "additional_information": "School reports better attendance.",
                    "discussion": "Keep the same worker; add the boxing club.",
                    "reoffended": rich,
                    "breach": False,
                    "plan_changed": rich,
                    "plan_change_reason": "Placement change: work moves to the foster home."
                    if rich
                    else "",
                    "next_review_on": today + dt.timedelta(weeks=5),
                },
                progress={r.pk: (statuses, "") for r in recommendations},
                present=[cm, senior, psychologist],
                offences=[
                    {
                        "offence_type": "Criminal damage",
                        "date": held_on - dt.timedelta(days=10),
                        "gravity": 2,
                        "disposal": "Referral order extended",
                    },
                    {
                        "offence_type": "Theft from a shop",
                        "date": held_on - dt.timedelta(days=4),
                        "gravity": 3,
                        "disposal": "",
                    },
                ]
                if rich
                else [],
                new_recommendations=[
                    {
                        "intervention": "Boxing club twice a week with the same coach.",
                        "owner_agency": "other",
                        "owner_name": "Northgate boxing club",
                    }
                ]
                if rich
                else [],
            )
        else:
            # Earlier reviews are history: written directly (the service rightly refuses a
            # next review date in the past for a review recorded today).
            review = Review.objects.create(
                case=case,
                kind="scheduled",
                held_on=held_on,
                chair=senior,
                reoffended=False,
                breach=False,
                discussion="Progress reviewed against the plan.",
                next_review_on=dates[index + 1],
                due_on=selectors.next_review_due(case),
                created_by=senior,
            )
            review.present.set([cm, senior, psychologist])
            RecommendationProgress.objects.bulk_create(
                RecommendationProgress(review=review, recommendation=r, status=statuses)
                for r in recommendations
            )
        if rich and index < len(TRAJECTORY) and stages:
            number, why = TRAJECTORY[index]
            services.trm_stage_record(
                actor=psychologist,
                review=review,
                stage=stages.get(number) or next(iter(stages.values())),
                explanation=why,
            )
    owner = cm
    for description, due, status in (
        ("Book the speech and language screen", today - dt.timedelta(days=12), "open"),
        ("Agree the boxing club transport with mum", today - dt.timedelta(days=3), "open"),
        ("Share the plan with the school", today - dt.timedelta(days=30), "done"),
        ("Review the routine with the foster carers", today + dt.timedelta(days=10), "open"),
    ):
        action = services.action_add(
            actor=cm,
            case=case,
            data={
                "description": description,
                "recommendation": recommendations[0] if recommendations else None,
                "owner_user": owner,
                "due_on": due,
            },
        )
        if status == "done":
            services.action_set_status(actor=cm, action=action, status="done")
    if rich:
        start = max(case.opened_on, met)
        for offset, kind, purpose in (
            (3, "face_to_face", "Routine-setting session"),
            (10, "missed", "Weekly session"),
            (17, "missed", "Weekly session"),
            (24, "phone", "Check-in after the missed sessions"),
            (31, "missed", "Weekly session"),
            (38, "missed", "Weekly session"),
        ):
            day = min(start + dt.timedelta(days=offset), today)
            services.contact_add(
                actor=cm,
                case=case,
                data={
                    "date": day,
                    "kind": kind,
                    "purpose": purpose,
                    "trm_stage": stages.get(1),
                    "outcome": "" if kind == "missed" else "Engaged for the whole session.",
                },
            )


def _close(case, path, ctx) -> None:
    cm = case.case_manager
    transition = path == "closed"
    services.case_close_with_review(
        actor=cm,
        case=case,
        reason="transition" if transition else "order_completed",
        closed_on=timezone.localdate(),
        next_steps="Hand over to probation with a joint meeting; share the formulation and plan."
        if transition
        else "Order completed; the family knows how to come back.",
        transitions={"probation": ["formulation", "recommendations", "plan"]} if transition else {},
        risk={"reoffending": 2, "serious_harm": 1, "vulnerability": 2},
        outcomes=dict.fromkeys(OutcomeDomain.values, ("improved", "low")),
        review=case.reviews.filter(kind="closure").order_by("-held_on").first(),
        # The order has ended; she keeps coming to the boxing club with her worker.
        voluntary_until=timezone.localdate() + dt.timedelta(days=75)
        if path == "voluntary"
        else None,
    )
    if path == "reopened":
        case.refresh_from_db()
        _reopen_straight_to_active(case, ctx)


def _reopen_straight_to_active(case, ctx) -> None:
    """A re-opened case that went straight to active (practice guidance, "Re-opening
    cases"): re-opened because the child reoffended, the referral pre-filled from the last
    one and updated, accepted, the consent still valid carried forward, and the
    psychologist and case manager agreed no new formulation meeting was needed."""
    cm, senior = case.case_manager, ctx.users["senior"]
    psychologist = ctx.users["psychologist"]
    new = core.case_reopen(
        actor=cm,
        case=case,
        reason=ReopenReason.REOFFENDED,
        detail="Arrested for a burglary three weeks after the order ended.",
    )
    referral = referrals.referral_start(actor=cm, case=new)
    referral = referrals.referral_save(
        actor=cm,
        referral=referral,
        data={
            "reason": "Reoffended (burglary) soon after the order ended; a new YRO.",
            "order_start_date": timezone.localdate(),
            "referral_date": timezone.localdate(),
        },
        upload=SimpleUploadedFile(
            "AssetPlus assessment.pdf",
            minimal_pdf(f"AssetPlus assessment (demo) {new.reference}"),
            content_type="application/pdf",
        ),
    )
    referral = referrals.referral_submit(actor=cm, referral=referral)
    decide(senior, referral, Decision.ACCEPTED)
    new.refresh_from_db()
    if new.status != CaseStatus.PREPARATION:  # consent not carried forward
        return
    reopened_formulation_decide(
        actor=psychologist,
        case=new,
        decision=CARRIED_FORWARD,
        note=f"Agreed by {psychologist} (psychologist) and {cm} (case manager): update the "
        "timeline and formulation rather than meet again.",
    )
