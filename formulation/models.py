"""The formulation meeting: scheduling and invitations, checklist, genogram, case summary,
timeline, meeting record (attendance, minutes, developmental map, TRM placement,
recommendations) and the TRM frameworks as data."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Case, Child, Team

# --- TRM frameworks ---------------------------------------------------------------------


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


# --- Partner professionals ---------------------------------------------------------------


class Agency(models.TextChoices):
    SOCIAL_SERVICES = "social_services", _("Social services")
    FOSTER_CARER = "foster_carer", _("Foster carer")
    RESIDENTIAL = "residential", _("Residential care")
    EDUCATION = "education", _("School / education")
    CAMHS = "camhs", _("CAMHS")
    HEALTH = "health", _("Health")
    HOUSING = "housing", _("Housing")
    POLICE = "police", _("Police")
    PROBATION = "probation", _("Probation")
    SUBSTANCE_MISUSE = "substance_misuse", _("Substance misuse")
    YOT = "yot", _("YOT colleague")
    OTHER = "other", _("Other")


class Professional(models.Model):
    """A partner professional in a team's directory."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="professionals")
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=120)
    agency = models.CharField(_("agency"), max_length=30, choices=Agency.choices)
    organisation = models.CharField(_("organisation"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner professional")
        verbose_name_plural = _("partner professionals")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_agency_display()})"


