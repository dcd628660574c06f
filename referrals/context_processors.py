from . import policy


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_is_senior": policy.is_senior_anywhere(user)}
