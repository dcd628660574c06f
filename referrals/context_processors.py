from . import policy


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_ecm_referrals_nav", None)
    if cached is None:
        cached = {"nav_is_senior": policy.is_senior_anywhere(user)}
        request._ecm_referrals_nav = cached
    return cached
