"""Integration tokens and the idempotency keys of their pushes (issue 21).

Neither holds a child's personal data: a token names an integration and its team; an
idempotency key keeps only the id of the object its first request created, and a replay
re-serialises that object (so erasing the child leaves nothing behind here)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Team


class Scope(models.TextChoices):
    CASES_READ = "cases:read", _("Read children, cases, actions, reviews and contacts")
    OFFENCES_READ = "offences:read", _("Read offences")
    OFFENCES_WRITE = "offences:write", _("Record offences")
    CONTACTS_WRITE = "contacts:write", _("Record contacts")
    REPORTS_READ = "reports:read", _("Read final formulation reports (PDF)")
    MONITORING_READ = "monitoring:read", _("Read monitoring figures")
    IMPORTS_WRITE = "imports:write", _("Import children and offences (CSV)")


class ApiTokenQuerySet(models.QuerySet):
    def live(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, team__is_active=True)


class ApiToken(models.Model):
    """One integration's access to one team's records, within its scopes. The secret is
    shown once when made; only its SHA-256 is kept, found again by its public prefix."""

    name = models.CharField(_("integration"), max_length=80)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    #: The integration as an actor: an account that cannot sign in and holds no membership;
    #: services record it as who did what ("api:<team>:<name>" in the audit log).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["team", "name", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    def scope_labels(self) -> list[str]:
        labels = dict(Scope.choices)
        return [str(labels.get(s, s)) for s in self.scopes]


class IdempotencyKey(models.Model):
    """A POST's Idempotency-Key, per token: the request it came with (a fingerprint) and what
    it created, so a retry gets the same answer without creating it again."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_once")
        ]

    def __str__(self) -> str:
        return self.key
