"""Multi-factor sign-in (django-allauth's MFA) and the sessions around it (issue 19).

* MFA_REQUIRED: every account, superusers included, has an authenticator app or a security
  key before it can open any page but enrolment (`MfaRequiredMiddleware`).
* A team administrator or manager can reset a member's factors (`factors_reset`): the
  member's factors and every session of theirs end, the member is told by e-mail, and the
  reset is audited. The member enrols again at their next sign-in.
* Sessions: sign-in stamps the session (absolute lifetime, `SESSION_ABSOLUTE_HOURS`);
  a password change or reset ends every other session of the person.
"""

from __future__ import annotations

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import access_for
from .account_adapter import queue_account_email
from .audit import audit_record
from .language import language_for
from .models import AuditEvent

#: Kinds of authenticator that count as a second factor (recovery codes back one up).
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
ENROLLED_KEY = "ecm_mfa_enrolled"
SIGNED_IN_AT_KEY = "ecm_signed_in_at"
SEEN_AT_KEY = "ecm_seen_at"
#: What an account that must still enrol may open: enrolment, sign-out, static files.
ENROLMENT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")


def has_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()


class MfaRequiredMiddleware:
    """With MFA_REQUIRED, a signed-in account without a second factor is sent to set one up.
    The answer is kept in the session once yes, so it costs one query per session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.MFA_REQUIRED and self._must_enrol(request):
            target = reverse("mfa_required")
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if request.session.get(ENROLLED_KEY):
            return False
        if request.path.startswith(ENROLMENT_PREFIXES):
            return False
        if has_factor(user):
            request.session[ENROLLED_KEY] = True
            return False
        return True


# --- sessions ---------------------------------------------------------------------------


@receiver(user_logged_in)
def stamp_session(sender, request, user, **kwargs):
    """The absolute lifetime counts from here; last seen starts now."""
    if request is None or not hasattr(request, "session"):
        return
    now = timezone.now().timestamp()
    request.session[SIGNED_IN_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now


def record_session_at_sign_in(sender, request, user, **kwargs):
    """In place of allauth's own receiver (disconnected in `replace_usersessions_receiver`):
    forget this person's "Your sessions" rows whose session has ended, in one statement, then
    record the new one. allauth's `purge_and_list` reads every one of their sessions and its
    user, two queries each, on every sign-in (20 ms for nine sessions: half a sign-in's
    cost, issue 22); the nightly `forget_ended_sessions` and the "Your sessions" page, which
    lists through allauth, keep the other checks."""
    from django.contrib.sessions.models import Session

    if request is None or not hasattr(request, "session"):
        return
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    UserSession.objects.filter(user_id=user.pk).exclude(session_key__in=live).delete()
    UserSession.objects.create_from_request(request)


def replace_usersessions_receiver() -> None:
    from allauth.account.signals import user_logged_in as allauth_logged_in
    from allauth.usersessions import signals as usersessions_signals

    allauth_logged_in.disconnect(receiver=usersessions_signals.on_user_logged_in)
    allauth_logged_in.connect(receiver=record_session_at_sign_in, dispatch_uid="ecm-usersessions")


def end_other_sessions(user, keep_session_key: str | None) -> int:
    """End every session of `user` except `keep_session_key` (the one in use, if any)."""
    ended = 0
    for user_session in UserSession.objects.filter(user_id=user.pk).exclude(
        session_key=keep_session_key or ""
    ):
        user_session.end()
        ended += 1
    return ended


def forget_ended_sessions() -> int:
    """Delete the "Your sessions" rows whose session has expired or been removed."""
    from django.contrib.sessions.models import Session

    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    removed, _by_model = UserSession.objects.exclude(session_key__in=live).delete()
    return removed


@receiver(password_changed)
@receiver(password_reset)
def _password_changed(sender, request, user, **kwargs):
    keep = request.session.session_key if getattr(request, "session", None) else None
    if kwargs.get("signal") is password_reset:
        keep = None  # a reset is done signed out: nothing to keep
    end_other_sessions(user, keep)


# --- resetting a member's factors -------------------------------------------------------


@transaction.atomic
def factors_reset(*, actor, member) -> int:
    """Remove `member`'s authenticators and recovery codes and end their sessions. Refused
    for one's own account and for anyone outside the teams the actor administers."""
    if not access_for(actor).can_reset_factors(member):
        raise PermissionDenied
    removed, _by_type = Authenticator.objects.filter(user_id=member.pk).delete()
    end_other_sessions(member, None)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=member,
        changed_fields=["sign_in_factors"],
        detail="sign-in factors reset",
    )
    if member.email:
        with language_for(member):  # in the member's language, not the manager's
            subject = str(_("Your sign-in factors were reset"))
            body = render_to_string(
                "ecm/email/factors_reset.txt",
                {"member": member, "actor": actor, "site_url": settings.SITE_URL},
            )
        queue_account_email(subject=subject, body=body, to=[member.email])
    return removed
