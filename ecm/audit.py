"""Writing the audit log.

`audit_record` is called by services inside their transaction, so the audit row commits
or rolls back with the change it describes. The request's IP address reaches it through a
context variable that `ecm.middleware.AuditContextMiddleware` sets for each request.

The log can be trusted (ASVS V7.3; docs/notes-auditlog.md):
- rows are append-only: a database trigger (migration 0016) refuses UPDATE and DELETE,
  whoever asks, except the two sanctioned paths below, each opened for one statement;
- each row carries `row_hash`, a SHA-256 over its canonical serialisation and `prev_hash`
  (the row before's `row_hash`), so `manage.py audit_verify` finds a changed, removed or
  inserted row. Writers take one lock for the chain's head (`_chain_head`: one query), held
  to the end of their transaction, so two inserts at once never fork the chain;
- `audit_pseudonymise_child` (erasure) replaces a child's labels and details by a reference:
  the hash covers those two columns only through `personal_digest`, so the chain still holds;
- `audit_retention_apply` (a beat task) removes rows older than AUDIT_RETENTION_YEARS from the
  start of the chain and writes a signed `AuditCheckpoint` that verification starts from.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from .client_address import client_ip
from .dates import add_years
from .models import AuditCheckpoint, AuditEvent, Case, Child

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ecm_audit_client_ip", default=None
)


def set_client_ip(ip: str | None) -> contextvars.Token:
    return _client_ip.set(ip)


def reset_client_ip(token: contextvars.Token) -> None:
    _client_ip.reset(token)


def client_ip_from(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the trusted proxies' X-Forwarded-For entry."""
    return client_ip(request)


def _label(obj: models.Model) -> str:
    """A label that names the object without sensitive content (no child names)."""
    if isinstance(obj, Case):
        return obj.reference
    if isinstance(obj, Child):
        return f"Child #{obj.pk}"
    # In English whoever acted, like the rest of the record (the page marks it lang="en-gb").
    with translation.override("en-gb"):
        return f"{obj._meta.verbose_name} #{obj.pk}"


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    child: Child | None = None,
    team_id: int | None = None,
    changed_fields: Iterable[str] = (),
    detail: str = "",
    actor_username: str | None = None,
    listed: dict | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records."""
    if obj is not None and child is None:
        if isinstance(obj, Child):
            child = obj
        elif getattr(obj, "child_id", None):
            child = obj.child  # type: ignore[attr-defined]
    if obj is not None and team_id is None:
        team_id = getattr(obj, "team_id", None)
        if team_id is None and isinstance(obj, Child):
            latest = obj.cases.order_by("-opened_on", "-pk").values_list("team_id", flat=True)
            team_id = latest.first()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if is_user else None,
        actor_username=actor_username
        if actor_username is not None
        else (actor.get_username() if is_user else ""),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=_label(obj) if obj is not None else "",
        child=child,
        team_id=team_id,
        changed_fields=sorted(set(changed_fields)),
        detail=detail[:255],
        ip_address=_client_ip.get(),
        listed=listed or {},
    )
    # In the caller's transaction (no savepoint: no extra query); its own when there is none,
    # so the chain's lock is held until the row commits.
    with transaction.atomic(savepoint=False):
        audit_chain_seal([event])
        event.save(force_insert=True)
    return event


def audit_listing(*, actor, action: str, cases: Iterable[Case], detail: str = "") -> AuditEvent:
    """One row for a page (or search) that showed these cases' children: their case and
    child ids, never their names. One insert whatever the number shown. When all the cases
    are one team's, the row is that team's (its managers see it in the audit log); when all
    are one child's, the row names the child too."""
    cases = list(cases)
    child_ids = list(dict.fromkeys(c.child_id for c in cases))
    team_ids = {c.team_id for c in cases}
    return audit_record(
        actor=actor,
        action=action,
        child=cases[0].child if len(child_ids) == 1 else None,
        team_id=team_ids.pop() if len(team_ids) == 1 else None,
        detail=detail,
        listed={"cases": [c.pk for c in cases], "children": child_ids},
    )


