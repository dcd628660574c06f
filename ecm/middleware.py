"""Request-wide behaviour: audit context and no caching of pages with children's data."""

from .audit import client_ip_from, reset_client_ip, set_client_ip


class AuditContextMiddleware:
    """Makes the client IP available to `audit_record` for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_client_ip(client_ip_from(request))
        try:
            return self.get_response(request)
        finally:
            reset_client_ip(token)


class NoStoreMiddleware:
    """Pages for signed-in users hold sensitive data: tell browsers and proxies not to keep
    them (back-button after logout, shared computers). Static files are served before this
    middleware runs (WhiteNoise) and keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
