"""Reading the monitoring figures from a PostgreSQL streaming replica (issue 22).

When `DATABASE_REPLICA_URL` is set, settings add a "replica" database. Reads go to it only
inside a *replica scope*, which `reads_from_replica` opens around the monitoring views (the
dashboard, its sections, trends, drill-downs and CSV exports), and only for the figures' own
models. Everything else uses the primary ("default"):

- every write, whatever the scope (a drill-down's or export's audit row included);
- every read outside a scope (other pages, services, tasks, the API);
- inside a scope, the models of `PRIMARY_ONLY_APPS` and `PRIMARY_ONLY_MODELS`: sessions,
  users and sign-in, who may see what (memberships, teams), the audit log and the user's
  notifications. Access decisions are therefore never made on a copy that is behind: a
  membership removed a second ago no longer opens the figures.

The scope is a `contextvars.ContextVar` set for one call of the view and reset after it:
nothing is kept in the process between requests. Opening a scope costs one query on the
replica (`replica_status`): how far behind it is. If the replica cannot be reached, or fails
during the view, the view runs (again) on the primary and the page says so: never a 500.
`DATABASE_REPLICA_MAX_LAG` (seconds, 0 = no limit) sends reads to the primary while the
replica is further behind than that.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

log = logging.getLogger(__name__)

REPLICA = "replica"

#: Apps whose reads stay on the primary even in a replica scope.
PRIMARY_ONLY_APPS = frozenset(
    {
        "auth",
        "contenttypes",
        "sessions",
        "admin",
        "axes",
        "account",
        "mfa",
        "usersessions",
        "socialaccount",
        "django_celery_beat",
        "django_celery_results",
    }
)
#: Models (app_label.model_name) whose reads stay on the primary even in a replica scope: the
#: user, the access policy's memberships and teams, the audit log, the user's notifications.
PRIMARY_ONLY_MODELS = frozenset(
    {
        "ecm.user",
        "ecm.membership",
        "ecm.team",
        "ecm.auditevent",
        "ecm.auditcheckpoint",
        "ecm.notification",
    }
)

#: One query: how far the replica's replay is behind. Caught up (everything received has
#: been replayed) counts as 0 even when the last transaction replayed is old (an idle
#: primary); a server not in recovery (promoted) is not behind at all.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp()))
END
"""


@dataclass(frozen=True)
class ReplicaStatus:
    """Where one scope reads from, and why."""

    #: The alias the figures are read from (REPLICA or DEFAULT_DB_ALIAS).
    alias: str
    #: Seconds the replica is behind (0: up to date; None: not known or not reached).
    lag: float | None = None
    #: The replica could not be reached (or failed): the primary was used instead.
    unavailable: bool = False
    #: The replica was further behind than DATABASE_REPLICA_MAX_LAG: the primary was used.
    too_far_behind: bool = False

    @property
    def on_replica(self) -> bool:
        return self.alias == REPLICA

    @property
    def note(self) -> str:
        """The sentence the monitoring pages show about where their figures come from."""
        if self.unavailable:
            return _(
                "The copy of the database these figures are usually read from could not be "
                "reached, so they were read from the main database."
            )
        if self.too_far_behind:
            seconds = round(self.lag or 0)
            return ngettext(
                "The copy of the database these figures are usually read from was about "
                "%(n)d second behind, so they were read from the main database.",
                "The copy of the database these figures are usually read from was about "
                "%(n)d seconds behind, so they were read from the main database.",
                seconds,
            ) % {"n": seconds}
        if self.lag is None:
            return _("Figures read from a copy of the database; how far behind it is is not known.")
        # Under a second: a busy primary's last few writes in flight, not a copy behind.
        if self.lag < 1:
            return _("Figures read from a copy of the database, up to date.")
        seconds = round(self.lag)
        return ngettext(
            "Figures read from a copy of the database about %(n)d second behind.",
            "Figures read from a copy of the database about %(n)d seconds behind.",
            seconds,
        ) % {"n": seconds}


_scope: contextvars.ContextVar[ReplicaStatus | None] = contextvars.ContextVar(
    "ecm_replica_scope", default=None
)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def current() -> ReplicaStatus | None:
    """The open scope's status (None outside a scope or without a replica)."""
    return _scope.get()


def replica_status() -> ReplicaStatus:
    """Measure the replica (one query on it) and decide where this scope reads from."""
    conn = connections[REPLICA]
    try:
        with conn.cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
    except DatabaseError:
        log.warning("The read replica could not be reached: reading from the primary.")
        conn.close()
        return ReplicaStatus(alias=DEFAULT_DB_ALIAS, unavailable=True)
    # It answered just now: an error from it during the view is a new one (see the wrapper).
    conn.errors_occurred = False
    lag = None if row[0] is None else max(float(row[0]), 0.0)
    limit = getattr(settings, "DATABASE_REPLICA_MAX_LAG", 0)
    if limit and lag is not None and lag > limit:
        return ReplicaStatus(alias=DEFAULT_DB_ALIAS, lag=lag, too_far_behind=True)
    return ReplicaStatus(alias=REPLICA, lag=lag)


@contextmanager
def replica_reads(status: ReplicaStatus | None = None) -> Iterator[ReplicaStatus | None]:
    """Inside: the figures' reads go to the replica (if one is configured and reachable)."""
    if status is None and replica_configured():
        status = replica_status()
    token = _scope.set(status)
    try:
        yield status
    finally:
        _scope.reset(token)


def _replica_failed() -> bool:
    """Whether the replica's connection raised an error (Django marks it), not the primary's."""
    return REPLICA in connections and getattr(connections[REPLICA], "errors_occurred", False)


def reads_from_replica(view):
    """Run a read-only monitoring view in a replica scope. If the replica fails during the
    view (it went away, or a query was cancelled by a conflict with recovery), the view runs
    once more on the primary, and says so."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not replica_configured():
            return view(request, *args, **kwargs)
        with replica_reads() as status:
            if not status.on_replica:
                return view(request, *args, **kwargs)
            try:
                return view(request, *args, **kwargs)
            except DatabaseError:
                if not _replica_failed():
                    raise
                log.warning("The read replica failed during %s: reading from the primary.", view)
                connections[REPLICA].close()
        with replica_reads(ReplicaStatus(alias=DEFAULT_DB_ALIAS, unavailable=True)):
            return view(request, *args, **kwargs)

    return wrapper


def replica_context(request) -> dict:
    """Context processor: `replica_reads`, the open scope's status (None outside one)."""
    return {"replica_reads": _scope.get()}


class ReplicaRouter:
    """Reads in a replica scope go to the replica, except the primary-only models; all the
    rest (every write, every other read) to the primary. Migrations run on the primary only
    (the replica copies them)."""

    def db_for_read(self, model, **hints):
        status = _scope.get()
        if status is None or not status.on_replica:
            return DEFAULT_DB_ALIAS
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
