"""Writes of the referral pathway: readiness, the form, submission, the eligibility
decision, the waiting list and consent. Each is one transaction with its audit rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from ecm import services as core
from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.audit import audit_record
from ecm.dates import add_months, display_date, display_datetime
from ecm.editing import check_version, model_update
from ecm.language import Words, in_each_language
from ecm.models import AuditEvent, Case, CaseStatus, User
from ecm.selectors import case_team_members

from . import rules, uploads
from .models import (
    ACE_HOUSEHOLD,
    ACE_MALTREATMENT,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    LEAFLET_VERSION,
    CheckResult,
    Consent,
    Criterion,
    CriterionResult,
    Decision,
    Disposal,
    EligibilityCheck,
    NotMetReason,
    Offence,
    Referral,
    ReferralEvent,
    ReferralStatus,
    RuleSet,
    TeamReferralSettings,
)
from .selectors import prefilled_fields

EDITABLE = (ReferralStatus.DRAFT, ReferralStatus.RETURNED)


class AlreadyDecidedError(ValidationError):
    pass


def _in_english(label) -> str:
    """A label or lazy sentence in English, to store: a record reads the same whoever acted,
    and a stored msgid is shown in the reader's language ({% translate %})."""
    with translation.override("en-gb"):
        return str(label)


def _locked_referral(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update()
        .select_related("case", "case__child")
        .get(pk=referral.pk)
    )


@transaction.atomic
def referral_start(*, actor: User, case: Case) -> Referral:
    """The draft referral of a case (created the first time; idempotent)."""
    if not access_for(actor).can_edit_referral(case):
        raise PermissionDenied
    referral = Referral.objects.filter(case=case).first()
    if referral is not None:
        return referral
    cm = case.case_manager or actor
    referral = Referral.objects.create(
        case=case, referrer=cm, contact_number=cm.phone or case.team.phone
    )
    _audit(actor, AuditEvent.Action.CREATE, referral, case, ["status", "referrer"])
    if case.previous_case_id:
        _prefill_from_previous_episode(actor, referral)
    return referral


def _prefill_from_previous_episode(actor: User, referral: Referral) -> None:
    """A re-opened episode's draft starts as the last episode's referral, for the case
    manager to update (the referral pages list what changed since)."""
    case = referral.case
    previous = Referral.objects.filter(case_id=case.previous_case_id).first()
    if previous is None:
        return
    data = {f.attname: getattr(previous, f.attname) for f in prefilled_fields()}
    if not referral.contact_number:  # none on the profile: the number given last time
        data["contact_number"] = previous.contact_number
    changed = model_update(referral, data)
    referral.save()
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        referral,
        case,
        changed,
        detail=f"pre-filled from {previous.case.reference}",
    )
    if case.reopen_reason:
        ReferralEvent.objects.create(
            referral=referral,
            actor=actor,
            kind=ReferralEvent.Kind.READY,
            # Recorded in English (its values make it no msgid to show translated).
            summary=_in_english(
                Words(
                    gettext_lazy("Re-opened from %(ref)s: %(why)s"),
                    ref=previous.case.reference,
                    why=case.get_reopen_reason_display(),
                )
            ),
            note=case.reopen_detail,
        )


@transaction.atomic
def referral_mark_ready(*, actor: User, case: Case, note: str = "") -> Referral:
    """Practitioners and supervisors have assessed a potential case as ready for referral."""
    case = core.case_mark_ready(actor=actor, case=case)
    referral = referral_start(actor=actor, case=case)
    ReferralEvent.objects.create(
        referral=referral, actor=actor, kind=ReferralEvent.Kind.READY, note=note
    )
    return referral


