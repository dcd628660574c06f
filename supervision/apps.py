from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _case_panel(request, case):
    from .views import supervision_case_panel

    return supervision_case_panel(request, case)


def _home_panel(request):
    from .views import supervision_home_panel

    return supervision_home_panel(request)


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Clinical supervision")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ecm.panels import register_case_panel, register_home_panel

        register_case_panel("supervision", 40, _case_panel)
        register_home_panel("supervision", 40, _home_panel)
        from ecm.reminders import register

        from . import reminders

        register("supervision_due", _("Clinical supervision due"), reminders.supervision_due)
        from . import erasure

        erasure.register()
