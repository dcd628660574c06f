from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormulationConfig(AppConfig):
    name = "formulation"
    verbose_name = _("Formulation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: they read the models, which are loaded by now.
        from ecm.panels import register_case_panel, register_home_panel, register_next_steps
        from ecm.reminders import register

        from . import panels, reminders

        register_case_panel("formulation", 20, panels.formulation_panel)
        register_home_panel("formulation-meetings", 10, panels.meetings_home_panel)
        register_home_panel("formulation-reports", 20, panels.reports_home_panel)
        register_next_steps("formulation", 20, panels.next_steps)
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
        from . import erasure

        erasure.register()
