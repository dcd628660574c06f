"""Passwords are hashed with Argon2id at OWASP's parameters; an older PBKDF2 hash is
re-made at the next sign-in (the test settings use MD5 for speed: this test puts the real
list back)."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from django.urls import reverse

from ecm.settings import base

PASSWORD = "correct-horse-battery"  # noqa: S105


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_argon2id_and_pbkdf2_hashes_upgrade_at_sign_in(world):
    assert settings.PASSWORD_HASHERS[0] == "ecm.hashers.Argon2idHasher"
    user = world.case_manager
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    client = Client()
    response = client.post(reverse("login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=12288,t=3,p=1$")
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_argon2_hash_at_earlier_parameters_is_remade(world):
    """Hashes made at 19 MiB / 2 iterations (before issue 22's measurement) are re-made."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    class Earlier(Argon2PasswordHasher):
        time_cost = 2
        memory_cost = 19 * 1024

    user = world.case_manager
    user.password = Earlier().encode(PASSWORD, Earlier().salt())
    user.save()
    assert "m=19456,t=2" in user.password
    response = Client().post(reverse("login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=12288,t=3,p=1$")


def _sign_in_queries(user) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return len(queries)


@pytest.mark.django_db
def test_sign_in_costs_the_same_however_many_sessions_came_before(world):
    """allauth's purge read two queries per earlier session; ours forgets the ended ones in
    one statement and keeps the live ones listed on "Your sessions"."""
    from allauth.usersessions.models import UserSession

    user = world.case_manager
    user.set_password(PASSWORD)
    # Chosen already: a first sign-in also keeps the language on the profile (one UPDATE).
    user.language = "en-gb"
    user.save()
    first = _sign_in_queries(user)
    for _ in range(10):
        _sign_in_queries(user)
    assert UserSession.objects.filter(user=user).count() == 11
    # Two of them expire (their session rows go): forgotten at the next sign-in.
    from django.contrib.sessions.models import Session

    ended = list(UserSession.objects.filter(user=user)[:2])
    Session.objects.filter(session_key__in=[s.session_key for s in ended]).delete()
    assert UserSession.objects.filter(user=user).count() == 11
    assert _sign_in_queries(user) == first
    assert UserSession.objects.filter(user=user).count() == 10
    assert not UserSession.objects.filter(pk__in=[s.pk for s in ended]).exists()
