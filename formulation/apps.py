from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _panel(request, case):
    from .panels import formulation_panel

    return formulation_panel(request, case)


def _home_panel(request):
    from .panels import reports_home_panel

    return reports_home_panel(request)


class FormulationConfig(AppConfig):
    name = "formulation"
    verbose_name = _("Formulation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ecm.panels import register_case_panel, register_home_panel

        register_case_panel("formulation", 20, _panel)
        register_home_panel("formulation-reports", 20, _home_panel)
        from ecm.reminders import register

        from . import reminders

        register("report_due", _("Formulation report due"), reminders.report_due)
        register("check_waiting", _("Accuracy check waiting"), reminders.check_waiting)
        register(
            "meeting_tomorrow",
            _("Formulation meeting tomorrow"),
            reminders.meeting_tomorrow,
            reminders.meeting_ics_attachment,
        )
        register(
            "consent_missing", _("ECM consent missing before a meeting"), reminders.consent_missing
        )
