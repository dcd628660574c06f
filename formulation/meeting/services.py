"""Writes of the formulation meeting: scheduling, invitations (e-mails queued after commit),
the directory of partner professionals, the checklist, the meeting record and its
recommendations, and recording the meeting as held. Each checks Access, validates and
writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ecm import services as core
from ecm.access import CASE_ROLES, PRACTITIONER_ROLES, access_for
from ecm.audit import audit_case_record as _audit
from ecm.audit import audit_record
from ecm.dates import display_date
from ecm.editing import check_version, model_update
from ecm.language import language_for
from ecm.mail import message_id, sending_timeout
from ecm.models import AuditEvent, Case, CaseStatus, Role, User
from ecm.queueing import queue_task
from ecm.selectors import case_team_members
from referrals.services import consent_status, has_valid_ecm_consent

from ..trm.models import TRMStage
from . import selectors
from .ics import meeting_ics
from .models import (
    Agency,
    ChecklistTick,
    DevelopmentalMap,
    Invitation,
    Meeting,
    Professional,
    TRMPlacement,
)

log = logging.getLogger(__name__)

#: The Celery task that sends one invitation e-mail (formulation/meeting/tasks.py).
SEND_INVITATION = "formulation.send_invitation"


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- Scheduling ---------------------------------------------------------------------------------


def _check_when(case: Case, kind: str, starts_at: dt.datetime, already_held: bool) -> str:
    """The one refusal about the date and time, if any: invitations go out for meetings to
    come; a meeting that already took place is entered with its real, past, date."""
    now = timezone.now()
    if already_held:
        if starts_at > now:
            return _(
                "You said the meeting already took place: its date and time cannot be in "
                "the future."
            )
        if kind == Meeting.Kind.REVIEW:
            first = selectors.episode_formulation_meeting(case)
            if first is not None and first.case_id == case.pk and starts_at < first.starts_at:
                return _("A review meeting cannot be before the formulation meeting (%(d)s).") % {
                    "d": display_date(first.starts_at)
                }
            if timezone.localdate(starts_at) < case.opened_on:
                return _("A review meeting cannot be before the episode opened (%(d)s).") % {
                    "d": display_date(case.opened_on)
                }
        return ""
    if starts_at <= now:
        return _(
            "The meeting date and time must be in the future, to send the invitations. If "
            "the meeting has already been held, tick “The meeting has already been held”."
        )
    return ""


@transaction.atomic
def meeting_schedule(
    *,
    actor: User,
    case: Case,
    starts_at: dt.datetime,
    chair: User,
    psychologist: User,
    location: str = "",
    online_link: str = "",
    duration_minutes: int = 180,
    kind: str = Meeting.Kind.FORMULATION,
    already_held: bool = False,
) -> Meeting:
    """Schedule a meeting of the case: the formulation meeting (only with valid ECM
    consent, chaired by a senior practitioner) or a review meeting (once the formulation
    meeting is held; the senior practitioner chairs by default, any practitioner of the case
    may). In the future, or `already_held`: entered after it took place, with its real date
    (no invitation e-mails; the attendance is then recorded on its page)."""
    case = Case.objects.select_for_update().select_related("child").get(pk=case.pk)
    review = kind == Meeting.Kind.REVIEW
    if kind not in Meeting.Kind.values:
        raise ValidationError(_("Choose the kind of meeting."))
    access = access_for(actor)
    _require(access.can_arrange_review(case) if review else access.can_schedule_meeting(case))
    errors = []
    if review:
        if selectors.episode_formulation_meeting(case) is None:
            errors.append(
                _(
                    "A review follows the formulation meeting: record the formulation "
                    "meeting as held first."
                )
            )
    else:
        if not has_valid_ecm_consent(case):
            errors.append(
                _(
                    "A formulation meeting can only be scheduled with valid ECM consent. "
                    "Still needed: %(m)s"
                )
                % {"m": " ".join(consent_status(case).missing)}
            )
        if case.status not in (CaseStatus.PREPARATION, CaseStatus.ACTIVE):
            errors.append(
                _(
                    "The case is “%(s)s”: meetings are scheduled once it is accepted and "
                    "consent is in place."
                )
                % {"s": case.get_status_display()}
            )
    if problem := _check_when(case, kind, starts_at, already_held):
        errors.append(problem)
    if not location.strip() and not online_link.strip():
        errors.append(_("Give a place or an online meeting link."))
    chairs = case_team_members(case, PRACTITIONER_ROLES if review else [Role.SENIOR_PRACTITIONER])
    if not chairs.filter(pk=chair.pk).exists():
        errors.append(
            _("The chair must be a practitioner of this case's team or the central ECM team.")
            if review
            else _(
                "The chair must be a senior practitioner of this case's team or the "
                "central ECM team."
            )
        )
    if not case_team_members(case, [Role.PSYCHOLOGIST]).filter(pk=psychologist.pk).exists():
        errors.append(_("Choose a psychologist of this case's team or the central ECM team."))
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        case=case,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location.strip(),
        online_link=online_link.strip(),
        chair=chair,
        psychologist=psychologist,
        recorded_afterwards=already_held,
        created_by=actor,
    )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        meeting,
        case,
        ["kind", "starts_at", "location", "chair", "psychologist"]
        + (["recorded_afterwards"] if already_held else []),
        detail=kind,
    )
    return meeting


# --- The directory and invitations -------------------------------------------------------------


@transaction.atomic
def professional_save(
    *, actor: User, team_id: int, data: dict, professional: Professional | None = None
) -> Professional:
    """Add a partner professional to a team's directory (or change one)."""
    _require(team_id in access_for(actor).formulation_team_ids())
    action = AuditEvent.Action.UPDATE if professional else AuditEvent.Action.CREATE
    professional = professional or Professional(team_id=team_id)
    changed = model_update(professional, data)
    professional.full_clean()
    professional.save()
    audit_record(
        actor=actor, action=action, obj=professional, team_id=team_id, changed_fields=changed
    )
    return professional


