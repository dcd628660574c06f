"""Scoped reads of subject access requests: a manager sees those of the teams they manage."""

from __future__ import annotations

from django.http import Http404

from ecm.access import access_for
from ecm.models import Case, User

from .models import SubjectAccessRequest


def subject_access_requests_for(user: User):
    team_ids = access_for(user).subject_access_team_ids()
    return SubjectAccessRequest.objects.filter(team_id__in=team_ids).select_related(
        "child", "case", "team", "requested_by", "released_by"
    )


def subject_access_get_for(user: User, pk: int) -> SubjectAccessRequest:
    """One request, or 404 for anyone but a manager of its team (it is never confirmed)."""
    found = subject_access_requests_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def child_requests_for(user: User, case: Case) -> list[SubjectAccessRequest]:
    """The requests about the child of `case` that this user handles, newest first."""
    return list(subject_access_requests_for(user).filter(child_id=case.child_id))
