"""Reminders: every app registers the kinds of thing that fall due (a *source* returns what
is due today); the sweep turns them into `Reminder` rows, exactly once per (kind, object,
occurrence, recipient) thanks to a unique constraint, then into in-app notifications and
e-mails. E-mails carry no child's name or case detail: what is due, the case reference
and a link.

Catching up: a source reports the latest occurrence on or before today (not only today's),
so after the scheduler was down the next sweep sends what was missed, once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, mail_admins
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .access import access_for
from .audit import audit_record
from .language import Words, language_for
from .mail import backoff_seconds, message_id, sending_timeout
from .models import (
    AuditEvent,
    Notification,
    NotificationPreference,
    Reminder,
    TeamReminderSettings,
    User,
)
from .queueing import queue_task

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Due:
    """Something due, for some people, at one occurrence. `title` must not name the child."""

    kind: str
    object_type: str
    object_id: int
    occurrence: dt.date
    title: Words | str  # Words: in each recipient's language
    link: str
    case_reference: str = ""
    team_id: int | None = None
    users: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass
class Kind:
    name: str
    label: str
    source: Callable[[dt.date], Iterable[Due]]
    attachments: Callable[[Reminder], list[tuple[str, bytes, str]]] | None = None


KINDS: dict[str, Kind] = {}


def register(name: str, label, source, attachments=None) -> None:
    KINDS[name] = Kind(name, label, source, attachments)


_url_templates: dict[str, str] = {}


def link(name: str, pk: int) -> str:
    """`reverse(name, args=[pk])`, without resolving the pattern again for every row."""
    if name not in _url_templates:
        from django.urls import reverse

        _url_templates[name] = reverse(name, args=[987654321]).replace("987654321", "{}")
    return _url_templates[name].format(pk)


def due_title(thing, due: dt.date, occurrence: dt.date) -> Words:
    """A reminder's title: "<thing> due on 5 Mar 2027", "... due today" or "... overdue (was
    due ...)", as seen on the day of this `occurrence`."""
    if occurrence < due:
        return Words(gettext_lazy("%(thing)s due on %(d)s"), thing=thing, d=due)
    if occurrence == due:
        return Words(gettext_lazy("%(thing)s due today"), thing=thing)
    return Words(gettext_lazy("%(thing)s overdue (was due %(d)s)"), thing=thing, d=due)


# --- Rules -----------------------------------------------------------------------------------


@dataclass
class Rules:
    report_days_before: int = 7
    overdue_repeat_days: int = 7
    check_working_days: int = 3
    review_days_before: int = 7
    consent_days_before: int = 7
    referral_working_days: int = 10
    supervision_days_before: int = 7
    disabled_kinds: list = field(default_factory=list)


def rules_by_team() -> dict[int | None, Rules]:
    """Each team's rules; `None` holds the defaults. One query."""
    out: dict[int | None, Rules] = {None: Rules()}
    for row in TeamReminderSettings.objects.all():
        out[row.team_id] = Rules(
            **{f: getattr(row, f) for f in Rules.__dataclass_fields__ if hasattr(row, f)}
        )
    return out


