"""Who may do what in the formulation workspace (on top of case visibility)."""

from __future__ import annotations

from ecm.access import access_for
from ecm.models import Case, CaseStatus, Role

PREPARERS = {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.MANAGER}


def roles(user, case: Case) -> set[str]:
    return access_for(user).case_roles(case)


def is_open(case: Case) -> bool:
    """A closed case is read-only for every role (re-open it to change anything)."""
    return case.status != CaseStatus.CLOSED


def can_schedule(user, case: Case) -> bool:
    """The senior practitioner convenes the meeting."""
    if not is_open(case):
        return False
    return Role.SENIOR_PRACTITIONER in roles(user, case)


def can_prepare(user, case: Case) -> bool:
    """Genogram, case summary, timeline, invitations and attendance: the case's team and
    the central team's practitioners (not team administrators)."""
    if not is_open(case):
        return False
    return bool(roles(user, case) & PREPARERS)


def can_record(user, case: Case) -> bool:
    """Minutes, developmental map and recommendations: the chair's and psychologist's."""
    if not is_open(case):
        return False
    return bool(roles(user, case) & {Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST})


def can_place_on_trm(user, case: Case) -> bool:
    """Only the psychologist places the child on the Trauma Recovery Model."""
    if not is_open(case):
        return False
    return Role.PSYCHOLOGIST in roles(user, case)


def is_psychologist(user, case: Case) -> bool:
    return Role.PSYCHOLOGIST in roles(user, case)


def can_write_report(user, case: Case, report=None) -> bool:
    """Only the psychologist writes and amends the formulation report and its
    recommendations, in every state; everyone else comments. Once started, the report is
    its author's: another psychologist of the case takes it over first (audited)."""
    if not is_open(case):
        return False
    if not is_psychologist(user, case):
        return False
    return report is None or report.psychologist_id == user.pk


def can_take_over_report(user, case: Case, report) -> bool:
    if not is_open(case):
        return False
    return is_psychologist(user, case) and report.psychologist_id != user.pk


def can_check_report(user, case: Case) -> bool:
    """The case's own case manager and the senior practitioners check the draft for
    accuracy; never a psychologist (nobody approves their own clinical writing)."""
    if not is_open(case):
        return False
    case_roles = roles(user, case)
    if Role.PSYCHOLOGIST in case_roles:
        return False
    if Role.SENIOR_PRACTITIONER in case_roles:
        return True
    return Role.CASE_MANAGER in case_roles and case.case_manager_id == user.pk


def can_circulate_report(user, case: Case) -> bool:
    """The case's case manager (or a senior practitioner) circulates the final report."""
    if not is_open(case):
        return False
    case_roles = roles(user, case)
    if Role.SENIOR_PRACTITIONER in case_roles:
        return True
    return Role.CASE_MANAGER in case_roles and case.case_manager_id == user.pk


def can_change_recommendations(user, case: Case, *, report=None) -> bool:
    """The chair and psychologist record the group's recommendations at the meeting; once the
    psychologist has started the report, only they change them."""
    if report is not None:
        return can_write_report(user, case, report)
    return can_record(user, case)
