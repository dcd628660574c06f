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


def can_write_report(user, case: Case) -> bool:
    """Only the psychologist writes and amends the formulation report and its
    recommendations, in every state; everyone else comments."""
    return Role.PSYCHOLOGIST in roles(user, case)


def can_check_report(user, case: Case) -> bool:
    """The case manager and the senior practitioner check the draft for accuracy."""
    return bool(roles(user, case) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER})


def can_circulate_report(user, case: Case) -> bool:
    """The case manager (or the senior practitioner) circulates the final report."""
    return bool(roles(user, case) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER})


def can_change_recommendations(user, case: Case, *, has_report: bool) -> bool:
    """The chair and psychologist record the group's recommendations at the meeting; once the
    psychologist has started the report, only the psychologist changes them."""
    if has_report:
        return can_write_report(user, case)
    return can_record(user, case)
