"""Memberships that wait for approval, and notices of account changes made by administrators.

A membership made in the admin, or changed there to another team or role, is *pending*: it
gives nothing (`ecm.access` reads approved memberships only) until a manager of the team
approves it. That manager is never the person the membership is for, nor the person who
asked for it. Refusing deletes the pending row. A team's first manager, who has nobody to
approve them, is approved from the command line (`manage.py membership_approve`).

Whoever changes a membership, a password or a user's status (active, staff, superuser,
e-mail) in the admin is audited, and the user and the managers of their teams are told in
the app and by e-mail. Notices go through the reminders' rows (`Reminder` + `Notification`,
e-mail sent at most once by the same worker task), keyed by the audit event so that each
change is told once. They name people, roles and teams, never a child. They are sent
whatever the user's e-mail preference: a security notice is not a reminder one may mute.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .access import access_for
from .audit import audit_record
from .language import language_of_code
from .mfa import end_other_sessions
from .models import AuditEvent, Membership, Notification, Reminder, Role, User
from .queueing import queue_task
from .reminders import Words
from .selectors import members_by_team

NOTICE_KIND = "account"
#: A change to any of these puts a membership back to waiting for approval.
APPROVAL_FIELDS = frozenset({"user", "team", "role"})
#: The user's own fields whose change in the admin is told to them and their managers.
ACCOUNT_FIELDS = frozenset({"password", "is_active", "is_staff", "is_superuser", "email"})


# --- reads -----------------------------------------------------------------------------------


def pending_memberships_for(user: User) -> QuerySet[Membership]:
    """The memberships waiting in the teams this user manages (approved membership), with
    what the page shows. Empty for everyone else, superusers included."""
    team_ids = access_for(user).membership_approval_team_ids()
    return (
        Membership.objects.pending()
        .filter(team_id__in=team_ids)
        .select_related("user", "team", "requested_by")
        .order_by("team__name", "requested_at", "pk")
    )


def pending_membership_get_for(user: User, pk: int) -> Membership:
    """One waiting membership of a team this user manages; anything else is a 404."""
    return get_object_or_404(pending_memberships_for(user), pk=pk)


# --- writes ----------------------------------------------------------------------------------


def _check_admin(actor: User) -> None:
    if not access_for(actor).can_administer_memberships():
        raise PermissionDenied


@transaction.atomic
def membership_save_by_admin(
    *,
    actor: User,
    membership: Membership,
    created: bool,
    changed_fields: Iterable[str] = (),
    previous_team_id: int | None = None,
) -> Membership:
    """Save a membership made or changed in the admin. New, or moved to another person,
    team or role: it waits for a manager's approval, and the team's managers and the user
    are told. The row is saved here (the admin's form only fills it in)."""
    _check_admin(actor)
    changed = set(changed_fields)
    waits = created or bool(changed & APPROVAL_FIELDS)
    if waits:
        membership.requested_by = actor
        membership.requested_at = timezone.now()
        membership.approved_by = None
        membership.approved_at = None
        changed |= {"requested_by", "requested_at", "approved_by", "approved_at"}
    membership.save()
    event = audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        obj=membership,
        changed_fields=changed,
        detail="admin: membership waiting for approval" if waits else "admin",
    )
    if waits:
        title = Words(
            gettext_lazy("Membership waiting for approval: %(who)s as %(role)s in %(team)s"),
            **_names(membership),
        )
        teams = {membership.team_id, previous_team_id} - {None}
        managers = _managers(teams) - {actor.pk, membership.user_id}
        _notify(event, managers, title, reverse("memberships_pending"))
        _notify(event, [membership.user_id], title, reverse("notifications"))
    return membership


@transaction.atomic
def membership_delete_by_admin(*, actor: User, membership: Membership) -> None:
    """Delete a membership in the admin (audited; the user and the team's managers told)."""
    _check_admin(actor)
    event = audit_record(
        actor=actor, action=AuditEvent.Action.DELETE, obj=membership, detail="admin"
    )
    title = Words(
        gettext_lazy("Membership removed: %(who)s as %(role)s in %(team)s"), **_names(membership)
    )
    _notify(event, _managers([membership.team_id]) - {actor.pk} | {membership.user_id}, title, "")
    membership.delete()


