"""Writes of clinical supervision. Audit rows name the session and the changed fields, never
their content."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.audit import audit_case_record, audit_record
from ecm.editing import check_version, model_update
from ecm.models import AuditEvent, Case, User
from ecm.selectors import case_list_for

from .models import Escalation, Offer, Session, SessionCase, Supervisee

SESSION_FIELDS = (
    "starts_at",
    "ends_at",
    "format",
    "kind",
    "mode",
    "location",
    *Session.CONTENT_FIELDS,
)


def _audit(actor, action, session, fields=(), detail=""):
    audit_record(
        actor=actor,
        action=action,
        obj=session,
        team_id=session.team_id,
        changed_fields=list(fields),
        detail=detail,
    )


@transaction.atomic
def session_save(
    *,
    actor: User,
    data: dict,
    supervisees: list[User],
    cases: list[Case] = (),
    session: Session | None = None,
    expected_version: int | None = None,
) -> Session:
    """Record a session (or correct one): only its psychologist. Supervisees must hold an ECM
    role (case manager or senior practitioner) in a team this psychologist supervises."""
    supervised = access_for(actor).supervised_team_ids
    if not supervised:
        raise PermissionDenied
    if session is not None:
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.psychologist_id != actor.pk:
            raise PermissionDenied
        check_version(session, expected_version, what=_("supervision session"))
    errors: dict[str, list[str]] = {}
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts and ends and ends <= starts:
        errors.setdefault("ends_at", []).append(_("The session cannot end before it starts."))
    if starts and starts > timezone.now() + dt.timedelta(minutes=5):
        errors.setdefault("starts_at", []).append(_("Record a session once it has taken place."))
    if starts and starts > timezone.now() and not (data.get("location") or "").strip():
        errors.setdefault("location", []).append(
            _("Say where the session takes place (optional only for a past session).")
        )
    if not supervisees:
        errors.setdefault("supervisees", []).append(_("Choose who was supervised."))
    if data.get("format") == Session.Format.INDIVIDUAL and len(supervisees) > 1:
        errors.setdefault("format", []).append(
            _("An individual session has one supervisee; choose group for more.")
        )
    team_id = session.team_id if session is not None else None
    existing = set(session.attendance.values_list("user_id", flat=True)) if session else set()
    for person in supervisees:
        teams = access_for(person).supervisee_teams(supervised)
        if not teams and person.pk in existing:
            continue  # already recorded (e.g. has since left the team): kept as it was
        if not teams:
            errors.setdefault("supervisees", []).append(
                _(
                    "%(name)s has no ECM role (case manager or senior practitioner) in a team "
                    "you supervise."
                )
                % {"name": person.get_full_name() or person.username}
            )
        elif team_id is None:
            team_id = teams[0]
    linked = set(session.cases_discussed.values_list("case_id", flat=True)) if session else set()
    new_cases = [c for c in cases if c.pk not in linked]
    for viewer in [actor, *supervisees]:
        visible = set(
            case_list_for(viewer)
            .filter(pk__in=[c.pk for c in new_cases])
            .values_list("pk", flat=True)
        )
        if any(c.pk not in visible for c in new_cases):
            errors.setdefault("cases", []).append(
                _("Choose cases that you and every supervisee can see.")
            )
            break
    removed_with_reflections = (
        session.attendance.exclude(user_id__in=[p.pk for p in supervisees])
        .exclude(reflections="")
        .exists()
        if session
        else False
    )
    if removed_with_reflections:
        errors.setdefault("supervisees", []).append(
            _("A supervisee who wrote reflections cannot be removed from the session.")
        )
    if errors:
        raise ValidationError(errors)
    created = session is None
    if created:
        session = Session(psychologist=actor)
    else:
        session.version += 1
    changed = model_update(session, data, fields=SESSION_FIELDS)
    session.team_id = team_id
    session.save()
    keep = {p.pk for p in supervisees}
    Supervisee.objects.filter(session=session).exclude(user_id__in=keep).delete()
    for person in supervisees:
        Supervisee.objects.get_or_create(session=session, user=person)
    case_ids = {c.pk for c in cases}
    SessionCase.objects.filter(session=session).exclude(case_id__in=case_ids).delete()
    for case in cases:
        SessionCase.objects.get_or_create(session=session, case=case)
    _audit(
        actor,
        AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        session,
        # Field names of content are not listed: "content" says only that it changed.
        sorted({("content" if k in Session.CONTENT_FIELDS else k) for k in changed})
        + ["supervisees"],
    )
    return session


@transaction.atomic
def reflection_save(*, actor: User, session: Session, text: str) -> Supervisee:
    """A supervisee adds their own reflections to their session."""
    try:
        row = Supervisee.objects.select_for_update().get(session=session, user=actor)
    except Supervisee.DoesNotExist:
        raise PermissionDenied from None
    row.reflections = text.strip()
    row.reflections_updated_at = timezone.now()
    row.save(update_fields=["reflections", "reflections_updated_at"])
    _audit(actor, AuditEvent.Action.UPDATE, session, ["content"])
    return row


@transaction.atomic
def decision_summary_save(*, actor: User, session: Session, case: Case, text: str) -> SessionCase:
    """The psychologist puts a short summary of decisions on a case discussed: the case's
    team sees it on the case page; the session itself stays private."""
    if session.psychologist_id != actor.pk:
        raise PermissionDenied
    try:
        link = SessionCase.objects.select_for_update().get(session=session, case=case)
    except SessionCase.DoesNotExist:
        raise ValidationError(_("Add the case to the cases discussed first.")) from None
    link.decision_summary = text.strip()
    link.summary_added_at = timezone.now() if link.decision_summary else None
    link.save(update_fields=["decision_summary", "summary_added_at"])
    audit_case_record(
        actor,
        AuditEvent.Action.UPDATE,
        link,
        case,
        ["decision_summary"],
        detail="supervision decision summary",
    )
    return link


@transaction.atomic
def escalation_add(*, actor: User, session: Session, data: dict) -> Escalation:
    """Raising something with the supervisee's line manager: only after discussing it with
    the supervisee, which is recorded first."""
    if session.psychologist_id != actor.pk:
        raise PermissionDenied
    errors = {}
    supervisee = data.get("supervisee")
    if supervisee is None or not session.attendance.filter(user=supervisee).exists():
        errors["supervisee"] = _("Choose a supervisee of this session.")
    if not data.get("discussed_first"):
        errors["discussed_first"] = _(
            "Discuss it with the supervisee before raising it with their line manager."
        )
    discussed, raised = data.get("discussed_on"), data.get("raised_on")
    if discussed and raised and raised < discussed:
        errors["raised_on"] = _("It is raised after it was discussed with the supervisee.")
    if raised and raised > timezone.localdate():
        errors["raised_on"] = _("The date raised cannot be in the future.")
    case = data.get("case")
    if case is not None and not session.cases_discussed.filter(case=case).exists():
        errors["case"] = _("Choose one of the cases discussed.")
    if errors:
        raise ValidationError(errors)
    escalation = Escalation.objects.create(
        session=session,
        supervisee=supervisee,
        discussed_on=discussed,
        line_manager=data["line_manager"],
        raised_on=raised,
        what=data["what"],
        safeguarding=bool(data.get("safeguarding")),
        case=case,
    )
    _audit(actor, AuditEvent.Action.UPDATE, session, ["content"])
    return escalation


@transaction.atomic
def offer_record(*, actor: User, practitioner: User, offered_on: dt.date, response: str) -> Offer:
    """Supervision is voluntary: the offer and the answer are recorded."""
    supervised = access_for(actor).supervised_team_ids
    if not supervised:
        raise PermissionDenied
    teams = access_for(practitioner).supervisee_teams(supervised)
    if not teams:
        raise ValidationError({"practitioner": _("Choose a practitioner of a team you supervise.")})
    if offered_on > timezone.localdate():
        raise ValidationError({"offered_on": _("The offer date cannot be in the future.")})
    offer = Offer.objects.create(
        practitioner=practitioner, psychologist=actor, offered_on=offered_on, response=response
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=offer,
        team_id=teams[0] if teams else None,
        detail=response,
    )
    return offer
