"""Writes after formulation: reviews, TRM stage, actions, contacts and missed-appointment
decisions, risk and outcome ratings, closure. Each service checks the policy, validates with
a clear reason, and writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm import services as core
from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.dates import display_date
from ecm.editing import check_version, model_update
from ecm.models import ACTIVE_CLOSURE_REASONS, AuditEvent, Case, CaseStatus, ClosureReason, User
from formulation.meeting import services as meeting_services
from formulation.meeting.selectors import episode_formulation_meeting
from formulation.models import Meeting, Report, ReportSection, TRMStage
from formulation.report import services as report_services
from formulation.trm.selectors import stages_for
from referrals.models import Offence

from . import selectors
from .models import (
    Action,
    Closure,
    Contact,
    MissedAppointmentDecision,
    OutcomeDomain,
    OutcomeRating,
    OutcomeSurvey,
    ProgressStatus,
    RecommendationProgress,
    Review,
    ReviewOffence,
    ReviewRecommendation,
    RiskRating,
    Transition,
    TRMStageRecord,
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def require_open(case: Case) -> None:
    """An ended case (closed, or not accepted) is read-only: say so, and how to change it."""
    if not case.is_open:
        raise ValidationError(
            _(
                "Case %(ref)s is “%(status)s”, so it is read-only. Re-open it (a new episode) "
                "to record anything new."
            )
            % {"ref": case.reference, "status": case.get_status_display()},
            code="closed",
        )


def _locked_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("child").get(pk=case.pk)


# --- Reviews ---


def _validate_review(
    case: Case,
    data: dict,
    recommendations,
    progress: dict,
    review: Review | None = None,
    offences=(),
    new_recommendations=(),
) -> dict:
    errors: dict[str, list[str]] = {}

    def err(field, message):
        errors.setdefault(field, []).append(message)

    today = timezone.localdate()
    held_on = data.get("held_on")
    meeting = episode_formulation_meeting(case)
    if meeting is None:
        err(None, _("A review follows the formulation meeting: record the meeting as held first."))
    elif meeting.case_id != case.pk:
        # The formulation was carried forward from an earlier episode: this one's reviews
        # start with it.
        if held_on and held_on < case.opened_on:
            err(
                "held_on",
                _("A review cannot be before the episode opened (%(d)s).")
                % {"d": display_date(case.opened_on)},
            )
    elif held_on and held_on < timezone.localdate(meeting.starts_at):
        err(
            "held_on",
            _("A review cannot be before the formulation meeting (%(d)s).")
            % {"d": display_date(meeting.starts_at)},
        )
    if held_on and held_on > today:
        err("held_on", _("Record a review once it has taken place (the date is in the future)."))
    next_on = data.get("next_review_on")
    if data.get("kind") == Review.Kind.CLOSURE:
        pass
    elif not next_on:
        err("next_review_on", _("Set the next review date (only a closure review has none)."))
    unchanged = review is not None and next_on == review.next_review_on
    if next_on and next_on < today and not unchanged:
        # (Correcting an old review keeps its next date, even if that date has passed.)
        err("next_review_on", _("The next review cannot be in the past."))
    elif next_on and held_on and next_on <= held_on:
        err("next_review_on", _("The next review must come after this one."))
    if data.get("reoffended") is None:
        err("reoffended", _("Say whether the child has reoffended."))
    elif data["reoffended"] and not offences:
        err(
            "reoffended",
            _("Give each offence since the last meeting: its type, date and gravity (1-8)."),
        )
    elif not data["reoffended"] and offences:
        err(
            "reoffended",
            _("The answer is “no”, yet offences are listed: answer “yes”, or remove the offences."),
        )
    for n, offence in enumerate(offences, start=1):
        if not (offence.get("offence_type") or "").strip():
            err("offences", _("Offence %(n)s: give the offence type.") % {"n": n})
        if not offence.get("date"):
            err("offences", _("Offence %(n)s: give the date of the offence.") % {"n": n})
        elif held_on and offence["date"] > held_on:
            err("offences", _("Offence %(n)s: the offence cannot be after the review.") % {"n": n})
        gravity = offence.get("gravity")
        if not gravity or not 1 <= gravity <= 8:
            err("offences", _("Offence %(n)s: give the gravity score (1-8).") % {"n": n})
    for n, rec in enumerate(new_recommendations, start=1):
        if not (rec.get("intervention") or "").strip():
            err("recommendations", _("New recommendation %(n)s: write it.") % {"n": n})
        if not (rec.get("owner_user") or rec.get("owner_agency") or rec.get("owner_name")):
            err(
                "recommendations",
                _("New recommendation %(n)s: say who is best placed, a person or an agency.")
                % {"n": n},
            )
    if data.get("breach") is None:
        err("breach", _("Say whether there has been a breach."))
    elif data["breach"] and not data.get("breach_details", "").strip():
        err("breach_details", _("Describe the breach."))
    if data.get("plan_changed") and not data.get("plan_change_reason", "").strip():
        err("plan_change_reason", _("Record why the intervention plan changed."))
    missing = [
        f"{r.sequence}. {r.intervention[:50]}"
        for r in recommendations
        if progress.get(r.pk, ("", ""))[0] not in ProgressStatus.values
    ]
    if missing:
        err(None, _("Record progress on every recommendation: %(l)s.") % {"l": "; ".join(missing)})
    return errors


def _validate_review_meeting(case: Case, meeting, review: Review | None) -> dict:
    """The arranged review meeting a review is recorded for: this case's, of the review
    kind, and not already recorded by another review."""
    if meeting is None:
        return {}
    if meeting.case_id != case.pk or meeting.kind != Meeting.Kind.REVIEW:
        return {"meeting": [_("Choose a review meeting of this case.")]}
    other = Review.objects.filter(meeting=meeting).exclude(pk=getattr(review, "pk", None))
    if meeting.status == Meeting.Status.CANCELLED or other.exists():
        return {"meeting": [_("That review meeting is cancelled or has its review already.")]}
    return {}


REVIEW_FIELDS = (
    "kind",
    "held_on",
    "chair",
    "present_others",
    "apologies",
    "additional_information",
    "discussion",
    "reoffended",
    "breach",
    "breach_details",
    "plan_changed",
    "plan_change_reason",
    "next_review_on",
)


def _keep_due_dates(review: Review) -> None:
    """The date this review was due, and the one after it (whose due date this review's
    "next review" sets), from the reviews held before each."""
    later = (
        Review.objects.filter(case_id=review.case_id)
        .filter(Q(held_on__gt=review.held_on) | Q(held_on=review.held_on, pk__gt=review.pk))
        .order_by("held_on", "pk")
        .first()
    )
    for r in (review, later):
        if r is not None and (due := selectors.review_due_on(r)) != r.due_on:
            r.due_on = due
            Review.objects.filter(pk=r.pk).update(due_on=due)


OFFENCE_FIELDS = ("offence_type", "date", "gravity", "disposal")
PROPOSAL_FIELDS = ("intervention", "owner_user", "owner_agency", "owner_name")


@transaction.atomic
def review_save(
    *,
    actor: User,
    case: Case,
    data: dict,
    progress: dict[int, tuple[str, str]],
    action_updates: dict[int, str] | None = None,
    present=(),
    review: Review | None = None,
    expected_version: int | None = None,
    meeting: Meeting | None = None,
    offences: list[dict] | None = None,
    new_recommendations: list[dict] | None = None,
    trm: dict | None = None,
) -> Review:
    """Record a review (Appendix 5), or correct one. `progress` maps every recommendation of
    the case to (status, note); `action_updates` maps open actions to their new status.
    `offences` is the whole list of offences since the last meeting (dicts of type, date,
    gravity, disposal, and "pk" for one already recorded at this review; None keeps those
    saved); `new_recommendations` the whole list of this review's proposed recommendations
    not yet confirmed (the same way); `trm` the psychologist's stage now ({"stage",
    "explanation"}, through `trm_stage_record`). Refused if someone else saved the review
    since the form was loaded."""
    case = _locked_case(case)
    require_open(case)
    _require(access_for(actor).can_record_review(case))
    if review is not None:
        review = Review.objects.select_for_update().get(pk=review.pk, case=case)
        check_version(review, expected_version, what=_("review"))
    saved_offences = {o.pk: o for o in review.offences.all()} if review is not None else {}
    if offences is None:
        offences = [
            {"pk": o.pk, **{k: getattr(o, k) for k in OFFENCE_FIELDS}}
            for o in saved_offences.values()
        ]
    saved_proposals = (
        {p.pk: p for p in review.new_recommendations.filter(confirmed_at__isnull=True)}
        if review is not None
        else {}
    )
    if new_recommendations is None:
        new_recommendations = [
            {"pk": p.pk, **{k: getattr(p, k) for k in PROPOSAL_FIELDS}}
            for p in saved_proposals.values()
        ]
    recommendations = list(case.recommendations.order_by("sequence", "pk"))
    errors = _validate_review(
        case, data, recommendations, progress, review, offences, new_recommendations
    )
    errors.update(_validate_review_meeting(case, meeting, review))
    if errors:
        raise ValidationError(errors)
    if not data.get("breach"):
        data = {**data, "breach_details": ""}
    created = review is None
    if created:
        review = Review(case=case, created_by=actor)
    else:
        review.version += 1
    changed = model_update(review, data, fields=REVIEW_FIELDS)
    if meeting is not None and review.meeting_id != meeting.pk:
        review.meeting = meeting
        changed.append("meeting")
    review.save()
    if meeting is not None:
        meeting_services.review_meeting_held(actor=actor, meeting=meeting)
    review.present.set(present)
    TRMStageRecord.objects.filter(review=review).update(recorded_on=review.held_on)
    if _save_offences(actor, review, case, offences, saved_offences):
        changed.append("offences")
    if _save_proposals(actor, review, new_recommendations, saved_proposals):
        changed.append("new_recommendations")
    _keep_due_dates(review)
    for rec in recommendations:
        status, note = progress[rec.pk]
        RecommendationProgress.objects.update_or_create(
            review=review, recommendation=rec, defaults={"status": status, "note": note.strip()}
        )
    for action in Action.objects.filter(
        case=case, pk__in=list((action_updates or {}).keys()), status=Action.Status.OPEN
    ):
        new = action_updates[action.pk]
        if new in (Action.Status.DONE, Action.Status.DROPPED):
            action.status = new
            action.completed_on = review.held_on
            action.save(update_fields=["status", "completed_on"])
            _audit(actor, AuditEvent.Action.UPDATE, action, case, ["status"])
    _audit(
        actor,
        AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        review,
        case,
        changed,
    )
    if trm is not None and trm.get("stage") is not None:
        # The psychologist's part of the form: the one service for the TRM stage now.
        try:
            trm_stage_record(
                actor=actor,
                review=review,
                stage=trm["stage"],
                explanation=trm.get("explanation") or "",
            )
        except ValidationError as exc:
            raise ValidationError(
                {f"trm_{key}": messages for key, messages in exc.message_dict.items()}
            ) from exc
    return review


def _save_offences(
    actor: User, review: Review, case: Case, offences: list[dict], saved: dict
) -> bool:
    """Each offence since the last meeting is an offence of the case (the timeline and
    monitoring count it), linked to the review. Rows left out of `offences` are removed.
    Each offence created, changed or removed has its own audit row. Returns whether anything
    changed."""
    changed = False
    kept = set()
    for row in offences:
        values = {k: row.get(k) for k in OFFENCE_FIELDS}
        values["offence_type"] = (values["offence_type"] or "").strip()
        values["disposal"] = (values["disposal"] or "").strip()
        offence = saved.get(row.get("pk"))
        if offence is None:
            offence = Offence.objects.create(case=case, **values)
            ReviewOffence.objects.create(review=review, offence=offence)
            _audit(actor, AuditEvent.Action.CREATE, offence, case, list(values), detail="review")
            changed = True
        elif fields := model_update(offence, values):
            offence.save()
            _audit(actor, AuditEvent.Action.UPDATE, offence, case, fields, detail="review")
            changed = True
        kept.add(offence.pk)
    for pk in saved:
        if pk not in kept:
            _audit(actor, AuditEvent.Action.DELETE, saved[pk], case, [], detail="review")
            saved[pk].delete()
            changed = True
    return changed


def _save_proposals(actor: User, review: Review, rows: list[dict], saved: dict) -> bool:
    """The review's proposed recommendations not yet confirmed: added, corrected, removed.
    A confirmed one belongs to the formulation and is not touched here."""
    changed = False
    kept = set()
    for row in rows:
        values = {k: row.get(k) for k in PROPOSAL_FIELDS}
        values["intervention"] = (values["intervention"] or "").strip()
        values["owner_name"] = (values["owner_name"] or "").strip()
        values["owner_agency"] = values["owner_agency"] or ""
        proposal = saved.get(row.get("pk"))
        if proposal is None:
            proposal = ReviewRecommendation.objects.create(
                review=review, created_by=actor, **values
            )
            changed = True
        elif model_update(proposal, values):
            proposal.save()
            changed = True
        kept.add(proposal.pk)
    gone = [pk for pk in saved if pk not in kept]
    if gone:
        ReviewRecommendation.objects.filter(
            pk__in=gone, review=review, confirmed_at__isnull=True
        ).delete()
        changed = True
    return changed


@transaction.atomic
def review_recommendation_confirm(*, actor: User, proposal: ReviewRecommendation):
    """The psychologist confirms a recommendation agreed at a review into the formulation.
    A final report is first opened for amendment (its reason names the review), so the
    new recommendation lands in the next version, which the psychologist finalises as any
    amendment; a draft takes it at once. Returns the formulation recommendation."""
    proposal = (
        ReviewRecommendation.objects.select_for_update(of=("self",))
        .select_related("review__case")
        .get(pk=proposal.pk)
    )
    case = _locked_case(proposal.review.case)
    require_open(case)
    report = Report.objects.filter(case=case).first()
    _require(access_for(actor).can_confirm_review_recommendation(case, report))
    if proposal.is_confirmed:
        raise ValidationError(_("This recommendation is already in the formulation."))
    meeting = episode_formulation_meeting(case)
    if meeting is None:
        raise ValidationError(_("The case has no held formulation meeting."))
    held_on = display_date(proposal.review.held_on)
    if report is not None and report.status == Report.Status.FINAL:
        report_services.report_amend(
            actor=actor,
            report=report,
            reason=_("Recommendations agreed at the review of %(d)s.") % {"d": held_on},
        )
    last = case.recommendations.order_by("-sequence").values_list("sequence", flat=True).first()
    recommendation = report_services.recommendation_add(
        actor=actor,
        meeting=meeting,
        data={
            "intervention": proposal.intervention,
            "owner_user": proposal.owner_user,
            "owner_agency": proposal.owner_agency,
            "owner_name": proposal.owner_name,
            "sequence": (last or 0) + 1,
        },
    )
    proposal.recommendation = recommendation
    proposal.confirmed_at = timezone.now()
    proposal.confirmed_by = actor
    proposal.save(update_fields=["recommendation", "confirmed_at", "confirmed_by"])
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        proposal,
        case,
        ["recommendation", "confirmed_at"],
        detail=f"confirmed as recommendation {recommendation.sequence}",
    )
    return recommendation


@transaction.atomic
def trm_stage_record(
    *, actor: User, review: Review, stage: TRMStage, explanation: str = ""
) -> TRMStageRecord:
    """The psychologist records the TRM stage now, beside the stage at formulation. A change
    needs what explains it (e.g. a placement breakdown)."""
    case = _locked_case(review.case)
    require_open(case)
    _require(access_for(actor).can_place_on_trm(case))
    if not stages_for(case).filter(pk=stage.pk).exists():
        raise ValidationError({"stage": _("Choose a stage of the team's TRM framework.")})
    previous = (
        TRMStageRecord.objects.filter(case=case, recorded_on__lte=review.held_on)
        .exclude(review=review)
        .select_related("stage")
        .order_by("-recorded_on", "-pk")
        .first()
    )
    meeting = episode_formulation_meeting(case)
    before = (
        previous.stage
        if previous
        else getattr(getattr(meeting, "trm_placement", None), "stage", None)
    )
    if before is not None and before.pk != stage.pk and not explanation.strip():
        raise ValidationError(
            {
                "explanation": _("The stage moved from %(a)s to %(b)s: say what explains it.")
                % {"a": before.number, "b": stage.number}
            }
        )
    record, _created = TRMStageRecord.objects.update_or_create(
        review=review,
        defaults={
            "case": case,
            "stage": stage,
            "recorded_on": review.held_on,
            "explanation": explanation.strip(),
            "recorded_by": actor,
        },
    )
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        record,
        case,
        ["stage", "explanation"],
        detail=f"stage {stage.number}",
    )
    return record


# --- Actions ---


@transaction.atomic
def action_add(*, actor: User, case: Case, data: dict) -> Action:
    case = _locked_case(case)
    require_open(case)
    _require(access_for(actor).can_manage_actions(case))
    if not (data.get("owner_user") or data.get("owner_agency") or data.get("owner_name")):
        raise ValidationError(_("Say who owns the action: a person or an agency."))
    rec = data.get("recommendation")
    if rec is not None and rec.case_id != case.pk:
        raise ValidationError({"recommendation": _("Choose a recommendation of this case.")})
    action = Action(case=case, created_by=actor, **data)
    action.full_clean(exclude=["case"])
    action.save()
    _audit(actor, AuditEvent.Action.CREATE, action, case, list(data))
    return action


@transaction.atomic
def action_set_status(*, actor: User, action: Action, status: str) -> Action:
    action = Action.objects.select_for_update().select_related("case").get(pk=action.pk)
    require_open(action.case)
    _require(access_for(actor).can_manage_actions(action.case))
    if status not in Action.Status.values:
        raise ValidationError(_("Choose a status."))
    action.status = status
    action.completed_on = timezone.localdate() if status != Action.Status.OPEN else None
    action.save(update_fields=["status", "completed_on"])
    _audit(actor, AuditEvent.Action.UPDATE, action, action.case, ["status"])
    return action


# --- Contacts and missed appointments ---


@transaction.atomic
def contact_add(*, actor: User, case: Case, data: dict) -> Contact:
    case = _locked_case(case)
    require_open(case)
    _require(access_for(actor).can_record_contact(case))
    if data.get("date") and data["date"] > timezone.localdate():
        raise ValidationError({"date": _("A contact is recorded once it has happened.")})
    if data.get("date") and data["date"] < case.opened_on:
        raise ValidationError({"date": _("The contact cannot be before the case opened.")})
    stage = data.get("trm_stage")
    if stage is not None and not stages_for(case).filter(pk=stage.pk).exists():
        raise ValidationError({"trm_stage": _("Choose a stage of the team's TRM framework.")})
    contact = Contact(case=case, recorded_by=actor, **data)
    contact.full_clean(exclude=["case"])
    contact.save()
    _audit(actor, AuditEvent.Action.CREATE, contact, case, list(data))
    return contact


@transaction.atomic
def missed_decision_record(
    *, actor: User, case: Case, decision: str, psychologist: User, advice: str, decided_on=None
) -> MissedAppointmentDecision:
    """Record the YOT's decision after consulting the psychologist about missed
    appointments."""
    case = _locked_case(case)
    require_open(case)
    _require(access_for(actor).can_decide_missed(case))
    errors = {}
    if decision not in MissedAppointmentDecision.Decision.values:
        errors["decision"] = _("Choose warning, breach or no action.")
    if psychologist is None or not access_for(psychologist).is_case_psychologist(case):
        errors["psychologist"] = _("Choose the psychologist who was consulted.")
    if not advice.strip():
        errors["advice"] = _("Record the psychologist's advice.")
    missed = selectors.missed_since_last_decision(case)
    if missed == 0:
        errors["decision"] = _("There are no missed appointments since the last decision.")
    if errors:
        raise ValidationError(errors)
    record = MissedAppointmentDecision.objects.create(
        case=case,
        decided_on=decided_on or timezone.localdate(),
        missed_count=missed,
        decision=decision,
        decided_by=actor,
        psychologist=psychologist,
        psychologist_advice=advice.strip(),
    )
    _audit(actor, AuditEvent.Action.CREATE, record, case, ["decision"], detail=decision)
    return record


# --- Risk and outcomes ---


@transaction.atomic
def risk_record(*, actor: User, case: Case, point: str, data: dict) -> RiskRating:
    case = _locked_case(case)
    require_open(case)
    _require(access_for(actor).can_rate(case))
    rating = RiskRating.objects.filter(case=case, point=point).first() or RiskRating(
        case=case, point=point
    )
    changed = model_update(
        rating, {key: data.get(key) for key in ("reoffending", "serious_harm", "vulnerability")}
    )
    rating.recorded_on = data.get("recorded_on") or timezone.localdate()
    rating.recorded_by = actor
    rating.full_clean(exclude=["case"])
    rating.save()
    _audit(actor, AuditEvent.Action.UPDATE, rating, case, changed)
    return rating


def _survey_save(actor, case, point, ratings: dict[str, tuple[str, str]], on) -> OutcomeSurvey:
    missing = [
        str(OutcomeDomain(d).label)
        for d in OutcomeDomain.values
        if ratings.get(d, ("", ""))[1] not in OutcomeRating.Concern.values
        or (
            point == OutcomeSurvey.Point.CLOSURE
            and ratings[d][0] not in OutcomeRating.Change.values
        )
    ]
    if missing:
        raise ValidationError(
            _("Rate every outcome domain: %(l)s.") % {"l": "; ".join(missing)}, code="survey"
        )
    survey, _created = OutcomeSurvey.objects.update_or_create(
        case=case, point=point, defaults={"completed_on": on, "completed_by": actor}
    )
    for domain, (change, concern) in ratings.items():
        if domain in OutcomeDomain.values:
            OutcomeRating.objects.update_or_create(
                survey=survey, domain=domain, defaults={"change": change, "concern": concern}
            )
    _audit(actor, AuditEvent.Action.UPDATE, survey, case, list(ratings))
    return survey


@transaction.atomic
def outcome_baseline_save(*, actor: User, case: Case, ratings: dict) -> OutcomeSurvey:
    case = _locked_case(case)
    require_open(case)
    _require(access_for(actor).can_rate(case))
    return _survey_save(actor, case, OutcomeSurvey.Point.BASELINE, ratings, timezone.localdate())


# --- Closure ---


@transaction.atomic
def case_close_with_review(
    *,
    actor: User,
    case: Case,
    reason: str,
    closed_on: dt.date,
    next_steps: str,
    transitions: dict[str, list[str]],
    risk: dict,
    outcomes: dict[str, tuple[str, str]],
    voluntary_until: dt.date | None = None,
    review: Review | None = None,
    reason_detail: str = "",
    no_review_reason: str = "",
    expected_version: int | None = None,
) -> Closure:
    """Record the ending of a case on ECM, whatever ended it (order completed, consent
    withdrawn, disengaged, custody, moved...): the next steps agreed at the closure review,
    the reason (and why, for disengagement), where the child goes next (with the report
    sections that went along), risk at closure and the case manager's outcome survey.

    The case then closes and becomes read-only; or, with `voluntary_until`, it stays open
    in its voluntary period after the order (contacts and reviews go on) and closes by
    itself at the end of it (`voluntary_periods_end`, a daily task)."""
    case = _locked_case(case)
    require_open(case)
    _require(access_for(actor).can_close_case(case))
    if case.status == CaseStatus.VOLUNTARY:
        raise ValidationError(
            _(
                "The closure of this case is already recorded: it closes when its voluntary "
                "period ends."
            ),
            code="already_recorded",
        )
    errors: dict = {}
    reason_detail, no_review_reason = reason_detail.strip(), no_review_reason.strip()
    if reason not in dict(ACTIVE_CLOSURE_REASONS):
        errors["reason"] = _("Choose a reason for closing the case.")
    if reason == ClosureReason.DISENGAGED and not reason_detail:
        errors["reason_detail"] = _("Say why the child disengaged.")
    if reason == ClosureReason.OTHER and not reason_detail:
        errors["reason_detail"] = _("Say what the other reason is.")
    if review is None and not no_review_reason:
        errors["no_review_reason"] = _(
            "Every closing case is expected to have a closure review. Record the review "
            "first, or say why there was none."
        )
    if not next_steps.strip():
        errors["next_steps"] = _("Record the next steps agreed at the closure review.")
    if reason == ClosureReason.TRANSITION and not transitions:
        errors["transitions"] = _("Choose where the child is moving on to.")
    if voluntary_until and voluntary_until <= closed_on:
        errors["voluntary_until"] = _("A voluntary period ends after the closure date.")
    unknown = set(transitions) - set(Transition.Destination.values)
    sections_ok = all(
        section in ReportSection.values for sections in transitions.values() for section in sections
    )
    if unknown or not sections_ok:
        errors["transitions"] = _("Choose destinations and report sections from the lists.")
    last_review = case.reviews.order_by("-held_on").values_list("held_on", flat=True).first()
    if last_review and closed_on < last_review:
        errors["closed_on"] = _("The case cannot close before its last review (%(d)s).") % {
            "d": display_date(last_review)
        }
    if closed_on > timezone.localdate():
        errors["closed_on"] = _("The closure date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    closure = Closure.objects.create(
        case=case,
        review=review,
        reason=reason,
        reason_detail=reason_detail,
        no_review_reason=no_review_reason if review is None else "",
        closed_on=closed_on,
        next_steps=next_steps.strip(),
        voluntary_until=voluntary_until,
        plan_completed=selectors.plan_completed(case),
        recorded_by=actor,
    )
    for destination, sections in transitions.items():
        Transition.objects.create(closure=closure, destination=destination, sections=sections)
    rating = RiskRating(
        case=case, point=RiskRating.Point.CLOSURE, recorded_on=closed_on, recorded_by=actor, **risk
    )
    try:
        rating.full_clean(exclude=["case"])
    except ValidationError as exc:
        raise ValidationError({"risk": exc.messages}) from exc
    RiskRating.objects.filter(case=case, point=RiskRating.Point.CLOSURE).delete()
    rating.save()
    _survey_save(actor, case, OutcomeSurvey.Point.CLOSURE, outcomes, closed_on)
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        closure,
        case,
        ["reason", "reason_detail", "next_steps", "transitions", "voluntary_until"],
        detail=",".join(transitions),
    )
    if voluntary_until:
        core.case_voluntary_period(
            actor=actor,
            case=case,
            until=voluntary_until,
            reason=reason,
            expected_version=expected_version,
        )
        return closure
    _drop_open_actions(actor, case, closed_on)
    core.case_close(
        actor=actor,
        case=case,
        reason=reason,
        closed_on=closed_on,
        expected_version=expected_version,
    )
    return closure


def _drop_open_actions(actor: User | None, case: Case, on: dt.date) -> None:
    """Open actions end with the case (they would otherwise stay overdue for ever)."""
    for action in Action.objects.filter(case=case, status=Action.Status.OPEN):
        action.status = Action.Status.DROPPED
        action.completed_on = on
        action.save(update_fields=["status", "completed_on"])
        _audit(actor, AuditEvent.Action.UPDATE, action, case, ["status"], detail="case closed")


@transaction.atomic
def voluntary_period_end(*, actor: User, case: Case, on: dt.date | None = None) -> Case:
    """End a voluntary period early (the child stopped coming, or it is complete): the case
    closes with the reason its closure record gave."""
    case = _locked_case(case)
    _require(access_for(actor).can_close_case(case))
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    closure = Closure.objects.filter(case=case).only("closed_on").first()
    if closure is not None and on < closure.closed_on:
        raise ValidationError(
            {
                "on": _("The voluntary period began on %(d)s: it cannot end before that.")
                % {"d": display_date(closure.closed_on)}
            }
        )
    return _end_voluntary_period(actor, case, on)


def _end_voluntary_period(actor: User | None, case: Case, on: dt.date) -> Case:
    _drop_open_actions(actor, case, min(on, case.voluntary_until or on))
    return core.case_voluntary_end(actor=actor, case=case, on=on)


def voluntary_periods_end(today: dt.date | None = None) -> int:
    """Close every case whose voluntary period has ended, as the daily task does (no actor:
    nobody asked for it); its open actions end with it. Harmless run twice."""
    today = today or timezone.localdate()
    due = Case.objects.filter(status=CaseStatus.VOLUNTARY, voluntary_until__lte=today)
    closed = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            case = Case.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if case is not None and case.status == CaseStatus.VOLUNTARY:
                _end_voluntary_period(None, case, case.voluntary_until)
                closed += 1
    return closed