def _email_problem(address: str) -> str:
    if not address.strip():
        return _("No e-mail address: invite them another way.")
    try:
        validate_email(address.strip())
    except ValidationError:
        return _(
            "“%(e)s” is not a valid e-mail address: correct it or invite them another way."
        ) % {"e": address}
    return ""


@transaction.atomic
def invitation_add(
    *,
    actor: User,
    meeting: Meeting,
    professional: Professional | None = None,
    colleague: User | None = None,
    name: str = "",
    role: str = "",
    agency: str = "",
    email: str = "",
    involvement: str = "",
    attended_only: bool = False,
    save_to_directory: bool = False,
) -> Invitation:
    """Invite a professional: from the directory, a colleague from the case's staff, or
    typed in (and, with `save_to_directory`, added to the case team's directory in the same
    transaction). The e-mail with its .ics is sent by a Celery task after the transaction
    commits. An address that cannot be used is flagged on the invitation, never silently
    dropped. `attended_only`: someone who came without an invitation, added to the
    attendance sheet; so is everyone added once the meeting has started (no invitation
    e-mail for a meeting that has begun or already took place)."""
    meeting = Meeting.objects.select_related("case", "case__child").get(pk=meeting.pk)
    case = meeting.case
    _require(access_for(actor).can_prepare_formulation(case))
    attended_only = attended_only or meeting.has_started
    if colleague is not None and professional is None:
        if not case_team_members(case, CASE_ROLES).filter(pk=colleague.pk).exists():
            raise ValidationError(_("Choose a colleague of this case's teams."))
        if meeting.invitations.filter(user=colleague).exists():
            raise ValidationError(_("%(n)s is already invited.") % {"n": colleague})
        roles = access_for(colleague).case_roles(case)
        name = colleague.get_full_name() or colleague.get_username()
        role = ", ".join(sorted(str(Role(r).label) for r in roles))
        agency = agency or Agency.YOT
        email = email or colleague.email
    else:
        colleague = None
    if professional is not None:
        if professional.team_id not in case.team_ids:
            raise PermissionDenied
        name, role, agency = professional.name, professional.role, professional.agency
        email = email or professional.email
        if meeting.invitations.filter(professional=professional).exists():
            raise ValidationError(_("%(n)s is already invited.") % {"n": name})
    if not name.strip():
        raise ValidationError(_("Give the person's name."))
    if not agency:
        raise ValidationError(_("Choose the person's agency."))
    if professional is None and save_to_directory:
        professional = professional_save(
            actor=actor,
            team_id=case.team_id,
            data={
                "name": name.strip(),
                "role": role.strip() or "-",
                "agency": agency,
                "email": email,
            },
        )
    invitation = Invitation(
        meeting=meeting,
        professional=professional,
        user=colleague,
        name=name.strip(),
        role=role.strip(),
        agency=agency,
        email=email.strip(),
        involvement=involvement.strip(),
    )
    if attended_only:
        invitation.status = Invitation.Status.ATTENDED
        invitation.delivery = Invitation.Delivery.NOT_SENT
    else:
        problem = _email_problem(email)
        if problem:
            invitation.delivery = Invitation.Delivery.NO_EMAIL
            invitation.delivery_error = problem
    invitation.save()
    _audit(actor, AuditEvent.Action.CREATE, invitation, case, ["name", "agency", "status"])
    if invitation.delivery == Invitation.Delivery.PENDING:
        # If the broker is down the invitation stays pending: the beat task
        # formulation.requeue_pending_invitations sends it later.
        transaction.on_commit(partial(queue_task, SEND_INVITATION, invitation.pk))
    return invitation


