"""Who may do what with referrals and consent (on top of `ecm.access` case visibility)."""

from __future__ import annotations

from ecm.access import access_for
from ecm.models import Case, Role

OWNING_ROLES = {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.MANAGER}


def can_edit_referral(user, case: Case) -> bool:
    """The owning YOT completes the referral: the allocated case manager (or any case
    manager when none is allocated), the team's senior practitioners and managers."""
    access = access_for(user)
    roles = access.roles_in(case.team_id)
    if roles & {Role.SENIOR_PRACTITIONER, Role.MANAGER}:
        return True
    if Role.CASE_MANAGER in roles:
        return case.case_manager_id in (None, user.pk)
    return False


def can_decide(user, case: Case) -> bool:
    """Senior practitioners of the owning team or of the central team referred to."""
    return Role.SENIOR_PRACTITIONER in access_for(user).case_roles(case)


def can_record_consent(user, case: Case) -> bool:
    return can_edit_referral(user, case)


def is_senior_anywhere(user) -> bool:
    return access_for(user).has_role(Role.SENIOR_PRACTITIONER)
