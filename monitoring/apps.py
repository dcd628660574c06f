from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ecm.panels import register_case_panel, register_home_panel

        from . import erasure, fidelity, home

        fidelity.register()
        erasure.register()
        register_home_panel("monitoring-headline", 2, home.headline_home_panel)
        register_case_panel("subject-access", 90, _subject_access_panel)


def _subject_access_panel(request, case):
    from .subject_access.views import case_panel

    return case_panel(request, case)