@transaction.atomic
def invitation_update(
    *,
    actor: User,
    invitation: Invitation,
    status: str | None = None,
    written_information: str | None = None,
) -> Invitation:
    """Change what is given (None: leave as it is): the status, or the written information
    sent by someone who cannot attend (dated when it arrives)."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("meeting__case__child")
        .get(pk=invitation.pk)
    )
    case = invitation.meeting.case
    _require(access_for(actor).can_prepare_formulation(case))
    data = {}
    if status is not None:
        if status not in Invitation.Status.values:
            raise ValidationError(_("Choose a status from the list."))
        data["status"] = status
    if written_information is not None:
        data["written_information"] = written_information.strip()
        data["written_received_at"] = timezone.now() if written_information.strip() else None
    changed = model_update(invitation, data)
    invitation.save()
    _audit(actor, AuditEvent.Action.UPDATE, invitation, case, changed)
    return invitation


def invitation_email(invitation: Invitation) -> EmailMessage:
    """The invitation e-mail with its .ics. It names no child and carries no case detail:
    only the meeting, its time and place and the case reference. In the invitee's language
    when they have an account; otherwise the team's default, or Welsh and English (Welsh
    first) when BILINGUAL_EMAILS is on, as the Welsh Language Standards ask when a person's
    language is not known (issue 23)."""
    meeting = invitation.meeting
    invitee = User.objects.filter(email__iexact=invitation.email, is_active=True).first()
    if invitee is None and settings.BILINGUAL_EMAILS:
        parts = []
        for code in ("cy", "en-gb"):
            with translation.override(code):
                parts.append(_invitation_text(invitation, meeting))
        subject = " / ".join(subject for subject, _body in parts)
        body = "\n\n---\n\n".join(body for _subject, body in parts)
        language = "cy"
    else:
        with language_for(invitee):
            subject, body = _invitation_text(invitation, meeting)
            language = translation.get_language()
    message = EmailMessage(subject=subject, body=body, to=[invitation.email])
    with translation.override(language):
        ics = meeting_ics(meeting, invitation)
    message.attach("invitation.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
    return message


def _invitation_text(invitation, meeting) -> tuple[str, str]:
    """The invitation's subject and body in the current language."""
    when = timezone.localtime(meeting.starts_at)
    reference = meeting.case.reference
    body = render_to_string(
        "formulation/email/invitation.txt",
        {
            "name": invitation.name,
            "reference": reference,
            "date": display_date(when),
            "time": when.strftime("%H:%M"),
            "place": meeting.location or meeting.online_link,
            "review": meeting.is_review,
        },
    )
    subject = (
        _("Invitation: ECM review meeting %(ref)s, %(date)s")
        if meeting.is_review
        else _("Invitation: ECM formulation meeting %(ref)s, %(date)s")
    )
    return subject % {"ref": reference, "date": display_date(when)}, body


