"""Reads of the core, always scoped by `ecm.access` to what the user may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .access import access_for
from .models import (
    AuditEvent,
    Case,
    CaseStatus,
    Child,
    ChildCorrection,
    Membership,
    Role,
    Team,
    User,
    case_pk_from_reference,
)


def team_members(team_ids: Iterable[int], roles: Iterable[str] | None = None) -> QuerySet[User]:
    """The active people who hold one of `roles` (any role if None) in any of the active
    teams `team_ids`: the one answer to "who holds role R in team T"."""
    memberships = Membership.objects.approved().filter(
        team_id__in=list(team_ids), team__is_active=True
    )
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by(
        "last_name", "first_name", "username"
    )


def case_team_members(case: Case, roles: Iterable[str] | None = None) -> QuerySet[User]:
    """`team_members` of the case's owning team and of the team it was referred to."""
    return team_members(case.team_ids, roles)


def members_by_team(
    roles: Iterable[str], team_ids: Iterable[int] | None = None
) -> dict[int, list[int]]:
    """{team id: [user ids]} of the active people holding one of `roles` in each active team
    (of `team_ids`, if given): for services that address a team's people, e.g. reminders."""
    memberships = Membership.objects.approved().filter(
        role__in=list(roles), team__is_active=True, user__is_active=True
    )
    if team_ids is not None:
        memberships = memberships.filter(team_id__in=list(team_ids))
    out: dict[int, list[int]] = {}
    for team_id, user_id in memberships.values_list("team_id", "user_id").order_by("team_id"):
        if user_id not in out.setdefault(team_id, []):
            out[team_id].append(user_id)
    return out