def occurrence(today: dt.date, due: dt.date, *, before: int, repeat: int) -> dt.date | None:
    """The latest reminder date on or before today: `before` days ahead, on the day, then
    every `repeat` days while overdue. None if nothing is due yet."""
    first = due - dt.timedelta(days=before) if before else due
    if today < first:
        return None
    if today < due:
        return first
    if not repeat:
        return due
    return due + dt.timedelta(days=((today - due).days // repeat) * repeat)


# --- Sweep -------------------------------------------------------------------------------------


def _email_modes(user_ids) -> dict[int, str]:
    return dict(
        NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "email_mode"
        )
    )


def sweep(today: dt.date | None = None) -> int:
    """Create the reminders due today (and any missed), exactly once each; returns how many
    new rows it tried to create."""
    today = today or timezone.localdate()
    rows: list[Reminder] = []
    dues = [due for kind in KINDS.values() for due in kind.source(today)]
    user_ids = {u for due in dues for u in due.users if due.emails}
    user_emails: dict[int, str] = dict(
        User.objects.filter(pk__in=user_ids).exclude(email="").values_list("pk", "email")
    )
    # Each title in its recipient's language (people without an account: LANGUAGE_CODE).
    languages = dict(
        User.objects.filter(pk__in={u for due in dues for u in due.users})
        .exclude(language="")
        .values_list("pk", "language")
    )
    for due in dues:
        titles: dict[str, str] = {}

        def title_in(code: str, due=due, titles=titles) -> str:
            if code not in titles:  # Words, or any lazy string, made in that language
                with translation.override(code):
                    titles[code] = str(due.title)[:200]
            return titles[code]

        common = {
            "kind": due.kind,
            "object_type": due.object_type,
            "object_id": due.object_id,
            "occurrence": due.occurrence,
            "team_id": due.team_id,
            "case_reference": due.case_reference,
            "link": due.link,
        }
        for user_id in set(due.users):
            title = title_in(languages.get(user_id, settings.LANGUAGE_CODE))
            rows.append(
                Reminder(recipient_id=user_id, recipient_key=f"u{user_id}", title=title, **common)
            )
        # Someone invited by e-mail who is also a user hears once, as the user.
        known = {user_emails.get(u, "").lower() for u in due.users}
        for email in {e.strip().lower() for e in due.emails if e and "@" in e} - known:
            rows.append(
                Reminder(
                    recipient_email=email,
                    recipient_key=f"e{email}"[:260],
                    title=title_in(settings.LANGUAGE_CODE),
                    **common,
                )
            )
    # Most rows already exist on any run but the first of the day: skip them here (the
    # unique constraint still settles a race between two sweeps).
    if rows:
        oldest = min(r.occurrence for r in rows)
        existing = set(
            Reminder.objects.filter(occurrence__gte=oldest).values_list(
                "kind", "object_type", "object_id", "occurrence", "recipient_key"
            )
        )
        rows = [
            r
            for r in rows
            if (r.kind, r.object_type, r.object_id, r.occurrence, r.recipient_key) not in existing
        ]
    with transaction.atomic():
        Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        _fan_out()
    transaction.on_commit(_queue_delivery)
    return len(rows)


def _fan_out() -> None:
    """New reminders become in-app notifications, and their e-mail is set by preference.
    Idempotent: only reminders without a notification yet."""
    fresh = list(
        Reminder.objects.filter(recipient__isnull=False, notification__isnull=True).values(
            "pk", "recipient_id", "title", "link", "email_status"
        )
    )
    if not fresh:
        return
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=r["recipient_id"], reminder_id=r["pk"], title=r["title"], link=r["link"]
            )
            for r in fresh
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    user_ids = {r["recipient_id"] for r in fresh}
    modes = _email_modes(user_ids)
    no_address = set(User.objects.filter(pk__in=user_ids, email="").values_list("pk", flat=True))
    by_mode: dict[str, list[int]] = {}
    for r in fresh:
        if r["email_status"] != Reminder.EmailStatus.PENDING:
            continue
        mode = modes.get(r["recipient_id"], NotificationPreference.EmailMode.IMMEDIATE)
        if r["recipient_id"] in no_address or mode == NotificationPreference.EmailMode.NONE:
            by_mode.setdefault(Reminder.EmailStatus.NOT_SENT, []).append(r["pk"])
        elif mode == NotificationPreference.EmailMode.DIGEST:
            by_mode.setdefault(Reminder.EmailStatus.DIGEST, []).append(r["pk"])
    for status, ids in by_mode.items():
        Reminder.objects.filter(pk__in=ids, email_status=Reminder.EmailStatus.PENDING).update(
            email_status=status
        )


def _queue_delivery() -> None:
    # If the broker is down, the every-minute beat run of the same task delivers later.
    queue_task("ecm.deliver_reminders")


# --- E-mail ------------------------------------------------------------------------------------


def _absolute(link: str) -> str:
    return settings.SITE_URL.rstrip("/") + link if link else settings.SITE_URL


