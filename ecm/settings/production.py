"""Production: every secret from the environment, HTTPS only, PostgreSQL and Redis."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment for production.")

DATABASES = {"default": database_from_env("")}
if not DATABASES["default"].get("ENGINE"):
    raise ImproperlyConfigured("DATABASE_URL must be set in the environment for production.")
if (_replica := database_replica_from_env(DATABASES["default"])) is not None:
    DATABASES["replica"] = _replica

vars().update(email_settings("smtp://localhost:25"))

STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# HTTPS everywhere. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER via env.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("BEHIND_TLS_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# One TLS proxy in front by default; ECM_TRUSTED_PROXIES=0 when nothing sets X-Forwarded-For.
TRUSTED_PROXIES = env.int(
    "ECM_TRUSTED_PROXIES", default=1 if env.bool("BEHIND_TLS_PROXY", default=True) else 0
)
SESSION_COOKIE_SECURE = True
# The language the switcher chose (ecm/language.py): over HTTPS only, not for scripts.
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-ecm-session"
CSRF_COOKIE_NAME = "__Host-ecm-csrftoken"

# Every account signs in with a second factor in production (MFA_REQUIRED=0 only to recover).
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)

# Shared by the replicas (base.shared_cache_settings): the cache in Redis (TOTP codes already
# used, rate limits) and sessions in the database read through Redis.
if REDIS_URL:
    vars().update(shared_cache_settings(env("CACHE_URL", default=REDIS_URL)))