@transaction.atomic
def referral_save(
    *,
    actor: User,
    referral: Referral,
    data: dict,
    offences: list[dict] | None = None,
    delete_offence_ids: list[int] | None = None,
    upload: UploadedFile | None = None,
    expected_version: int | None = None,
) -> Referral:
    """Save the form as a draft. Incomplete answers are allowed until submission."""
    referral = _locked_referral(referral)
    case = referral.case
    if not access_for(actor).can_edit_referral(case):
        raise PermissionDenied
    if referral.status not in EDITABLE:
        raise ValidationError(
            _("This referral has been submitted and can no longer be changed."), code="locked"
        )
    check_version(referral, expected_version, what=_("referral"))
    changed = model_update(referral, data)
    if upload is not None:
        extension, content_type = uploads.validate_document(upload)
        if referral.assetplus_file:
            referral.assetplus_file.delete(save=False)
        referral.assetplus_file.save(uploads.stored_name(extension), upload, save=False)
        changed += ["assetplus_file"] + model_update(
            referral,
            {
                "assetplus_name": uploads.display_name(upload.name, extension),
                "assetplus_content_type": content_type,
                "assetplus_size": upload.size,
                "assetplus_uploaded_at": timezone.now(),
            },
        )
    referral.version += 1
    referral.full_clean(exclude=["case", "assetplus_file"])
    referral.save()
    if delete_offence_ids:
        deleted, _ignored = Offence.objects.filter(case=case, pk__in=delete_offence_ids).delete()
        if deleted:
            changed.append("offences")
    for row in offences or []:
        offence = Offence(case=case, **row)
        offence.full_clean()
        offence.save()
        changed.append("offences")
    _audit(actor, AuditEvent.Action.UPDATE, referral, case, changed)
    return referral


@dataclass(frozen=True)
class MissingAnswer:
    """One thing a referral needs before it can be submitted: the words a user reads and
    the form field it is about ("" when it is about no one field)."""

    message: str
    field: str = ""

    def __str__(self) -> str:
        return self.message


def missing_for_submission(referral: Referral) -> list[str]:
    """Everything a referral needs before it can be submitted, in words a user reads."""
    return [p.message for p in missing_answers(referral)]


def missing_answers(referral: Referral) -> list[MissingAnswer]:
    """Everything a referral needs before it can be submitted, each with the field it is
    about, so the form can link to each one (and count the grid's answers)."""
    problems: list[MissingAnswer] = []
    labels = {f.name: f.verbose_name for f in Referral._meta.fields}
    for name in (
        "contact_number",
        "reason",
        "why_ecm",
        "disposal",
        "risk_reoffending",
        "risk_harm_self",
        "risk_harm_others",
    ):
        if not getattr(referral, name):
            problems.append(MissingAnswer(_("Answer “%(field)s”.") % {"field": labels[name]}, name))
    if referral.previous_interventions is None:
        problems.append(
            MissingAnswer(
                _("Give the number of previous YOT interventions (0 if none)."),
                "previous_interventions",
            )
        )
    if referral.repeat_offender is None:
        problems.append(
            MissingAnswer(_("Say whether the child is a repeat offender."), "repeat_offender")
        )
    if referral.disposal == Disposal.PRE_SENTENCE:
        problems.append(
            MissingAnswer(
                _(
                    "Referral to ECM is made only after sentence: a formulation before sentence "
                    "could lead to unequal sentencing, and the outcome of the case is not yet "
                    "known. Refer once the court has decided."
                ),
                "disposal",
            )
        )
    elif (
        referral.disposal
        and referral.disposal != Disposal.PREVENTION
        and (referral.order_start_date is None or referral.order_length_months is None)
    ):
        problems.append(
            MissingAnswer(
                _("Give the start date and length of the current order or disposal."),
                "order_start_date" if referral.order_start_date is None else "order_length_months",
            )
        )
    for name, label in unanswered_grid_rows(referral):
        problems.append(
            MissingAnswer(_("Answer “%(row)s” (“Don't know” is an answer).") % {"row": label}, name)
        )
    if not referral.assetplus_file:
        problems.append(
            MissingAnswer(_("Attach the AssetPlus assessment (PDF or Word)."), "assetplus")
        )
    child = referral.case.child
    on = referral.referral_date or timezone.localdate()
    if child.date_of_birth > on:
        problems.append(
            MissingAnswer(_("The child's date of birth is in the future; correct it first."))
        )
    else:
        age = child.age_on(on)
        if not 10 <= age <= 17:
            problems.append(
                MissingAnswer(
                    _(
                        "ECM is for children aged 10 to 17; %(name)s is %(age)s on the date of "
                        "referral."
                    )
                    % {"name": child.first_name, "age": age}
                )
            )
    return problems


REFERRAL_GRID = COMPLEXITY_CPN + COMPLEXITY_YND + ACE_MALTREATMENT + ACE_HOUSEHOLD


def unanswered_grid_rows(referral: Referral) -> list[tuple[str, str]]:
    """The complexity and ACE grid rows with no answer yet, (field, label), in form order."""
    return [(name, str(label)) for name, label in REFERRAL_GRID if not getattr(referral, name)]