def audit_case_record(
    actor, action: str, obj: models.Model, case: Case, fields=(), detail: str = ""
) -> AuditEvent:
    """Audit a change to a record that belongs to a case (referral, meeting, consent...):
    the event carries the case's child and owning team, so managers can find it."""
    return audit_record(
        actor=actor,
        action=action,
        obj=obj,
        child=case.child,
        team_id=case.team_id,
        changed_fields=fields,
        detail=detail,
    )


# --- The hash chain ---------------------------------------------------------------------------

#: Bumped if the serialisation ever changes (old rows keep verifying under their version).
CHAIN_VERSION = "ecm-audit-v1"
#: pg_advisory_xact_lock key of the chain's head ("ECMA").
CHAIN_LOCK_KEY = 0x45434D41
#: The columns row_hash covers directly, in this order; object_label and detail it covers
#: through personal_digest.
CHAINED_FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "child_id",
    "team_id",
    "changed_fields",
    "ip_address",
    "listed",
    "personal_digest",
)
#: The only columns a sanctioned pseudonymisation may change (the trigger enforces it).
PSEUDONYMISED_FIELDS = ("object_label", "detail", "personal_salt", "pseudonymised_at")


def _canonical(value) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def _dumps(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def personal_digest(*, object_label: str, detail: str, salt: str) -> str:
    """HMAC of the columns that may name a child, keyed by the row's own random salt: when
    the row is pseudonymised the salt goes too, so the digest cannot confirm a guess."""
    return hmac.new(salt.encode(), _dumps([object_label, detail]), hashlib.sha256).hexdigest()


def row_hash(row: dict, prev_hash: str) -> str:
    """SHA-256 over the row's canonical serialisation (CHAINED_FIELDS) and prev_hash. `row` is
    a dict of field values (an instance's or `.values()`'s)."""
    fields = {name: _canonical(row[name]) for name in CHAINED_FIELDS}
    ip = fields["ip_address"]
    fields["ip_address"] = ipaddress.ip_address(str(ip)).compressed if ip else None
    return hashlib.sha256(_dumps([CHAIN_VERSION, prev_hash, fields])).hexdigest()


def _row(event: AuditEvent) -> dict:
    return {name: getattr(event, name) for name in CHAINED_FIELDS}


def _seal_one(event: AuditEvent, prev_hash: str) -> str:
    event.personal_salt = secrets.token_hex(16)
    event.personal_digest = personal_digest(
        object_label=event.object_label, detail=event.detail, salt=event.personal_salt
    )
    event.prev_hash = prev_hash
    event.row_hash = row_hash(_row(event), prev_hash)
    return event.row_hash


def _chain_head() -> str:
    """Lock the chain's head until the transaction ends and return its hash (one query on
    PostgreSQL: `ecm_audit_chain_head()` takes the advisory lock, then reads the newest
    row with a fresh snapshot, so it sees a row committed by whoever held the lock before)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT ecm_audit_chain_head(%s)", [CHAIN_LOCK_KEY])
            return cursor.fetchone()[0]
    # SQLite (the demo): one writer at a time anyway.
    head = AuditEvent.objects.order_by("-pk").values_list("row_hash", flat=True).first()
    if head is None:
        head = AuditCheckpoint.objects.order_by("-pk").values_list("head_hash", flat=True).first()
    return head or ""


def audit_chain_seal(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain new, unsaved events onto the head, in list order. Call inside the transaction
    that inserts them, and insert them in this order (`audit_record` does; a bulk loader
    calls this, then `bulk_create(events)`)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_chain_seal must run inside the inserting transaction")
    prev = _chain_head()
    for event in events:
        prev = _seal_one(event, prev)
    return events


class _Sanctioned:
    """Open one of the trigger's two sanctioned paths ("pseudonymise", "retention") for the
    statements inside, in the current transaction only."""

    def __init__(self, what: str):
        self.what = what

    def _set(self, on: bool) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT set_config(%s, %s, true)",
                    [f"ecm.audit_{self.what}", "on" if on else "off"],
                )
            elif on:
                cursor.execute("INSERT INTO ecm_audit_unlock (what) VALUES (%s)", [self.what])
            else:
                cursor.execute("DELETE FROM ecm_audit_unlock WHERE what = %s", [self.what])

    def __enter__(self):
        self._set(True)

    def __exit__(self, exc_type, *exc):
        # On an error the transaction (or its savepoint) rolls back, and the switch with it.
        if exc_type is None:
            self._set(False)


@transaction.atomic
def audit_pseudonymise_child(*, child_id: int, reference: str) -> int:
    """Replace the child in their audit rows by `reference` (erasure): object_label becomes the
    reference and detail (which may hold free text typed about the child) is emptied; the
    salt of the personal digest goes, pseudonymised_at is set. Who did what, when, to which
    kind of object, which fields, and the child's id as a bare number stay. Listings' rows
    hold ids only and are left alone. The only sanctioned change to audit rows: the trigger
    allows exactly these columns to change, here only. Returns the number of rows changed."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 200:
        raise ValueError("A pseudonymous reference of 1 to 200 characters is needed.")
    rows = AuditEvent.objects.filter(
        Q(child_id=child_id) | Q(object_type="ecm.child", object_id=str(child_id)),
        pseudonymised_at__isnull=True,
    )
    with _Sanctioned("pseudonymise"):
        return rows.update(
            object_label=reference, detail="", personal_salt="", pseudonymised_at=timezone.now()
        )


# --- Retention of the audit log ---------------------------------------------------------------


def _checkpoint_message(cp: AuditCheckpoint) -> str:
    cutoff = cp.cutoff.isoformat() if cp.cutoff else ""
    return "|".join(
        str(v)
        for v in (
            cutoff,
            cp.removed_count,
            cp.last_removed_id or "",
            cp.last_removed_hash,
            cp.head_id or "",
            cp.head_hash,
        )
    )


def _checkpoint_signature(cp: AuditCheckpoint, secret: str | None = None) -> str:
    return salted_hmac(
        "ecm.audit.checkpoint", _checkpoint_message(cp), secret=secret, algorithm="sha256"
    ).hexdigest()


def checkpoint_signature_valid(cp: AuditCheckpoint) -> bool:
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        hmac.compare_digest(cp.signature, _checkpoint_signature(cp, secret=s)) for s in secrets_
    )


