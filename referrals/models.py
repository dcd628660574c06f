"""Referral (practice guidance Appendix 1), eligibility rule sets and checks, consent,
waiting-list priority and team capacity."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.dates import add_months
from ecm.models import Case, Team

from .storage import private_storage

# --- Answer scales ----------------------------------------------------------------------


class YesNoDontKnow(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    DONT_KNOW = "dont_know", _("Don't know")


class CurrentPreviousNever(models.TextChoices):
    CURRENT = "current", _("Current")
    PREVIOUS = "previous", _("Previous")
    NEVER = "never", _("Never")
    # The evaluations report "data missing" for looked-after status: not knowing is data.
    DONT_KNOW = "dont_know", _("Don't know")


# --- Risk scales (AssetPlus) ----------------------------------------------------------------
# The one definition of the risk scales, used by the referral (the start ratings), the
# reviews app (corrections and closure) and monitoring. Evaluation of the Welsh trial (000
# §3.40-3.41): reoffending on three points informed by the YOGRS score; serious harm and
# vulnerability on four.


class ReoffendingRisk(models.IntegerChoices):
    LOW = 1, _("Low (YOGRS 0-43%)")
    MEDIUM = 2, _("Medium (YOGRS 44-76%)")
    HIGH = 3, _("High (YOGRS 77-100%)")


class HarmRisk(models.IntegerChoices):
    """Risk of serious harm (to others) and vulnerability (to the child's own safety and
    wellbeing) share the four AssetPlus levels."""

    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    VERY_HIGH = 4, _("Very high")


def risk_label(scale: type[models.IntegerChoices], value: int | None) -> str:
    """The words for a rating ("" when there is none), e.g. for a template or an export."""
    if value is None:
        return ""
    try:
        return str(scale(value).label)
    except ValueError:
        return str(value)


class Disposal(models.TextChoices):
    """The child's current status (order or disposal), grouped by what the criteria need."""

    PRE_SENTENCE = "pre_sentence", _("No disposal yet (awaiting sentence)")
    PREVENTION = "prevention", _("Prevention / ‘at risk’ (no disposal)")
    COMMUNITY_RESOLUTION = "community_resolution", _("Community resolution (out of court)")
    YOUTH_CAUTION = "youth_caution", _("Youth caution (out of court)")
    YOUTH_CONDITIONAL_CAUTION = (
        "youth_conditional_caution",
        _("Youth conditional caution (out of court)"),
    )
    REFERRAL_ORDER = "referral_order", _("Referral order (community)")
    YRO = "yro", _("Youth rehabilitation order (community)")
    DTO_LICENCE = "dto_licence", _("Detention and training order: licence period")
    CUSTODY = "custody", _("Custody (custodial part of a sentence)")
    OTHER = "other", _("Other")


# The groups a rule set's criteria name (rule sets are data: the keys are stored in them).
DISPOSAL_GROUPS = {
    "out_of_court": {
        Disposal.COMMUNITY_RESOLUTION,
        Disposal.YOUTH_CAUTION,
        Disposal.YOUTH_CONDITIONAL_CAUTION,
    },
    "community": {Disposal.REFERRAL_ORDER, Disposal.YRO},
    "dto_licence": {Disposal.DTO_LICENCE},
    "statutory": {Disposal.REFERRAL_ORDER, Disposal.YRO, Disposal.DTO_LICENCE},
    "custody": {Disposal.CUSTODY},
    "prevention": {Disposal.PREVENTION},
    "pre_sentence": {Disposal.PRE_SENTENCE},
}

