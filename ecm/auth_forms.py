from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Same message for an unknown user, a wrong password and an inactive account."""

    error_messages = {
        "invalid_login": _(
            "Your username and password did not match. Please try again. After several "
            "failed attempts sign-in is paused for a while."
        ),
        "inactive": _(
            "Your username and password did not match. Please try again. After several "
            "failed attempts sign-in is paused for a while."
        ),
    }
