"""Making, revoking and checking integration tokens (the services of the token page)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.models import AuditEvent, Team

from .models import ApiToken, Scope

TOKEN_PREFIX = "ecm"  # noqa: S105 (the public start of every token, not a secret)
#: last_used_at is written at most this often per token (one UPDATE, not one per request).
LAST_USED_EVERY = dt.timedelta(minutes=1)
MAX_DAYS = 730


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def service_username(team: Team, name: str) -> str:
    return f"api:{team.code}:{name}"[:150]


def _service_user(team: Team, name: str):
    """The integration's account: never signs in (inactive, no password, no membership)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=service_username(team, name),
        defaults={"first_name": name[:150], "last_name": "", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def token_create(
    *, actor, team: Team, name: str, scopes: list[str], expires_on: dt.date
) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once: only its hash is kept)."""
    if team.pk not in access_for(actor).api_token_team_ids():
        raise PermissionDenied
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Name the integration (e.g. the YOT's case management system).")
    wanted = [s for s in Scope.values if s in set(scopes or ())]
    if not wanted or len(wanted) != len(set(scopes)):
        errors["scopes"] = _("Choose at least one scope from the list.")
    today = timezone.localdate()
    if expires_on is None or expires_on <= today:
        errors["expires_on"] = _("The expiry date must be after today.")
    elif expires_on > today + dt.timedelta(days=MAX_DAYS):
        errors["expires_on"] = _("A token lasts at most two years.")
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = timezone.make_aware(dt.datetime.combine(expires_on, dt.time.max))
    token = ApiToken.objects.create(
        name=name,
        team=team,
        scopes=wanted,
        prefix=prefix,
        secret_hash=_hash(raw),
        user=_service_user(team, name),
        created_by=actor,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=token,
        team_id=team.pk,
        changed_fields=["name", "scopes", "expires_at"],
        detail="api token " + ",".join(wanted),
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.team_id not in access_for(actor).api_token_team_ids():
        raise PermissionDenied
    if token.revoked_at is not None:
        raise ValidationError(_("This token was already revoked."))
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=token,
        team_id=token.team_id,
        changed_fields=["revoked_at"],
        detail="api token revoked",
    )
    return token


def token_for(raw: str) -> ApiToken | None:
    """The live token whose secret this is, or None (unknown, revoked or expired)."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.live().select_related("team", "user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(raw)):
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_for(user):
    """The tokens of the teams whose tokens this user manages (the token page)."""
    return (
        ApiToken.objects.filter(team_id__in=access_for(user).api_token_team_ids())
        .select_related("team", "created_by", "revoked_by")
        .order_by("team__name", "revoked_at", "name", "-created_at")
    )
