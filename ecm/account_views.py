"""Pages around signing in (issue 19): your security, enrolment when MFA is required, and
the team page where administrators and managers reset a member's second factors."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .access import access_for
from .mfa import FACTOR_TYPES, factors_reset
from .models import Membership


@login_not_required
def not_offered(request, *args, **kwargs):
    raise Http404


@login_not_required
def admin_login(request, extra_context=None):
    """The admin signs in through the product's sign-in, second factor included."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


def _factor_kinds(user) -> set[str]:
    return set(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))


@require_GET
def security(request):
    """Your password, second factors and sessions, in one place."""
    kinds = _factor_kinds(request.user)
    return render(
        request,
        "ecm/account_security.html",
        {
            "has_totp": Authenticator.Type.TOTP in kinds,
            "has_webauthn": Authenticator.Type.WEBAUTHN in kinds,
            "has_recovery_codes": Authenticator.Type.RECOVERY_CODES in kinds,
            "mfa_required": settings.MFA_REQUIRED,
        },
    )


@require_GET
def mfa_required(request):
    """Where MfaRequiredMiddleware sends an account with no second factor yet."""
    kinds = _factor_kinds(request.user)
    if kinds & set(FACTOR_TYPES):
        return redirect("home")
    return render(request, "ecm/mfa_required.html")


def _members_queryset(team_ids):
    User = get_user_model()
    has_factor = Authenticator.objects.filter(user_id=OuterRef("pk"), type__in=FACTOR_TYPES)
    memberships = Membership.objects.approved().filter(team_id__in=team_ids).select_related("team")
    approved = Membership.objects.approved().filter(team_id__in=team_ids)
    return (
        User.objects.filter(pk__in=approved.values("user_id"))
        .distinct()
        .annotate(has_factor=Exists(has_factor))
        .prefetch_related(Prefetch("memberships", queryset=memberships, to_attr="team_memberships"))
        .order_by("last_name", "first_name", "username")
    )


@require_GET
def team_members(request):
    """The members of the teams one administers or manages, and whether each has set up a
    second factor."""
    team_ids = access_for(request.user).factor_reset_team_ids()
    if not team_ids:
        raise PermissionDenied
    return render(
        request,
        "ecm/team_members.html",
        {"members": _members_queryset(team_ids), "mfa_required": settings.MFA_REQUIRED},
    )


@require_http_methods(["GET", "POST"])
def member_factors_reset(request, pk):
    access = access_for(request.user)
    team_ids = access.factor_reset_team_ids()
    if not team_ids:
        raise PermissionDenied
    member = get_object_or_404(_members_queryset(team_ids), pk=pk)
    if member.pk == request.user.pk:
        raise PermissionDenied
    if request.method == "POST":
        factors_reset(actor=request.user, member=member)
        messages.success(
            request,
            _(
                "%(name)s's sign-in factors were reset and their sessions ended. They were "
                "told by e-mail and set up a new factor when they next sign in."
            )
            % {"name": member.get_full_name() or member.get_username()},
        )
        return redirect("team_members")
    return render(request, "ecm/member_factors_reset.html", {"member": member})