@transaction.atomic
def referral_submit(
    *, actor: User, referral: Referral, expected_version: int | None = None
) -> Referral:
    """Send the referral and AssetPlus to the senior practitioner."""
    referral = _locked_referral(referral)
    case = referral.case
    if not access_for(actor).can_edit_referral(case):
        raise PermissionDenied
    if referral.status not in EDITABLE:
        raise ValidationError(_("This referral has already been submitted."), code="submitted")
    check_version(referral, expected_version, what=_("referral"))
    if referral.referral_date is None:
        referral.referral_date = timezone.localdate()
    problems = missing_for_submission(referral)
    if problems:
        raise ValidationError(problems, code="incomplete")
    referral.case = core.case_refer(actor=actor, case=case)
    resubmitted = referral.status == ReferralStatus.RETURNED
    referral.status = ReferralStatus.SUBMITTED
    referral.submitted_at = timezone.now()
    referral.version += 1
    referral.save()
    ReferralEvent.objects.create(
        referral=referral,
        actor=actor,
        kind=ReferralEvent.Kind.SUBMITTED,
        # Kept in English (a msgid), shown in the reader's language.
        summary=gettext_noop("Re-submitted with more information") if resubmitted else "",
    )
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        referral,
        case,
        ["status", "referral_date"],
        detail="submitted",
    )
    return referral


@transaction.atomic
def referral_record_viability(*, actor: User, referral: Referral, note: str) -> ReferralEvent:
    """Senior practitioner and YOT discussed appropriateness and viability."""
    referral = _locked_referral(referral)
    if not access_for(actor).can_decide_referral(referral.case):
        raise PermissionDenied
    if referral.status != ReferralStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted referral awaits a viability discussion."))
    if not note.strip():
        raise ValidationError(_("Write what was discussed."), code="required")
    event = ReferralEvent.objects.create(
        referral=referral, actor=actor, kind=ReferralEvent.Kind.VIABILITY, note=note.strip()
    )
    _audit(actor, AuditEvent.Action.UPDATE, referral, referral.case, ["viability_discussion"])
    return event


def rule_set_for(case: Case) -> RuleSet | None:
    """The rule set the deciding team uses: the central team's, else the owning team's,
    else the newest active one. A team's set that has been retired gives way to its newest
    version still available for new checks."""
    for team_id in (case.referred_to_id, case.team_id):
        if team_id:
            settings_row = (
                TeamReferralSettings.objects.filter(team_id=team_id)
                .select_related("rule_set")
                .first()
            )
            if settings_row and settings_row.rule_set_id:
                rule_set = settings_row.rule_set
                if rule_set.is_active:
                    return rule_set
                successor = rule_set.successor()
                if successor is not None:
                    return successor
    return RuleSet.objects.filter(is_active=True).order_by("-effective_from", "-pk").first()


def retired_message(rule_set: RuleSet) -> str:
    """Why a retired rule set takes no new checks, and what to use instead."""
    message = _(
        "“%(rs)s” is retired: it is kept so the decisions made with it keep their meaning, "
        "and takes no new checks."
    ) % {"rs": rule_set}
    successor = rule_set.successor()
    if successor is not None:
        message += " " + _("Check against “%(new)s” instead.") % {"new": successor}
    return message


def _copy_fields(rule_set: RuleSet) -> dict:
    return {
        **in_each_language(rule_set, "name", "source", "description"),
        "effective_from": rule_set.effective_from,
    }