# The complexity grid of Appendix 1: (field, label). The first four are current/previous/never.
COMPLEXITY_CPN = [
    ("cx_child_protection_plan", _("Child protection plan")),
    ("cx_local_authority_care", _("Local authority care")),
    ("cx_other_social_care", _("Other social care involvement")),
    ("cx_camhs", _("Contact with CAMHS")),
]
COMPLEXITY_YND = [
    ("cx_substance_drugs", _("Problematic substance use – drugs")),
    ("cx_substance_alcohol", _("Problematic substance use – alcohol")),
    ("cx_emotional_mental_health", _("Emotional & mental health issues")),
    ("cx_brain_injury", _("Brain injury & other neurological disabilities")),
    ("cx_learning_difficulties", _("Learning & educational difficulties")),
    ("cx_slcn", _("Speech, language & communication needs")),
    ("cx_exploitation", _("Child sexual and/or criminal exploitation")),
    ("cx_accommodation_instability", _("Accommodation instability")),
    ("cx_serious_youth_violence", _("Involvement in serious youth violence")),
    ("cx_emotional_abuse", _("Emotional abuse")),
]
# The ACE grid of Appendix 1: child maltreatment, then the childhood household.
ACE_MALTREATMENT = [
    ("ace_verbal_abuse", _("Verbal abuse")),
    ("ace_physical_abuse", _("Physical abuse")),
    ("ace_sexual_abuse", _("Sexual abuse")),
    ("ace_neglect", _("Neglect")),
]
ACE_HOUSEHOLD = [
    ("ace_parental_separation", _("Parental separation")),
    ("ace_domestic_abuse", _("Witnessed domestic abuse")),
    ("ace_mental_illness", _("Living with anyone who has a mental illness")),
    ("ace_alcohol_abuse", _("Living with anyone who has alcohol abuse")),
    ("ace_drug_abuse", _("Living with anyone who has drug abuse")),
    ("ace_incarceration", _("Living with anyone who has been incarcerated")),
    ("ace_bereavement", _("Experience of significant bereavement")),
]
COMPLEXITY_FIELDS = [f for f, _ in COMPLEXITY_CPN + COMPLEXITY_YND]
ACE_FIELDS = [f for f, _ in ACE_MALTREATMENT + ACE_HOUSEHOLD]


def _grid_fields(items, choices):
    return {
        name: models.CharField(label, max_length=10, choices=choices, blank=True)
        for name, label in items
    }


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted – awaiting decision")
    RETURNED = "returned", _("Returned for more information")
    DECIDED = "decided", _("Decided")


