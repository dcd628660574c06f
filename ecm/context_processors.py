from django.conf import settings

from .access import access_for


def product(request):
    """Navigation context, computed once per request (case panels render their own
    templates with the request, which would otherwise run this again)."""
    cached = getattr(request, "_ecm_product_context", None)
    if cached is not None:
        return cached
    result = _product(request)
    request._ecm_product_context = result
    return result


def _product(request):
    user = getattr(request, "user", None)
    access = access_for(user) if user is not None and user.is_authenticated else None
    return {
        "PRODUCT_NAME": settings.PRODUCT_NAME,
        "PROTECTIVE_MARKING": settings.PROTECTIVE_MARKING,
        "SESSION_IDLE_MINUTES": settings.SESSION_IDLE_MINUTES,
        "nav_can_view_audit": access.can_view_audit() if access else False,
        "nav_can_register": bool(access.teams_for_new_cases()) if access else False,
        "nav_can_import": bool(access.import_team_ids()) if access else False,
        "nav_unread": _unread(user) if access else 0,
        "nav_is_manager": access.is_manager() if access else False,
        "nav_is_senior": access.can_sift_referrals() if access else False,
        "nav_retention": bool(access.retention_team_ids()) if access else False,
        # From the memberships already read for access: no query of its own on every page.
        "nav_has_team": bool(access.grants) if access else False,
        "nav_can_reset_factors": bool(access.factor_reset_team_ids()) if access else False,
        # The demo signs in without a second factor: every page says so (issue 19).
        "MFA_REQUIRED": settings.MFA_REQUIRED,
        "MFA_OFF_NOTICE": not settings.MFA_REQUIRED and settings.DEMO_DATA_ALLOWED,
    }


def _unread(user) -> int:
    from .models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()