def _invitation_claim(invitation_id: int) -> tuple[Invitation | None, str]:
    """Lock the invitation, check it is still to be sent, mark it SENDING with a claim token
    and commit. Returns (the claimed invitation, "") or (None, its delivery state)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("meeting", "meeting__case", "meeting__chair")
            .get(pk=invitation_id)
        )
        if invitation.delivery != Invitation.Delivery.PENDING:
            return None, invitation.delivery
        if invitation.meeting.has_started:
            # Queued late (the broker was down): an invitation to a past meeting is no use.
            invitation.delivery = Invitation.Delivery.NOT_SENT
            invitation.save(update_fields=["delivery"])
            return None, invitation.delivery
        invitation.delivery = Invitation.Delivery.SENDING
        invitation.claim_token = uuid.uuid4()
        invitation.claimed_at = timezone.now()
        invitation.send_attempts += 1
        invitation.save(update_fields=["delivery", "claim_token", "claimed_at", "send_attempts"])
    return invitation, ""


def _claimed(token):
    # UNCERTAIN too: a send slower than the timeout still knows best what happened.
    return Invitation.objects.filter(
        claim_token=token,
        delivery__in=[Invitation.Delivery.SENDING, Invitation.Delivery.UNCERTAIN],
    )


def send_invitation_email(invitation_id: int) -> str:
    """Send one invitation e-mail at most once (safe to run twice). Claimed in a short
    transaction, sent with no transaction open and no row locked, then recorded; returns the
    delivery state. A failure to send puts it back to pending with the error and is raised
    (the task retries with a backoff)."""
    invitation, state = _invitation_claim(invitation_id)
    if invitation is None:
        return state
    token = invitation.claim_token
    try:
        message = invitation_email(invitation)
        message.extra_headers["Message-ID"] = message_id("invitation", invitation.pk)
        message.send()
    except Exception as exc:  # noqa: BLE001 - recorded, then retried by the task
        _claimed(token).update(delivery=Invitation.Delivery.PENDING, delivery_error=f"{exc}"[:255])
        raise
    # If this worker dies here, the invitation stays SENDING and later shows as UNCERTAIN.
    _claimed(token).update(
        delivery=Invitation.Delivery.SENT, sent_at=timezone.now(), delivery_error=""
    )
    return Invitation.Delivery.SENT


def invitation_mark_failed(invitation_id: int, error: str) -> None:
    Invitation.objects.filter(pk=invitation_id, delivery=Invitation.Delivery.PENDING).update(
        delivery=Invitation.Delivery.FAILED, delivery_error=error[:255]
    )


def invitations_mark_uncertain(now: dt.datetime | None = None) -> list[int]:
    """Invitations still SENDING after the timeout (the worker stopped between sending and
    recording): UNCERTAIN, shown on the meeting page as needing attention, never resent."""
    cutoff = (now or timezone.now()) - sending_timeout()
    stale = Invitation.objects.filter(delivery=Invitation.Delivery.SENDING, claimed_at__lt=cutoff)
    ids = list(stale.values_list("pk", flat=True))
    if ids:
        stale.filter(pk__in=ids).update(
            delivery=Invitation.Delivery.UNCERTAIN,
            delivery_error=_("Stopped while sending: check they have the invitation."),
        )
        log.error("%d invitation e-mail(s) may or may not have been sent: %s", len(ids), ids)
    return ids


def invitations_requeue(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Queue again the invitations still pending after `older_than` (the broker was down
    when they were made). Sending is idempotent, so a double queue sends once. First marks
    any left SENDING by a worker that stopped as UNCERTAIN."""
    invitations_mark_uncertain()
    pending = Invitation.objects.filter(
        delivery=Invitation.Delivery.PENDING, created_at__lt=timezone.now() - older_than
    ).values_list("pk", flat=True)
    return sum(queue_task(SEND_INVITATION, pk) for pk in pending)


