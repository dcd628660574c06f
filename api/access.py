"""What a token may reach: the access policy of a case manager of the token's team, and no
more (its scopes narrow it further, per endpoint). The selectors and services of the pages
then apply unchanged, so the API cannot do what the UI forbids: another team's case is a
404, an ended case is read-only except for offences (recorded after closure too)."""

from __future__ import annotations

from functools import cached_property

from ecm.access import Access, _Grant
from ecm.models import Role


class TokenAccess(Access):
    """`Access` for the integration account of a live token: one grant, in its team."""

    def __init__(self, user, token):
        super().__init__(user)
        self.token = token

    @cached_property
    def grants(self) -> tuple[_Grant, ...]:
        team = self.token.team
        if not self.token.is_live() or not team.is_active:
            return ()
        return (_Grant(team.pk, team.kind, Role.CASE_MANAGER),)

    def import_team_ids(self) -> set[int]:
        """A token with `imports:write` imports into its own YOT (the team administrator or
        manager who made it granted that); no other token imports anywhere."""
        from .models import Scope

        team = self.token.team
        if Scope.IMPORTS_WRITE not in self.token.scopes or not self.grants:
            return set()
        return {team.pk} if team.kind != team.Kind.CENTRAL else set()


def act_as_token(user, token):
    """Make `access_for(user)` answer for the token (cached on the user, as for a person)."""
    user._ecm_access = TokenAccess(user, token)
    return user
