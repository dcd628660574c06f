from __future__ import annotations

from rest_framework import permissions

from .models import ApiToken


class HasScope(permissions.BasePermission):
    """The view's `read_scope` for GET/HEAD, `write_scope` otherwise; no token: 401."""

    message = "This token does not have the scope this request needs."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False  # DRF answers 401 (not authenticated) with the Bearer challenge
        if request.method in permissions.SAFE_METHODS:
            needed = getattr(view, "read_scope", None)
        else:
            needed = getattr(view, "write_scope", None)
        return needed is not None and needed in token.scopes
