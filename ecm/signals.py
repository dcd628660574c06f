"""Login, logout and failed logins go to the audit log."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record, client_ip_from, reset_client_ip, set_client_ip
from .models import AuditEvent


def _with_ip(request, **kwargs):
    token = set_client_ip(client_ip_from(request)) if request is not None else None
    try:
        audit_record(**kwargs)
    finally:
        if token is not None:
            reset_client_ip(token)


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    _with_ip(request, actor=user, action=AuditEvent.Action.LOGIN)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        _with_ip(request, actor=user, action=AuditEvent.Action.LOGOUT)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    _with_ip(
        request,
        actor=None,
        action=AuditEvent.Action.LOGIN_FAILED,
        actor_username=str(credentials.get("username", ""))[:150],
    )
