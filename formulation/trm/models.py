"""The Trauma Recovery Model as data (frameworks, their stages, each team's active
framework) and the psychologist's placement of the child on it at the meeting."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ecm.models import Team


class TRMFramework(models.Model):
    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=150)
    source = models.CharField(_("source"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("available"), default=True)

    class Meta:
        verbose_name = _("TRM framework")
        verbose_name_plural = _("TRM frameworks")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="trm_framework_version")
        ]

    def __str__(self) -> str:
        if not self.is_active:
            return gettext("%(name)s (v%(v)s, retired: no new placements)") % {
                "name": self.name,
                "v": self.version,
            }
        return f"{self.name} (v{self.version})"


class TRMStage(models.Model):
    framework = models.ForeignKey(TRMFramework, on_delete=models.CASCADE, related_name="stages")
    number = models.PositiveSmallIntegerField(_("stage"))
    name = models.CharField(_("name"), max_length=150)
    presentation = models.TextField(_("presentation"), blank=True)
    underlying_need = models.TextField(_("underlying need"), blank=True)
    interventions = models.TextField(_("fitting interventions"), blank=True)
    offence_focused_work = models.BooleanField(_("offence-focused work fits"), default=False)

    class Meta:
        verbose_name = _("TRM stage")
        verbose_name_plural = _("TRM stages")
        ordering = ["framework", "number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="trm_stage_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class TeamFormulationSettings(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="formulation_settings")
    framework = models.ForeignKey(
        TRMFramework, verbose_name=_("active TRM framework"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("team formulation settings")
        verbose_name_plural = _("team formulation settings")

    def __str__(self) -> str:
        return str(self.team)
