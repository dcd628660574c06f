"""Settings shared by every environment.

Configuration comes from the environment (12-factor), read with django-environ.
Each environment module (development, test, production) imports this one and
overrides only what differs.
"""

import copy
from pathlib import Path

import django
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env (never committed) may hold overrides for development.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Reference data in Welsh and English (issue 23): before the admin, which it extends.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    # Sign-in, password reset, multi-factor sign-in and "Your sessions" (issue 19).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "ecm",
    "referrals",
    "formulation",
    "reviews",
    "supervision",
    "monitoring",
    # The integration API (issue 21).
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ecm.middleware.SessionIdleMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A signed-in user's pages in their own language (after authentication).
    "ecm.language.UserLanguageMiddleware",
    "ecm.mfa.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ecm.middleware.AuditContextMiddleware",
    "ecm.middleware.NoStoreMiddleware",
    # AxesMiddleware must be last: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ecm.urls"
WSGI_APPLICATION = "ecm.wsgi.application"
ASGI_APPLICATION = "ecm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ecm.context_processors.product",
                "ecm.db_router.replica_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://ecm:secret@db:5432/ecm. Each environment sets its default.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite, the embedded default, ignores the extra
# columns and says so on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]


def database_from_env(default: str) -> dict:
    db = env.db_url("DATABASE_URL", default=default)
    if db["ENGINE"] == "django.db.backends.postgresql":
        db.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
        db["CONN_HEALTH_CHECKS"] = True
        # PostgreSQL's JIT compiles the dashboard's large aggregates on every request, which
        # takes far longer than running them (README, Performance); they are fast without it.
        options = db.setdefault("OPTIONS", {})
        options.setdefault("options", "-c jit=off")
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default (`make run`) takes concurrent writes from the web server's
        # threads and the worker: write-ahead logging lets readers go on while one writes; a
        # transaction takes the write lock when it begins (IMMEDIATE), so two never both read
        # and then both try to write (which SQLite refuses at once with "database is
        # locked"); and a writer waits up to `timeout` seconds for the lock instead of failing.
        options = db.setdefault("OPTIONS", {})
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", env.int("SQLITE_TIMEOUT", default=20))
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    return db


# A PostgreSQL streaming replica that the monitoring pages read their figures from
# (DATABASE_REPLICA_URL, e.g. postgres://ecm:secret@db-replica:5432/ecm; ecm/db_router.py and
# docs/notes-replica.md).
DATABASE_ROUTERS = ["ecm.db_router.ReplicaRouter"]
# Seconds behind beyond which the figures are read from the primary instead (0: no limit).
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=0)