# --- Meetings ------------------------------------------------------------------------------


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meetings")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    starts_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(_("length (minutes)"), default=180)
    location = models.CharField(_("place"), max_length=200, blank=True)
    online_link = models.URLField(_("online meeting link"), blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("psychologist"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Minutes by agenda item (practice guidance Appendix 4).
    minutes_purpose = models.TextField(_("1. Welcome and purpose"), blank=True)
    minutes_case_history = models.TextField(_("3. Case history"), blank=True)
    minutes_additional = models.TextField(_("4. Additional information from others"), blank=True)
    minutes_discussion = models.TextField(_("7. Discussion of recommendations"), blank=True)
    review_at = models.DateTimeField(_("first review: date and time"), null=True, blank=True)
    review_location = models.CharField(_("review place"), max_length=200, blank=True)
    supervision_at = models.DateTimeField(_("supervision: date and time"), null=True, blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("formulation meeting")
        verbose_name_plural = _("formulation meetings")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["case", "status"], name="meeting_case_status_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class Invitation(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        APOLOGIES = "apologies", _("Apologies")
        ATTENDED = "attended", _("Attended")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("E-mail queued")
        SENT = "sent", _("E-mail sent")
        FAILED = "failed", _("E-mail failed")
        NO_EMAIL = "no_email", _("No valid e-mail: invite another way")
        NOT_SENT = "not_sent", _("No e-mail needed")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    professional = models.ForeignKey(
        Professional, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=120, blank=True)
    agency = models.CharField(_("agency"), max_length=30, choices=Agency.choices)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    involvement = models.CharField(
        _("involvement with the child/family"), max_length=255, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INVITED
    )
    delivery = models.CharField(
        _("invitation e-mail"), max_length=20, choices=Delivery.choices, default=Delivery.PENDING
    )
    delivery_error = models.CharField(max_length=255, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    written_information = models.TextField(_("written information"), blank=True)
    written_received_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "professional"],
                condition=Q(professional__isnull=False),
                name="invitation_once_per_professional",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} – {self.get_status_display()}"


class ChecklistTick(models.Model):
    """A hand-ticked item of the pre-meeting checklist (practice guidance Appendix 2)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="ticks")
    key = models.CharField(max_length=40)
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "key"], name="checklist_tick_once")
        ]

    def __str__(self) -> str:
        return self.key


# --- Genogram ------------------------------------------------------------------------------


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class FamilyMember(models.Model):
    """A person in the child's genogram. Belongs to the child, so a re-opened case keeps it."""

    class Relationship(models.TextChoices):
        SELF = "self", _("The child")
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        STEP_PARENT = "step_parent", _("Step-parent / parent's partner")
        SIBLING = "sibling", _("Sibling")
        HALF_SIBLING = "half_sibling", _("Half-sibling")
        STEP_SIBLING = "step_sibling", _("Step-sibling")
        GRANDPARENT = "grandparent", _("Grandparent")
        AUNT_UNCLE = "aunt_uncle", _("Aunt / uncle")
        COUSIN = "cousin", _("Cousin")
        CHILD = "child", _("The child's own child")
        CARER = "carer", _("Carer (not family)")
        OTHER = "other", _("Other")

    GENERATION = {
        "self": 0,
        "mother": -1,
        "father": -1,
        "step_parent": -1,
        "sibling": 0,
        "half_sibling": 0,
        "step_sibling": 0,
        "grandparent": -2,
        "aunt_uncle": -1,
        "cousin": 0,
        "child": 1,
        "carer": -1,
        "other": 0,
    }

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="family")
    name = models.CharField(_("name"), max_length=150)
    relationship = models.CharField(
        _("relationship to the child"), max_length=20, choices=Relationship.choices
    )
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    deceased = models.BooleanField(_("deceased"), default=False)
    lives_with_child = models.BooleanField(_("lives with the child"), default=False)
    mental_health = models.BooleanField(_("mental health"), default=False)
    substance_misuse = models.BooleanField(_("substance misuse"), default=False)
    imprisonment = models.BooleanField(_("imprisonment"), default=False)
    domestic_abuse = models.BooleanField(_("domestic abuse"), default=False)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    mother = models.ForeignKey(
        "self",
        verbose_name=_("mother"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    father = models.ForeignKey(
        "self",
        verbose_name=_("father"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def birth_label(self) -> str:
        if self.date_of_birth:
            return f"b. {self.date_of_birth:%d/%m/%Y}"
        if self.year_of_birth:
            return f"b. {self.year_of_birth}"
        return ""


class Partnership(models.Model):
    class Status(models.TextChoices):
        TOGETHER = "together", _("Together")
        SEPARATED = "separated", _("Separated")
        DIVORCED = "divorced", _("Divorced")
        ENDED_BY_DEATH = "ended_by_death", _("Ended by death")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="partnerships")
    a = models.ForeignKey(FamilyMember, on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(FamilyMember, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.TOGETHER
    )
    start_year = models.PositiveSmallIntegerField(_("from (year)"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("until (year)"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(a=models.F("b")), name="partnership_two_people")
        ]

    def __str__(self) -> str:
        return f"{self.a} – {self.b}"


# --- Timeline and case summary -------------------------------------------------------------


class Category(models.TextChoices):
    FAMILY = "family", _("Family")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    SOCIAL_CARE = "social_care", _("Social care")
    OFFENDING = "offending", _("Offending")
    ACCOMMODATION = "accommodation", _("Accommodation")
    RELATIONSHIPS = "relationships", _("Relationships")
    LOSS = "loss", _("Loss and bereavement")
    INTERVENTIONS = "interventions", _("Interventions")
    OTHER = "other", _("Other")


class Precision(models.TextChoices):
    DAY = "day", _("Exact day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    APPROX = "approx", _("Approximate")


class TimelineEvent(models.Model):
    """An event of the child's life timeline. Belongs to the child, so a re-opened case
    carries its timeline over. Events made from case-summary entries point to their source
    and are edited there (no double entry)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="timeline")
    title = models.CharField(_("event"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    start_date = models.DateField(_("date"))
    precision = models.CharField(
        _("date known to"), max_length=10, choices=Precision.choices, default=Precision.DAY
    )
    end_date = models.DateField(_("end date (for a period)"), null=True, blank=True)
    shared_by = models.CharField(_("shared by"), max_length=150, blank=True)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    source_item = models.OneToOneField(
        "SummaryItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="timeline_event",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["start_date", "pk"]
        indexes = [models.Index(fields=["child", "start_date"], name="timeline_child_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="timeline_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SummaryItem(models.Model):
    """An entry of the case information summary (Appendix 2). Dated entries appear on the
    timeline automatically."""

    class Kind(models.TextChoices):
        ORDER_CONDITION = "order_condition", _("Order condition")
        SIGNIFICANT_EVENT = "significant_event", _("Significant event")
        ACCOMMODATION = "accommodation", _("Accommodation move")
        SCHOOL = "school", _("School")
        PROFESSIONAL = "professional", _("Professional involved")
        STRENGTH = "strength", _("Strength")
        PARENTAL = "parental", _("Parental information")

    TIMELINE_CATEGORY = {
        "order_condition": "interventions",
        "significant_event": "family",
        "accommodation": "accommodation",
        "school": "education",
        "professional": "interventions",
        "strength": "other",
        "parental": "family",
    }

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="summary_items")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("entry"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    precision = models.CharField(
        _("date known to"), max_length=10, choices=Precision.choices, default=Precision.DAY
    )
    engagement = models.CharField(_("engagement (schools)"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=False) & Q(end_date__gte=models.F("start_date")),
                name="summary_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


# --- Meeting record --------------------------------------------------------------------------


class DevelopmentalMap(models.Model):
    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, related_name="developmental_map"
    )
    physical_age = models.CharField(_("physical age"), max_length=20, blank=True)
    social_age = models.CharField(_("social age"), max_length=20, blank=True)
    cognitive_age = models.CharField(_("cognitive age"), max_length=20, blank=True)
    emotional_age = models.CharField(_("emotional age"), max_length=20, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Developmental map {self.meeting_id}"


class TRMPlacement(models.Model):
    """The psychologist's placement of the child on the TRM (keeps its framework version
    through the stage it points to)."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="trm_placement")
    stage = models.ForeignKey(TRMStage, verbose_name=_("TRM stage"), on_delete=models.PROTECT)
    presentation = models.TextField(_("presentation"))
    underlying_need = models.TextField(_("underlying need"))
    intervention_recommendation = models.TextField(_("intervention recommendation"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.stage)


class Recommendation(models.Model):
    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="recommendations")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recommendations")
    intervention = models.TextField(_("recommendation"))
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who (person)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_agency = models.CharField(
        _("who (agency)"), max_length=30, choices=Agency.choices, blank=True
    )
    owner_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    sequence = models.PositiveSmallIntegerField(_("order"), default=1)
    trm_stage = models.ForeignKey(
        TRMStage,
        verbose_name=_("TRM stage it serves"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence", "pk"]

    def __str__(self) -> str:
        return self.intervention[:60]


# --- Formulation report ----------------------------------------------------------------------


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


# Sections written as text on the report (recommendations are rows; drawings are rendered).
TEXT_SECTIONS = ("summary", "needs", "development", "trm", "formulation", "voice", "plan")
# A final version needs these; the message names the empty ones.
REQUIRED_SECTIONS = ("summary", "needs", "trm", "formulation", "voice", "recommendations", "plan")


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
        return {key: getattr(self, key) for key in TEXT_SECTIONS}


class ReportVersion(models.Model):
    """A final version, frozen: section texts, recommendations and drawings as finalised."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    sections = models.JSONField(default=dict)
    recommendations = models.JSONField(default=list)
    timeline_svg = models.TextField(blank=True)
    timeline_shared_svg = models.TextField(blank=True)
    genogram_svg = models.TextField(blank=True)
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


class ReportComment(models.Model):
    """A checker's comment on a section of a draft, or their approval of it."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        APPROVAL = "approval", _("Approved as accurate")

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
                condition=Q(kind="approval"),
                name="report_approval_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.report_id}"


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
