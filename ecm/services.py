"""Writes to the core: children, cases, allocation and the case status machine.

Every service validates, changes state and writes its audit row in one transaction.
Permission is checked here too (not only in views), so a task or a script cannot bypass it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .access import OWNER_ROLES, access_for
from .audit import audit_record
from .dates import age_on, display_date
from .editing import check_version, model_update
from .models import (
    ON_ECM_STATUSES,
    PRE_ECM_STATUSES,
    AuditEvent,
    Case,
    CaseStatus,
    Child,
    ChildCorrection,
    ClosureReason,
    NotCarriedForwardReason,
    ReopenReason,
    Role,
    Team,
    User,
)
from .selectors import team_members


class TransitionError(ValidationError):
    """An illegal move of the case status machine."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: object  # lazy string
    sources: frozenset[str]
    target: str
    roles: frozenset[str]


S = CaseStatus
_SENIOR = frozenset({Role.SENIOR_PRACTITIONER})
_OWNERS = OWNER_ROLES

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "mark_ready",
            gettext_lazy("Assessed as ready for referral"),
            frozenset({S.POTENTIAL}),
            S.READY,
            _OWNERS,
        ),
        Transition(
            "refer", gettext_lazy("Refer for ECM"), frozenset({S.READY}), S.REFERRED, _OWNERS
        ),
        Transition(
            "return_for_information",
            gettext_lazy("Return to the case manager for more information"),
            frozenset({S.REFERRED}),
            S.READY,
            _SENIOR,
        ),
        Transition(
            "accept",
            gettext_lazy("Accept: awaiting consent"),
            frozenset({S.REFERRED, S.WAITING}),
            S.AWAITING_CONSENT,
            _SENIOR,
        ),
        Transition(
            "waitlist",
            gettext_lazy("Accept onto the waiting list"),
            frozenset({S.REFERRED}),
            S.WAITING,
            _SENIOR,
        ),
        Transition(
            "decline",
            gettext_lazy("Not accepted"),
            frozenset({S.REFERRED}),
            S.NOT_ACCEPTED,
            _SENIOR,
        ),
        Transition(
            "consent_complete",
            gettext_lazy("Consent in place: prepare for formulation"),
            frozenset({S.AWAITING_CONSENT}),
            S.PREPARATION,
            _OWNERS,
        ),
        Transition(
            "consent_lost",
            gettext_lazy("Consent withdrawn: awaiting consent"),
            frozenset({S.PREPARATION}),
            S.AWAITING_CONSENT,
            _OWNERS,
        ),
        Transition(
            "activate",
            gettext_lazy("Formulation held: make active"),
            frozenset({S.PREPARATION}),
            S.ACTIVE,
            frozenset({Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST}),
        ),
        Transition(
            # A re-opened episode whose psychologist and case manager agree no new meeting is
            # needed: active on the earlier formulation (`case_formulation_decide`).
            "carry_forward",
            gettext_lazy("Formulation carried forward: make active"),
            frozenset({S.PREPARATION}),
            S.ACTIVE,
            frozenset({Role.CASE_MANAGER, Role.PSYCHOLOGIST}),
        ),
        Transition(
            "not_carried_forward",
            gettext_lazy("Not carried forward to ECM"),
            # Before the formulation meeting, except while the referral awaits its decision
            # (the senior practitioner's "not accepted" ends it then).
            frozenset(set(PRE_ECM_STATUSES) - {S.REFERRED}),
            S.NOT_CARRIED_FORWARD,
            _OWNERS,
        ),
        Transition(
            "consent_refuse",
            gettext_lazy("Consent refused"),
            frozenset({S.AWAITING_CONSENT}),
            S.CONSENT_REFUSED,
            _OWNERS,
        ),
        Transition(
            "voluntary",
            gettext_lazy("Order ended: voluntary period"),
            frozenset({S.ACTIVE}),
            S.VOLUNTARY,
            _OWNERS,
        ),
        Transition(
            "close",
            gettext_lazy("Close case"),
            frozenset(ON_ECM_STATUSES),
            S.CLOSED,
            _OWNERS,
        ),
    ]
}

