"""Sign-in pauses that grow: django-axes calls `cool_off` (AXES_COOLOFF_TIME) for the length
of a pause.

Failures are counted per username *and* client address (AXES_LOCKOUT_PARAMETERS), so
wrong passwords typed for a colleague elsewhere never pause the colleague. Each run of
AXES_FAILURE_LIMIT failures from one address for one username pauses that pair, first for
LOCKOUT_FIRST_PAUSE_MINUTES, then twice as long for each further run in the last 24 hours
(since the pair last signed in), up to LOCKOUT_LONGEST_PAUSE_MINUTES.
"""

from datetime import timedelta

from axes.helpers import get_client_username
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone

WINDOW = timedelta(hours=24)


def username_of(request, credentials=None) -> str | None:
    """The username tried: from the credentials authenticate() was given, else from
    django-allauth's sign-in form, whose field is "login"."""
    if credentials and credentials.get("username"):
        return credentials["username"]
    if request is not None and request.method == "POST":
        return request.POST.get("login") or request.POST.get("username")
    return None


def cool_off(request=None) -> timedelta:
    first = timedelta(minutes=settings.LOCKOUT_FIRST_PAUSE_MINUTES)
    longest = timedelta(minutes=settings.LOCKOUT_LONGEST_PAUSE_MINUTES)
    address = getattr(request, "axes_ip_address", None)
    username = get_client_username(request) if request is not None else None
    if not address or not username:
        return first
    since = timezone.now() - WINDOW
    last_sign_in = (
        AccessLog.objects.filter(username=username, ip_address=address, attempt_time__gte=since)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    failures = AccessFailureLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=last_sign_in or since
    ).count()
    runs = min(failures // settings.AXES_FAILURE_LIMIT, 16)
    return min(first * 2 ** max(runs - 1, 0), longest)