@transaction.atomic
def rule_set_new_version(
    *, actor: User, rule_set: RuleSet, retire_old: bool = True, effective_from=None
) -> RuleSet:
    """A rule set is changed by making a new version of it: a copy with the next version
    number and the same criteria, which is then edited. The old version stays as it was,
    for the checks recorded with it, and is retired (no new checks) unless `retire_old` is
    false. Teams that used the old version move to the new one."""
    if not access_for(actor).can_manage_rule_sets():
        raise PermissionDenied
    old = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    # Lock the newest version too, so two copies made at once cannot take the same number.
    latest = RuleSet.objects.select_for_update().filter(code=old.code).order_by("-version").first()
    new = RuleSet.objects.create(
        code=old.code,
        version=latest.version + 1,
        is_active=True,
        **{**_copy_fields(old), "effective_from": effective_from or timezone.localdate()},
    )
    Criterion.objects.bulk_create(
        Criterion(
            rule_set=new,
            order=c.order,
            code=c.code,
            **in_each_language(c, "text"),
            kind=c.kind,
            params=c.params,
        )
        for c in old.criteria.all()
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=new,
        changed_fields=["version", "criteria"],
        detail=f"new version of rule set #{old.pk}",
    )
    if retire_old and old.is_active:
        old.is_active = False
        old.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=old,
            changed_fields=["is_active"],
            detail=f"superseded by rule set #{new.pk}",
        )
    for settings_row in TeamReferralSettings.objects.filter(rule_set=old):
        settings_row.rule_set = new
        settings_row.save(update_fields=["rule_set"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=settings_row,
            team_id=settings_row.team_id,
            changed_fields=["rule_set"],
            detail="rule set superseded",
        )
    return new


@dataclass
class DecisionInput:
    rule_set: RuleSet
    results: dict[int, str]  # criterion id -> met / not_met / unknown
    decision: str
    not_met_reasons: list[str] = field(default_factory=list)
    reasons: str = ""
    exceptional_override: bool = False
    override_reason: str = ""


@transaction.atomic
def eligibility_decide(*, actor: User, referral: Referral, data: DecisionInput) -> EligibilityCheck:
    """Record the eligibility check and decision, and move the case accordingly.

    The referral row is locked first, so of two senior practitioners deciding at once the
    second is told it was already decided and nothing is overwritten.
    """
    referral = _locked_referral(referral)
    case = referral.case
    if not access_for(actor).can_decide_referral(case):
        raise PermissionDenied
    if referral.status != ReferralStatus.SUBMITTED:
        last = referral.checks.select_related("checked_by").first()
        if last is not None:
            raise AlreadyDecidedError(
                _(
                    "This referral was already decided by %(who)s on %(when)s (%(decision)s). "
                    "Nothing has been changed."
                )
                % {
                    "who": last.checked_by,
                    "when": display_datetime(last.checked_at),
                    "decision": last.get_decision_display(),
                },
                code="already_decided",
            )
        raise AlreadyDecidedError(
            _("This referral is not awaiting a decision."), code="not_submitted"
        )
    # Read again: the set may have been retired since the page was opened.
    if not RuleSet.objects.filter(pk=data.rule_set.pk, is_active=True).exists():
        raise ValidationError(retired_message(data.rule_set), code="retired")
    criteria = list(data.rule_set.criteria.all())
    errors: list[str] = []
    missing = [c.text for c in criteria if data.results.get(c.pk) not in CriterionResult.values]
    if missing:
        errors.append(
            _("Give a result for every criterion. Missing: %(c)s.") % {"c": "; ".join(missing)}
        )
    if data.decision not in Decision.values:
        errors.append(_("Choose a decision."))
    unmet = [c.text for c in criteria if data.results.get(c.pk) == CriterionResult.NOT_MET]
    accepting = data.decision in (Decision.ACCEPTED, Decision.PRIORITY)
    if accepting and unmet and not data.exceptional_override:
        errors.append(
            _(
                "These criteria are not met: %(c)s. To accept all the same, tick "
                "“exceptional circumstances” and give the reason."
            )
            % {"c": "; ".join(unmet)}
        )
    if data.exceptional_override and not data.override_reason.strip():
        errors.append(_("Give the reason for the exceptional circumstances."))
    if data.decision == Decision.NOT_MET:
        bad = [r for r in data.not_met_reasons if r not in NotMetReason.values]
        if not data.not_met_reasons or bad:
            errors.append(_("Choose at least one reason the criteria are not met."))
        if NotMetReason.OTHER in data.not_met_reasons and not data.reasons.strip():
            errors.append(_("Describe the “other” reason."))
    if data.decision in (Decision.NOT_VIABLE, Decision.MORE_INFO) and not data.reasons.strip():
        errors.append(_("Give the reasons, so the case manager knows what happens next."))
    if errors:
        raise ValidationError(errors, code="invalid")

    check = EligibilityCheck.objects.create(
        referral=referral,
        rule_set=data.rule_set,
        checked_by=actor,
        decision=data.decision,
        not_met_reasons=data.not_met_reasons if data.decision == Decision.NOT_MET else [],
        reasons=data.reasons.strip(),
        exceptional_override=data.exceptional_override,
        override_reason=data.override_reason.strip() if data.exceptional_override else "",
    )
    CheckResult.objects.bulk_create(
        CheckResult(
            check_record=check,
            criterion=criterion,
            suggested=suggestion.result,
            result=data.results[criterion.pk],
            explanation=suggestion.explanation[:255],
        )
        for criterion, suggestion in rules.evaluate(referral, criteria)
    )
    now = timezone.now()
    if data.decision == Decision.MORE_INFO:
        case = core.case_return_for_information(actor=actor, case=case)
        referral.status = ReferralStatus.RETURNED
        kind = ReferralEvent.Kind.RETURNED
    else:
        referral.status = ReferralStatus.DECIDED
        referral.decided_at = now
        kind = ReferralEvent.Kind.DECISION
        if data.decision == Decision.ACCEPTED:
            case = core.case_accept(actor=actor, case=case)
            _advance_if_consented(actor, case)
        elif data.decision == Decision.PRIORITY:
            case = core.case_waitlist(actor=actor, case=case)
            referral.waiting_since = now
        else:
            case = core.case_decline(actor=actor, case=case)
    referral.case = case
    referral.version += 1
    referral.save()
    note_parts = [str(label) for label in check.not_met_reason_labels()]
    if check.reasons:
        note_parts.append(check.reasons)
    if check.exceptional_override:
        note_parts.append(_("Exceptional circumstances: %(r)s") % {"r": check.override_reason})
    ReferralEvent.objects.create(
        referral=referral,
        actor=actor,
        kind=kind,
        # The label's English (its msgid), put into the reader's language on the page.
        summary=_in_english(check.get_decision_display()),
        note="\n".join(note_parts),
    )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        check,
        case,
        ["decision", "results", "reasons"],
        detail=data.decision,
    )
    return check