# The endings the case page links to (each on its own page). The other moves happen on
# the pages of their step, which call the services: referral submission, the eligibility
# decision, consent, the formulation meeting recorded as held (which makes the case active,
# once the meeting is complete) or the decision to carry a formulation forward, the
# closure record.
CASE_PAGE_TRANSITIONS = ("not_carried_forward", "close")


def _check_version(case: Case, expected_version: int | None) -> None:
    check_version(
        case, expected_version, what=_("case %(ref)s") % {"ref": case.reference}, typed=False
    )


def _locked(case: Case) -> Case:
    """The case re-read under a row lock, so concurrent transitions serialise."""
    return Case.objects.select_for_update().get(pk=case.pk)


def allowed_transitions(
    user: User, case: Case, names: tuple[str, ...] = CASE_PAGE_TRANSITIONS
) -> list[Transition]:
    roles = access_for(user).case_roles(case)
    return [
        TRANSITIONS[name]
        for name in names
        if case.status in TRANSITIONS[name].sources and roles & TRANSITIONS[name].roles
    ]


@transaction.atomic
def child_register(
    *,
    actor: User,
    team: Team,
    case_manager: User | None = None,
    opened_on: dt.date | None = None,
    **fields,
) -> Case:
    """Register a child known to the YOT and open a potential ECM case for them in `team`,
    in one transaction (a refused case leaves no child behind). A case manager registering
    a child of their own team is allocated the case unless someone else is named."""
    access = access_for(actor)
    if not access.can_create_case(team):
        raise PermissionDenied
    if case_manager is None and Role.CASE_MANAGER in access.roles_in(team.pk):
        case_manager = actor
    child = Child(**fields)
    child.full_clean()
    child.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=child,
        team_id=team.pk,
        changed_fields=[name for name, value in fields.items() if value not in ("", None)],
    )
    return case_open(
        actor=actor, child=child, team=team, case_manager=case_manager, opened_on=opened_on
    )


def _is_case_manager_of(user: User, team_id: int) -> bool:
    return team_members([team_id], {Role.CASE_MANAGER}).filter(pk=user.pk).exists()


@transaction.atomic
def case_open(
    *,
    actor: User,
    child: Child,
    team: Team,
    case_manager: User | None = None,
    opened_on: dt.date | None = None,
) -> Case:
    """Open a new (potential) ECM episode for a child."""
    if not access_for(actor).can_create_case(team):
        raise PermissionDenied
    if Case.objects.filter(child=child).open().exists():
        raise ValidationError(_("This child already has an open ECM case."), code="open_case")
    case = Case(
        child=child,
        team=team,
        case_manager=case_manager,
        opened_on=opened_on or timezone.localdate(),
    )
    case.full_clean(exclude=["previous_case"])
    case.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=case,
        changed_fields=["child", "team", "case_manager", "status", "opened_on"],
    )
    return case


@transaction.atomic
def case_allocate(
    *, actor: User, case: Case, case_manager: User | None, expected_version: int | None = None
) -> Case:
    """Allocate (or change) the case manager. Only members of the owning team qualify."""
    case = _locked(case)
    if not access_for(actor).can_change_case(case):
        raise PermissionDenied
    _check_version(case, expected_version)
    if case_manager is not None and not _is_case_manager_of(case_manager, case.team_id):
        raise ValidationError(
            _("%(name)s is not a case manager in %(team)s.")
            % {"name": case_manager, "team": case.team},
            code="not_case_manager",
        )
    changed = model_update(case, {"case_manager": case_manager})
    case.version += 1
    case.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=case, changed_fields=changed)
    return case