def audit_retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    years = settings.AUDIT_RETENTION_YEARS
    return dt.datetime.combine(add_years(now.date(), -years), now.timetz())


@transaction.atomic
def audit_retention_apply(*, now: dt.datetime | None = None) -> AuditCheckpoint:
    """Remove the audit rows older than AUDIT_RETENTION_YEARS from the start of the chain
    (rows go in id order: one stays while a lower-numbered row is younger than the cutoff)
    and write a signed checkpoint: the last removed row's hash, where verification now
    starts, and the chain's head, so a later truncation or rewrite is found. Runs under the
    chain's lock; a checkpoint is written even when nothing is due."""
    cutoff = audit_retention_cutoff(now)
    _chain_head()  # the lock: no insert meanwhile
    first_kept = (
        AuditEvent.objects.filter(at__gte=cutoff).order_by("pk").values_list("pk", flat=True)
    ).first()
    due = AuditEvent.objects.all()
    if first_kept is not None:
        due = due.filter(pk__lt=first_kept)
    last = due.order_by("-pk").values("pk", "row_hash").first()
    removed = 0
    if last is not None:
        with _Sanctioned("retention"):
            removed, _by_model = due.delete()
    else:
        previous = AuditCheckpoint.objects.order_by("-pk").first()
        if previous is not None:
            last = {"pk": previous.last_removed_id, "row_hash": previous.last_removed_hash}
    head = AuditEvent.objects.order_by("-pk").values("pk", "row_hash").first()
    cp = AuditCheckpoint(
        cutoff=cutoff,
        removed_count=removed,
        last_removed_id=last["pk"] if last else None,
        last_removed_hash=(last["row_hash"] or "") if last else "",
        head_id=head["pk"] if head else (last["pk"] if last else None),
        head_hash=head["row_hash"] if head else ((last["row_hash"] or "") if last else ""),
    )
    cp.signature = _checkpoint_signature(cp)
    cp.save(force_insert=True)
    return cp


