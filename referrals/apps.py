from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ecm.panels import register_case_panel

        from .views import referral_panel

        register_case_panel("referral", 10, referral_panel)

        from ecm.reminders import register

        from . import reminders

        register("referral_waiting", _("Referral awaiting a decision"), reminders.referral_waiting)