class _ReferralBase(models.Model):
    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="referral"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    # Referrer (Appendix 1: case manager, YOT, contact number, date of referral).
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_number = models.CharField(_("case manager contact number"), max_length=40, blank=True)
    referral_date = models.DateField(_("date of referral"), null=True, blank=True)
    reason = models.TextField(_("reason for this referral"), blank=True)
    why_ecm = models.TextField(_("why ECM will make a difference"), blank=True)
    # Current status of the child (order / disposal).
    disposal = models.CharField(
        _("current status (order or disposal)"),
        max_length=40,
        choices=Disposal.choices,
        blank=True,
    )
    order_start_date = models.DateField(_("start date"), null=True, blank=True)
    order_length_months = models.PositiveSmallIntegerField(
        _("length (months)"), null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    voluntary_months_agreed = models.PositiveSmallIntegerField(
        _("voluntary period agreed (months)"),
        default=0,
        validators=[MaxValueValidator(24)],
        help_text=_("Months of voluntary YOT involvement agreed with the child and family."),
    )
    previous_interventions = models.PositiveSmallIntegerField(
        _("number of previous YOT interventions"), null=True, blank=True
    )
    repeat_offender = models.BooleanField(_("repeat offender"), null=True, blank=True)
    # The AssetPlus ratings at referral: they are the case's ratings at the start.
    risk_reoffending = models.PositiveSmallIntegerField(
        _("risk of reoffending"), choices=ReoffendingRisk.choices, null=True, blank=True
    )
    risk_harm_self = models.PositiveSmallIntegerField(
        _("vulnerability (risk of harm to self)"), choices=HarmRisk.choices, null=True, blank=True
    )
    risk_harm_others = models.PositiveSmallIntegerField(
        _("risk of serious harm to others"), choices=HarmRisk.choices, null=True, blank=True
    )
    # AssetPlus assessment, stored outside any public path.
    assetplus_file = models.FileField(
        _("AssetPlus assessment"),
        storage=private_storage,
        upload_to="assetplus/%Y/%m/",
        blank=True,
    )
    assetplus_name = models.CharField(_("file name"), max_length=255, blank=True)
    assetplus_content_type = models.CharField(max_length=100, blank=True)
    assetplus_size = models.PositiveIntegerField(null=True, blank=True)
    assetplus_uploaded_at = models.DateTimeField(null=True, blank=True)
    # Waiting list.
    significant_concern = models.BooleanField(_("significant concern"), default=False)
    significant_concern_note = models.CharField(
        _("significant concern: why"), max_length=255, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("on the waiting list since"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


for _name, _field in {
    **_grid_fields(COMPLEXITY_CPN, CurrentPreviousNever.choices),
    **_grid_fields(COMPLEXITY_YND, YesNoDontKnow.choices),
    **_grid_fields(ACE_MALTREATMENT + ACE_HOUSEHOLD, YesNoDontKnow.choices),
}.items():
    _field.contribute_to_class(_ReferralBase, _name)


class Referral(_ReferralBase):
    """The ECM referral form of one case (episode). "Don't know" is an answer, stored as
    such; a blank means "not answered yet" and is refused at submission."""

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["status", "submitted_at"], name="referral_status_idx")]

    def __str__(self) -> str:
        return f"Referral {self.case.reference}"

    @property
    def order_end_date(self):
        if self.order_start_date and self.order_length_months is not None:
            return add_months(self.order_start_date, self.order_length_months)
        return None

    def complexity_answers(self):
        return [(f, label, getattr(self, f)) for f, label in COMPLEXITY_CPN + COMPLEXITY_YND]

    def ace_answers(self):
        return [(f, label, getattr(self, f)) for f, label in ACE_MALTREATMENT + ACE_HOUSEHOLD]


class Offence(models.Model):
    """An offence known at referral (later stages add to the case's offence history)."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="offences"
    )
    date = models.DateField(_("date of offence"))
    offence_type = models.CharField(_("offence type"), max_length=120)
    disposal = models.CharField(_("disposal"), max_length=120, blank=True)
    gravity = models.PositiveSmallIntegerField(
        _("gravity score (1-8)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
    )

    class Meta:
        verbose_name = _("offence")
        verbose_name_plural = _("offences")
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gravity__isnull=True) | Q(gravity__gte=1, gravity__lte=8),
                name="offence_gravity_1_8",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.offence_type}"


class ReferralEvent(models.Model):
    """The referral's history: readiness, submission, viability discussion, decisions."""

    class Kind(models.TextChoices):
        READY = "ready", _("Assessed as ready for referral")
        SUBMITTED = "submitted", _("Referral submitted")
        VIABILITY = "viability", _("Appropriateness and viability discussed")
        DECISION = "decision", _("Eligibility decision")
        RETURNED = "returned", _("Returned for more information")
        OFFERED_SLOT = "offered_slot", _("Taken off the waiting list")
        PRIORITY = "priority", _("Priority changed")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


# --- Eligibility rule sets ---------------------------------------------------------------


class RuleSet(models.Model):
    """A version of the referral criteria agreed by a local steering group."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=150)
    source = models.CharField(_("source"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    is_active = models.BooleanField(_("available for new checks"), default=True)

    class Meta:
        verbose_name = _("eligibility rule set")
        verbose_name_plural = _("eligibility rule sets")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="ruleset_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def in_use(self) -> bool:
        """Used by a recorded check: its criteria then carry the meaning of past decisions
        and are never changed in place (a change makes a new version)."""
        return self.checks.exists()

    def successor(self) -> RuleSet | None:
        """The newest version of the same criteria available for new checks, if any."""
        return (
            RuleSet.objects.filter(code=self.code, version__gt=self.version, is_active=True)
            .order_by("-version")
            .first()
        )


class Criterion(models.Model):
    """One criterion of a rule set. `kind` names the evaluator (referrals.rules) that
    pre-fills it from the referral; `params` configures it."""

    class Kind(models.TextChoices):
        COMPLEX_NEEDS = "complex_needs", _("Evidence of complex needs")
        DISPOSAL = "disposal", _("Disposal type")
        EXCLUDED = "excluded", _("Excluded disposals")
        INVOLVEMENT = "involvement", _("Months of YOT involvement")
        OFFENCES = "offences", _("Offences in a window before referral")
        PREVIOUSLY_OFFENDED = "previously_offended", _("Has offended before")
        ACES = "aces", _("Evidence of adverse childhood experiences")
        MANUAL = "manual", _("Judged by the senior practitioner")

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=40)
    text = models.CharField(_("criterion"), max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["rule_set", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="criterion_unique_code")
        ]

    def __str__(self) -> str:
        return self.text


class CriterionResult(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    UNKNOWN = "unknown", _("Unknown")


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    NOT_MET = "not_met", _("Criteria not met")
    PRIORITY = "priority", _("Criteria met, another case takes priority (waiting list)")
    NOT_VIABLE = "not_viable", _("Not viable")
    MORE_INFO = "more_info", _("More information requested")


class NotMetReason(models.TextChoices):
    COMPLEX_NEEDS = "complex_needs", _("No evidence of complex needs")
    DISPOSAL = "disposal", _("Disposal type not eligible")
    PRE_SENTENCE = "pre_sentence", _("Not yet sentenced")
    PREVENTION = "prevention", _("Prevention case")
    CUSTODY = "custody", _("Custodial sentence")
    INVOLVEMENT = "involvement", _("Less than six months of YOT involvement")
    OFFENCES = "offences", _("Too few offences in the period")
    AGE = "age", _("Outside the age range")
    OTHER = "other", _("Other")


class EligibilityCheck(models.Model):
    """A senior practitioner's check of a referral against one rule set version."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="checks")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    not_met_reasons = models.JSONField(_("reasons criteria not met"), default=list, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    exceptional_override = models.BooleanField(_("exceptional circumstances"), default=False)
    override_reason = models.TextField(_("exceptional circumstances: reason"), blank=True)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(exceptional_override=False) | ~Q(override_reason=""),
                name="check_override_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.checked_at:%Y-%m-%d})"

    def not_met_reason_labels(self) -> list[str]:
        labels = dict(NotMetReason.choices)
        return [str(labels.get(code, code)) for code in self.not_met_reasons]


class CheckResult(models.Model):
    check_record = models.ForeignKey(
        EligibilityCheck, on_delete=models.CASCADE, related_name="results"
    )
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    suggested = models.CharField(max_length=10, choices=CriterionResult.choices)
    result = models.CharField(max_length=10, choices=CriterionResult.choices)
    explanation = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["criterion__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["check_record", "criterion"], name="checkresult_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.result}"


class TeamReferralSettings(models.Model):
    """Per team: the rule set it checks referrals against and its psychology capacity."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="referral_settings")
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("rule set"), null=True, blank=True, on_delete=models.PROTECT
    )
    formulations_per_month = models.PositiveSmallIntegerField(
        _("formulation meetings per month (psychology capacity)"), default=2
    )

    class Meta:
        verbose_name = _("team referral settings")
        verbose_name_plural = _("team referral settings")

    def __str__(self) -> str:
        return str(self.team)


# --- Consent ------------------------------------------------------------------------------

# The leaflet text of the practice guidance ("Consent and sharing personal information").
LEAFLET_VERSION = "yjb-ecm-2021"


class Consent(models.Model):
    class Kind(models.TextChoices):
        ECM_CHILD = "ecm_child", _("Child's ECM consent (leaflet)")
        PARENT_GENERAL = "parent_general", _("Parent/carer's general YOT consent")
        EVALUATION = "evaluation", _("Consent to use data for evaluation")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    given = models.BooleanField(_("given"), default=True)
    date = models.DateField(_("date signed"))
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("explained by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signatory_name = models.CharField(_("name of parent/carer"), max_length=150, blank=True)
    signatory_relationship = models.CharField(
        _("relationship to the child"), max_length=80, blank=True
    )
    leaflet_version = models.CharField(max_length=40, blank=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=255, blank=True)
    # A re-opened episode's consent carried forward from the earlier episode's, still valid
    # (referrals.services.consent_carry_forward): the date signed and signatory are its.
    carried_forward_from = models.ForeignKey(
        "self",
        verbose_name=_("carried forward from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["kind", "-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("date")),
                name="consent_withdrawn_after_given",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    @property
    def is_current(self) -> bool:
        return self.given and self.withdrawn_on is None


# --- Bulk import (issue 21; referrals.imports) ---------------------------------------------


class ChildImport(models.Model):
    """One bulk import of a CSV file into a team: the file (private, kept only until the
    import is done or abandoned), who, the figures the preview showed and those written. No
    row of the file is stored here: the preview reads the file each time it is shown."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")
        CANCELLED = "cancelled", _("Abandoned")

    #: The statuses after which the file is gone.
    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="child_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PREVIEW
    )
    file = models.FileField(storage=private_storage, upload_to="imports/", blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    # "Import the valid rows only": chosen explicitly; otherwise one row error stops it all.
    skip_invalid = models.BooleanField(_("import the valid rows only"), default=False)
    # The figures of the preview the user confirmed (counts only) and those written.
    expected = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import of children")
        verbose_name_plural = _("imports of children")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED
