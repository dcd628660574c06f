"""Retention and erasure records (issue 20): each team's retention rule, the children due for
a retention review and its decision, legal holds, and two-person erasure requests.

Imported by `ecm.models`, so these are models of the `ecm` app. The workflow is in
`ecm.retention`; the engine that removes a child's personal data is `ecm.erasure`.

None of these rows holds the child's name: they point at the child (until the child is
erased, when the link is cut) and carry a pseudonymous reference. Reasons are free text:
the forms ask not to name the child in them.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The default rule, for a team with none set: keep until the child is 25, or six years after
#: the last episode closed, whichever is later. A conservative placeholder, not a legal claim:
#: the organisation's records manager sets the team's own rule in the administration.
DEFAULT_YEARS_AFTER_CLOSURE = 6
DEFAULT_MINIMUM_AGE = 25


class RetentionRule(models.Model):
    """How long a team keeps a child's record (set by the organisation's records manager)."""

    team = models.OneToOneField(
        "ecm.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        related_name="retention_rule",
    )
    years_after_closure = models.PositiveSmallIntegerField(
        _("keep for (years after the last episode closed)"),
        default=DEFAULT_YEARS_AFTER_CLOSURE,
        help_text=_("Counted from the day the child's most recent episode ended."),
    )
    minimum_age = models.PositiveSmallIntegerField(
        _("keep at least until the child is (years old)"),
        default=DEFAULT_MINIMUM_AGE,
        help_text=_("Nothing is put forward for erasure before the child reaches this age."),
    )
    policy_reference = models.CharField(
        _("policy reference"),
        max_length=200,
        blank=True,
        help_text=_("Where the organisation's retention schedule sets this rule."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"{self.team}: {self.years_after_closure} / {self.minimum_age}"


class RetentionReview(models.Model):
    """A child whose record reached its team's retention rule, and what was decided."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Due for review")
        KEEP = "keep", _("Keep until a later date")
        ERASE = "erase", _("Erase")

    child = models.ForeignKey(
        "ecm.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retention_reviews",
    )
    team = models.ForeignKey(
        "ecm.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due for review on"))
    found_on = models.DateField(_("listed on"), default=timezone.localdate)
    last_closed_on = models.DateField(_("last episode closed on"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    keep_until = models.DateField(_("keep until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("retention review")
        verbose_name_plural = _("retention reviews")
        ordering = ["due_on", "pk"]
        constraints = [
            # One review waiting per child: the daily task can run twice harmlessly.
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(decision="pending"),
                name="retention_review_one_pending",
            ),
            models.CheckConstraint(
                condition=~Q(decision="keep") | (Q(keep_until__isnull=False) & ~Q(reason="")),
                name="retention_keep_has_date_and_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["team", "due_on"],
                name="retention_pending_idx",
                condition=Q(decision="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"Retention review #{self.pk}"


class LegalHold(models.Model):
    """A reason to keep a child's record whatever the rule says (a complaint, a serious case
    review, litigation): blocks erasure until lifted."""

    child = models.ForeignKey(
        "ecm.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="legal_holds",
    )
    team = models.ForeignKey(
        "ecm.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason for the hold"), max_length=500)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lift_reason = models.CharField(_("why it was lifted"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at", "-pk"]
        indexes = [
            models.Index(
                fields=["child"], name="legal_hold_active_idx", condition=Q(lifted_at=None)
            )
        ]

    def __str__(self) -> str:
        return f"Legal hold #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


def new_erasure_reference() -> str:
    """A pseudonymous reference for an erasure: random, so it says nothing about the child."""
    return "ER-" + secrets.token_hex(5).upper()


class ErasureRequest(models.Model):
    """An erasure of one child's record: proposed by a manager, approved by another manager of
    the team or its data protection officer (never the proposer), run by a worker."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed: waiting for a second person's approval")
        APPROVED = "approved", _("Approved: waiting for a worker")
        RUNNING = "running", _("Erasing")
        DONE = "done", _("Erased")
        FAILED = "failed", _("Failed: needs an operator")
        REFUSED = "refused", _("Refused")

    #: A child has at most one erasure under way (a failed one waits for an operator).
    IN_PROGRESS = (Status.PROPOSED, Status.APPROVED, Status.RUNNING, Status.FAILED)

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, default=new_erasure_reference, editable=False
    )
    child = models.ForeignKey(
        "ecm.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasure_requests",
    )
    team = models.ForeignKey(
        "ecm.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    review = models.ForeignKey(
        RetentionReview,
        verbose_name=_("retention review"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasure_requests",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    reason = models.CharField(_("reason for erasure"), max_length=500)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("refused by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    refused_at = models.DateTimeField(_("refused"), null=True, blank=True)
    refusal_reason = models.CharField(_("why it was refused"), max_length=500, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_step = models.CharField(max_length=200, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(_("error"), max_length=255, blank=True)
    # What the engine reports (counts of what it removed); no personal data.
    result = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            # Two people, whatever path wrote the row.
            models.CheckConstraint(
                condition=~Q(approved_by=models.F("proposed_by")),
                name="erasure_not_self_approved",
            ),
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status__in=["proposed", "approved", "running", "failed"]),
                name="erasure_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress_done * 100 // self.progress_total)

    def is_stale(self, now: dt.datetime | None = None) -> bool:
        """Running with no progress for ERASURE_STALE_MINUTES: the worker probably stopped."""
        if self.status != self.Status.RUNNING:
            return False
        last = self.progress_at or self.started_at
        minutes = getattr(settings, "ERASURE_STALE_MINUTES", 30)
        return last is None or last < (now or timezone.now()) - dt.timedelta(minutes=minutes)