def build_email(reminder: Reminder) -> EmailMessage:
    """The reminder's e-mail in its recipient's language (its title was made in it too)."""
    context = {"reminders": [reminder], "site_url": settings.SITE_URL, "absolute": _absolute}
    with language_for(reminder.recipient):
        body = render_to_string(
            "ecm/email/reminder.txt",
            {**context, "items": [(reminder, _absolute(reminder.link))]},
        )
        subject = _("ECM: %(what)s") % {"what": reminder.title} + (
            f" ({reminder.case_reference})" if reminder.case_reference else ""
        )
        to = reminder.recipient_email or (reminder.recipient.email if reminder.recipient else "")
        message = EmailMessage(subject=subject[:200], body=body, to=[to])
        kind = KINDS.get(reminder.kind)
        if kind and kind.attachments:  # e.g. the meeting's calendar file, in the same language
            for filename, content, mimetype in kind.attachments(reminder):
                message.attach(filename, content, mimetype)
    return message


# --- Sending: claim, send outside any transaction, record ---------------------------------------
#
# A row is claimed in a short transaction (locked, checked still PENDING, marked SENDING with a
# claim token, committed); the e-mail is then built and handed to the mail server with no
# transaction open and no row locked; a second short transaction records SENT, or on a
# failure puts it back to PENDING with a backoff (FAILED after MAX_ATTEMPTS). Only the holder
# of the claim token records the outcome. A row still SENDING after `sending_timeout()` is
# marked UNCERTAIN, never resent automatically: e-mail goes out at most once.


def _claim(reminder_id: int) -> tuple[Reminder, uuid.UUID] | None:
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=reminder_id, email_status=Reminder.EmailStatus.PENDING)
            .first()
        )
        if reminder is None:
            return None
        reminder.email_status = Reminder.EmailStatus.SENDING
        reminder.claim_token = uuid.uuid4()
        reminder.claimed_at = timezone.now()
        reminder.attempts += 1  # the row is locked: no lost update
        reminder.save(update_fields=["email_status", "claim_token", "claimed_at", "attempts"])
    return reminder, reminder.claim_token


def _ours(token: uuid.UUID):
    # UNCERTAIN too: a send slower than the timeout still knows best what happened.
    return Reminder.objects.filter(
        claim_token=token,
        email_status__in=[Reminder.EmailStatus.SENDING, Reminder.EmailStatus.UNCERTAIN],
    )


def _mark_sent(token: uuid.UUID) -> int:
    return _ours(token).update(
        email_status=Reminder.EmailStatus.SENT, sent_at=timezone.now(), last_error=""
    )


def _mark_not_sent(token: uuid.UUID, exc: Exception, *, back_to: str) -> None:
    """Nothing went out: back to `back_to` with the error and a backoff, or FAILED after
    MAX_ATTEMPTS."""
    with transaction.atomic():
        for reminder in _ours(token).select_for_update():
            failed = reminder.attempts >= MAX_ATTEMPTS
            reminder.email_status = Reminder.EmailStatus.FAILED if failed else back_to
            reminder.last_error = f"{type(exc).__name__}: {exc}"[:255]
            reminder.next_attempt_at = timezone.now() + dt.timedelta(
                seconds=backoff_seconds(reminder.attempts)
            )
            reminder.save(update_fields=["email_status", "last_error", "next_attempt_at"])


def send_one(reminder_id: int) -> str:
    """Send one reminder e-mail at most once: "sent", or "skipped" when it is not PENDING
    (sent, being sent by another worker, failed, uncertain). A failure to build or send is
    recorded (PENDING with a backoff, FAILED after MAX_ATTEMPTS) and raised."""
    claim = _claim(reminder_id)
    if claim is None:
        return "skipped"
    reminder, token = claim
    try:
        message = build_email(reminder)
        message.extra_headers["Message-ID"] = message_id("reminder", reminder.pk)
        message.send(fail_silently=False)
    except Exception as exc:
        _mark_not_sent(token, exc, back_to=Reminder.EmailStatus.PENDING)
        raise
    # If this worker dies here, the row stays SENDING and later shows as UNCERTAIN.
    _mark_sent(token)
    return "sent"


