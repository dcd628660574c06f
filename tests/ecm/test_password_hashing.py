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
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)