# --- The checklist --------------------------------------------------------------------------------


@transaction.atomic
def checklist_tick(*, actor: User, meeting: Meeting, key: str, done: bool) -> None:
    """Tick (or untick) an item of the checklist that is ticked by hand."""
    case = meeting.case
    _require(access_for(actor).can_prepare_formulation(case))
    if key not in ChecklistTick.MANUAL_ITEMS:
        raise ValidationError(_("That item ticks itself from the case record."))
    if done:
        ChecklistTick.objects.get_or_create(meeting=meeting, key=key, defaults={"ticked_by": actor})
    else:
        ChecklistTick.objects.filter(meeting=meeting, key=key).delete()
    _audit(actor, AuditEvent.Action.UPDATE, meeting, case, [f"checklist:{key}"])


# --- The meeting record -------------------------------------------------------------------------


@transaction.atomic
def meeting_record_save(
    *, actor: User, meeting: Meeting, data: dict, expected_version: int | None = None
) -> Meeting:
    """Minutes, review and supervision dates (`meeting` as loaded at `expected_version`)."""
    meeting = Meeting.objects.select_for_update().select_related("case__child").get(pk=meeting.pk)
    _require(access_for(actor).can_record_meeting(meeting.case))
    check_version(meeting, expected_version, what=_("meeting record"))
    review_at = data.get("review_at")
    if review_at and review_at <= meeting.starts_at:
        raise ValidationError({"review_at": _("The first review must come after the meeting.")})
    changed = model_update(meeting, data)
    meeting.version += 1
    meeting.save()
    _audit(actor, AuditEvent.Action.UPDATE, meeting, meeting.case, changed)
    return meeting


@transaction.atomic
def developmental_map_save(*, actor: User, meeting: Meeting, data: dict) -> DevelopmentalMap:
    _require(access_for(actor).can_record_meeting(meeting.case))
    dmap, _created = DevelopmentalMap.objects.get_or_create(meeting=meeting)
    changed = model_update(dmap, data)
    dmap.recorded_by = actor
    dmap.save()
    _audit(actor, AuditEvent.Action.UPDATE, dmap, meeting.case, changed)
    return dmap


class IncompleteMeetingError(ValidationError):
    """Refused: the formulation meeting's record is not complete and no reason was given.
    `missing` lists what is missing (`selectors.MissingPart`: label and the section)."""

    def __init__(self, missing):
        self.missing = missing
        super().__init__(
            _(
                "The meeting cannot be recorded as held yet. Still missing: %(m)s. Record "
                "them, or give the reason why the meeting is recorded as held without them."
            )
            % {"m": ", ".join(str(m.label) for m in missing)},
            code="incomplete",
        )


@transaction.atomic
def meeting_mark_held(*, actor: User, meeting: Meeting, incomplete_reason: str = "") -> Meeting:
    """The meeting took place. A formulation meeting is held when its record is complete
    (the developmental map, the TRM placement and at least one recommendation), or with the
    chair's reason why not (kept, shown and audited); the case becomes active (interventions
    and reviews). A review meeting is held when its review is recorded (reviews)."""
    meeting = Meeting.objects.select_for_update().select_related("case").get(pk=meeting.pk)
    _require(access_for(actor).can_record_meeting(meeting.case))
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(
            _("This meeting is already %(s)s.") % {"s": meeting.get_status_display().lower()}
        )
    if meeting.starts_at > timezone.now():
        raise ValidationError(_("The meeting has not started yet."))
    changed = ["status"]
    if not meeting.is_review:
        missing = selectors.held_missing(meeting)
        if missing and not incomplete_reason.strip():
            raise IncompleteMeetingError(missing)
        if missing:
            meeting.held_incomplete_reason = incomplete_reason.strip()
            changed.append("held_incomplete_reason")
    meeting.status = Meeting.Status.HELD
    meeting.held_at = timezone.now()
    meeting.save(update_fields=["status", "held_at", "held_incomplete_reason"])
    if not meeting.is_review and meeting.case.status == CaseStatus.PREPARATION:
        core.case_activate(actor=actor, case=meeting.case)
    if not meeting.is_review:
        cases_store_ecm_start(Case.objects.filter(pk=meeting.case_id))
        meeting.case.refresh_from_db(fields=["ecm_started_on", "status", "version"])
    _audit(actor, AuditEvent.Action.UPDATE, meeting, meeting.case, changed, detail="held")
    return meeting


