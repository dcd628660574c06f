"""The access policy: the one place that decides what a user may see and do.

Rules (need-to-know):

* Case managers, senior practitioners, psychologists and managers see the cases owned by
  the teams they belong to.
* Senior practitioners, psychologists and managers of a *central* ECM team also see the
  cases referred to that team.
* Team administrators look after users and reference data; the role alone gives no access
  to children's records. Neither does being a Django superuser: case data is reached only
  through a team role, so every read is scoped and audited.
* Managers (and superusers) may search the audit log; a manager sees the events of the
  teams they manage.

Selectors build their querysets from `case_scope`; views never filter by hand. Anything
not visible is a 404, so the product never confirms that a record exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q

from .models import Case, Membership, Role, Team

CASE_ROLES = frozenset(
    {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.MANAGER}
)
CENTRAL_CASE_ROLES = frozenset({Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.MANAGER})


@dataclass(frozen=True)
class _Grant:
    team_id: int
    team_kind: str
    role: str


class Access:
    """What one user may do, computed once per request from their memberships."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def grants(self) -> tuple[_Grant, ...]:
        if not getattr(self.user, "is_authenticated", False) or not self.user.is_active:
            return ()
        rows = Membership.objects.filter(user=self.user, team__is_active=True).values_list(
            "team_id", "team__kind", "role"
        )
        return tuple(_Grant(*row) for row in rows)

    def team_ids(self, roles: Iterable[str] | None = None) -> set[int]:
        wanted = set(roles) if roles is not None else None
        return {g.team_id for g in self.grants if wanted is None or g.role in wanted}

    def roles_in(self, team_id: int | None) -> set[str]:
        return {g.role for g in self.grants if g.team_id == team_id}

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    # --- cases -------------------------------------------------------------------------
    def case_scope(self) -> Q:
        """A filter on Case for every case this user may see (matches nothing if none)."""
        owning = self.team_ids(CASE_ROLES)
        central = {
            g.team_id
            for g in self.grants
            if g.team_kind == Team.Kind.CENTRAL and g.role in CENTRAL_CASE_ROLES
        }
        q = Q(pk__in=[])
        if owning:
            q |= Q(team_id__in=owning)
        if central:
            q |= Q(referred_to_id__in=central)
        return q

    def case_roles(self, case: Case) -> set[str]:
        """The roles through which this user reaches the case (empty: no access)."""
        roles = self.roles_in(case.team_id) & CASE_ROLES
        if case.referred_to_id:
            roles |= self.roles_in(case.referred_to_id) & CENTRAL_CASE_ROLES
        return roles

    def can_view_case(self, case: Case) -> bool:
        return bool(self.case_roles(case))

    def can_change_case(self, case: Case) -> bool:
        """Edit the case's own details (allocation, child's details)."""
        roles = self.case_roles(case)
        if roles & {Role.SENIOR_PRACTITIONER, Role.MANAGER}:
            return True
        return Role.CASE_MANAGER in roles and case.case_manager_id == self.user.pk

    def can_create_case(self, team: Team) -> bool:
        return bool(
            self.roles_in(team.pk) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.MANAGER}
        )

    def teams_for_new_cases(self) -> set[int]:
        return self.team_ids({Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.MANAGER})

    # --- audit -------------------------------------------------------------------------
    def can_view_audit(self) -> bool:
        return self.user.is_superuser or self.has_role(Role.MANAGER)

    def audit_scope(self) -> Q:
        if self.user.is_superuser:
            return Q()
        return Q(team_id__in=self.team_ids({Role.MANAGER}))


def access_for(user) -> Access:
    """The Access of a user, cached on the user object for the rest of the request."""
    cached = getattr(user, "_ecm_access", None)
    if cached is None:
        cached = Access(user)
        if getattr(user, "is_authenticated", False):
            user._ecm_access = cached
    return cached