def _transition(
    *,
    actor: User | None,
    case: Case,
    name: str,
    expected_version: int | None = None,
    extra: dict | None = None,
    detail: str = "",
) -> Case:
    transition = TRANSITIONS[name]
    case = _locked(case)
    access = access_for(actor) if actor is not None else None
    if access is not None and not access.can_view_case(case):
        raise PermissionDenied
    if case.status not in transition.sources:
        raise TransitionError(
            _("Case %(ref)s cannot move from “%(current)s” to “%(wanted)s”.")
            % {
                "ref": case.reference,
                "current": case.get_status_display(),
                "wanted": CaseStatus(transition.target).label,
            },
            code="illegal_transition",
        )
    # No actor: a scheduled task's move (the end of a voluntary period), which no one asked
    # for and so no one's permission applies to.
    if access is not None and not access.case_roles(case) & transition.roles:
        raise PermissionDenied
    _check_version(case, expected_version)
    source = case.status
    changed = model_update(
        case, {"status": transition.target, "status_changed_at": timezone.now(), **(extra or {})}
    )
    case.version += 1
    case.full_clean(exclude=["previous_case"])
    case.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TRANSITION,
        obj=case,
        changed_fields=changed,
        detail=f"{source} → {case.status}" + (f" ({detail})" if detail else ""),
    )
    return case


