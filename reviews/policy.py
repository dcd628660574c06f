"""Who may do what after formulation (on top of case visibility). A closed case is read-only
for every role."""

from __future__ import annotations

from ecm.access import access_for
from ecm.models import Case, CaseStatus, Role

PRACTITIONERS = {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST}


def roles(user, case: Case) -> set[str]:
    return access_for(user).case_roles(case)


def is_open(case: Case) -> bool:
    return case.status != CaseStatus.CLOSED


def can_record_review(user, case: Case) -> bool:
    """Reviews are recorded by the practitioners around the child (chair, case manager,
    psychologist)."""
    return is_open(case) and bool(roles(user, case) & PRACTITIONERS)


def can_set_trm_stage(user, case: Case) -> bool:
    """Only the psychologist places the child on the TRM, at formulation and at reviews."""
    return is_open(case) and Role.PSYCHOLOGIST in roles(user, case)


def can_manage_actions(user, case: Case) -> bool:
    return is_open(case) and bool(roles(user, case) & PRACTITIONERS)


def can_record_contact(user, case: Case) -> bool:
    return is_open(case) and bool(roles(user, case) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER})


def can_decide_missed(user, case: Case) -> bool:
    """Warning and breach decisions are the YOT's (after consulting the psychologist)."""
    return is_open(case) and bool(
        roles(user, case) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.MANAGER}
    )


def can_rate(user, case: Case) -> bool:
    """Risk ratings and the outcome survey: the case manager's (or a senior's)."""
    return is_open(case) and bool(roles(user, case) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER})


def can_close(user, case: Case) -> bool:
    case_roles = roles(user, case)
    if not is_open(case) or case.status != CaseStatus.ACTIVE:
        return False
    if case_roles & {Role.SENIOR_PRACTITIONER, Role.MANAGER}:
        return True
    return Role.CASE_MANAGER in case_roles and case.case_manager_id == user.pk
