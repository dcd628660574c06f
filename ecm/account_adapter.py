"""How django-allauth behaves here: no self sign-up, our client address, our wording, mail
sent by a worker, TOTP secrets encrypted at rest, no removing one's last second factor."""

from __future__ import annotations

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .client_address import client_ip
from .queueing import queue_task

SIGN_IN_FAILED = _(
    "Your username and password did not match. Please try again. After several "
    "failed attempts sign-in is paused for a while."
)
SEND_EMAIL_TASK = "ecm.send_account_email"


def queue_account_email(*, subject: str, body: str, to, from_email: str = "") -> None:
    """Send an account e-mail from a worker once the transaction commits (retried there)."""
    payload = {
        "subject": str(subject),
        "body": body,
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "to": list(to),
    }
    transaction.on_commit(lambda: queue_task(SEND_EMAIL_TASK, payload))


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # One message for an unknown user, a wrong password and an inactive account.
        "username_password_mismatch": SIGN_IN_FAILED,
        "account_inactive": SIGN_IN_FAILED,
        "too_many_login_attempts": SIGN_IN_FAILED,
    }

    def is_open_for_signup(self, request) -> bool:
        return False  # accounts are made by administrators

    def pre_authenticate(self, request, **credentials) -> None:
        """No per-username counter before the password check: django-axes pauses failures
        per username *and* address (ecm/lockout.py), so nobody can lock a colleague out by
        typing wrong passwords for their username. allauth's "login_failed" limit still
        caps wrong second-factor codes."""

    def get_client_ip(self, request) -> str:
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the page's request is at hand), send from a worker after the commit,
        so a slow mail server never holds a page and no timing tells what was sent."""
        message = self.render_mail(template_prefix, email, {"email": email, **context})
        queue_account_email(
            subject=message.subject, body=message.body, to=message.to, from_email=message.from_email
        )


def _fernet() -> Fernet:
    key = getattr(settings, "MFA_SECRET_KEY", "") or settings.SECRET_KEY
    digest = hashlib.sha256(f"ecm-mfa:{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return "fernet:" + _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith("fernet:"):
            return encrypted_text
        try:
            return _fernet().decrypt(encrypted_text.removeprefix("fernet:").encode()).decode()
        except InvalidToken:  # the key changed: the factor must be set up again
            return ""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """With MFA required, the last app or key stays (an administrator can reset it)."""
        if not settings.MFA_REQUIRED or authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return True
        others = (
            Authenticator.objects.filter(user_id=authenticator.user_id)
            .exclude(pk=authenticator.pk)
            .exclude(type=Authenticator.Type.RECOVERY_CODES)
        )
        return others.exists()
