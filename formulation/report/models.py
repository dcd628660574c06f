"""The formulation report: the draft, its frozen final versions, the accuracy check's
comments and approvals, circulation records and PDFs rendered by a worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Case

from ..meeting.models import Agency, Meeting


class ReportSection(models.TextChoices):
    """The sections of the formulation report, in the order they are printed. The key is
    what comments, versions and circulation records refer to."""

    SUMMARY = "summary", _("Summary of information presented")
    NEEDS = "needs", _("Needs, difficulties and strengths")
    DEVELOPMENT = "development", _("Developmental map")
    TRM = "trm", _("Trauma Recovery Model placement")
    FORMULATION = "formulation", _("Clinical opinion: the formulation")
    VOICE = "voice", _("The child's and family's voice")
    RECOMMENDATIONS = "recommendations", _("Recommendations")
    PLAN = "plan", _("Outline intervention plan")
    TIMELINE = "timeline", _("Life timeline (drawing)")
    GENOGRAM = "genogram", _("Genogram (drawing)")


#: Sections written as text on the report (recommendations are rows; drawings are rendered).
TEXT_SECTIONS = (
    ReportSection.SUMMARY,
    ReportSection.NEEDS,
    ReportSection.DEVELOPMENT,
    ReportSection.TRM,
    ReportSection.FORMULATION,
    ReportSection.VOICE,
    ReportSection.PLAN,
)
#: A final version needs these; the message names the empty ones.
REQUIRED_SECTIONS = (
    ReportSection.SUMMARY,
    ReportSection.NEEDS,
    ReportSection.TRM,
    ReportSection.FORMULATION,
    ReportSection.VOICE,
    ReportSection.RECOMMENDATIONS,
    ReportSection.PLAN,
)


class Report(models.Model):
    """The psychologist's formulation report for one case: the draft being worked on, plus
    its final versions (`ReportVersion`). Only the psychologist changes it; `revision`
    refuses edits made on a stale copy."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CHECKING = "checking", _("Accuracy check")
        FINAL = "final", _("Final")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="report")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="+")
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("psychologist"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    number = models.PositiveSmallIntegerField(_("version"), default=1)
    revision = models.PositiveIntegerField(default=1)
    due_on = models.DateField(_("due"))
    summary = models.TextField(ReportSection.SUMMARY.label, blank=True)
    needs = models.TextField(ReportSection.NEEDS.label, blank=True)
    development = models.TextField(ReportSection.DEVELOPMENT.label, blank=True)
    trm = models.TextField(ReportSection.TRM.label, blank=True)
    formulation = models.TextField(ReportSection.FORMULATION.label, blank=True)
    voice = models.TextField(ReportSection.VOICE.label, blank=True)
    plan = models.TextField(ReportSection.PLAN.label, blank=True)
    amendment_reason = models.TextField(_("reason for the amendment"), blank=True)
    sent_for_check_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("formulation report")
        verbose_name_plural = _("formulation reports")
        indexes = [models.Index(fields=["psychologist", "status"], name="report_psy_status_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} v{self.number}"

    def section_texts(self) -> dict[str, str]:
        return {key.value: getattr(self, key) for key in TEXT_SECTIONS}

    @property
    def draft_owed(self) -> bool:
        """Is the psychologist still to send the first draft for the accuracy check (what
        the due date is about)? Not once it is sent, nor for an amendment."""
        return self.number == 1 and self.sent_for_check_at is None and not self.has_final_version

    @property
    def has_final_version(self) -> bool:
        """Is any version of the report final? The one being drafted is, or an earlier one
        was: a report only moves past version 1 by amending a final version."""
        return self.status == self.Status.FINAL or self.number > 1


class ReportVersion(models.Model):
    """A final version, frozen: section texts, recommendations and drawings as finalised."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    sections = models.JSONField(default=dict)
    recommendations = models.JSONField(default=list)
    timeline_svg = models.TextField(blank=True)
    timeline_shared_svg = models.TextField(blank=True)
    genogram_svg = models.TextField(blank=True)
    # The language the frozen drawings were made in (marked on the page for screen readers).
    language = models.CharField(max_length=10, default="en-gb")
    reason = models.TextField(_("reason for this version"), blank=True)
    approved_by = models.CharField(_("checked by"), max_length=400, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    finalised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("formulation report version")
        verbose_name_plural = _("formulation report versions")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.report.case.reference} v{self.number}"


class ReportCommentKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    APPROVAL = "approval", _("Approved as accurate")


class ReportComment(models.Model):
    """A checker's comment on a section of a draft, or their approval of it."""

    Kind = ReportCommentKind

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    number = models.PositiveSmallIntegerField(_("draft of version"))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    section = models.CharField(
        _("section"), max_length=20, choices=ReportSection.choices, blank=True
    )
    text = models.TextField(_("comment"), blank=True)
    revision = models.PositiveIntegerField(_("draft revision approved"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(_("response"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number", "author"],
                condition=Q(kind=ReportCommentKind.APPROVAL),
                name="report_approval_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.report_id}"

    @property
    def author_name(self) -> str:
        if self.author is None:
            return ""
        return self.author.get_full_name() or self.author.username


class Circulation(models.Model):
    """Who received a final version of the report, when, why, and which sections."""

    class Purpose(models.TextChoices):
        CONTRIBUTING_AGENCY = "contributing_agency", _("Contributing agency, as agreed")
        REFERRAL = "referral", _("Supporting a referral to another service")
        TRANSITION = "transition", _("Transition to adult services")
        OTHER = "other", _("Other")

    class Scope(models.TextChoices):
        FULL = "full", _("Full report")
        SECTIONS = "sections", _("Selected sections")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="circulations")
    version = models.ForeignKey(
        ReportVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+"
    )
    recipient_name = models.CharField(_("person"), max_length=150)
    recipient_role = models.CharField(_("role"), max_length=120, blank=True)
    agency = models.CharField(_("agency"), max_length=30, choices=Agency.choices)
    organisation = models.CharField(_("organisation"), max_length=150, blank=True)
    sent_on = models.DateField(_("date sent"))
    purpose_kind = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    purpose = models.CharField(_("purpose in words"), max_length=255)
    scope = models.CharField(_("what was sent"), max_length=10, choices=Scope.choices)
    sections = models.JSONField(_("sections sent"), default=list, blank=True)
    # The language of the PDF that was sent: "exactly what was sent" is made in it again.
    language = models.CharField(
        _("language it was sent in"), max_length=10, choices=settings.LANGUAGES, default="en-gb"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report circulation")
        verbose_name_plural = _("report circulation")
        ordering = ["-sent_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.recipient_name} ({self.get_agency_display()})"


class ReportRender(models.Model):
    """A PDF rendered by a worker for a large report: the page polls its progress, then
    downloads it once. The PDF bytes live in the database (no shared disk between web and
    worker) and are cleared an hour after they were made."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="renders")
    version = models.ForeignKey(
        ReportVersion, null=True, on_delete=models.CASCADE, related_name="+"
    )
    circulation = models.ForeignKey(
        Circulation, null=True, on_delete=models.CASCADE, related_name="+"
    )
    sections = models.JSONField(default=list)
    number = models.PositiveSmallIntegerField(null=True)
    # The language the PDF is made in: chosen at download, the user's own by default.
    language = models.CharField(max_length=10, default="en-gb")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=255, blank=True)
    pdf = models.BinaryField(null=True, editable=False)
    filename = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.report_id} {self.status}"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
