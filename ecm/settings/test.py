"""Test settings: PostgreSQL from DATABASE_URL (the test runner starts a throwaway one)."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-key"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DEMO_DATA_ALLOWED = True
DATABASES = {"default": database_from_env("postgres://localhost/ecm")}
# Tests close connections after each request (DB_CONN_MAX_AGE=0); the benchmark keeps them,
# as production does (scripts/run-bench sets DB_CONN_MAX_AGE to production's 60 seconds).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# No replica unless DATABASE_REPLICA_URL is set (tests/ecm/test_replica.py starts its own).
if (_replica := database_replica_from_env(DATABASES["default"])) is not None:
    DATABASES["replica"] = _replica
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default="/tmp/ecm-test-private"))  # noqa: S108
LOGGING["root"]["level"] = "WARNING"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Tests sign in with a password; the MFA tests turn MFA_REQUIRED on. WebAuthn over
# http://localhost for the virtual authenticator.
MFA_REQUIRED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
# The replicas test (tests/ecm/test_replicas.py) runs web processes that share a Redis cache
# and sessions as production's do.
if env("CACHE_URL", default=""):
    vars().update(shared_cache_settings(env("CACHE_URL")))
