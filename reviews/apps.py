from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _panel(request, case):
    from .views import reviews_panel

    return reviews_panel(request, case)


def _home_panel(request):
    from .views import actions_home_panel

    return actions_home_panel(request)


def _closure_url(case):
    from .views import closure_url

    return closure_url(case)


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ecm.panels import (
            register_case_panel,
            register_closure_url,
            register_home_panel,
            register_next_steps,
        )

        from . import panels

        register_case_panel("reviews", 30, _panel)
        register_home_panel("reviews-actions", 30, _home_panel)
        register_home_panel("reviews-team-overdue", 4, panels.team_overdue_home_panel)
        register_home_panel("reviews-led", 28, panels.reviews_led_home_panel)
        register_next_steps("reviews", 30, panels.next_steps)
        register_closure_url(_closure_url)
        from ecm.reminders import register

        from . import reminders

        register("review_due", _("Review due"), reminders.review_due)
        register("action_overdue", _("Action overdue"), reminders.action_overdue)
        register("partner_action", _("A partner's action to follow up"), reminders.partner_action)
        register(
            "closure_after_withdrawal",
            _("Consent withdrawn: record the closure"),
            reminders.closure_after_withdrawal,
        )
        from . import erasure

        erasure.register()