@transaction.atomic
def case_mark_ready(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    return _transition(actor=actor, case=case, name="mark_ready", expected_version=expected_version)


@transaction.atomic
def case_return_for_information(
    *, actor: User, case: Case, expected_version: int | None = None
) -> Case:
    return _transition(
        actor=actor, case=case, name="return_for_information", expected_version=expected_version
    )


@transaction.atomic
def case_consent_complete(*, actor: User, case: Case) -> Case:
    return _transition(actor=actor, case=case, name="consent_complete")


@transaction.atomic
def case_consent_lost(*, actor: User, case: Case) -> Case:
    return _transition(actor=actor, case=case, name="consent_lost")


@transaction.atomic
def case_refer(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    """Refer the child for ECM: to the YOT's central ECM team when it has one."""
    return _transition(
        actor=actor,
        case=case,
        name="refer",
        expected_version=expected_version,
        extra={"referred_to_id": case.team.central_team_id},
    )


@transaction.atomic
def case_accept(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    return _transition(actor=actor, case=case, name="accept", expected_version=expected_version)


@transaction.atomic
def case_waitlist(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    return _transition(actor=actor, case=case, name="waitlist", expected_version=expected_version)


@transaction.atomic
def case_decline(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    return _transition(
        actor=actor,
        case=case,
        name="decline",
        expected_version=expected_version,
        extra={"closed_on": timezone.localdate()},
    )


@transaction.atomic
def case_activate(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    return _transition(actor=actor, case=case, name="activate", expected_version=expected_version)


@transaction.atomic
def case_close(
    *,
    actor: User,
    case: Case,
    reason: str,
    closed_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Case:
    if reason not in ClosureReason.values:
        raise ValidationError(_("Choose a reason for closing the case."), code="reason")
    closed_on = closed_on or timezone.localdate()
    if case.status == S.VOLUNTARY and case.voluntary_until and closed_on > case.voluntary_until:
        closed_on = case.voluntary_until
    if closed_on < case.opened_on:
        raise ValidationError(
            _("A case cannot close (%(closed)s) before it opened (%(opened)s).")
            % {"closed": closed_on, "opened": case.opened_on},
            code="closed_before_opened",
        )
    return _transition(
        actor=actor,
        case=case,
        name="close",
        expected_version=expected_version,
        extra={"closed_on": closed_on, "closure_reason": reason},
    )


def _check_ended_on(case: Case, on: dt.date) -> None:
    if on < case.opened_on:
        raise ValidationError(
            {
                "on": _("The case cannot end (%(on)s) before it opened (%(opened)s).")
                % {"on": display_date(on), "opened": display_date(case.opened_on)}
            },
            code="ended_before_opened",
        )
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")}, code="future")


@transaction.atomic
def case_not_carried_forward(
    *,
    actor: User,
    case: Case,
    reason: str,
    detail: str = "",
    on: dt.date | None = None,
    expected_version: int | None = None,
) -> Case:
    """End an episode before ECM started (Appendix 1: "not carried forward to ECM"), with its
    own reason. An active case ends through its closure record instead."""
    if reason not in NotCarriedForwardReason.values:
        raise ValidationError({"reason": _("Choose why the case is not carried forward.")})
    detail = detail.strip()
    if reason == NotCarriedForwardReason.OTHER and not detail:
        raise ValidationError({"detail": _("Say what the other reason is.")})
    on = on or timezone.localdate()
    _check_ended_on(case, on)
    return _transition(
        actor=actor,
        case=case,
        name="not_carried_forward",
        expected_version=expected_version,
        extra={"closed_on": on, "not_carried_forward_reason": reason, "ending_detail": detail},
    )


@transaction.atomic
def case_consent_refuse(
    *,
    actor: User,
    case: Case,
    on: dt.date | None = None,
    detail: str = "",
    expected_version: int | None = None,
) -> Case:
    """The child (or the parent/carer) declined ECM when consent was sought: the episode
    ends with that outcome."""
    on = on or timezone.localdate()
    _check_ended_on(case, on)
    return _transition(
        actor=actor,
        case=case,
        name="consent_refuse",
        expected_version=expected_version,
        extra={"closed_on": on, "ending_detail": detail.strip()},
    )


@transaction.atomic
def case_voluntary_period(
    *,
    actor: User,
    case: Case,
    until: dt.date,
    reason: str,
    expected_version: int | None = None,
) -> Case:
    """The order has ended but the child goes on with the YOT voluntarily until `until`:
    the case stays open (contacts and reviews) and closes, with the reason recorded now, at
    the end of the period."""
    if until <= timezone.localdate():
        raise ValidationError(
            {"voluntary_until": _("A voluntary period ends after today.")}, code="past"
        )
    if reason not in ClosureReason.values:
        raise ValidationError(_("Choose a reason for closing the case."), code="reason")
    return _transition(
        actor=actor,
        case=case,
        name="voluntary",
        expected_version=expected_version,
        extra={"voluntary_until": until, "closure_reason": reason},
    )


@transaction.atomic
def case_voluntary_end(*, actor: User | None, case: Case, on: dt.date | None = None) -> Case:
    """Close a case at the end of its voluntary period (or earlier, when the child stops
    coming), with the reason recorded when the period began. `actor` None: the daily task."""
    case = _locked(case)
    if case.status != S.VOLUNTARY:
        raise TransitionError(
            _("Case %(ref)s is not in a voluntary period.") % {"ref": case.reference},
            code="illegal_transition",
        )
    on = min(on or timezone.localdate(), case.voluntary_until)
    return _transition(
        actor=actor,
        case=case,
        name="close",
        extra={"closed_on": on},
        detail="voluntary period ended",
    )


@transaction.atomic
def case_reopen(
    *,
    actor: User,
    case: Case,
    reason: str,
    detail: str = "",
    case_manager: User | None = None,
) -> Case:
    """Open a new episode for a child whose case is closed, linked to the earlier one, with
    why (practice guidance, "Re-opening cases": reoffended, back from custody...).

    Preferably with the same case manager (practice guidance), who is kept unless another
    is named or they are no longer a case manager in the team. The new episode starts
    "ready for referral": re-opening is the team's judgement that the child needs ECM again,
    and the referral that follows is pre-filled from the last one (referrals); the senior
    practitioner still decides on it. Consent and the formulation meeting are not redone
    when not needed (`referrals.services.consent_carry_forward`, `case_formulation_decide`).
    """
    case = _locked(case)
    access = access_for(actor)
    if not access.can_view_case(case):
        raise PermissionDenied
    if not access.can_create_case(case.team):
        raise PermissionDenied
    if case.status != S.CLOSED:
        raise TransitionError(
            _("Case %(ref)s is “%(current)s”: only a closed case can be re-opened.")
            % {"ref": case.reference, "current": case.get_status_display()},
            code="illegal_transition",
        )
    if Case.objects.filter(previous_case=case).exists():
        raise TransitionError(
            _("Case %(ref)s has already been re-opened.") % {"ref": case.reference},
            code="already_reopened",
        )
    if reason not in ReopenReason.values:
        raise ValidationError({"reason": _("Choose why the case is re-opened.")}, code="reason")
    detail = (detail or "").strip()
    if reason == ReopenReason.OTHER and not detail:
        raise ValidationError({"detail": _("Say what the other reason is.")}, code="detail")
    if case_manager is not None and not _is_case_manager_of(case_manager, case.team_id):
        raise ValidationError(
            {
                "case_manager": _("%(name)s is not a case manager in %(team)s.")
                % {"name": case_manager, "team": case.team}
            },
            code="not_case_manager",
        )
    if (
        case_manager is None
        and case.case_manager_id
        and _is_case_manager_of(case.case_manager, case.team_id)
    ):
        case_manager = case.case_manager
    new_case = case_open(actor=actor, child=case.child, team=case.team, case_manager=case_manager)
    changed = model_update(
        new_case, {"previous_case": case, "reopen_reason": reason, "reopen_detail": detail}
    )
    new_case.full_clean(exclude=["previous_case"])
    new_case.save(update_fields=changed)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=new_case,
        changed_fields=changed,
        detail=f"re-opened from {case.reference} ({reason})",
    )
    return _transition(actor=actor, case=new_case, name="mark_ready", detail="re-opened")


#: What a re-opened episode's psychologist and case manager decide about the formulation.
NEW_MEETING = "new_meeting"
CARRIED_FORWARD = "carried_forward"
#: When the formulation is carried forward, the first review falls due within this time.
FIRST_REVIEW_WEEKS = 6


def default_first_review(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(weeks=FIRST_REVIEW_WEEKS)


@transaction.atomic
def case_formulation_decide(
    *,
    actor: User,
    case: Case,
    decision: str,
    note: str,
    first_review_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Case:
    """Record whether a re-opened episode needs another formulation meeting (decided jointly
    by the psychologist and the case manager; either records it, the note says who agreed).

    Recorded while the episode prepares for formulation (accepted, consent in place).
    "new_meeting": the usual preparation follows (it can still be changed while no meeting
    is held). "carried_forward": the episode becomes active at once on the earlier
    formulation, with its first review due on `first_review_on` (six weeks by default).
    The formulation app carries the report forward (formulation.decision)."""
    case = _locked(case)
    if not access_for(actor).can_decide_formulation_need(case):
        raise PermissionDenied
    if case.status != S.PREPARATION:
        raise TransitionError(
            _(
                "Case %(ref)s is “%(current)s”: whether another formulation meeting is needed "
                "is recorded once the episode is accepted and consent is in place."
            )
            % {"ref": case.reference, "current": case.get_status_display()},
            code="illegal_transition",
        )
    errors: dict[str, list[str]] = {}
    if decision not in (NEW_MEETING, CARRIED_FORWARD):
        errors["decision"] = [_("Choose whether another formulation meeting is needed.")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Say who agreed the decision (psychologist and case manager).")]
    elif len(note) > 500:
        errors["note"] = [_("Keep the note to 500 characters.")]
    today = timezone.localdate()
    if decision == CARRIED_FORWARD:
        first_review_on = first_review_on or default_first_review(today)
        if first_review_on <= today:
            errors["first_review_on"] = [_("The first review is after today.")]
    else:
        first_review_on = None
    if errors:
        raise ValidationError(errors)
    _check_version(case, expected_version)
    fields = {"formulation_decision": decision, "formulation_decision_note": note}
    if decision == NEW_MEETING:
        changed = model_update(case, fields)
        case.version += 1
        case.save()
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=case,
            changed_fields=changed,
            detail="formulation decision: new meeting",
        )
        return case
    return _transition(
        actor=actor,
        case=case,
        name="carry_forward",
        # ECM starts for a carried-forward episode on its opening (the read model that
        # monitoring counts from; no meeting of its own will set it).
        extra={**fields, "first_review_on": first_review_on, "ecm_started_on": case.opened_on},
        detail="formulation carried forward",
    )


# --- Corrections of a child's details ------------------------------------------------------


def _stored(value) -> object:
    """A child's field value as the correction history stores it (JSON: dates as ISO)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _date_of_birth_errors(date_of_birth: dt.date, case: Case) -> list[str]:
    """A corrected date of birth must be possible for a child on this ECM case: not in the
    future, and 10 to 17 on the day the case opened (registration asks 10 to 17 today; a
    child who has turned 18 since the case opened can still have their date corrected)."""
    if date_of_birth > timezone.localdate():
        return [_("The date of birth cannot be in the future.")]
    age = age_on(date_of_birth, case.opened_on)
    if not 10 <= age <= 17:
        return [
            _(
                "ECM works with children aged 10 to 17: this date of birth gives age %(age)s on "
                "%(opened)s, when case %(ref)s opened. If that is right, close the case instead."
            )
            % {"age": age, "opened": display_date(case.opened_on), "ref": case.reference}
        ]
    return []


@transaction.atomic
def child_correct(
    *,
    actor: User,
    child: Child,
    data: dict,
    reason: str,
    expected_version: int | None = None,
) -> ChildCorrection:
    """Correct a child's details (`ChildCorrection.FIELDS`) through their open case.

    Refused without `Access.can_correct_child` on that case, when someone else corrected
    the child since `expected_version`, when nothing changes, without a reason, or when a
    value is not valid (PNC format, choices, a date of birth impossible for the case).
    Writes the history row (old and new values, shown to those who may see the child) and
    an audit row with the changed field names only. Ages, the consent rule and the timeline
    compute from the date of birth, so they follow a correction; `date_of_birth_corrected_at`
    lets the consent status flag consents recorded before it."""
    unknown = set(data) - set(ChildCorrection.FIELDS)
    if unknown:
        raise ValueError(f"Not a correctable detail: {', '.join(sorted(unknown))}")
    child = Child.objects.select_for_update().get(pk=child.pk)
    case = Case.objects.filter(child=child).open().first()
    if case is None or not access_for(actor).can_correct_child(case):
        raise PermissionDenied
    check_version(child, expected_version, what=_("child's details"))
    before = {name: getattr(child, name) for name in ChildCorrection.FIELDS}
    cleaned = {
        name: value.strip() if isinstance(value, str) else value for name, value in data.items()
    }
    if isinstance(cleaned.get("pnc_number"), str):
        cleaned["pnc_number"] = cleaned["pnc_number"].upper()
    changed = model_update(child, cleaned, fields=ChildCorrection.FIELDS)
    errors: dict[str, list[str]] = {}
    try:
        child.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "date_of_birth" in changed and "date_of_birth" not in errors:
        errors["date_of_birth"] = _date_of_birth_errors(child.date_of_birth, case)
    errors = {name: problems for name, problems in errors.items() if problems}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the details are being corrected.")]
    elif len(reason) > 500:
        errors["reason"] = [_("Keep the reason to 500 characters.")]
    if errors:
        raise ValidationError(errors)
    if not changed:
        raise ValidationError(
            _("Nothing has changed: correct at least one detail, or cancel."), code="unchanged"
        )
    now = timezone.now()
    child.version += 1
    if "date_of_birth" in changed:
        child.date_of_birth_corrected_at = now
    child.save()
    correction = ChildCorrection.objects.create(
        child=child,
        case=case,
        corrected_by=actor,
        corrected_by_name=str(actor),
        at=now,
        reason=reason,
        changes=[
            {"field": name, "old": _stored(before[name]), "new": _stored(getattr(child, name))}
            for name in ChildCorrection.FIELDS
            if name in changed
        ],
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=child,
        team_id=case.team_id,
        changed_fields=changed,
        detail="correction",
    )
    return correction
