from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EcmConfig(AppConfig):
    name = "ecm"
    verbose_name = _("ECM core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import account_tasks, language, mfa, signals  # noqa: F401

        mfa.replace_usersessions_receiver()  # after allauth.usersessions' ready (app order)
        from .reminders import register
        from .retention import (
            APPROVAL_KIND,
            REMINDER_KIND,
            erasure_approval_due,
            retention_review_due,
        )

        register(REMINDER_KIND, _("Records due for retention review"), retention_review_due)
        register(APPROVAL_KIND, _("An erasure waits for your decision"), erasure_approval_due)
        from .erasure import register_eraser
        from .retention import erase_retention_reasons

        register_eraser("retention", erase_retention_reasons, order=80)