def _decided(actor: User, pk: int) -> Membership:
    """The pending membership `pk`, locked, if `actor` may decide on it."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "team")
        .filter(pk=pk, approved_at__isnull=True)
        .first()
    )
    if membership is None:
        raise ValidationError(_("This membership is no longer waiting for approval."))
    if not access_for(actor).can_approve_membership(membership):
        raise PermissionDenied(
            _(
                "A membership is approved by another manager of the team: not the person it "
                "is for, nor the person who asked for it."
            )
        )
    return membership


@transaction.atomic
def membership_approve(*, actor: User, membership: Membership) -> Membership:
    """A manager of the team approves a waiting membership: from now on it gives access."""
    membership = _decided(actor, membership.pk)
    membership.approved_by = actor
    membership.approved_at = timezone.now()
    membership.save(update_fields=["approved_by", "approved_at"])
    event = audit_record(
        actor=actor,
        action=AuditEvent.Action.TRANSITION,
        obj=membership,
        changed_fields=["approved_by", "approved_at"],
        detail="membership approved",
    )
    title = Words(
        gettext_lazy("Membership approved: %(who)s as %(role)s in %(team)s"), **_names(membership)
    )
    _notify(event, {membership.user_id, membership.requested_by_id} - {None}, title, "")
    return membership


@transaction.atomic
def membership_refuse(*, actor: User, membership: Membership) -> None:
    """A manager of the team refuses a waiting membership: the row is deleted."""
    membership = _decided(actor, membership.pk)
    event = audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        obj=membership,
        detail="membership refused",
    )
    title = Words(
        gettext_lazy("Membership refused: %(who)s as %(role)s in %(team)s"), **_names(membership)
    )
    _notify(event, {membership.user_id, membership.requested_by_id} - {None}, title, "")
    membership.delete()


@transaction.atomic
def membership_approve_by_system(*, membership: Membership, reason: str) -> Membership:
    """Approve from the command line (a team's first manager has nobody to approve them)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.approved_at is not None:
        raise ValidationError(_("This membership is no longer waiting for approval."))
    membership.approved_at = timezone.now()
    membership.save(update_fields=["approved_at"])
    event = audit_record(
        actor=None,
        action=AuditEvent.Action.TRANSITION,
        obj=membership,
        changed_fields=["approved_at"],
        detail=f"membership approved on the command line: {reason}",
        actor_username="system",
    )
    title = Words(
        gettext_lazy("Membership approved: %(who)s as %(role)s in %(team)s"), **_names(membership)
    )
    _notify(event, _managers([membership.team_id]) | {membership.user_id}, title, "")
    return membership


@transaction.atomic
def account_change_by_admin(*, actor: User, user: User, changed_fields: Iterable[str]) -> None:
    """A password, active/staff/superuser status or e-mail changed by an administrator:
    audited (field names only) and told to the user and the managers of their teams."""
    changed = set(changed_fields) & ACCOUNT_FIELDS
    if not changed:
        return
    if not (actor.is_active and actor.is_staff):
        raise PermissionDenied
    event = audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=user,
        changed_fields=changed,
        detail="admin: account change",
    )
    if changed & {"password", "is_active"}:
        # A new password or a disabled account: every session of theirs ends now.
        end_other_sessions(user, None)
    if "password" in changed:
        message = gettext_lazy("%(who)s's password was changed by an administrator (%(admin)s)")
    else:
        message = gettext_lazy(
            "%(who)s's account was changed by an administrator (%(admin)s): %(what)s"
        )
    title = Words(
        message,
        who=user.get_full_name() or user.get_username(),
        admin=actor.get_username(),
        what=", ".join(sorted(changed)),
    )
    team_ids = set(Membership.objects.approved().filter(user=user).values_list("team", flat=True))
    _notify(event, _managers(team_ids) - {actor.pk} | {user.pk}, title, "")


# --- notices ---------------------------------------------------------------------------------


def _names(membership: Membership) -> dict[str, str]:
    return {
        "who": membership.user.get_full_name() or membership.user.get_username(),
        "role": Role(membership.role).label,
        "team": membership.team.name,
    }


def _managers(team_ids: Iterable[int]) -> set[int]:
    """The active managers (approved memberships) of these active teams."""
    by_team = members_by_team([Role.MANAGER], list(team_ids))
    return {user_id for users in by_team.values() for user_id in users}


def _notify(event: AuditEvent, user_ids: Iterable[int], title: Words, link: str) -> None:
    """An in-app notification and an e-mail (after commit, at most once) to each user, keyed
    by the audit event: the same change is never told twice to the same person. The title in
    each one's language."""
    user_ids = set(user_ids)
    if not user_ids:
        return
    people = User.objects.filter(pk__in=user_ids).values_list("pk", "email", "language")
    emails = {pk: email for pk, email, _language in people}
    languages = {pk: language_of_code(language) for pk, _email, language in people}
    today = timezone.localdate()
    rows = Reminder.objects.bulk_create(
        [
            Reminder(
                kind=NOTICE_KIND,
                object_type="ecm.auditevent",
                object_id=event.pk,
                occurrence=today,
                recipient_id=user_id,
                recipient_key=f"u{user_id}",
                title=title.in_language(languages.get(user_id, settings.LANGUAGE_CODE))[:200],
                link=link,
                email_status=Reminder.EmailStatus.PENDING
                if emails.get(user_id)
                else Reminder.EmailStatus.NOT_SENT,
            )
            for user_id in sorted(user_ids)
        ]
    )
    Notification.objects.bulk_create(
        [Notification(user_id=r.recipient_id, reminder=r, title=r.title, link=r.link) for r in rows]
    )
    transaction.on_commit(lambda: queue_task("ecm.deliver_reminders"))
