from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormulationConfig(AppConfig):
    name = "formulation"
    verbose_name = _("Formulation")
    default_auto_field = "django.db.models.BigAutoField"
