"""Each person's language (issue 23): Welsh or English, chosen with the switcher in every
page's header (sign-in included), remembered on the user's profile, and used for what is sent
to them (reminders, account e-mails).

- Someone signed in sees their profile's language (`User.language`), whatever the browser
  asks for; `UserLanguageMiddleware` activates it after authentication.
- Someone signed out gets Django's choice: the language cookie the switcher sets, else the
  browser's Accept-Language, else `LANGUAGE_CODE`.
- A user who has never chosen takes the language they signed in with, which is kept on
  their profile at sign-in.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from .dates import display_date

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


# Sentences the product itself stores, in English, in fields that otherwise hold what people
# typed (a version's reason, a correction's reason): shown in the reader's language by the
# `stored_text` filter, while typed text is always shown as typed.
FIRST_FINAL_VERSION = gettext_noop("First final version")
IMPORT_CORRECTION_REASON = gettext_noop("Updated from the YOT system's export (bulk import)")
STORED_SENTENCES = frozenset({FIRST_FINAL_VERSION, IMPORT_CORRECTION_REASON})


def stored_text(text: str) -> str:
    """`text` as typed, or in the reader's language when it is one of our stored sentences."""
    return gettext(text) if text in STORED_SENTENCES else text


def language_of_code(code: str) -> str:
    """A user's stored language, or LANGUAGE_CODE when they have none."""
    return code if code in LANGUAGE_CODES else settings.LANGUAGE_CODE


def language_of(user) -> str:
    """The language to use for `user` (a User, or None for someone without an account)."""
    return language_of_code(getattr(user, "language", "") if user is not None else "")


def in_each_language(obj, *fields: str) -> dict:
    """A translated row's fields in each language (name_en_gb, name_cy...), to copy it: the
    reference data kept in both languages by django-modeltranslation."""
    from modeltranslation.utils import build_localized_fieldname

    return {
        build_localized_fieldname(f, code): getattr(obj, build_localized_fieldname(f, code))
        for f in fields
        for code in settings.MODELTRANSLATION_LANGUAGES
    }


class Words:
    """Words put into a language only when made into a string: a message marked with
    gettext_lazy and its values; a date is written in that language ("5 Mar 2027",
    "5 Mawrth 2027"), a value that is itself lazy or `Words` too. A reminder's title is made
    in each recipient's language; a record's sentence in English (`in_language("en-gb")`)."""

    __slots__ = ("message", "params")

    def __init__(self, message, **params) -> None:
        self.message = message
        self.params = params

    def __str__(self) -> str:
        values = {
            k: display_date(v) if isinstance(v, dt.date) else str(v) for k, v in self.params.items()
        }
        return str(self.message) % values if values else str(self.message)

    def in_language(self, code: str) -> str:
        with translation.override(code):
            return str(self)


@contextmanager
def language_for(user):
    """Run the block in `user`'s language: for e-mails and text made for someone else."""
    with translation.override(language_of(user)):
        yield


def _set_cookie(response, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_not_required
@require_POST
def set_language(request):
    """The header's switcher: the chosen language for this browser (a cookie) and, when
    signed in, on the profile; back to the page it was chosen on. Works before sign-in
    (LoginRequiredMiddleware lets it through)."""
    code = request.POST.get("language", "")
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    if code not in LANGUAGE_CODES:
        return response
    user = request.user
    if user.is_authenticated and user.language != code:
        get_user_model().objects.filter(pk=user.pk).update(language=code)
        user.language = code
    _set_cookie(response, code)
    return response


class UserLanguageMiddleware:
    """After authentication: a signed-in user's pages are in their profile's language, and
    the browser's cookie follows it (so the sign-in page after they sign out is too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        code = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if code in LANGUAGE_CODES and code != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(code)
            request.LANGUAGE_CODE = code
        response = self.get_response(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        stale = request.COOKIES.get(cookie) != code and cookie not in response.cookies
        if code in LANGUAGE_CODES and stale:
            _set_cookie(response, code)
        return response


@receiver(user_logged_in, dispatch_uid="ecm.language.keep_language_at_sign_in")
def keep_language_at_sign_in(sender, request, user, **kwargs) -> None:
    """A user who has never chosen keeps the language they signed in with."""
    if getattr(user, "language", "") or request is None:
        return
    code = translation.get_language_from_request(request)
    if code not in LANGUAGE_CODES:
        code = settings.LANGUAGE_CODE
    get_user_model().objects.filter(pk=user.pk).update(language=code)
    user.language = code
