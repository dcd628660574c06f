from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EcmConfig(AppConfig):
    name = "ecm"
    verbose_name = _("ECM core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import account_tasks, mfa, signals  # noqa: F401
