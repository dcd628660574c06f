"""A subject access request and the third-party information flagged in it.

The bundle (a zip: a readable HTML copy and the same data as JSON) lives in private storage
(`referrals.storage`): it has no URL and is served only by the access-checked, audited view.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.dates import add_months
from referrals.storage import private_storage

#: A released request no worker has finished after this long may be released again.
STUCK_MINUTES = 30


class SubjectAccessRequest(models.Model):
    class Status(models.TextChoices):
        REVIEW = "review", _("Third-party information to review")
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Gathering the record")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")

    child = models.ForeignKey(
        "ecm.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="subject_access_requests",
    )
    team = models.ForeignKey(
        "ecm.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "ecm.Case",
        verbose_name=_("asked through the episode"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    received_on = models.DateField(_("request received on"), default=timezone.localdate)
    requester = models.CharField(
        _("who asked"),
        max_length=150,
        help_text=_("The child, or who asked on their behalf (e.g. a parent or solicitor)."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("recorded"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REVIEW
    )
    progress_done = models.PositiveSmallIntegerField(default=0)
    progress_total = models.PositiveSmallIntegerField(default=0)
    progress_step = models.CharField(max_length=120, blank=True)
    # The bundle's language: that of the person who released it for building (issue 23).
    language = models.CharField(max_length=10, default="en-gb")
    error = models.CharField(max_length=255, blank=True)
    bundle = models.FileField(
        storage=private_storage, upload_to="subject-access/", max_length=255, blank=True
    )
    bundle_size = models.PositiveIntegerField(null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("subject access request")
        verbose_name_plural = _("subject access requests")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Subject access request #{self.pk}"

    @property
    def due_on(self):
        """One calendar month from receipt (UK GDPR art. 12(3))."""
        return add_months(self.received_on, 1)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_stuck(self) -> bool:
        """Released, but no worker has finished it in STUCK_MINUTES (e.g. the broker was
        down when it was queued, or the worker stopped): it may be released again."""
        started = self.released_at or self.requested_at
        return self.in_progress and timezone.now() - started > dt.timedelta(minutes=STUCK_MINUTES)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def filename(self) -> str:
        return f"subject-access-{self.case.reference}-{self.pk}.zip"


class RedactionItem(models.Model):
    """One piece of third-party information found in the record, and the manager's decision
    on it: release, or withhold (with the reason the released bundle records)."""

    class Kind(models.TextChoices):
        FAMILY_MEMBER = "family_member", _("Family member (genogram)")
        PROFESSIONAL = "professional", _("Partner professional at a meeting")
        WRITTEN = "written", _("Written information from a professional")
        MEETING_OTHERS = "meeting_others", _("Additional information from others (minutes)")
        CIRCULATION = "circulation", _("Report sent to a partner")
        TIMELINE_EVENT = "timeline_event", _("Timeline event")
        REFERRAL_UPLOAD = "referral_upload", _("Referral upload (AssetPlus)")
        RECOMMENDATION_OWNER = "rec_owner", _("Partner named to carry out a recommendation")
        REVIEW_RECOMMENDATION_OWNER = (
            "review_rec_owner",
            _("Partner named to carry out a review's recommendation"),
        )
        ACTION_OWNER = "action_owner", _("Partner named as an action's owner")
        REVIEW_OTHERS = "review_others", _("Others present at a review, and apologies")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not decided")
        RELEASE = "release", _("Release")
        WITHHOLD = "withhold", _("Withhold")

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    where = models.CharField(_("where"), max_length=120, blank=True)
    label = models.CharField(_("item"), max_length=255)
    why_flagged = models.CharField(_("why it is flagged"), max_length=255)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    reason = models.CharField(_("reason for withholding"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("third-party item")
        verbose_name_plural = _("third-party items")
        ordering = ["kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "object_id"], name="sar_item_once_per_request"
            ),
            models.CheckConstraint(
                condition=~models.Q(decision="withhold") | ~models.Q(reason=""),
                name="sar_item_withheld_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id}"

    @property
    def withheld(self) -> bool:
        return self.decision == self.Decision.WITHHOLD
