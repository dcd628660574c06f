"""The password-reset form: the page only queues the request; a worker looks the address up
and sends the link, so the answer and its timing are the same whether or not an account
uses the address (issue 19, ASVS V2.5 / V3.x: no account enumeration)."""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from django.db import transaction

from .queueing import queue_task

PASSWORD_RESET_TASK = "ecm.send_password_reset"  # noqa: S105 - a task name


class ResetPasswordForm(AllauthResetPasswordForm):
    def clean_email(self) -> str:
        # No lookup here: that is the worker's job. The address is only checked for form.
        self.users = []
        return self.cleaned_data["email"]

    def save(self, request, **kwargs) -> str:
        email = self.cleaned_data["email"]
        transaction.on_commit(lambda: queue_task(PASSWORD_RESET_TASK, email))
        return email
