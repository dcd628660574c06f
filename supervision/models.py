"""Clinical supervision: sessions the psychologist offers to ECM practitioners, with real
confidentiality. A session's *content* (themes, notes, cases discussed, reflections,
escalations) is seen only by its psychologist and its supervisees; everyone else sees only
that it happened (date, length, who). `SessionCase.decision_summary` is the one part that
goes on the case, by the psychologist's choice."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ecm.models import Case, Team


class SupervisionSettings(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="supervision_settings")
    interval_months = models.PositiveSmallIntegerField(
        _("supervision every (months)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_(
            "The practice guidance recommends every two months; some teams choose monthly."
        ),
    )

    class Meta:
        verbose_name = _("team supervision settings")
        verbose_name_plural = _("team supervision settings")

    def __str__(self) -> str:
        return str(self.team)


class Session(models.Model):
    class Format(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        GROUP = "group", _("Group")

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        AD_HOC = "ad_hoc", _("Ad hoc")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("psychologist"),
        on_delete=models.PROTECT,
        related_name="supervision_given",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("supervisees' team"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    format = models.CharField(
        _("individual or group"), max_length=12, choices=Format.choices, default=Format.INDIVIDUAL
    )
    kind = models.CharField(
        _("scheduled or ad hoc"), max_length=12, choices=Kind.choices, default=Kind.SCHEDULED
    )
    mode = models.CharField(
        _("in person or online"), max_length=12, choices=Mode.choices, default=Mode.IN_PERSON
    )
    #: Where it takes place (Appendix 4 item 8: "date, time, location"): a room, a building,
    #: or the online service. Not content: the session's time and place are its metadata.
    location = models.CharField(
        _("location"),
        max_length=200,
        blank=True,
        help_text=_("A room and building, or the online service. Optional for a past session."),
    )
    supervisees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Supervisee",
        verbose_name=_("supervisees"),
        related_name="supervision_received",
    )
    # --- Content: psychologist and supervisees only.
    theme_approach = models.BooleanField(_("approach to the work with the child"), default=False)
    theme_feelings = models.BooleanField(
        _("the practitioner's feelings and reactions"), default=False
    )
    theme_impact = models.BooleanField(_("impact on the practitioner and self-care"), default=False)
    theme_development = models.BooleanField(_("training and development needs"), default=False)
    notes = models.TextField(_("confidential notes"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    CONTENT_FIELDS = (
        "theme_approach",
        "theme_feelings",
        "theme_impact",
        "theme_development",
        "notes",
    )

    class Meta:
        verbose_name = _("clinical supervision session")
        verbose_name_plural = _("clinical supervision sessions")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("The session cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        # Never content: this label is shown in the audit log and the admin.
        return f"Supervision session {self.starts_at:%Y-%m-%d}"

    def cases_discussed_cases(self):
        return Case.objects.filter(supervision_links__session=self).order_by("pk")

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Supervisee(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supervision_attendance"
    )
    reflections = models.TextField(_("my reflections"), blank=True)
    reflections_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="supervisee_once")]

    def __str__(self) -> str:
        return "Supervision record"


class SessionCase(models.Model):
    """A case discussed in the session (content), with an optional short decision summary
    that the psychologist chooses to put on the case for its team."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="cases_discussed")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervision_links")
    decision_summary = models.TextField(_("decision summary for the case"), blank=True)
    summary_added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "case"], name="session_case_once")
        ]

    def __str__(self) -> str:
        return self.case.reference


class Escalation(models.Model):
    """Something the psychologist raised with the supervisee's line manager, after discussing
    it with the supervisee first."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="escalations")
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    discussed_on = models.DateField(_("discussed with the supervisee on"))
    line_manager = models.CharField(_("raised with (line manager)"), max_length=150)
    raised_on = models.DateField(_("raised on"))
    what = models.TextField(_("what was raised"))
    safeguarding = models.BooleanField(_("a safeguarding concern"), default=False)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(raised_on__gte=models.F("discussed_on")),
                name="escalation_discussed_first",
                violation_error_message=_(
                    "It is raised after it was discussed with the supervisee."
                ),
            )
        ]

    def __str__(self) -> str:
        return "Supervision record"  # never content, nor what kind of record


class Offer(models.Model):
    """Supervision is voluntary: an offer and the practitioner's answer are recorded."""

    class Response(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("practitioner"),
        on_delete=models.CASCADE,
        related_name="supervision_offers",
    )
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    offered_on = models.DateField(_("offered on"))
    response = models.CharField(_("response"), max_length=10, choices=Response.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supervision offer")
        verbose_name_plural = _("supervision offers")
        ordering = ["-offered_on", "-pk"]

    def __str__(self) -> str:
        return f"Supervision offer {self.offered_on:%Y-%m-%d}"