@transaction.atomic
def referral_set_priority(
    *, actor: User, referral: Referral, significant_concern: bool, note: str = ""
) -> Referral:
    referral = _locked_referral(referral)
    if not access_for(actor).can_decide_referral(referral.case):
        raise PermissionDenied
    if significant_concern and not note.strip():
        raise ValidationError(_("Say what the significant concern is."), code="required")
    referral.significant_concern = significant_concern
    referral.significant_concern_note = note.strip() if significant_concern else ""
    referral.version += 1
    referral.save()
    ReferralEvent.objects.create(
        referral=referral,
        actor=actor,
        kind=ReferralEvent.Kind.PRIORITY,
        summary=gettext_noop("Significant concern set")
        if significant_concern
        else gettext_noop("Significant concern cleared"),
        note=referral.significant_concern_note,
    )
    _audit(actor, AuditEvent.Action.UPDATE, referral, referral.case, ["significant_concern"])
    return referral


@transaction.atomic
def waiting_list_offer_slot(*, actor: User, referral: Referral) -> Case:
    """A formulation slot is free: take the case off the waiting list."""
    referral = _locked_referral(referral)
    case = core.case_accept(actor=actor, case=referral.case)
    ReferralEvent.objects.create(
        referral=referral, actor=actor, kind=ReferralEvent.Kind.OFFERED_SLOT
    )
    return _advance_if_consented(actor, case)


# --- Consent ------------------------------------------------------------------------------


@dataclass
class ConsentStatus:
    child: Consent | None
    parent: Consent | None
    evaluation: Consent | None
    parent_needed: bool
    is_valid: bool
    missing: list[str]
    # The parent/carer's consent became needed when the child's date of birth was corrected
    # after the child's consent was recorded (checked then against the earlier date).
    since_dob_corrected: bool = False


def consent_status(case: Case, consents: list[Consent] | None = None) -> ConsentStatus:
    """Whether the case has valid ECM consent: the child's leaflet consent, plus the
    parent/carer's general YOT consent when the child was under 16 when they signed."""
    if consents is None:
        consents = list(case.consents.all())
    current = {}
    for consent in sorted(consents, key=lambda c: (c.date, c.pk)):
        current[consent.kind] = consent  # the latest record of each kind counts
    child = current.get(Consent.Kind.ECM_CHILD)
    parent = current.get(Consent.Kind.PARENT_GENERAL)
    evaluation = current.get(Consent.Kind.EVALUATION)
    on = child.date if child else timezone.localdate()
    parent_needed = case.child.age_on(on) < 16
    missing = []
    if not (child and child.is_current):
        missing.append(_("The child's ECM consent (leaflet) is not signed."))
    corrected_at = case.child.date_of_birth_corrected_at
    since_dob_corrected = False
    if parent_needed and not (parent and parent.is_current):
        since_dob_corrected = bool(child and corrected_at and child.recorded_at < corrected_at)
        if since_dob_corrected:
            missing.append(_dob_corrected_message(case, corrected_at))
        else:
            missing.append(
                _("The child is under 16: the parent/carer's general YOT consent is needed.")
            )
    return ConsentStatus(
        child, parent, evaluation, parent_needed, not missing, missing, since_dob_corrected
    )


