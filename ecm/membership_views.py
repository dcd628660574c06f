"""The managers' page of memberships waiting for their approval."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import memberships
from .access import access_for


@require_GET
def pending(request):
    """Waiting memberships of the teams the user manages (404 for anyone who manages none)."""
    access = access_for(request.user)
    if not access.membership_approval_team_ids():
        raise Http404
    rows = list(memberships.pending_memberships_for(request.user))
    for row in rows:
        row.can_decide = access.can_approve_membership(row)
    return render(request, "ecm/memberships_pending.html", {"memberships": rows})


@require_POST
def decide(request, pk: int, decision: str):
    """Approve or refuse one waiting membership: another team's is a 404; the person it is
    for, or who asked for it, is refused (403)."""
    membership = memberships.pending_membership_get_for(request.user, pk)
    service = {
        "approve": memberships.membership_approve,
        "refuse": memberships.membership_refuse,
    }.get(decision)
    if service is None:
        raise Http404
    if not access_for(request.user).can_approve_membership(membership):
        raise PermissionDenied
    try:
        service(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if decision == "approve":
            messages.success(request, _("Membership approved: it now gives access."))
        else:
            messages.success(request, _("Membership refused and removed."))
    return redirect("memberships_pending")
