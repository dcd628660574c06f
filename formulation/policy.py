"""Who may do what in the formulation workspace (on top of case visibility)."""

from __future__ import annotations

from ecm.access import access_for
from ecm.models import Case, Role

PREPARERS = {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.MANAGER}


def roles(user, case: Case) -> set[str]:
    return access_for(user).case_roles(case)


def can_schedule(user, case: Case) -> bool:
    """The senior practitioner convenes the meeting."""
    return Role.SENIOR_PRACTITIONER in roles(user, case)


def can_prepare(user, case: Case) -> bool:
    """Genogram, case summary, timeline, invitations and attendance: the case's team and
    the central team's practitioners (not team administrators)."""
    return bool(roles(user, case) & PREPARERS)


def can_record(user, case: Case) -> bool:
    """Minutes, developmental map and recommendations: the chair's and psychologist's."""
    return bool(roles(user, case) & {Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST})


def can_place_on_trm(user, case: Case) -> bool:
    """Only the psychologist places the child on the Trauma Recovery Model."""
    return Role.PSYCHOLOGIST in roles(user, case)
