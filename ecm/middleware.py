"""Request-wide behaviour: audit context and no caching of pages with children's data."""

import time

from django.conf import settings
from django.http import HttpResponse
from django.utils.timezone import now as timezone_now

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
    page in place of the whole screen rather than swapping it into the polled part.

    However active, a session ends SESSION_ABSOLUTE_HOURS after sign-in. "Your sessions"
    shows when each was last used: updated here at most once a minute."""

    SEEN_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None:
            self._end_when_too_old(session)
        response = self.get_response(request)
        if session is None:
            return response
        if not is_background_poll(request):
            if not session.is_empty():
                session.modified = True
                self._seen(request, session)
        elif response.status_code == 302 and not request.user.is_authenticated:
            redirect_to = response["Location"]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to
        return response

    @staticmethod
    def _end_when_too_old(session) -> None:
        signed_in_at = session.get("ecm_signed_in_at")
        if signed_in_at is None:
            return
        if time.time() - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
            session.flush()

    def _seen(self, request, session) -> None:
        now = time.time()
        seen_at = session.get("ecm_seen_at")
        user = getattr(request, "user", None)
        if seen_at is not None and now - seen_at < self.SEEN_EVERY_SECONDS:
            return
        if user is None or not user.is_authenticated or not session.session_key:
            return
        from allauth.usersessions.models import UserSession

        from .client_address import client_ip

        session["ecm_seen_at"] = now
        UserSession.objects.filter(session_key=session.session_key).update(
            last_seen_at=timezone_now(),
            ip=client_ip(request) or "0.0.0.0",  # noqa: S104
        )
