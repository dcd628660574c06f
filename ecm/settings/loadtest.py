"""`make loadtest` (scripts/run-loadtest): production, less what plain HTTP on loopback needs.

Everything that costs server time is production's: DEBUG off, WhiteNoise's compressed
manifest storage, the Redis cache, the session engine, Argon2id sign-in, the middleware. What
differs is only what would stop a load generator speaking plain HTTP to 127.0.0.1:

- no redirect to HTTPS and no HSTS (there is no TLS proxy in front);
- session and CSRF cookies not `Secure` and without the `__Host-` prefix (a client keeps
  neither over http://);
- no second factor required (MFA_REQUIRED off): the generated users sign in with a password
  alone, through the same allauth form;
- generated data allowed (`generate_data` and `loadtest_users` run under these settings, so
  the passwords are hashed with production's hasher).

Never use these settings for a server anyone else can reach.
"""

from .production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_PRELOAD = False
SECURE_PROXY_SSL_HEADER = None
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "ecm-session"
CSRF_COOKIE_NAME = "ecm-csrftoken"
MFA_REQUIRED = False
DEMO_DATA_ALLOWED = True
# As behind production's one TLS proxy, the client's address is the last X-Forwarded-For hop:
# the load generator sends each simulated user's own address there, as the proxy would. (From
# one address, 100 users would meet allauth's limit of 30 sign-ins a minute per address.)
TRUSTED_PROXIES = 1