def database_replica_from_env(default_db: dict) -> dict | None:
    """The "replica" database: the primary's options with the replica's address, or None."""
    url = env("DATABASE_REPLICA_URL", default="")
    if not url:
        return None
    parsed = env.db_url_config(url)
    if (
        parsed["ENGINE"] != "django.db.backends.postgresql"
        or parsed["ENGINE"] != default_db["ENGINE"]
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be a PostgreSQL URL, as DATABASE_URL."
        )
    db = copy.deepcopy(default_db)
    db.update(
        {key: parsed[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT") if key in parsed}
    )
    db["OPTIONS"] = {**db.get("OPTIONS", {}), **parsed.get("OPTIONS", {})}
    # An unreachable replica costs at most this long before the page falls back to the primary.
    db["OPTIONS"].setdefault(
        "connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=3)
    )
    # Tests never create or flush a test database on it: it copies the primary's.
    db["TEST"] = {"MIRROR": "default"}
    return db


# --- Users, login, sessions -----------------------------------------------------------
AUTH_USER_MODEL = "ecm.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-allauth: sign-in by username, no self sign-up (accounts come from administrators),
# password reset by e-mail sent by a worker (ecm/account_forms.py), the same answer whether
# or not an account exists, nothing sent to unknown addresses.
ACCOUNT_ADAPTER = "ecm.account_adapter.AccountAdapter"
ACCOUNT_FORMS = {"reset_password": "ecm.account_forms.ResetPasswordForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False  # sessions end when the browser closes
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # ecm/mfa.py ends the *other* sessions instead
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# django-axes pauses failed password sign-ins (below; the adapter skips allauth's own
# per-username count); allauth's "login_failed" limit caps wrong second-factor codes per
# account (10 in 5 minutes). Its counters live in the cache, which production shares
# between replicas (Redis).
# "login": allauth's default (30 a minute per address) would refuse a YOT office behind one
# NAT address signing in at nine o'clock (issue 22's load test met it); wrong passwords are
# paused by axes per username and address (ecm.lockout) whatever this says.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,10/300s/key", "login": "300/m/ip"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Multi-factor sign-in (allauth.mfa): an authenticator app (TOTP) with recovery codes, and
# security keys or passkeys (WebAuthn). MFA_REQUIRED makes every account, superusers
# included, enrol before it can open any page; production turns it on.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
MFA_ADAPTER = "ecm.account_adapter.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="ECM")
# TOTP secrets are encrypted in the database with this key (default: derived from SECRET_KEY;
# changing it means everyone sets their authenticator app up again).
MFA_SECRET_KEY = env("MFA_SECRET_KEY", default="")
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TRUST_ENABLED = False
# WebAuthn needs HTTPS, except on http://localhost when this is on (development, tests).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
USERSESSIONS_TRACK_ACTIVITY = False  # ecm.middleware.SessionIdleMiddleware records last seen

# Argon2id first (ecm/hashers.py); the others only to check, then upgrade, older hashes.
PASSWORD_HASHERS = [
    "ecm.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle timeout: the session lives SESSION_IDLE_MINUTES after the last request the person
# made; background polls do not count (ecm.middleware.SessionIdleMiddleware saves it).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
# Absolute lifetime: however active, a session ends this many hours after sign-in.
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Lockout after repeated failed logins (django-axes); the message stays generic.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Pauses grow per username+address: 1 minute, then doubling per further run of failures,
# up to an hour (ecm/lockout.py). Failure logs feed the count; attempts expire one by one.
LOCKOUT_FIRST_PAUSE_MINUTES = env.int("LOCKOUT_FIRST_PAUSE_MINUTES", default=1)
LOCKOUT_LONGEST_PAUSE_MINUTES = env.int("LOCKOUT_LONGEST_PAUSE_MINUTES", default=60)
AXES_COOLOFF_TIME = "ecm.lockout.cool_off"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "ecm.lockout.username_of"  # django-allauth's form calls it "login"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client address (lockout and audit) comes from X-Forwarded-For only when this many
# reverse proxies we run sit in front of the app; 0 (development) ignores the header, which
# a client can write. See ecm/client_address.py.
TRUSTED_PROXIES = env.int("ECM_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "ecm.client_address.client_ip"

# --- Internationalisation (issue 23) ----------------------------------------------------
# The language of someone who has not chosen one yet (and of e-mails to people without an
# account); each user's own choice is on their profile (User.language), set by the switcher
# in every page's header (ecm/language.py). A Welsh team may make Welsh the default.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en-gb")
LANGUAGES = [("cy", _("Welsh")), ("en-gb", _("English"))]
# The catalogue is locale/cy/LC_MESSAGES/django.po; the .mo files are built at set-up
# (compilemessages), never committed. locale/vendor holds our Welsh for the words of the
# libraries we show (allauth, axes) that ship no Welsh of their own.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
# One date style everywhere ("1 Dec 2026", "1 Rhagfyr 2026"): ecm/formats/<locale>/formats.py.
FORMAT_MODULE_PATH = ["ecm.formats"]
# Reference data kept in the database (eligibility rule sets and their criteria) carries
# both languages in columns of its own (name_en_gb, name_cy...), with django-modeltranslation;
# a Welsh column left empty shows the English.
# E-mails to people without an account (professionals invited to a meeting), whose language
# is not known, in Welsh and English, Welsh first (off: in LANGUAGE_CODE).
BILINGUAL_EMAILS = env.bool("BILINGUAL_EMAILS", default=False)
MODELTRANSLATION_DEFAULT_LANGUAGE = "en-gb"
MODELTRANSLATION_LANGUAGES = ("en-gb", "cy")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en-gb",)}
# A row made while Welsh is active (a command run with LANGUAGE_CODE=cy) still gets its English.
MODELTRANSLATION_AUTO_POPULATE = "default"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded documents (AssetPlus, written contributions) live outside any public path and
# are only ever served through access-checked views.
ASSETPLUS_MAX_BYTES = env.int("ASSETPLUS_MAX_BYTES", default=10 * 1024 * 1024)
# The limit is enforced while the upload streams in (ecm/upload_handlers.py); the proxy in
# front refuses bodies a little larger (deploy/Caddyfile: 11 MB).
FILE_UPLOAD_HANDLERS = [
    "ecm.upload_handlers.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Form fields other than files: the longest referral is a few tens of kilobytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# The monitoring pages' figures are computed by the worker (monitoring/readmodel.py): beat
# refreshes those viewed in the last FIGURES_VIEWED_DAYS, and every default view, once they
# are FIGURES_REFRESH_MINUTES old; the rest are deleted.
FIGURES_REFRESH_MINUTES = env.int("FIGURES_REFRESH_MINUTES", default=10)
FIGURES_VIEWED_DAYS = env.int("FIGURES_VIEWED_DAYS", default=3)
# Optional virus scanning of every upload by ClamAV's clamd (ecm/virus_scan.py): set a unix
# socket, or a host (and port). When set, an infected file is refused, and so is every upload
# while clamd cannot be reached (fail closed). Unset: no scanning.
CLAMD_SOCKET = env("CLAMD_SOCKET", default="")
CLAMD_HOST = env("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT_SECONDS = env.float("CLAMD_TIMEOUT_SECONDS", default=30.0)
# At most clamd's StreamMaxLength (100 MB by default, 25 MB in Debian's clamd.conf): a longer
# file would be scanned only in part, so it is refused as not checkable.
CLAMD_STREAM_MAX_BYTES = env.int("CLAMD_STREAM_MAX_BYTES", default=25 * 1024 * 1024)
CLAMD_CHUNK_BYTES = 64 * 1024
# A re-opened episode carries the earlier episode's ECM consent forward when it is still
# valid: not withdrawn, on the current leaflet, and signed within this many months.
CONSENT_CARRY_FORWARD_MONTHS = env.int("CONSENT_CARRY_FORWARD_MONTHS", default=12)
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"


# --- E-mail ---------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587. Development prints
# e-mails to the console; production defaults to an SMTP relay on localhost.
def email_settings(default_url: str) -> dict:
    email = env.email_url("EMAIL_URL", default=default_url)
    timeout = env.int("EMAIL_TIMEOUT", default=20)
    if django.VERSION < (6, 1):  # Django 5.2 LTS: the EMAIL_* settings
        return {**email, "EMAIL_TIMEOUT": timeout}
    # Django 6.1 replaced the EMAIL_* settings with MAILERS.
    smtp = email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    options = {
        "host": email["EMAIL_HOST"],
        "port": email["EMAIL_PORT"],
        "username": email["EMAIL_HOST_USER"],
        "password": email["EMAIL_HOST_PASSWORD"],
        "use_tls": email.get("EMAIL_USE_TLS", False),
        "use_ssl": email.get("EMAIL_USE_SSL", False),
        "timeout": timeout,
    }
    return {
        "MAILERS": {
            "default": {"BACKEND": email["EMAIL_BACKEND"], "OPTIONS": options if smtp else {}}
        }
    }


vars().update(email_settings("consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ECM <no-reply@ecm.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Told when an e-mail may or may not have been sent (docs/notes-mail.md): comma-separated.
ADMINS = env.list("ADMINS", default=[])
# Seconds an e-mail may stay "sending" before it counts as uncertain (above the SMTP timeout).
EMAIL_SENDING_TIMEOUT = env.int("EMAIL_SENDING_TIMEOUT", default=15 * 60)

# --- Celery ---------------------------------------------------------------------------
# With REDIS_URL set, Redis is the broker; otherwise a broker that needs no server
# (kombu's filesystem transport under var/broker) so `make run` works on a bare machine.
REDIS_URL = env("REDIS_URL", default="")
BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "ecm.broker:Transport"  # writes each message whole
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # How often an idle worker looks for new messages (kombu's default is every second,
        # and it looks again only after each message: one task a second at most).
        "polling_interval": 0.1,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# Exactly one beat sends the schedule (ecm/beat.py): with REDIS_URL, a second beat started by
# mistake stands by until the first's lock (BEAT_LOCK_SECONDS, renewed each tick) expires.
CELERY_BEAT_SCHEDULER = "ecm.beat:SingleBeatScheduler"
BEAT_LOCK_SECONDS = env.float("BEAT_LOCK_SECONDS", default=30.0)


def shared_cache_settings(url: str) -> dict:
    """What every web replica must share beyond the database (production with REDIS_URL;
    tests/ecm/test_replicas.py): the cache in Redis, which holds django-allauth's rate limits
    and the TOTP codes already used (so a code is not accepted again on another replica) and
    the API's throttle counts; and sessions in the database with Redis in front
    ("cached_db"): each request reads its session from Redis, while the database row stays
    the record, so a Redis restart or eviction signs nobody out, `clearsessions` and
    "Your sessions" keep working, and ending a session removes it from both."""
    return {
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        },
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
    }


# How long the health check waits for the broker before calling it down.
HEALTHCHECK_BROKER_TIMEOUT = env.float("HEALTHCHECK_BROKER_TIMEOUT", default=1.0)

# --- Security headers that hold everywhere ------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content Security Policy and Permissions-Policy (issue 19, V14.4; docs/notes-csp.md) ---
# No inline script, style or event handler anywhere: every script and stylesheet is a file
# under static/, so no nonce is needed. Bootstrap draws its icons (select arrow, checkboxes)
# as data: SVG images in its CSS, hence `data:` for images only.
CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
if django.VERSION >= (6, 0):  # Django's own CSP
    SECURE_CSP = CSP_DIRECTIVES
    _CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
else:  # the 5.2 LTS fallback (Python 3.11): django-csp 4
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}
    _CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
# Features no page uses: refused to every origin (WebAuthn keeps its default, this origin).
PERMISSIONS_POLICY = {
    name: []
    for name in (
        "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "display-capture",
        "encrypted-media", "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer",
        "microphone", "midi", "payment", "picture-in-picture", "screen-wake-lock", "serial",
        "usb", "xr-spatial-tracking",
    )
}  # fmt: skip
# Both headers go on every response, static files included: right after SecurityMiddleware.
MIDDLEWARE[MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1 : 0] = [
    _CSP_MIDDLEWARE,
    "ecm.security_headers.PermissionsPolicyMiddleware",
]

# --- Integration API (issue 21; api/) --------------------------------------------------
# Token authentication only (no session, so no CSRF question); throttled per token in the
# default cache (Redis in production: one count across every web process).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": env("API_RATE_LIMIT", default="600/minute")},
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Enhanced Case Management API",
    "DESCRIPTION": "For the YOT's own systems: a token per integration, bound to one team.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Both harm risks of a referral share one scale.
    "ENUM_NAME_OVERRIDES": {"HarmRiskEnum": "referrals.models.HarmRisk"},
}

# --- Product --------------------------------------------------------------------------
# The marking on every page and PDF: the Government Security Classification in the reader's
# language unless PROTECTIVE_MARKING sets one wording for all.
PROTECTIVE_MARKING = env("PROTECTIVE_MARKING", default="") or _("OFFICIAL-SENSITIVE")
PRODUCT_NAME = _("Enhanced Case Management")
# seed_demo and generate_data write invented children: only where a settings module allows it
# (development and test), never in production.
DEMO_DATA_ALLOWED = False
# How long audit events are kept (issue 20; docs/notes-auditlog.md): the organisation sets it;
# rows older than this are removed nightly from the start of the hash chain, under a signed
# checkpoint. It outlives erased records, whose rows are pseudonymised.
AUDIT_RETENTION_YEARS = env.int("AUDIT_RETENTION_YEARS", default=7)
# A CSV import of up to this many rows runs in the request, a larger one on a worker; an
# unconfirmed preview (and its file) is abandoned after this many hours.
IMPORT_INLINE_ROWS = env.int("IMPORT_INLINE_ROWS", default=500)
IMPORT_KEEP_HOURS = env.int("IMPORT_KEEP_HOURS", default=24)
# An erasure running this long with no progress can be run again by an operator.
ERASURE_STALE_MINUTES = env.int("ERASURE_STALE_MINUTES", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO; keep its warnings (refused URLs).
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Monitoring: counts below this are shown as "<n" (small-cell suppression).
MONITORING_SUPPRESS_BELOW = env.int("MONITORING_SUPPRESS_BELOW", default=5)

# The product's address, for links in e-mails (which carry no personal details).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Formulation report PDFs: up to this many timeline events + family members the PDF is
# rendered in the request (well under a second); above it a worker renders it while the
# page shows progress. Rendered PDFs waiting for download are cleared after this many minutes.
REPORT_PDF_INLINE_LIMIT = env.int("REPORT_PDF_INLINE_LIMIT", default=150)
REPORT_PDF_KEEP_MINUTES = env.int("REPORT_PDF_KEEP_MINUTES", default=60)
