"""Response headers Django does not set itself (issue 19, ASVS V14.4)."""

from django.conf import settings


def permissions_policy_header(features: dict[str, list[str]]) -> str:
    """`camera=(), geolocation=()`: each feature with the origins allowed to use it (none)."""
    return ", ".join(f"{name}=({' '.join(allowed)})" for name, allowed in features.items())


class PermissionsPolicyMiddleware:
    """A Permissions-Policy on every response: the product uses no camera, microphone,
    location, payment or device access, so no page (nor anything injected into one) may ask.
    Security keys (WebAuthn) keep the browser's default (this origin only)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
