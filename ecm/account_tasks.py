"""Account e-mails, sent by a worker (issue 19): retried with backoff when the mail server
fails, reported in the worker's log after the last try. Each carries no child's data."""

from __future__ import annotations

import logging

from allauth.account.forms import default_token_generator
from allauth.account.utils import filter_users_by_email, user_pk_to_url_str
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from .language import language_for

log = logging.getLogger(__name__)

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 6}


@shared_task(name="ecm.send_account_email", acks_late=True, **RETRY)
def send_account_email(payload: dict) -> None:
    EmailMessage(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload.get("from_email") or settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
    ).send()


@shared_task(name="ecm.send_password_reset", acks_late=True, **RETRY)
def send_password_reset(email: str) -> int:
    """Send a reset link to each active account using `email`; nothing for an unknown one.
    The link is built on SITE_URL, never on the Host header the request came with."""
    users = filter_users_by_email(email, is_active=True, prefer_verified=True)
    for user in users:
        path = reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
        with language_for(user):  # in the language they chose (issue 23)
            body = render_to_string(
                "ecm/email/password_reset.txt",
                {"user": user, "password_reset_url": settings.SITE_URL.rstrip("/") + path},
            )
            subject = _("Reset your ECM password")
        EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
        ).send()
    return len(users)