def _dob_corrected_message(case: Case, corrected_at: dt.datetime) -> str:
    """Why a recorded consent is no longer enough, and what it means for the case's stage
    (the status does not move by itself: the case page says so instead)."""
    message = _(
        "Needs the parent/carer's consent since the date of birth was corrected "
        "(%(when)s): the child was under 16 when they signed their ECM consent."
    ) % {"when": display_date(corrected_at)}
    if case.status in (CaseStatus.PREPARATION, CaseStatus.ACTIVE, CaseStatus.VOLUNTARY):
        message += " " + _(
            "The case stays “%(status)s”, but its ECM consent is no longer complete: record "
            "the parent/carer's general YOT consent."
        ) % {"status": CaseStatus(case.status).label}
    return message


def has_valid_ecm_consent(case: Case) -> bool:
    return consent_status(case).is_valid


@dataclass
class CarryForward:
    """What of the earlier episode's consent a re-opened episode can carry forward: the
    records (empty: none), or why it is asked for again."""

    consents: list[Consent]
    reason: str = ""
    previous_reference: str = ""


def consent_carry_forward_check(case: Case) -> CarryForward:
    """Whether a re-opened episode can carry the earlier episode's ECM consent forward
    rather than take it again: the earlier consent must still be valid (not withdrawn, the
    parent/carer's too when the child signed under 16), on the current leaflet, and signed
    within settings.CONSENT_CARRY_FORWARD_MONTHS. Only for an episode with no ECM consent
    of its own yet (one withdrawn on this episode is asked for again). Two queries."""
    if not case.previous_case_id:
        return CarryForward([])
    if Consent.objects.filter(case=case, kind=Consent.Kind.ECM_CHILD).exists():
        return CarryForward([])
    previous = Case.objects.select_related("child").get(pk=case.previous_case_id)
    ref = previous.reference
    status = consent_status(previous)
    if status.child is None:
        return CarryForward([], _("No ECM consent was recorded on %(ref)s.") % {"ref": ref}, ref)
    if not status.child.is_current:
        return CarryForward(
            [],
            _("The ECM consent given on %(ref)s was withdrawn on %(d)s: ask for it again.")
            % {"ref": ref, "d": display_date(status.child.withdrawn_on)},
            ref,
        )
    if not status.is_valid:
        return CarryForward([], " ".join(status.missing), ref)
    needed = [status.child] + ([status.parent] if status.parent_needed else [])
    months = settings.CONSENT_CARRY_FORWARD_MONTHS
    oldest = add_months(timezone.localdate(), -months)
    if any(consent.date < oldest for consent in needed):
        return CarryForward(
            [],
            _(
                "The ECM consent on %(ref)s was signed on %(d)s, more than %(n)s months ago: "
                "ask for it again."
            )
            % {"ref": ref, "d": display_date(status.child.date), "n": months},
            ref,
        )
    if status.child.leaflet_version != LEAFLET_VERSION:
        return CarryForward(
            [],
            _("The ECM consent on %(ref)s was given on an earlier leaflet: ask for it again.")
            % {"ref": ref},
            ref,
        )
    carried = list(needed)
    if status.evaluation is not None and status.evaluation.withdrawn_on is None:
        carried.append(status.evaluation)  # given or refused: the child's answer stands
    if status.parent is not None and status.parent not in carried and status.parent.is_current:
        carried.append(status.parent)
    return CarryForward(carried, "", ref)


def consent_carry_forward(*, actor: User, case: Case) -> list[Consent]:
    """Carry the earlier episode's still-valid consent forward to a re-opened episode (see
    `consent_carry_forward_check`): each record copied with its date and signatory, marked
    as carried forward and audited. Called when the episode's referral is accepted (through
    `_advance_if_consented`), so a valid consent never leaves it waiting in "awaiting
    consent"; nothing is copied otherwise and the consent is asked for again."""
    check = consent_carry_forward_check(case)
    copies = []
    for old in check.consents:
        consent = Consent.objects.create(
            case=case,
            kind=old.kind,
            given=old.given,
            date=old.date,
            explained_by=old.explained_by,
            signatory_name=old.signatory_name,
            signatory_relationship=old.signatory_relationship,
            leaflet_version=old.leaflet_version,
            notes=(
                _("Carried forward from %(ref)s (signed %(d)s).")
                % {"ref": check.previous_reference, "d": display_date(old.date)}
            )[:255],
            recorded_by=actor,
            carried_forward_from=old,
        )
        _audit(
            actor,
            AuditEvent.Action.CREATE,
            consent,
            case,
            ["kind", "given", "date", "carried_forward_from"],
            detail=f"{old.kind} carried forward from {check.previous_reference}",
        )
        copies.append(consent)
    return copies


