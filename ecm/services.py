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
from .dates import age_on
from .editing import check_version, model_update
from .models import (
    AuditEvent,
    Case,
    CaseStatus,
    Child,
    ChildCorrection,
    ClosureReason,
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
            "close",
            gettext_lazy("Close case"),
            frozenset(
                {S.POTENTIAL, S.READY, S.WAITING, S.AWAITING_CONSENT, S.PREPARATION, S.ACTIVE}
            ),
            S.CLOSED,
            _OWNERS,
        ),
    ]
}

# The moves offered as buttons on the case page. The others happen through their own
# pages (referral submission, eligibility decision, consent), which call the services.
CASE_PAGE_TRANSITIONS = ("activate", "close")


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
    actor: User,
    case: Case,
    name: str,
    expected_version: int | None = None,
    extra: dict | None = None,
    detail: str = "",
) -> Case:
    transition = TRANSITIONS[name]
    case = _locked(case)
    access = access_for(actor)
    if not access.can_view_case(case):
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
    if not access.case_roles(case) & transition.roles:
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
        detail=f"{source} → {case.status}",
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


# Status transitions the case page offers, by name, with their service.
TRANSITION_SERVICES = {
    "activate": case_activate,
    "close": case_close,
}


@transaction.atomic
def case_reopen(*, actor: User, case: Case, case_manager: User | None = None) -> Case:
    """Open a new episode for a child whose case is closed, linked to the earlier one.

    Preferably with the same case manager (practice guidance), who is kept unless another
    is named or they are no longer a case manager in the team.
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
    if (
        case_manager is None
        and case.case_manager_id
        and _is_case_manager_of(case.case_manager, case.team_id)
    ):
        case_manager = case.case_manager
    new_case = case_open(actor=actor, child=case.child, team=case.team, case_manager=case_manager)
    new_case.previous_case = case
    new_case.save(update_fields=["previous_case"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=new_case,
        changed_fields=["previous_case"],
        detail=f"re-opened from {case.reference}",
    )
    return new_case


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
            % {"age": age, "opened": case.opened_on.strftime("%d/%m/%Y"), "ref": case.reference}
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
