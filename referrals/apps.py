from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ecm.panels import register_case_panel, register_home_panel, register_next_steps

        from . import panels
        from .views import referral_panel

        register_case_panel("referral", 10, referral_panel)
        register_home_panel("referral-decisions", 5, panels.decisions_home_panel)
        register_home_panel("waiting-list", 25, panels.waiting_home_panel)
        register_next_steps("referral", 10, panels.next_steps)

        from ecm.reminders import register

        from . import reminders

        register("referral_waiting", _("Referral awaiting a decision"), reminders.referral_waiting)
        from . import erasure
        from .imports import erasure as import_erasure

        erasure.register()
        import_erasure.register()