def cases_store_ecm_start(cases) -> int:
    """Store the ECM start of the cases (a Case queryset) in `Case.ecm_started_on`, from
    their meetings (`selectors.ecm_start_from_meetings`): one UPDATE, however many cases.
    Called when a formulation meeting is recorded as held, and by the data generators that
    write meetings in bulk."""
    return cases.update(ecm_started_on=selectors.ecm_start_from_meetings())


@transaction.atomic
def review_meeting_held(*, actor: User, meeting: Meeting) -> Meeting:
    """The review of this review meeting was recorded (`reviews.services.review_save`):
    the meeting is held. Whoever may record a review may do this; nothing else is asked."""
    meeting = Meeting.objects.select_for_update().select_related("case").get(pk=meeting.pk)
    _require(access_for(actor).can_record_review(meeting.case))
    if not meeting.is_review:
        raise ValidationError(_("Choose a review meeting."))
    if meeting.status == Meeting.Status.SCHEDULED:
        meeting.status = Meeting.Status.HELD
        meeting.held_at = timezone.now()
        meeting.save(update_fields=["status", "held_at"])
        _audit(actor, AuditEvent.Action.UPDATE, meeting, meeting.case, ["status"], detail="held")
    return meeting


@transaction.atomic
def meeting_report_agencies_save(*, actor: User, meeting: Meeting, agencies: list[str]) -> Meeting:
    """Appendix 2: the agencies that will receive the psychologist's report, agreed at the
    meeting (the report's circulation then logs who received it)."""
    meeting = Meeting.objects.select_for_update().select_related("case").get(pk=meeting.pk)
    case = meeting.case
    access = access_for(actor)
    _require(access.can_prepare_formulation(case) or access.can_record_meeting(case))
    unknown = [a for a in agencies if a not in Agency.values]
    if unknown:
        raise ValidationError(_("Choose agencies from the list."))
    chosen = [a for a in Agency.values if a in set(agencies)]  # the list's order, once each
    if chosen != meeting.report_agencies:
        meeting.report_agencies = chosen
        meeting.save(update_fields=["report_agencies"])
        _audit(actor, AuditEvent.Action.UPDATE, meeting, case, ["report_agencies"])
    return meeting


@transaction.atomic
def trm_placement_save(
    *,
    actor: User,
    meeting: Meeting,
    stage: TRMStage,
    presentation: str,
    underlying_need: str,
    intervention_recommendation: str,
) -> TRMPlacement:
    """Only the psychologist records where the child is on the Trauma Recovery Model."""
    if not access_for(actor).can_place_on_trm(meeting.case):
        raise PermissionDenied
    missing = [
        label
        for label, value in (
            (_("presentation"), presentation),
            (_("underlying need"), underlying_need),
            (_("intervention recommendation"), intervention_recommendation),
        )
        if not value.strip()
    ]
    if missing:
        raise ValidationError(_("Describe the %(f)s.") % {"f": ", ".join(missing)})
    placement, _created = TRMPlacement.objects.update_or_create(
        meeting=meeting,
        defaults={
            "stage": stage,
            "presentation": presentation.strip(),
            "underlying_need": underlying_need.strip(),
            "intervention_recommendation": intervention_recommendation.strip(),
            "placed_by": actor,
            "placed_at": timezone.now(),
        },
    )
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        placement,
        meeting.case,
        ["stage", "presentation", "underlying_need", "intervention_recommendation"],
        detail=f"{stage.framework.code} v{stage.framework.version} stage {stage.number}",
    )
    return placement