def _advance_if_consented(actor: User, case: Case) -> Case:
    if case.status == CaseStatus.AWAITING_CONSENT and case.previous_case_id:
        consent_carry_forward(actor=actor, case=case)
    if case.status == CaseStatus.AWAITING_CONSENT and has_valid_ecm_consent(case):
        case = core.case_consent_complete(actor=actor, case=case)
    return case


def consent_explainers(case: Case):
    """Who may have explained the leaflet: the people of the case's teams."""
    return case_team_members(case)


def _explainer(case: Case, actor: User, explained_by: User | None) -> User:
    if explained_by is None or explained_by.pk == actor.pk:
        return actor
    if not consent_explainers(case).filter(pk=explained_by.pk).exists():
        raise ValidationError(
            _("Choose who explained the leaflet from the people of the case's team."),
            code="explained_by",
        )
    return explained_by


def _consent_audit_detail(kind: str, actor: User, explained_by: User) -> str:
    """The audit row's actor is the recorder; the detail names who explained it (by id,
    as the audit log names people), so both are on the record."""
    return f"{kind}; explained by user #{explained_by.pk}; recorded by user #{actor.pk}"


@transaction.atomic
def consent_record(
    *,
    actor: User,
    case: Case,
    kind: str,
    date: dt.date,
    given: bool = True,
    explained_by: User | None = None,
    signatory_name: str = "",
    signatory_relationship: str = "",
    notes: str = "",
) -> Consent:
    """Consent given (or evaluation consent refused). `explained_by` is the practitioner
    who explained the leaflet, one of the case's team (the recorder by default). A refusal
    of ECM itself is `consent_refuse`: it ends the case."""
    case = Case.objects.select_for_update().select_related("child").get(pk=case.pk)
    if not access_for(actor).can_record_consent(case):
        raise PermissionDenied
    if kind not in Consent.Kind.values:
        raise ValidationError(_("Choose which consent this is."))
    if date > timezone.localdate():
        raise ValidationError(_("The date signed cannot be in the future."), code="future")
    if kind != Consent.Kind.EVALUATION and not given:
        raise ValidationError(
            _(
                "A refusal of ECM consent ends the case: record it with “Consent refused” "
                "below. Only evaluation consent is recorded as refused here."
            ),
            code="refusal",
        )
    if kind == Consent.Kind.PARENT_GENERAL and not signatory_name.strip():
        raise ValidationError(_("Give the name of the parent or carer who signed."))
    if not case.is_open:
        raise ValidationError(_("The case is closed."))
    explainer = _explainer(case, actor, explained_by)
    consent = Consent.objects.create(
        case=case,
        kind=kind,
        given=given,
        date=date,
        explained_by=explainer,
        signatory_name=signatory_name.strip(),
        signatory_relationship=signatory_relationship,
        notes=notes,
        recorded_by=actor,
        leaflet_version=LEAFLET_VERSION if kind == Consent.Kind.ECM_CHILD else "",
    )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        consent,
        case,
        ["kind", "given", "date", "explained_by", "recorded_by"],
        detail=_consent_audit_detail(kind, actor, explainer),
    )
    _advance_if_consented(actor, case)
    return consent


# Who can decline ECM: the child (the leaflet consent), or the parent/carer (the general
# YOT consent that a child under 16 needs).
REFUSABLE = (Consent.Kind.ECM_CHILD, Consent.Kind.PARENT_GENERAL)