# --- Verification -----------------------------------------------------------------------------


@dataclass
class ChainReport:
    checked: int = 0
    first_id: int | None = None
    last_id: int | None = None
    last_hash: str = ""
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    def broken(self, row_id: int | None, problem: str) -> ChainReport:
        self.broken_id, self.problem = row_id, problem
        return self


def _rows() -> Iterator[dict]:
    fields = (*CHAINED_FIELDS, "pk", "prev_hash", "row_hash", "object_label", "detail")
    yield from (
        AuditEvent.objects.order_by("pk")
        .values(*fields, "personal_salt", "pseudonymised_at")
        .iterator(chunk_size=5000)
    )


def audit_chain_verify() -> ChainReport:
    """Walk the chain in id order from the latest retention checkpoint and report the first
    broken link: a row whose own content no longer gives its hash (changed), or whose
    prev_hash is not the row before's hash (a row removed or inserted there)."""
    report = ChainReport()
    checkpoints = list(AuditCheckpoint.objects.order_by("pk"))
    for cp in checkpoints:
        if not checkpoint_signature_valid(cp):
            report.problem = f"checkpoint #{cp.pk}: its signature does not match its content"
            return report
    removals = [cp for cp in checkpoints if cp.removed_count]
    start_id = removals[-1].last_removed_id if removals else 0
    prev_hash = removals[-1].last_removed_hash if removals else ""
    prev_id: int | None = None
    heads = {cp.head_id: cp for cp in checkpoints if cp.head_id and cp.head_id > start_id}
    for row in _rows():
        pk = row["pk"]
        report.checked += 1
        report.first_id = report.first_id or pk
        report.last_id = pk
        where = f"row #{prev_id}" if prev_id else "the start of the chain"
        if pk <= start_id:
            return report.broken(
                pk,
                f"row #{pk}: is at or before the last row removed by retention (#{start_id})",
            )
        found = row["prev_hash"]
        if found != prev_hash:
            return report.broken(
                pk,
                f"row #{pk}: its prev_hash is not the hash of {where}: a row between them was "
                f"removed or inserted, or {where} was rewritten "
                f"(expected {prev_hash[:12] or '(none)'}, found {found[:12] or '(none)'})",
            )
        if row["pseudonymised_at"] is None and row["personal_digest"] != personal_digest(
            object_label=row["object_label"], detail=row["detail"], salt=row["personal_salt"]
        ):
            return report.broken(
                pk,
                f"row #{pk}: its object label or detail is not what was recorded",
            )
        if row["row_hash"] != row_hash(row, row["prev_hash"]):
            return report.broken(
                pk,
                f"row #{pk}: its content is not what was recorded (one of "
                f"{', '.join(CHAINED_FIELDS[:-1])} changed, or its row_hash)",
            )
        cp = heads.pop(pk, None)
        if cp is not None and cp.head_hash != row["row_hash"]:
            return report.broken(
                pk,
                f"row #{pk}: its hash is not the one checkpoint #{cp.pk} recorded: the chain "
                "was rewritten from here or before",
            )
        prev_hash, prev_id = row["row_hash"], pk
    report.last_hash = prev_hash
    if heads:
        cp = min(heads.values(), key=lambda c: c.head_id)
        return report.broken(
            cp.head_id,
            f"row #{cp.head_id}: recorded by checkpoint #{cp.pk} as the newest row then, is "
            "missing: rows were removed from the end of the chain",
        )
    return report
