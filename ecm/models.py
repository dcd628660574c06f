"""The shared core: users, teams and roles, children, cases (ECM episodes), audit."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .dates import age_on


class User(AbstractUser):
    """A person who signs in. What they may see comes from their team memberships."""

    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The language of their pages, e-mails and reminders (ecm/language.py); empty until
    # they choose or first sign in.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    """A youth offending team (YOT/YJS) or a central ECM team that YOTs refer to."""

    class Kind(models.TextChoices):
        YOT = "yot", _("Youth offending team")
        CENTRAL = "central", _("Central ECM team")

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.YOT)
    central_team = models.ForeignKey(
        "self",
        verbose_name=_("refers to central team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referring_teams",
        limit_choices_to={"kind": Kind.CENTRAL},
        help_text=_("The central ECM team this YOT refers children to, if any."),
    )
    phone = models.CharField(_("contact number"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CASE_MANAGER = "case_manager", _("Case manager")
    SENIOR_PRACTITIONER = "senior_practitioner", _("Senior practitioner")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Team administrator")
    # Approves erasures and places legal holds (issue 20); no access to children's records.
    DPO = "dpo", _("Data protection officer")


class MembershipQuerySet(models.QuerySet):
    def approved(self):
        """The memberships in force: approved by a manager of the team (or by the system
        for seeded and migrated ones). Every access rule reads only these."""
        return self.filter(approved_at__isnull=False)

    def pending(self):
        return self.filter(approved_at__isnull=True)


class Membership(models.Model):
    """A user's role in a team. A user can hold several roles in several teams.

    A membership takes effect only once approved (`approved_at` set): one made or changed in
    the admin waits for a manager of the team who is neither the person it is for nor the
    person who asked for it (`ecm.memberships`). `approved_by` empty on an approved row: the
    system approved it (migrated, seeded, or the command line for a team's first manager).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["team__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team", "role"], name="membership_unique_user_team_role"
            ),
            # Nobody approves their own membership, whatever path wrote the row.
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("user")),
                name="membership_not_self_approved",
            ),
        ]
        indexes = [
            models.Index(
                fields=["team"],
                name="membership_pending_idx",
                condition=models.Q(approved_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.team}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other / non-binary")
    NOT_KNOWN = "not_known", _("Not known")


class Ethnicity(models.TextChoices):
    """The ONS 2021 census ethnic groups for England and Wales (the YJB's categories)."""

    ASIAN_BANGLADESHI = "asian_bangladeshi", _("Asian or Asian British: Bangladeshi")
    ASIAN_CHINESE = "asian_chinese", _("Asian or Asian British: Chinese")
    ASIAN_INDIAN = "asian_indian", _("Asian or Asian British: Indian")
    ASIAN_PAKISTANI = "asian_pakistani", _("Asian or Asian British: Pakistani")
    ASIAN_OTHER = "asian_other", _("Asian or Asian British: any other Asian background")
    BLACK_AFRICAN = "black_african", _("Black or Black British: African")
    BLACK_CARIBBEAN = "black_caribbean", _("Black or Black British: Caribbean")
    BLACK_OTHER = "black_other", _("Black or Black British: any other Black background")
    MIXED_WHITE_ASIAN = "mixed_white_asian", _("Mixed: White and Asian")
    MIXED_WHITE_BLACK_AFRICAN = "mixed_white_black_african", _("Mixed: White and Black African")
    MIXED_WHITE_BLACK_CARIBBEAN = (
        "mixed_white_black_caribbean",
        _("Mixed: White and Black Caribbean"),
    )
    MIXED_OTHER = "mixed_other", _("Mixed: any other mixed background")
    WHITE_BRITISH = "white_british", _("White: English, Welsh, Scottish, Northern Irish, British")
    WHITE_IRISH = "white_irish", _("White: Irish")
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller", _("White: Gypsy or Irish Traveller")
    WHITE_ROMA = "white_roma", _("White: Roma")
    WHITE_OTHER = "white_other", _("White: any other White background")
    OTHER_ARAB = "other_arab", _("Other ethnic group: Arab")
    OTHER_ANY = "other_any", _("Other ethnic group: any other")
    NOT_STATED = "not_stated", _("Not stated")


pnc_validator = RegexValidator(
    r"^\d{2}/\d{1,7}[A-Z]$",
    _("Enter a PNC number in the form YY/NNNNNNNA, for example 19/1234567X."),
)


class Child(models.Model):
    """A child known to a YOT. Visible only through the cases a user may see."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=40, choices=Ethnicity.choices)
    yot_reference = models.CharField(_("YOT reference"), max_length=40, db_index=True)
    pnc_number = models.CharField(
        _("PNC number"), max_length=20, blank=True, validators=[pnc_validator]
    )
    # Optimistic concurrency for corrections of the child's details (`child_correct`).
    version = models.PositiveIntegerField(default=1)
    # When the date of birth was last corrected: consents checked against the earlier date
    # are re-checked (referrals' consent status), without reading the history.
    date_of_birth_corrected_at = models.DateTimeField(
        _("date of birth corrected"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"], name="child_name_idx")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        return age_on(self.date_of_birth, day)

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


class CaseStatus(models.TextChoices):
    """Where an ECM episode is. Moves only through `ecm.services.case_*` functions."""

    POTENTIAL = "potential", _("Potential")
    READY = "ready", _("Ready for referral")
    REFERRED = "referred", _("Referred – awaiting decision")
    WAITING = "waiting", _("Waiting list")
    AWAITING_CONSENT = "awaiting_consent", _("Accepted – awaiting consent")
    PREPARATION = "preparation", _("Preparing for formulation")
    ACTIVE = "active", _("Active")
    VOLUNTARY = "voluntary", _("Voluntary period after the order")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    NOT_CARRIED_FORWARD = "not_carried_forward", _("Not carried forward to ECM")
    CONSENT_REFUSED = "consent_refused", _("Consent refused")
    CLOSED = "closed", _("Closed")


#: The statuses that end an episode. Every other status is open: the case can still
#: change, and a child has at most one open case. The one definition of "open".
ENDED_STATUSES = (
    CaseStatus.CLOSED,
    CaseStatus.NOT_ACCEPTED,
    CaseStatus.NOT_CARRIED_FORWARD,
    CaseStatus.CONSENT_REFUSED,
)
#: Before ECM starts (the formulation meeting): the episodes that can end as "not carried
#: forward to ECM" (Appendix 1) rather than through the closure review.
PRE_ECM_STATUSES = (
    CaseStatus.POTENTIAL,
    CaseStatus.READY,
    CaseStatus.REFERRED,
    CaseStatus.WAITING,
    CaseStatus.AWAITING_CONSENT,
    CaseStatus.PREPARATION,
)
#: Endings before ECM: the child can be referred again later, as a new episode of its own.
ENDED_BEFORE_ECM = (
    CaseStatus.NOT_CARRIED_FORWARD,
    CaseStatus.CONSENT_REFUSED,
    CaseStatus.NOT_ACCEPTED,
)
#: On ECM: the episodes whose ending goes through the closure record.
ON_ECM_STATUSES = (CaseStatus.ACTIVE, CaseStatus.VOLUNTARY)
OPEN_STATUSES = tuple(status for status in CaseStatus if status not in ENDED_STATUSES)


def open_case(path: str = "") -> Q:
    """A filter for open cases: on Case itself, or through a relation (`path="case__"`, or
    "managed_cases__" from a user; a positive test, so it also holds across a many-valued
    relation within one filter())."""
    return Q(**{f"{path}status__in": OPEN_STATUSES})


def choice_label(choices: type[models.Choices], value) -> str:
    """What `get_FOO_display` gives (the label of `value`, or the value itself when it is not
    one of the choices), as the enum's own lookup: Django's rebuilds a dict of every choice,
    translating each label, on each call, and a page listing rows makes dozens."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def case_reference(pk: int | None) -> str:
    """How a case is named everywhere (pages, e-mails, audit): ECM- and six digits."""
    return f"ECM-{pk:06d}" if pk else "ECM-new"


def case_pk_from_reference(text: str) -> int | None:
    """The case id in a reference typed by someone ("ECM-000123", "ecm-123" or "123")."""
    digits = text.strip().upper().removeprefix("ECM-")
    return int(digits) if digits.isdigit() else None


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(open_case())


class ClosureReason(models.TextChoices):
    ORDER_COMPLETED = "order_completed", _("Order completed")
    TRANSITION = "transition", _("Turned 18 / transition to adult services")
    NO_LONGER_NEEDED = "no_longer_needed", _("Psychology input no longer needed")
    CUSTODY = "custody", _("Custody")
    MOVED = "moved", _("Moved out of area")
    DISENGAGED = "disengaged", _("Disengaged")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    # Kept for episodes closed before "not carried forward to ECM" had its own outcome.
    WITHDRAWN = "withdrawn", _("Referral withdrawn before formulation")
    OTHER = "other", _("Other")


#: The reasons an active case can close (the closure record offers these).
ACTIVE_CLOSURE_REASONS = [
    (value, label) for value, label in ClosureReason.choices if value != ClosureReason.WITHDRAWN
]


class NotCarriedForwardReason(models.TextChoices):
    """Why a potential (or not yet formulated) case did not go on to ECM (Appendix 1)."""

    NOT_READY = "not_ready", _("Not ready for ECM")
    NEEDS_MET_ELSEWHERE = "needs_met_elsewhere", _("Needs met elsewhere")
    DECLINED = "declined", _("Child or family declined")
    NO_LONGER_ELIGIBLE = "no_longer_eligible", _("No longer eligible")
    OTHER = "other", _("Other")


class ReopenReason(models.TextChoices):
    """Why a closed ECM case was re-opened (practice guidance, "Re-opening cases")."""

    REOFFENDED = "reoffended", _("Reoffended: further YOT involvement")
    RETURNED_FROM_CUSTODY = "returned_from_custody", _("Returned from custody or the area")
    NEW_CONCERNS = "new_concerns", _("New concerns")
    OTHER = "other", _("Other")


class Case(models.Model):
    """One ECM episode of a child, owned by a YOT and possibly referred to a central team."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="cases"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("owning team"), on_delete=models.PROTECT, related_name="cases"
    )
    referred_to = models.ForeignKey(
        Team,
        verbose_name=_("referred to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referred_cases",
        help_text=_("The central ECM team the case was referred to, if any."),
    )
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_cases",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.POTENTIAL
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=30, choices=ClosureReason.choices, blank=True
    )
    not_carried_forward_reason = models.CharField(
        _("why not carried forward"),
        max_length=30,
        choices=NotCarriedForwardReason.choices,
        blank=True,
    )
    # What the reason alone does not say: "other" reasons, the refusal's words.
    ending_detail = models.CharField(_("about the ending"), max_length=500, blank=True)
    voluntary_until = models.DateField(_("voluntary period until"), null=True, blank=True)
    reopen_reason = models.CharField(
        _("why re-opened"), max_length=30, choices=ReopenReason.choices, blank=True
    )
    reopen_detail = models.CharField(_("about the re-opening"), max_length=500, blank=True)
    # A re-opened episode: the psychologist and case manager decide jointly whether another
    # formulation meeting is needed, or the earlier formulation is carried forward.
    formulation_decision = models.CharField(
        _("another formulation meeting"),
        max_length=20,
        choices=[
            ("new_meeting", _("Needed: hold another formulation meeting")),
            ("carried_forward", _("Not needed: carry the formulation forward")),
        ],
        blank=True,
    )
    formulation_decision_note = models.CharField(
        _("about the decision"), max_length=500, blank=True
    )
    # When the formulation is carried forward no meeting sets the first review: the decision
    # does (reviews reads it where it would read the meeting's "first review" date).
    first_review_on = models.DateField(_("first review due"), null=True, blank=True)
    # A read model: the day ECM started for this episode, the local day of its first held
    # formulation meeting, or its `opened_on` when the formulation was carried forward (None
    # before). Stored by the services that make it true (formulation's meeting held, the
    # carry-forward decision) so that monitoring counts "on ECM", "during" and "after" from
    # a column rather than joining every case's meetings (monitoring.figures).
    ecm_started_on = models.DateField(_("ECM started on"), null=True, blank=True, editable=False)
    previous_case = models.OneToOneField(
        "self",
        verbose_name=_("earlier episode"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reopened_as",
    )
    # Optimistic concurrency: every service that changes the case bumps this, and an edit
    # based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["team", "status"], name="case_team_status_idx"),
            models.Index(fields=["referred_to", "status"], name="case_referred_status_idx"),
            models.Index(fields=["case_manager", "status"], name="case_manager_status_idx"),
            models.Index(fields=["team", "ecm_started_on"], name="case_team_ecm_started_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="case_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.CLOSED) | Q(closed_on__isnull=False),
                name="case_closed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=[CaseStatus.NOT_CARRIED_FORWARD, CaseStatus.CONSENT_REFUSED]
                )
                | Q(closed_on__isnull=False),
                name="case_ended_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.VOLUNTARY) | Q(voluntary_until__isnull=False),
                name="case_voluntary_has_end",
            ),
            # A child has at most one open episode at a time.
            models.UniqueConstraint(
                fields=["child"],
                condition=~Q(status__in=list(ENDED_STATUSES)),
                name="case_one_open_episode_per_child",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_status_display(self) -> str:
        return choice_label(CaseStatus, self.status)  # every row of a case list shows it

    @property
    def reference(self) -> str:
        return case_reference(self.pk)

    @property
    def team_ids(self) -> list[int]:
        """The owning team and the central team the case was referred to, if any."""
        return [t for t in (self.team_id, self.referred_to_id) if t]

    @property
    def is_open(self) -> bool:
        """Not closed and not turned down: an open case can change; an ended one is
        read-only for every role (re-open it as a new episode to change anything)."""
        return self.status not in ENDED_STATUSES


class AuditEvent(models.Model):
    """Append-only record of who did what to which object, when and from where.

    Changes record the names of the fields changed, never their values, so the log can be
    searched by managers without exposing sensitive content.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        TRANSITION = "transition", _("Status changed")
        SEARCH = "search", _("Searched")
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # actor, child and team: no database constraint and DO_NOTHING, so deleting a user, a
    # child or a team never touches an audit row (rows are append-only: a trigger refuses
    # UPDATE and DELETE); the id stays, a pseudonymous number once its row is gone.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Kept even if the user is later deleted, and for failed logins (the name typed).
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    child = models.ForeignKey(
        Child,
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    changed_fields = models.JSONField(_("fields changed"), default=list, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # What a listing or search showed, by id only: {"cases": [...], "children": [...]}.
    listed = models.JSONField(_("listed"), default=dict, blank=True)
    # The hash chain (ecm.audit; `manage.py audit_verify`). row_hash covers every column
    # above except object_label and detail, which it covers through personal_digest (an
    # HMAC of them keyed by personal_salt), plus prev_hash: the row before's row_hash.
    # Pseudonymising a child's rows replaces object_label and detail, blanks the salt and
    # sets pseudonymised_at; the chain still verifies and the old digest proves nothing.
    prev_hash = models.CharField(_("previous row's hash"), max_length=64, blank=True)
    row_hash = models.CharField(_("row hash"), max_length=64, blank=True)
    personal_digest = models.CharField(_("digest of label and detail"), max_length=64, blank=True)
    personal_salt = models.CharField(_("digest key"), max_length=32, blank=True)
    pseudonymised_at = models.DateTimeField(_("pseudonymised"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["child", "at"], name="audit_child_at_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["team", "at"], name="audit_team_at_idx"),
            # The case page's status history reads a case's own events.
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx"),
            # ... of which only the moves of its status: a much-viewed case has thousands of
            # "viewed" events, which the page would otherwise read past on every view.
            models.Index(
                fields=["object_type", "object_id", "at"],
                name="audit_status_idx",
                # Action.CREATE and Action.TRANSITION (Meta cannot see the class's names).
                condition=models.Q(action__in=["create", "transition"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)


class AuditCheckpoint(models.Model):
    """A signed note of the audit chain's state, written by the audit-log retention task
    (`ecm.audit.audit_retention_apply`): the last row it removed (verification starts from
    its hash) and the head of the chain then (a later truncation or rewrite shows). Insert
    only, like the audit rows; signed with the SECRET_KEY, which the database does not hold."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    cutoff = models.DateTimeField(_("rows before this removed"), null=True, blank=True)
    removed_count = models.PositiveIntegerField(_("rows removed"), default=0)
    last_removed_id = models.BigIntegerField(_("last row removed"), null=True, blank=True)
    last_removed_hash = models.CharField(_("its hash"), max_length=64, blank=True)
    head_id = models.BigIntegerField(_("newest row"), null=True, blank=True)
    head_hash = models.CharField(_("its hash"), max_length=64, blank=True)
    signature = models.CharField(_("signature"), max_length=64)

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["-id"]

    def __str__(self) -> str:
        removed = f"removed {self.removed_count} up to #{self.last_removed_id}"
        return f"{self.at:%Y-%m-%d %H:%M} {removed}"


class TaskHeartbeat(models.Model):
    """When a scheduled task last ran: lets the health check see that beat and a worker live."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_run_at:%Y-%m-%d %H:%M:%S}"


# --- Reminders and notifications -----------------------------------------------------------


class NotificationPreference(models.Model):
    class EmailMode(models.TextChoices):
        IMMEDIATE = "immediate", _("Each reminder by e-mail as it falls due")
        DIGEST = "digest", _("One e-mail a day with everything due")
        NONE = "none", _("No e-mail: in the product only")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_mode = models.CharField(
        _("reminder e-mails"), max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.email_mode}"


class TeamReminderSettings(models.Model):
    """A team's reminder rules (the defaults are the practice guidance's timescales)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="reminder_settings")
    report_days_before = models.PositiveSmallIntegerField(
        _("formulation report: days before it is due"), default=7
    )
    overdue_repeat_days = models.PositiveSmallIntegerField(
        _("while overdue, remind every (days)"), default=7
    )
    check_working_days = models.PositiveSmallIntegerField(
        _("accuracy check: remind after (working days)"), default=3
    )
    review_days_before = models.PositiveSmallIntegerField(
        _("review: days before it is due"), default=7
    )
    consent_days_before = models.PositiveSmallIntegerField(
        _("consent missing: days before the meeting"), default=7
    )
    referral_working_days = models.PositiveSmallIntegerField(
        _("referral awaiting a decision: after (working days)"), default=10
    )
    supervision_days_before = models.PositiveSmallIntegerField(
        _("supervision: days before it is due"), default=7
    )
    # Model fidelity (monitoring): the guidance sets no target from the referral decision to
    # the formulation meeting, so six weeks is the default; each team can set its own.
    meeting_target_days = models.PositiveSmallIntegerField(
        _("formulation meeting: target (days from the referral decision)"),
        default=42,
        help_text=_(
            "Model fidelity counts a formulation meeting held within this many days of the "
            "decision accepting the referral as on time."
        ),
    )
    disabled_kinds = models.JSONField(_("reminders switched off"), default=list, blank=True)

    class Meta:
        verbose_name = _("team reminder settings")
        verbose_name_plural = _("team reminder settings")

    def __str__(self) -> str:
        return str(self.team)


class Reminder(models.Model):
    """One reminder of one thing to one person for one occurrence. Unique on (kind, object,
    occurrence, recipient): a sweep run twice, retried or run by two workers at once makes
    it once; e-mail goes out at most once per row."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DIGEST = "digest", _("Waiting for the daily digest")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        NOT_SENT = "not_sent", _("No e-mail (preference or no address)")
        # Claimed by a worker and being sent; becomes SENT, PENDING (retry) or FAILED.
        SENDING = "sending", _("Being sent")
        # Still SENDING after the timeout: the worker stopped between handing the e-mail to
        # the server and recording it. Not resent automatically (at most once): an operator
        # checks and chooses (see docs/notes-mail.md).
        UNCERTAIN = "uncertain", _("Unknown whether sent: check before resending")

    kind = models.CharField(_("kind"), max_length=40)
    object_type = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    occurrence = models.DateField(_("due date of this reminder"))
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    recipient_email = models.EmailField(_("e-mail"), blank=True)
    recipient_key = models.CharField(max_length=260)
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    case_reference = models.CharField(max_length=20, blank=True)
    title = models.CharField(_("what"), max_length=200)
    link = models.CharField(max_length=300, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The claim of the worker sending it (SENDING): only that worker may record the outcome.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "occurrence", "recipient_key"],
                name="reminder_once",
            )
        ]
        indexes = [models.Index(fields=["email_status", "created_at"], name="reminder_email_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_reference} {self.occurrence}"


class Notification(models.Model):
    """The in-app side of a reminder: listed in the notification centre until read."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    reminder = models.OneToOneField(
        Reminder, null=True, on_delete=models.CASCADE, related_name="notification"
    )
    title = models.CharField(_("what"), max_length=200)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


# --- Corrections of a child's details ------------------------------------------------------


class ChildCorrection(models.Model):
    """One correction of a child's details: who, when, why, and each field's value before
    and after. A readable history for those who may see the child; the audit log keeps the
    changed field names only. Values are stored as saved (ISO dates, choice codes) and shown
    through `changes_display`, in the reader's language."""

    #: The details that can be corrected, in the order the form and history show them.
    FIELDS = (
        "first_name",
        "last_name",
        "preferred_name",
        "date_of_birth",
        "gender",
        "ethnicity",
        "yot_reference",
        "pnc_number",
    )

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="corrections"
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("through case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept if the user is later deleted.
    corrected_by_name = models.CharField(_("corrected by"), max_length=150, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    reason = models.CharField(_("reason for the correction"), max_length=500)
    # [{"field": name, "old": value, "new": value}, ...] in the order of FIELDS.
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        verbose_name = _("correction of a child's details")
        verbose_name_plural = _("corrections of a child's details")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["child", "at"], name="child_correction_idx")]

    def __str__(self) -> str:
        return f"Child #{self.child_id} {self.at:%Y-%m-%d %H:%M}"

    @property
    def who(self) -> str:
        return str(self.corrected_by) if self.corrected_by_id else self.corrected_by_name

    @property
    def changes_display(self) -> list[dict[str, str]]:
        """Each change as the pages show it: the field's label, the old and new values."""
        return [
            {
                "field": change["field"],
                "label": str(Child._meta.get_field(change["field"]).verbose_name),
                "old": child_value_display(change["field"], change["old"]),
                "new": child_value_display(change["field"], change["new"]),
            }
            for change in self.changes
        ]


def child_value_display(name: str, value) -> str:
    """A stored value of a child's field as people read it (choice label, date in words)."""
    if value in ("", None):
        return str(_("(blank)"))
    field = Child._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateField):
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return date_format(day)
    return str(value)


# --- Retention and erasure (issue 20): models of this app, kept in their own module -------

from .retention_models import (  # noqa: E402, F401
    ErasureRequest,
    LegalHold,
    RetentionReview,
    RetentionRule,
)
