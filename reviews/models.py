"""The life of a case after formulation: review meetings (Appendix 5) with progress on each
recommendation, actions, TRM stage over time, contacts and missed appointments, risk and
outcome ratings, and closure with its transitions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Case, ClosureReason
from formulation.models import Agency, Recommendation, TRMStage
from referrals.models import HarmRisk, ReoffendingRisk, risk_label


class Review(models.Model):
    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled review")
        AD_HOC = "ad_hoc", _("Ad hoc review (new information)")
        CLOSURE = "closure", _("Closure review")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SCHEDULED)
    held_on = models.DateField(_("date of the review"))
    # The review meeting arranged in the product (formulation.Meeting of the review kind),
    # when there was one: its invitations and attendance say who was present.
    meeting = models.OneToOneField(
        "formulation.Meeting",
        verbose_name=_("arranged review meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review",
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    present = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("present"), blank=True, related_name="+"
    )
    present_others = models.CharField(_("others present"), max_length=255, blank=True)
    apologies = models.CharField(_("apologies"), max_length=255, blank=True)
    additional_information = models.TextField(_("additional information"), blank=True)
    discussion = models.TextField(_("discussion and decisions"), blank=True)
    reoffended = models.BooleanField(_("reoffended since the last meeting"), null=True)
    # Each offence since the last meeting is a row of the case's offence history (so the
    # timeline and monitoring count it), linked here through ReviewOffence.
    offences = models.ManyToManyField(
        "referrals.Offence",
        verbose_name=_("offences since the last meeting"),
        through="ReviewOffence",
        blank=True,
        related_name="+",
    )
    breach = models.BooleanField(_("breach since the last meeting"), null=True)
    breach_details = models.TextField(_("breach details"), blank=True)
    plan_changed = models.BooleanField(_("the intervention plan changed"), default=False)
    plan_change_reason = models.TextField(_("why the plan changed"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    # The date this review was due: agreed at the review before it, or for the first review
    # at the formulation meeting. Kept by the review services (monitoring: reviews on time).
    due_on = models.DateField(_("due on"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["held_on", "pk"]
        indexes = [
            models.Index(fields=["case", "held_on"], name="review_case_date_idx"),
            # Monitoring: the reviews of a period, and its reoffences and breaches, read from
            # the index alone.
            models.Index(fields=["held_on", "case"], name="review_held_on_idx"),
            models.Index(
                fields=["held_on", "case"],
                name="review_reoffended_idx",
                condition=Q(reoffended=True),
            ),
            models.Index(
                fields=["held_on", "case"], name="review_breach_idx", condition=Q(breach=True)
            ),
            models.Index(
                fields=["held_on", "case"],
                name="review_late_idx",
                # Kind.AD_HOC (Meta cannot see the model's own names).
                condition=Q(held_on__gt=models.F("due_on")) & ~Q(kind="ad_hoc"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_on__isnull=True)
                | Q(next_review_on__gt=models.F("held_on")),
                name="review_next_after_held",
                violation_error_message=_("The next review must come after this one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.held_on:%Y-%m-%d}"

    @property
    def on_time(self) -> bool | None:
        """Held by the date agreed for it (None when no date was agreed, or ad hoc)."""
        if self.due_on is None or self.kind == self.Kind.AD_HOC:
            return None
        return self.held_on <= self.due_on


class ReviewOffence(models.Model):
    """An offence recorded at a review (type, date, gravity and outcome live on the offence:
    `referrals.Offence`, the case's offence history). One review, several offences."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="offence_links")
    offence = models.OneToOneField(
        "referrals.Offence", on_delete=models.CASCADE, related_name="review_link"
    )

    class Meta:
        ordering = ["offence__date", "pk"]

    def __str__(self) -> str:
        return str(self.offence_id)


class ReviewRecommendation(models.Model):
    """A new recommendation agreed at a review. It is only proposed: the formulation and its
    recommendations are the psychologist's, so it joins them (as a formulation
    `Recommendation`, through the report's amendment) when the psychologist confirms it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="new_recommendations")
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
    # Set when the psychologist confirms it into the formulation.
    recommendation = models.OneToOneField(
        Recommendation,
        verbose_name=_("formulation recommendation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_at_review",
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recommendation proposed at a review")
        verbose_name_plural = _("recommendations proposed at reviews")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.intervention[:60]

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def owner_label(self) -> str:
        person = (
            (self.owner_user.get_full_name() or self.owner_user.username) if self.owner_user else ""
        )
        parts = [p for p in (person, self.owner_name, self.get_owner_agency_display()) if p]
        return ", ".join(parts)


class ProgressStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class RecommendationProgress(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="progress")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="progress"
    )
    status = models.CharField(_("progress"), max_length=12, choices=ProgressStatus.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["recommendation__sequence", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "recommendation"], name="progress_once_per_review"
            )
        ]

    def __str__(self) -> str:
        return self.get_status_display()


class Action(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    description = models.CharField(_("action"), max_length=300)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (person)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ecm_actions",
    )
    owner_agency = models.CharField(
        _("owner (agency)"), max_length=30, choices=Agency.choices, blank=True
    )
    owner_name = models.CharField(_("owner (name)"), max_length=150, blank=True)
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    completed_on = models.DateField(_("completed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["case", "status", "due_on"], name="action_case_status_idx"),
            models.Index(fields=["owner_user", "status", "due_on"], name="action_owner_idx"),
            models.Index(  # monitoring: open actions overdue (status Status.OPEN)
                fields=["due_on", "case"], name="action_open_due_idx", condition=Q(status="open")
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_on < timezone.localdate()

    @property
    def owner_label(self) -> str:
        person = (
            (self.owner_user.get_full_name() or self.owner_user.username) if self.owner_user else ""
        )
        parts = [p for p in (person, self.owner_name, self.get_owner_agency_display()) if p]
        return ", ".join(parts)


class TRMStageRecord(models.Model):
    """The psychologist's view of where the child is on the TRM at a review (the stage at
    formulation is the meeting's TRM placement)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trm_records")
    review = models.OneToOneField(
        Review, null=True, blank=True, on_delete=models.CASCADE, related_name="trm_record"
    )
    stage = models.ForeignKey(TRMStage, verbose_name=_("TRM stage now"), on_delete=models.PROTECT)
    recorded_on = models.DateField(_("date"))
    explanation = models.TextField(_("what explains the change"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["recorded_on", "pk"]
        indexes = [
            # Each case's latest stage, read in index order (monitoring: TRM movement).
            models.Index(
                fields=["case", "-recorded_on", "-id"],
                name="trm_record_latest_idx",
                include=["stage"],
            )
        ]

    def __str__(self) -> str:
        return str(self.stage)


class Contact(models.Model):
    class Kind(models.TextChoices):
        FACE_TO_FACE = "face_to_face", _("Face to face")
        PHONE = "phone", _("Phone")
        ONLINE = "online", _("Online")
        MISSED = "missed", _("Missed appointment")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    purpose = models.CharField(_("purpose"), max_length=255)
    trm_stage = models.ForeignKey(
        TRMStage,
        verbose_name=_("TRM stage the work addressed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["case", "kind", "date"], name="contact_case_kind_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class MissedAppointmentDecision(models.Model):
    """After more than three missed appointments: the psychologist is consulted, then the YOT
    decides (warning, breach or no action)."""

    class Decision(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")
        NO_ACTION = "no_action", _("No action")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="missed_decisions")
    decided_on = models.DateField(_("date of the decision"))
    missed_count = models.PositiveSmallIntegerField(_("missed appointments considered"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("psychologist consulted"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    psychologist_advice = models.TextField(_("psychologist's advice"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return self.get_decision_display()


class RiskRating(models.Model):
    """AssetPlus ratings on the scales of `referrals.models` (reoffending 1-3, serious harm
    and vulnerability 1-4). The ratings at the start are the referral's; a START row is
    written only when they are corrected (see `selectors.start_risk`)."""

    class Point(models.TextChoices):
        START = "start", _("At the start")
        CLOSURE = "closure", _("At closure")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_ratings")
    point = models.CharField(_("when"), max_length=10, choices=Point.choices)
    reoffending = models.PositiveSmallIntegerField(
        _("risk of reoffending"),
        choices=ReoffendingRisk.choices,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    serious_harm = models.PositiveSmallIntegerField(
        _("risk of serious harm"),
        choices=HarmRisk.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    vulnerability = models.PositiveSmallIntegerField(
        _("vulnerability"),
        choices=HarmRisk.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    recorded_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "point"], name="risk_once_per_point"),
            models.CheckConstraint(
                condition=Q(reoffending__gte=1, reoffending__lte=3)
                & Q(serious_harm__gte=1, serious_harm__lte=4)
                & Q(vulnerability__gte=1, vulnerability__lte=4),
                name="risk_ranges",
            ),
        ]

    def __str__(self) -> str:
        ratings = f"{self.reoffending}/{self.serious_harm}/{self.vulnerability}"
        return f"{self.get_point_display()}: {ratings}"

    def labels(self) -> dict[str, str]:
        """Each rating in words (for pages and exports)."""
        return {
            "reoffending": risk_label(ReoffendingRisk, self.reoffending),
            "serious_harm": risk_label(HarmRisk, self.serious_harm),
            "vulnerability": risk_label(HarmRisk, self.vulnerability),
        }


class OutcomeDomain(models.TextChoices):
    """The domains of the evaluation's outcome rating survey."""

    LIVING = "living", _("Living arrangements")
    FAMILY = "family", _("Relationships with family/carers")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    EMOTIONAL = "emotional", _("Emotional wellbeing and development")
    BEHAVIOUR = "behaviour", _("Behaviour")
    COMMUNICATION = "communication", _("Communication")
    PROSOCIAL = "prosocial", _("Pro-social activities")
    SOCIAL_SKILLS = "social_skills", _("Social skills")
    ASPIRATIONS = "aspirations", _("Aspirations")
    ENGAGEMENT = "engagement", _("Engagement with the service")
    ACCESS = "access", _("Access to services")
    PROFESSIONALS = "professionals", _("Relationships with professionals")
    ETE = "ete", _("Education, training and employment")


class OutcomeSurvey(models.Model):
    class Point(models.TextChoices):
        BASELINE = "baseline", _("Baseline (at formulation)")
        CLOSURE = "closure", _("At closure")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcome_surveys")
    point = models.CharField(_("when"), max_length=10, choices=Point.choices)
    completed_on = models.DateField(_("date"))
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "point"], name="survey_once_per_point")
        ]

    def __str__(self) -> str:
        return self.get_point_display()


class OutcomeRating(models.Model):
    class Change(models.TextChoices):
        IMPROVED = "improved", _("Improved")
        NO_CHANGE = "no_change", _("No change")
        WORSE = "worse", _("Worse")

    class Concern(models.TextChoices):
        NONE = "none", _("No concern")
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    survey = models.ForeignKey(OutcomeSurvey, on_delete=models.CASCADE, related_name="ratings")
    domain = models.CharField(_("domain"), max_length=20, choices=OutcomeDomain.choices)
    change = models.CharField(_("change"), max_length=10, choices=Change.choices, blank=True)
    concern = models.CharField(
        _("current level of concern"), max_length=10, choices=Concern.choices
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "domain"], name="rating_once_per_domain")
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.change}"


class Closure(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="closure")
    review = models.ForeignKey(
        Review,
        verbose_name=_("closure review"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=30, choices=ClosureReason.choices)
    closed_on = models.DateField(_("date closed"))
    # Why the child disengaged (the monitoring list asks "who disengaged ... and reasons
    # why"), or what the "other" reason is.
    reason_detail = models.TextField(_("about the reason"), blank=True)
    next_steps = models.TextField(_("next steps agreed"))
    voluntary_until = models.DateField(_("voluntary support until"), null=True, blank=True)
    # Every closing case is expected to have a closure review (000 §1.40); if not, why not.
    no_review_reason = models.TextField(_("why there was no closure review"), blank=True)
    # At closure: every recommendation done or dropped, at least one done (None: no plan).
    plan_completed = models.BooleanField(
        _("intervention plan completed"), null=True, editable=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.case.reference} {self.get_reason_display()}"


class Transition(models.Model):
    class Destination(models.TextChoices):
        ADULT_SOCIAL_CARE = "adult_social_care", _("Adult social care")
        MENTAL_HEALTH = "mental_health", _("Adult mental health")
        PROBATION = "probation", _("Probation")
        OTHER_SUPPORT = "other_support", _("Other adult support services")
        HOUSING = "housing", _("Housing")
        CUSTODY = "custody", _("Custody (prison or the secure estate)")

    closure = models.ForeignKey(Closure, on_delete=models.CASCADE, related_name="transitions")
    destination = models.CharField(_("destination"), max_length=20, choices=Destination.choices)
    sections = models.JSONField(_("report sections that went with the child"), default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["closure", "destination"], name="transition_once_per_destination"
            )
        ]

    def __str__(self) -> str:
        return self.get_destination_display()
