"""Request-wide behaviour: audit context and no caching of pages with children's data."""

from django.http import HttpResponse

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


BACKGROUND_POLL_HEADER = "X-ECM-Background-Poll"


def is_background_poll(request) -> bool:
    """A request a page makes by itself on a timer (htmx `every Ns` with the poll header)."""
    return request.headers.get(BACKGROUND_POLL_HEADER) == "1"


class SessionIdleMiddleware:
    """The idle timeout counts what people do, not what pages do by themselves.

    SESSION_SAVE_EVERY_REQUEST is off; this middleware (after SessionMiddleware) marks the
    session for saving, which pushes its expiry SESSION_COOKIE_AGE on, on every request
    except background polls. A poll whose session has ended tells htmx to load the sign-in
    page in place of the whole screen rather than swapping it into the polled part."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None:
            return response
        if not is_background_poll(request):
            if not session.is_empty():
                session.modified = True
        elif response.status_code == 302 and not request.user.is_authenticated:
            redirect_to = response["Location"]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to
        return response
