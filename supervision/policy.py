"""Who may see and do what in clinical supervision. Content (themes, notes, cases discussed,
reflections, escalations) is for the session's psychologist and supervisees only, whatever
other role anyone holds: managers, other psychologists, administrators and superusers see
only that a session happened."""

from __future__ import annotations

from django.db.models import Q

from ecm.models import Membership, Role, Team, User

SUPERVISEE_ROLES = (Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER)
#: Roles that see when sessions happened in their teams (never what was said).
OVERSIGHT_ROLES = (Role.MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.ADMIN)


def psychologist_team_ids(user: User) -> set[int]:
    return set(
        Membership.objects.filter(user=user, role=Role.PSYCHOLOGIST).values_list(
            "team_id", flat=True
        )
    )


def supervised_team_ids(user: User) -> set[int]:
    """The teams whose practitioners this psychologist supervises: their own teams and the
    YOTs that refer to a central team they belong to. One query."""
    own = psychologist_team_ids(user)
    if not own:
        return set()
    return own | set(Team.objects.filter(central_team_id__in=own).values_list("pk", flat=True))


def oversight_team_ids(user: User) -> set[int]:
    """Teams whose session dates this user may see (metadata only)."""
    teams = set(
        Membership.objects.filter(user=user, role__in=OVERSIGHT_ROLES).values_list(
            "team_id", flat=True
        )
    )
    return teams | supervised_team_ids(user)


def can_record(user: User) -> bool:
    return bool(psychologist_team_ids(user))


def practitioner_teams(user: User, team_ids) -> list[int]:
    """The teams (among `team_ids`) where `user` holds an ECM practitioner role."""
    return list(
        Membership.objects.filter(
            user=user, team_id__in=team_ids, role__in=SUPERVISEE_ROLES
        ).values_list("team_id", flat=True)
    )


def content_scope(user: User) -> Q:
    """A filter on Session for the sessions whose content this user may read."""
    return Q(psychologist=user) | Q(attendance__user=user)