def mark_uncertain(now: dt.datetime | None = None) -> list[int]:
    """Rows still SENDING after the timeout (the worker stopped between sending and
    recording): mark them UNCERTAIN, not PENDING, and tell the administrators. Returns their
    ids."""
    cutoff = (now or timezone.now()) - sending_timeout()
    stale = Reminder.objects.filter(
        email_status=Reminder.EmailStatus.SENDING, claimed_at__lt=cutoff
    )
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return []
    stale.filter(pk__in=ids).update(
        email_status=Reminder.EmailStatus.UNCERTAIN,
        last_error="Stopped while sending: may or may not have been sent",
    )
    log.error(
        "%d reminder e-mail(s) may or may not have been sent and were not resent: %s. "
        "Check them in the admin (Reminders, e-mail: uncertain).",
        len(ids),
        ids,
    )
    try:
        mail_admins(
            _("ECM: %(n)d reminder e-mail(s) need checking") % {"n": len(ids)},
            _(
                "These reminder e-mails were being sent when the worker stopped; they were "
                "not resent. Check them in the admin (Reminders, e-mail: uncertain): %(ids)s"
            )
            % {"ids": ", ".join(map(str, ids))},
        )
    except Exception:  # noqa: BLE001 - the log line above already reports it
        log.warning("could not e-mail the administrators", exc_info=True)
    return ids


def resolve_uncertain(*, actor: User, reminder_ids: Iterable[int], resend: bool) -> int:
    """An operator's decision on UNCERTAIN (or FAILED) reminders: send again (with the same
    Message-ID, attempts counted afresh), or record that they are not to be sent. Audited."""
    if not access_for(actor).can_resolve_email_delivery():
        raise PermissionDenied
    status = Reminder.EmailStatus.PENDING if resend else Reminder.EmailStatus.NOT_SENT
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update()
            .filter(
                pk__in=list(reminder_ids),
                email_status__in=[Reminder.EmailStatus.UNCERTAIN, Reminder.EmailStatus.FAILED],
            )
            .order_by("pk")
        )
        for row in rows:
            row.email_status = status
            row.attempts = 0
            row.next_attempt_at = None
            row.claim_token = None
            row.save(update_fields=["email_status", "attempts", "next_attempt_at", "claim_token"])
            audit_record(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=row,
                changed_fields=["email_status"],
                detail="resend" if resend else "not to be sent",
            )
    if resend and rows:
        transaction.on_commit(_queue_delivery)
    return len(rows)


def send_digest(user_id: int) -> int:
    """One e-mail with everything waiting for this user's daily digest, claimed, sent and
    recorded like `send_one`. Returns how many reminders it carried (0 on failure)."""
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(recipient_id=user_id, email_status=Reminder.EmailStatus.DIGEST)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        Reminder.objects.filter(pk__in=ids).update(
            email_status=Reminder.EmailStatus.SENDING,
            claim_token=token,
            claimed_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
    try:
        rows = list(Reminder.objects.filter(pk__in=ids).order_by("occurrence", "pk"))
        user = User.objects.get(pk=user_id)
        with language_for(user):
            body = render_to_string(
                "ecm/email/reminder.txt",
                {"items": [(r, _absolute(r.link)) for r in rows], "digest": True},
            )
            subject = ngettext(
                "ECM: %(n)s reminder for today", "ECM: %(n)s reminders for today", len(rows)
            ) % {"n": len(rows)}
        key = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:20]
        EmailMessage(
            subject=subject,
            body=body,
            to=[user.email],
            headers={"Message-ID": message_id(f"digest-{user_id}", key)},
        ).send(fail_silently=False)
    except Exception as exc:
        _mark_not_sent(token, exc, back_to=Reminder.EmailStatus.DIGEST)
        failed = Reminder.objects.filter(
            claim_token=token, email_status=Reminder.EmailStatus.FAILED
        )
        if failed.exists():
            log.error(
                "digest for user %s not sent after %s attempts: %s", user_id, MAX_ATTEMPTS, exc
            )
        else:
            log.warning("digest for user %s failed; it will be retried", user_id, exc_info=True)
        return 0
    _mark_sent(token)
    return len(ids)
