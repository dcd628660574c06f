"""Rate limiting per token (DRF throttling, counted in the default cache: Redis in
production, so the limit holds across every web process)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None  # not authenticated: refused before anything costly
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
