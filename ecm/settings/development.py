"""Local development and the `make run` demo: SQLite, console e-mail, no servers."""

from .base import *  # noqa: F403

# The demo shows the product's own error pages; DEBUG=1 brings back Django's debug pages.
DEBUG = env.bool("DEBUG", default=False)
DEMO_DATA_ALLOWED = True
# Static files come straight from static/ and the apps (no collectstatic), DEBUG or not.
WHITENOISE_USE_FINDERS = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-not-for-production"  # noqa: S105
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
DATABASES = {"default": database_from_env(f"sqlite:///{VAR_DIR / 'ecm.sqlite3'}")}
if (_replica := database_replica_from_env(DATABASES["default"])) is not None:
    DATABASES["replica"] = _replica

# Everything the demo writes (SQLite file, broker queue, beat schedule, uploads) lives
# under var/, which git ignores.
for _folder in (
    VAR_DIR,
    STATIC_ROOT,
    BROKER_DIR / "queue",
    BROKER_DIR / "processed",
    BROKER_DIR / "control",
    PRIVATE_MEDIA_ROOT,
):
    _folder.mkdir(parents=True, exist_ok=True)

# The demo signs in with a password alone (a notice on every page says so); MFA_REQUIRED=1
# tries the production behaviour. WebAuthn works on http://localhost here.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
