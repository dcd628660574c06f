"""Monitoring owns no case data; it keeps only what a team records for its own monitoring:
the YOT's whole caseload per quarter (the product holds only the ECM cases), which the
dashboard shows beside the referrals made and accepted ("Monitoring Outcomes": children on
the caseload, how many were eligible). An integration may fill it later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TeamCaseload(models.Model):
    """How many children the YOT worked with in a calendar quarter, as the team recorded it.
    One row per team and quarter; a correction changes the row (and bumps its version)."""

    team = models.ForeignKey(
        "ecm.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="caseloads"
    )
    quarter_start = models.DateField(_("quarter starting"))
    caseload = models.PositiveIntegerField(_("children on the YOT caseload"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recorded YOT caseload")
        verbose_name_plural = _("recorded YOT caseloads")
        ordering = ["-quarter_start", "team__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "quarter_start"], name="monitoring_caseload_one_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter_start__day=1, quarter_start__month__in=[1, 4, 7, 10]),
                name="monitoring_caseload_quarter_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.quarter_start}: {self.caseload}"


# Subject access (issue 20) keeps its models in its own module.
from .subject_access.models import RedactionItem, SubjectAccessRequest  # noqa: E402, F401


class FigureSnapshot(models.Model):
    """The monitoring pages' read model: one page's figures (counts, means and shares, never
    a child's data) for one scope, period and language, computed by the worker
    (`monitoring.readmodel`) and read by the page in one query. `data` is the page's tables
    as plain JSON; small-cell suppression and exact counts are applied when shown, by the
    viewer's access, never stored."""

    section = models.CharField(_("page"), max_length=20)
    #: sha256 of section, teams, period (or "rolling": the default twelve months to today)
    #: and language: the unique key a page looks up.
    key = models.CharField(max_length=64, unique=True)
    team_ids = models.JSONField(_("teams"), default=list)
    rolling = models.BooleanField(default=False)  # the default period, to the day computed
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    language = models.CharField(max_length=10)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField(null=True)  # None until first computed
    requested_at = models.DateTimeField(null=True)  # a (re)computation asked for, not done
    claimed_at = models.DateTimeField(null=True)  # a worker is computing it since then
    failed_at = models.DateTimeField(null=True)  # the last computation failed for good
    last_viewed_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("computed monitoring figures")
        verbose_name_plural = _("computed monitoring figures")
        indexes = [models.Index(fields=["last_viewed_at"], name="monitoring_snapshot_viewed")]

    def __str__(self) -> str:
        return f"{self.section} {self.team_ids} {self.period_start}..{self.period_end}"

    @property
    def refresh_minutes(self) -> int:
        """How often beat recomputes figures that are viewed (the page says so)."""
        return settings.FIGURES_REFRESH_MINUTES