def case_list_for(
    user: User,
    *,
    status: str | None = None,
    team_id: int | None = None,
    case_manager_id: int | None = None,
    open_only: bool = False,
) -> QuerySet[Case]:
    qs = (
        Case.objects.filter(access_for(user).case_scope())
        .select_related("child", "team", "referred_to", "case_manager")
        .order_by("child__last_name", "child__first_name", "-opened_on", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    if team_id:
        qs = qs.filter(Q(team_id=team_id) | Q(referred_to_id=team_id))
    if case_manager_id:
        qs = qs.filter(case_manager_id=case_manager_id)
    if open_only:
        qs = qs.open()
    return qs


def caseload_for(user: User) -> QuerySet[Case]:
    """The open cases allocated to this user as case manager."""
    return case_list_for(user, case_manager_id=user.pk, open_only=True)


def case_get_for(user: User, pk: int) -> Case:
    """One case the user may see, or 404 (never 403: do not confirm it exists)."""
    try:
        # The relations a case page shows: the child, the team, the case manager and the
        # team it was referred to (a left join, most cases have none). The previous episode
        # is not shown, only its id.
        return (
            case_list_for(user)
            .select_related(None)
            .select_related("child", "team", "case_manager", "referred_to")
            .order_by()
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise Http404 from None


def case_with_episodes_for(user: User, pk: int) -> tuple[Case, list[Case]]:
    """The case page's case and the episodes of the same child that this user may see,
    oldest first, in one query, or 404 if the user may not see the case (as `case_get_for`)."""
    episodes = list(
        case_list_for(user)
        .select_related(None)
        .select_related("child", "team", "case_manager", "referred_to")
        .filter(child__cases__pk=pk)
        .order_by("opened_on", "pk")
    )
    case = next((episode for episode in episodes if episode.pk == pk), None)
    if case is None:
        raise Http404
    return case, episodes


#: What a status move's audit detail notes after the move (ecm.services), in words.
TRANSITION_NOTES = {
    "voluntary period ended": _("the voluntary period ended"),
    "re-opened": _("re-opened"),
    "formulation carried forward": _("formulation carried forward"),
}


def case_status_events(user: User, case: Case) -> list[dict]:
    """When the case was opened and each move of its status, by whom, oldest first."""
    if not access_for(user).can_view_case(case):
        raise Http404
    labels = dict(CaseStatus.choices)
    events = (
        AuditEvent.objects.filter(
            object_type="ecm.case",
            object_id=str(case.pk),
            action__in=[AuditEvent.Action.TRANSITION, AuditEvent.Action.CREATE],
        )
        .select_related("actor")
        .only(
            "at",
            "actor_username",
            "action",
            "detail",
            "actor__first_name",
            "actor__last_name",
            "actor__username",
        )
        .order_by("at", "pk")
    )
    rows = []
    for event in events:
        source, _, target = event.detail.partition(" → ")
        # "closed (voluntary period ended)": the status, then what the move noted.
        target, _, note = target.partition(" (")
        rows.append(
            {
                "at": event.at,
                # The person's name, as the rest of the case shows people; the username
                # only for an account since deleted.
                "by": str(event.actor) if event.actor else event.actor_username,
                "opened": event.action == AuditEvent.Action.CREATE,
                "source": labels.get(source, source),
                "target": labels.get(target, target),
                "note": TRANSITION_NOTES.get(note.removesuffix(")"), ""),
            }
        )
    return rows


def child_search_for(user: User, term: str, *, limit: int = 50) -> QuerySet[Case]:
    """Cases whose child matches the term by name, YOT reference, PNC number or case id."""
    term = term.strip()
    if not term:
        return Case.objects.none()
    q = Q()
    for word in term.split():
        q &= (
            Q(child__first_name__icontains=word)
            | Q(child__last_name__icontains=word)
            | Q(child__preferred_name__icontains=word)
        )
    q |= Q(child__yot_reference__iexact=term) | Q(child__pnc_number__iexact=term)
    if (pk := case_pk_from_reference(term)) is not None:
        q |= Q(pk=pk)
    return case_list_for(user).filter(q)[:limit]


def visible_teams_for(user: User) -> QuerySet[Team]:
    access = access_for(user)
    return Team.objects.filter(pk__in=access.team_ids()).order_by("name")


def teams_for_new_cases(user: User) -> QuerySet[Team]:
    return Team.objects.filter(pk__in=access_for(user).teams_for_new_cases(), is_active=True)


def case_managers_for(user: User) -> QuerySet[User]:
    """Case managers in the teams whose cases this user sees (for filters and allocation)."""
    return team_members(access_for(user).team_ids(), {Role.CASE_MANAGER})


def case_managers_of(case: Case) -> QuerySet[User]:
    """The case managers of the case's owning team: who it can be allocated to."""
    return team_members([case.team_id], {Role.CASE_MANAGER})


def audit_events_for(
    user: User,
    *,
    actor_username: str = "",
    child_term: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events a manager may search: those of the teams they manage."""
    access = access_for(user)
    if not access.can_view_audit():
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.filter(access.audit_scope()).select_related("child", "team")
    if actor_username:
        qs = qs.filter(actor_username__iexact=actor_username.strip())
    if child_term:
        qs = qs.filter(_events_about_children(children_matching(user, child_term)))
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-at", "-pk")


#: How many matching children a search of the audit log looks for in listings' rows.
AUDIT_LISTED_CHILDREN = 100


def _events_about_children(children: QuerySet[Child]) -> Q:
    """Events about these children: their own, and the listings (case list, home, search)
    that showed them among others (`AuditEvent.listed`; one query for the children's ids)."""
    q = Q(child__in=children)
    for child_id in children.values_list("pk", flat=True)[:AUDIT_LISTED_CHILDREN]:
        q |= Q(listed__children__contains=[child_id])
    return q


def children_matching(user: User, term: str) -> QuerySet[Child]:
    """Children the user may see whose name or references match `term`."""
    term = term.strip()
    cases = Case.objects.filter(access_for(user).case_scope())
    q = Q()
    for word in term.split():
        q &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    q |= Q(yot_reference__iexact=term) | Q(pnc_number__iexact=term)
    return Child.objects.filter(q, pk__in=cases.values("child_id"))


def child_corrections_for(user: User, case: Case) -> list[ChildCorrection]:
    """The history of corrections of the case's child, newest first, for someone who may
    see the case (`case` comes from `case_get_for`): one query."""
    if not access_for(user).can_view_case(case):
        raise Http404
    return list(
        ChildCorrection.objects.filter(child_id=case.child_id).select_related("corrected_by")
    )
