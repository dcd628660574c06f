"""Writing the audit log.

`audit_record` is called by services inside their transaction, so the audit row commits
or rolls back with the change it describes. The request's IP address reaches it through a
context variable that `ecm.middleware.AuditContextMiddleware` sets for each request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable

from django.db import models

from .client_address import client_ip
from .models import AuditEvent, Case, Child

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
    return AuditEvent.objects.create(
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