@transaction.atomic
def consent_refuse(
    *,
    actor: User,
    case: Case,
    kind: str,
    date: dt.date,
    reason: str = "",
    explained_by: User | None = None,
    signatory_name: str = "",
    signatory_relationship: str = "",
) -> Consent:
    """The child (or the parent/carer) declines ECM after it was explained: the refusal is
    recorded as the consent outcome and the case ends as "consent refused"."""
    case = Case.objects.select_for_update().select_related("child").get(pk=case.pk)
    if not access_for(actor).can_record_consent(case):
        raise PermissionDenied
    if kind not in REFUSABLE:
        raise ValidationError(_("Say who declined: the child or the parent/carer."), code="kind")
    if date > timezone.localdate():
        raise ValidationError(_("The date of the refusal cannot be in the future."), code="future")
    if case.status != CaseStatus.AWAITING_CONSENT:
        raise ValidationError(
            _(
                "A refusal is recorded while the case is awaiting consent. Consent already "
                "given is withdrawn instead (“Record withdrawal”)."
            ),
            code="status",
        )
    if kind == Consent.Kind.PARENT_GENERAL and not signatory_name.strip():
        raise ValidationError(_("Give the name of the parent or carer who declined."))
    explainer = _explainer(case, actor, explained_by)
    consent = Consent.objects.create(
        case=case,
        kind=kind,
        given=False,
        date=date,
        explained_by=explainer,
        signatory_name=signatory_name.strip(),
        signatory_relationship=signatory_relationship,
        notes=reason.strip()[:255],
        recorded_by=actor,
        leaflet_version=LEAFLET_VERSION if kind == Consent.Kind.ECM_CHILD else "",
    )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        consent,
        case,
        ["kind", "given", "date", "explained_by", "recorded_by"],
        detail="refused; " + _consent_audit_detail(kind, actor, explainer),
    )
    core.case_consent_refuse(actor=actor, case=case, on=date, detail=reason.strip())
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, consent: Consent, date: dt.date, reason: str) -> Case:
    """Withdrawal of consent and its effect: without valid ECM consent no formulation
    meeting can be held, so a case in preparation goes back to awaiting consent; an active
    case ends through its closure record (reason: consent withdrawn), which the consent page
    leads to. Withdrawing evaluation consent only
    removes the child's data from evaluation; ECM goes on."""
    consent = (
        Consent.objects.select_for_update().select_related("case", "case__child").get(pk=consent.pk)
    )
    case = consent.case
    if not access_for(actor).can_record_consent(case):
        raise PermissionDenied
    if consent.withdrawn_on:
        raise ValidationError(
            _("This consent was already withdrawn on %(d)s.")
            % {"d": display_date(consent.withdrawn_on)}
        )
    if date < consent.date or date > timezone.localdate():
        raise ValidationError(
            _("The withdrawal date must be between the date signed and today."), code="date"
        )
    if not reason.strip():
        raise ValidationError(_("Give the reason for withdrawal."), code="required")
    consent.withdrawn_on = date
    consent.withdrawal_reason = reason.strip()
    consent.save()
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        consent,
        case,
        ["withdrawn_on", "withdrawal_reason"],
        detail="withdrawn",
    )
    if consent.kind == Consent.Kind.EVALUATION or has_valid_ecm_consent(case):
        return case
    case.refresh_from_db()
    if case.status == CaseStatus.PREPARATION:
        return core.case_consent_lost(actor=actor, case=case)
    # On ECM, the ending goes through the closure record (next steps, transitions, risk and
    # outcomes at closure), which the consent page leads to with the reason chosen.
    return case


@transaction.atomic
def offence_record(*, actor: User, case: Case, data: dict) -> Offence:
    """Record an offence of the child on the case, e.g. one the YOT learns of after the
    case closed (offending after ECM counts without a re-referral). The referral's and the
    reviews' offences are recorded on their own forms."""
    case = Case.objects.select_for_update().select_related("child").get(pk=case.pk)
    if not access_for(actor).can_record_offence(case):
        raise PermissionDenied
    offence = Offence(case=case, **{k: data.get(k) for k in ("date", "offence_type", "gravity")})
    offence.offence_type = (offence.offence_type or "").strip()
    offence.disposal = (data.get("disposal") or "").strip()
    errors = {}
    if offence.date and offence.date > timezone.localdate():
        errors["date"] = _("The offence date cannot be in the future.")
    elif offence.date and offence.date < case.child.date_of_birth:
        errors["date"] = _("The offence date is before the child was born.")
    if errors:
        raise ValidationError(errors)
    offence.full_clean(exclude=["case"])
    offence.save()
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        offence,
        case,
        ["date", "offence_type", "gravity", "disposal"],
        detail="" if case.is_open else "after the case ended",
    )
    return offence
