"""What every e-mail the product sends shares: a Message-ID that stays the same when the same
e-mail is sent again, how long a claim may stay "sending", and the retry backoff.

Every sender (reminders, digests, meeting invitations) claims its row in a short transaction
(locked, checked still due, marked "sending" with a claim token, committed), sends with no
transaction open and no row locked, then records "sent" (or puts it back with a backoff) in a
second short transaction, only if it still holds the claim. A row still "sending" after
`sending_timeout()` is marked "uncertain" and never resent automatically: e-mail goes out at
most once (docs/notes-mail.md).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings

BACKOFF_SECONDS = 30


def backoff_seconds(attempts: int) -> float:
    """Wait before the next attempt after `attempts` failed ones: 30 s, 1, 2, 4 minutes..."""
    return BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


def sending_timeout() -> dt.timedelta:
    """How long a claim may stay "sending" before it counts as "uncertain". Well above the
    SMTP timeout, so a slow server is not mistaken for a dead worker."""
    return dt.timedelta(seconds=getattr(settings, "EMAIL_SENDING_TIMEOUT", 15 * 60))


def message_id(kind: str, key: str | int) -> str:
    """A Message-ID that is the same every time this e-mail is (re)sent, so a resend an
    operator chooses can be recognised as the same message by the recipient's server."""
    host = urlsplit(settings.SITE_URL).hostname or "ecm.invalid"
    return f"<ecm-{kind}-{key}@{host}>"
