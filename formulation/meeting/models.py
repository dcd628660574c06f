"""The formulation meeting: partner professionals, scheduling, invitations and attendance,
the hand-ticked checklist and the meeting record (developmental map, recommendations)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Case, Team, choice_label

from ..trm.models import TRMStage


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

    def get_agency_display(self) -> str:
        return choice_label(Agency, self.agency)


class MeetingQuerySet(models.QuerySet):
    def held(self):
        return self.filter(status=Meeting.Status.HELD)

    def formulation(self):
        """Meetings of the formulation kind (not review meetings)."""
        return self.filter(kind=Meeting.Kind.FORMULATION)

    def reviews(self):
        """Review meetings arranged in the product (the review itself is `reviews.Review`)."""
        return self.filter(kind=Meeting.Kind.REVIEW)

    def formulation_meetings(self):
        """Each case's formulation meeting: its first held meeting of the formulation kind
        (the earliest start; of two at the same time, the first recorded). A case can hold
        another meeting later (a re-convened one); the report, its due date, its reminder and
        the "stage at formulation" all count from the first (README, "The formulation
        report"). Review meetings never count."""
        # "No earlier one" (an anti-join) rather than "the pk of the first" (a subquery per
        # meeting): the same meetings, in one pass.
        earlier = (
            Meeting.objects.formulation()
            .held()
            .filter(case=OuterRef("case"))
            .filter(
                Q(starts_at__lt=OuterRef("starts_at"))
                | Q(starts_at=OuterRef("starts_at"), pk__lt=OuterRef("pk"))
            )
        )
        return self.formulation().held().filter(~Exists(earlier))


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        FORMULATION = "formulation", _("Formulation meeting")
        REVIEW = "review", _("Review meeting")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(
        _("kind"), max_length=12, choices=Kind.choices, default=Kind.FORMULATION
    )
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
    # Entered after it took place: no invitation e-mails, attendance recorded afterwards.
    recorded_afterwards = models.BooleanField(_("recorded after it took place"), default=False)
    # Recorded as held without the developmental map, TRM placement or a recommendation:
    # the chair's reason why (shown on the meeting page, audited).
    held_incomplete_reason = models.TextField(
        _("why it was recorded as held without all of its record"), blank=True
    )
    # Appendix 2: the agencies that will receive the psychologist's report (Agency values).
    report_agencies = models.JSONField(
        _("agencies that will receive the report"), default=list, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("formulation meeting")
        verbose_name_plural = _("formulation meetings")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["case", "status"], name="meeting_case_status_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_review(self) -> bool:
        return self.kind == self.Kind.REVIEW

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)

    def get_kind_display(self) -> str:
        return choice_label(self.Kind, self.kind)

    def get_report_agencies_display(self) -> list[str]:
        labels = dict(Agency.choices)
        return [str(labels.get(a, a)) for a in self.report_agencies]

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
        SENDING = "sending", _("E-mail being sent")
        # The worker stopped between sending and recording it: not resent (at most once).
        UNCERTAIN = "uncertain", _("E-mail may not have been sent: check they have it")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    professional = models.ForeignKey(
        Professional, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    # A colleague invited from the case's staff (psychologist, senior practitioner, case
    # manager...): a review records them as present from this.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("colleague"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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
    # The claim of the worker sending it (SENDING): only that worker records the outcome.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
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
            ),
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="invitation_once_per_colleague",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} – {self.get_status_display()}"

    def get_agency_display(self) -> str:
        return choice_label(Agency, self.agency)

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)

    def get_delivery_display(self) -> str:
        return choice_label(self.Delivery, self.delivery)

    @property
    def sends_in_writing(self) -> bool:
        """They cannot come (apologies, declined) or have sent written information."""
        return self.status in (self.Status.APOLOGIES, self.Status.DECLINED) or bool(
            self.written_information
        )

    @property
    def needs_attention(self) -> bool:
        """The invitation e-mail could not be sent: someone must invite them another way."""
        return self.delivery in (
            self.Delivery.FAILED,
            self.Delivery.NO_EMAIL,
            self.Delivery.UNCERTAIN,
        )


class ChecklistTick(models.Model):
    """A hand-ticked item of the pre-meeting checklist (practice guidance Appendix 2). The
    other items tick themselves from the record (`meeting.selectors.checklist`)."""

    #: The items ticked by hand: key -> label.
    MANUAL_ITEMS = {
        "discussed": _("Case discussed with YOT colleagues and the ECM lead, who agree"),
        "assetplus_shared": _("Referral form and AssetPlus shared with the senior practitioner"),
        "agencies_encouraged": _("Relevant agencies informed and encouraged to attend"),
        "room_booked": _("Room booked, with a long table for the timeline"),
        "info_parental_health": _("Information gathered: parental health"),
        "info_pregnancy_birth": _("Information gathered: pregnancy and birth"),
        "info_parental_lifestyle": _("Information gathered: other parental lifestyle"),
        "info_early_years": _("Information gathered: early years milestones and behaviour"),
        "info_early_education": _("Information gathered: early education"),
        "info_slcn": _("Information gathered: speech, language and communication"),
        "info_head_injury": _("Information gathered: head injury"),
    }

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

    def get_owner_agency_display(self) -> str:
        return choice_label(Agency, self.owner_agency)

    def get_priority_display(self) -> str:
        return choice_label(self.Priority, self.priority)


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
