"""KIT settings: one module, every value from the environment (or the git-ignored .env).

Defaults are safe: DEBUG and simulators off, no SECRET_KEY default. `make run` writes a
.env with development values; CI and tests set what they need.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ

from kit import logs as kit_logs

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `make run` writes .env; KIT_ENV_FILE points elsewhere (or at a missing file to read none).
environ.Env.read_env(env.str("KIT_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)
# Runtime files (SQLite database, filesystem broker, beat schedule); a test of `make run` points
# it at a temporary directory so it never shares a broker with a running demo.
VAR_DIR = Path(env.str("KIT_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Gateway simulators mounted under /sim/<code>/ (demo and tests only).
KIT_SIMULATORS = env.bool("KIT_SIMULATORS", default=False)
# Base URL the demo gateways point at (the simulators are served by this same site).
KIT_SIMULATOR_BASE_URL = env("KIT_SIMULATOR_BASE_URL", default="http://127.0.0.1:8000")
# Fernet key (urlsafe base64, 32 bytes) that encrypts gateway keys and secrets at rest.
KIT_FIELD_KEY = env("KIT_FIELD_KEY")
KIT_DEMO_DATA = env.bool("KIT_DEMO_DATA", default=False)
# Release public keys (raw Ed25519, base64) a release upload must verify against; only public keys:
# releases are signed offline (docs/kiosk/updates.md). By default the keys built into the kiosk.
KIT_RELEASE_PUBLIC_KEYS = env.list("KIT_RELEASE_PUBLIC_KEYS", default=None) or __import__(
    "kiosk.updates.keys", fromlist=["RELEASE_PUBLIC_KEYS"]).RELEASE_PUBLIC_KEYS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "kit",
    "dealers",
    "providers",
    "gateways",
    "gateways.reconcile",
    "gateways.simulators",
    "terminals",
    "updates",
    "payments",
    "claims",
    "support",
    "alerts",
    "screens",
    "accounts",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The signed terminal API needs nothing below (kit/middleware.py): it leaves the chain here.
    "kit.middleware.TerminalApiMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kit.urls"
WSGI_APPLICATION = "kit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kit.nav.navigation",
                "claims.context.overdue_banner",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
# PostgreSQL in production and CI; SQLite under var/ when DATABASE_URL is unset.
DATABASE_URL = env("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    # A reused connection is checked (one SELECT 1) at the start of each request; off saves
    # that round trip, and a connection that died is then replaced after one failed request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
    if DB_POOL_MAX_SIZE > 0:
        # A pool per process (psycopg_pool through Django): threads borrow a connection and give
        # it back at the end of each request or task, and the engine gives it back during a
        # gateway call (kit/db.py), so a worker with many threads needs only a few connections.
        # Pooling replaces persistent connections (Django refuses both at once).
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DB_POOL_MAX_SIZE), "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=20.0)}
    else:
        DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "kit.sqlite3",
            "OPTIONS": {
                # Web and worker processes share the file: WAL lets readers run beside the
                # writer, the busy timeout waits for a lock instead of failing, and IMMEDIATE
                # transactions take the write lock up front so two writers never deadlock
                # while upgrading a read lock ("database is locked").
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            },
        }
    }
# Celery workers skip the connection check (CONN_HEALTH_CHECKS; kit/celery.py says why) unless this is on.
DB_WORKER_CONN_HEALTH_CHECKS = env.bool("DB_WORKER_CONN_HEALTH_CHECKS", default=False)
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache / redis --------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- celery ---------------------------------------------------------------------------
# Without REDIS_URL the broker is kombu's filesystem transport under var/: a real worker
# process and the same code paths as production, with no server to run.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, keeping its Redis client between messages (kit/broker.py).
    CELERY_BROKER_TRANSPORT = "kit.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    # With a host named, kombu does not warn "No hostname was supplied" on every connection.
    CELERY_BROKER_URL = "filesystem://localhost//"
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
KIT_SWEEP_SECONDS = env.float("KIT_SWEEP_SECONDS", default=10.0)
# Acceptance reads the provider catalogue from a per-process snapshot this many seconds old
# at most (0: read it fresh for every payment).
KIT_CATALOGUE_TTL = env.float("KIT_CATALOGUE_TTL", default=5.0)
# A heartbeat answers the terminal's config_version as built at most this many seconds ago
# (terminals/selectors.py: terminal_config_version; 0: built for every heartbeat).
KIT_CONFIG_VERSION_TTL = env.float("KIT_CONFIG_VERSION_TTL", default=60.0)
# A signed request reads its terminal's key, status and dealer from a per-process copy at most
# this many seconds old (terminals/selectors.py: terminal_for_auth; 0: read for every request).
# Blocking elsewhere takes effect within it: payments are recorded held from then on.
KIT_TERMINAL_AUTH_TTL = env.float("KIT_TERMINAL_AUTH_TTL", default=5.0)

# --- payment engine (payments/services/submit.py, poll.py, sweep.py; gateways/breaker.py) ---
# `retry` outcomes: exponential backoff with jitter from this base, this many tries at one
# gateway before the route's next one; with no other gateway the payment keeps retrying (the
# delay capped) until it is this old, then fails to the correction queue.
KIT_RETRY_BASE_SECONDS = env.float("KIT_RETRY_BASE_SECONDS", default=2.0)
KIT_RETRY_MAX_SECONDS = env.float("KIT_RETRY_MAX_SECONDS", default=600.0)
KIT_RETRIES_PER_GATEWAY = env.int("KIT_RETRIES_PER_GATEWAY", default=3)
KIT_RETRY_GIVE_UP_HOURS = env.float("KIT_RETRY_GIVE_UP_HOURS", default=24.0)
# `unknown` outcomes: status polls after these many seconds (the last one repeats); after
# KIT_POLL_GIVE_UP_HOURS the payment is flagged `outcome_unknown` for support (still polled).
KIT_POLL_SCHEDULE = [float(s) for s in env.list("KIT_POLL_SCHEDULE", default=[
    "2", "5", "10", "30", "60", "120", "300", "600", "1800", "3600"])]
KIT_POLL_GIVE_UP_HOURS = env.float("KIT_POLL_GIVE_UP_HOURS", default=24.0)
# An attempt still open this long after it was reserved belongs to a dead worker: poll it.
KIT_ATTEMPT_LEASE_SECONDS = env.float("KIT_ATTEMPT_LEASE_SECONDS", default=60.0)
# The sweeper's claim on a payment it enqueued, and when an `accepted` payment counts as lost.
KIT_SWEEP_LEASE_SECONDS = env.float("KIT_SWEEP_LEASE_SECONDS", default=60.0)
KIT_STUCK_ACCEPTED_SECONDS = env.float("KIT_STUCK_ACCEPTED_SECONDS", default=20.0)
# A message whose lease ran out while the gateway queue still holds a backlog is left waiting
# (it may still be in the queue) for at most this long past its lease, then sent again.
KIT_QUEUE_MAX_WAIT_SECONDS = env.float("KIT_QUEUE_MAX_WAIT_SECONDS", default=600.0)
# Delays up to this go through a broker countdown (fast demo paths); longer ones wait for the sweeper.
KIT_COUNTDOWN_MAX_SECONDS = env.float("KIT_COUNTDOWN_MAX_SECONDS", default=60.0)
# Every gateway of a route unavailable (inactive or breaker open): look again after this.
KIT_NO_GATEWAY_WAIT_SECONDS = env.float("KIT_NO_GATEWAY_WAIT_SECONDS", default=15.0)
# Circuit breaker: opens after this many consecutive technical failures, half-opens after the cool-down.
KIT_BREAKER_THRESHOLD = env.int("KIT_BREAKER_THRESHOLD", default=10)
KIT_BREAKER_COOLDOWN_SECONDS = env.float("KIT_BREAKER_COOLDOWN_SECONDS", default=30.0)
# The online check (`payment_check`): a short read timeout, the kiosk is waiting.
KIT_CHECK_TIMEOUT_SECONDS = env.float("KIT_CHECK_TIMEOUT_SECONDS", default=3.0)
# --- cabinet ---------------------------------------------------------------------------
# A terminal without a heartbeat for this long is offline (overview's attention list).
KIT_OFFLINE_MINUTES = env.float("KIT_OFFLINE_MINUTES", default=10.0)
# Heartbeat history kept per terminal (pruned by the beat task terminals.tasks.prune_heartbeats).
KIT_HEARTBEAT_KEEP_DAYS = env.float("KIT_HEARTBEAT_KEEP_DAYS", default=7.0)
# A remote command the kiosk has not acknowledged within this many hours expires (no longer delivered).
KIT_COMMAND_EXPIRY_HOURS = env.float("KIT_COMMAND_EXPIRY_HOURS", default=24.0)
# Kiosk log bundles (POST /api/terminal/v1/logs, the `collect_logs` command): at most this many bytes of
# text once decompressed (bigger: 413 `too_large`), and the newest this many bundles kept per terminal.
KIT_TERMINAL_LOGS_MAX_BYTES = env.int("KIT_TERMINAL_LOGS_MAX_BYTES", default=4 * 1024 * 1024)
KIT_TERMINAL_LOGS_KEEP = env.int("KIT_TERMINAL_LOGS_KEEP", default=10)
# Exports of at most this many rows are built at once in the request; larger XLSX go to a worker.
KIT_EXPORT_INLINE_ROWS = env.int("KIT_EXPORT_INLINE_ROWS", default=10000)
# Dealer money: how often accrued rewards are credited (seconds).
KIT_REWARD_SETTLE_SECONDS = env.float("KIT_REWARD_SETTLE_SECONDS", default=3600.0)
# The alerts sweep's interval (alerts.tasks.sweep): low balances (`balance_low`), offline terminals,
# notifications waiting. The name is #17's, when it only checked low balances.
KIT_BALANCE_ALERT_SECONDS = env.float("KIT_BALANCE_ALERT_SECONDS", default=60.0)
# /checks: a definite answer (ok true/false) is reused this long per provider + account + amount.
KIT_CHECK_CACHE_SECONDS = env.int("KIT_CHECK_CACHE_SECONDS", default=60)
# --- claims (claims/) ----------------------------------------------------------------------
# The answer is due KIT_CLAIM_DAYS calendar days after receipt, counted in the company's time zone.
KIT_CLAIM_DAYS = env.int("KIT_CLAIM_DAYS", default=10)
KIT_CLAIM_TIME_ZONE = env("KIT_CLAIM_TIME_ZONE", default=env("TIME_ZONE", default="Europe/Moscow"))
# Cheque scans: at most this many bytes, kept under this root, which no URL serves.
KIT_CLAIM_SCAN_MAX_BYTES = env.int("KIT_CLAIM_SCAN_MAX_BYTES", default=5 * 1024 * 1024)
KIT_PRIVATE_ROOT = env("KIT_PRIVATE_ROOT", default=str(VAR_DIR / "private"))
# The privacy notice the claim form shows; each claim stores the version it was shown.
KIT_PRIVACY_NOTICE_VERSION = env("KIT_PRIVACY_NOTICE_VERSION", default="2026-01")
# The operating company as printed on claims and answers.
KIT_COMPANY_DETAILS = env("KIT_COMPANY_DETAILS", default="ООО «КИТ Процессинг» (демо), ИНН 7700000000, "
                          "123456, Москва, ул. Примерная, д. 1, тел. 8 800 000-00-00")
# /check/ and /claims/status/: lookups per client address and per key, a minute and a day.
KIT_PUBLIC_RATE_MINUTE = env.int("KIT_PUBLIC_RATE_MINUTE", default=10)
KIT_PUBLIC_RATE_DAY = env.int("KIT_PUBLIC_RATE_DAY", default=50)
# Mail (the overdue claims notice): SMTP unless EMAIL_BACKEND says otherwise (`make run`: console).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="kit@localhost")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# `make bench` only: mounts a minimal one-row-insert view under /bench/ for comparison.
KIT_BENCH = env.bool("KIT_BENCH", default=False)

# --- support actions -------------------------------------------------------------------
# Four eyes: a cancel or a bulk resend above this sum (rubles) waits for a second senior.
KIT_FOUR_EYES_AMOUNT = Decimal(env.str("KIT_FOUR_EYES_AMOUNT", default="5000.00"))
# A request nobody approved within this many hours expires.
KIT_APPROVAL_EXPIRY_HOURS = env.float("KIT_APPROVAL_EXPIRY_HOURS", default=24.0)

# --- alerts, themes and ads (docs/alerts.md, docs/screens.md) ------------------------------
# Cassette "nearly full" from this share of its capacity (notes), in percent.
KIT_ALERT_CASSETTE_NEAR_FULL_PERCENT = env.int("KIT_ALERT_CASSETTE_NEAR_FULL_PERCENT", default=90)
# Unsent payments older than this on the kiosk open `queue_stale`.
KIT_ALERT_QUEUE_MINUTES = env.float("KIT_ALERT_QUEUE_MINUTES", default=30.0)
# The kiosk's clock off by more than this opens `clock_skew`.
KIT_ALERT_CLOCK_SKEW_SECONDS = env.int("KIT_ALERT_CLOCK_SKEW_SECONDS", default=300)
# A condition back within this many seconds of its close revives the same alert (no new opening).
KIT_ALERT_FLAP_SECONDS = env.int("KIT_ALERT_FLAP_SECONDS", default=60)
# More alerts than this for one user in one notification run go out as one digest.
KIT_ALERT_DIGEST_AFTER = env.int("KIT_ALERT_DIGEST_AFTER", default=3)
# Notifiers by name (alerts/notifiers/__init__.py), comma-separated.
KIT_ALERT_NOTIFIERS = env.list("KIT_ALERT_NOTIFIERS", default=["email"])
# Available balance (balance + credit) below this opens `balance_low`, for dealers without a
# threshold of their own; empty: no default threshold.
KIT_ALERT_BALANCE_THRESHOLD = env("KIT_ALERT_BALANCE_THRESHOLD", default="")
# Links in notification e-mails; empty: the e-mails give paths only.
KIT_SITE_URL = env("KIT_SITE_URL", default="")
# Theme logos and ad images: at most this many bytes and pixels per side.
KIT_SCREEN_IMAGE_MAX_BYTES = env.int("KIT_SCREEN_IMAGE_MAX_BYTES", default=1024 * 1024)
KIT_SCREEN_IMAGE_MAX_SIDE = env.int("KIT_SCREEN_IMAGE_MAX_SIDE", default=4096)

# --- auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: a locked username + address is refused before the password is even checked.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
KIT_LOCKOUT_FAILURES = env.int("KIT_LOCKOUT_FAILURES", default=5)
KIT_LOCKOUT_MINUTES = env.int("KIT_LOCKOUT_MINUTES", default=15)
AXES_FAILURE_LIMIT = KIT_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=KIT_LOCKOUT_MINUTES)
# Per username *and* address: a whole office behind one NAT is not locked out by one person's typos,
# and a username is not locked everywhere by someone guessing from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "kit.net.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
# Second factor (TOTP) for admin, support and senior support; dealers may enable it themselves.
KIT_STAFF_2FA = env.bool("KIT_STAFF_2FA", default=True)
OTP_TOTP_ISSUER = "KIT"
# Idle sessions end: one number for everyone, or "staff=30,dealer=120".
_idle = env.str("KIT_SESSION_IDLE_MINUTES", default="staff=30,dealer=120")
KIT_SESSION_IDLE_MINUTES = (
    {k.strip(): int(v) for k, v in (part.split("=") for part in _idle.split(","))}
    if "=" in _idle else {"staff": int(_idle), "dealer": int(_idle)}
)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", default="Europe/Moscow")

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("KIT_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# --- security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; keep default
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# TLS: on by default, off only where `make run` / tests say so (plain HTTP on 127.0.0.1).
KIT_TLS = env.bool("KIT_TLS", default=True)
SESSION_COOKIE_SECURE = KIT_TLS
CSRF_COOKIE_SECURE = KIT_TLS
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=KIT_TLS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if KIT_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = KIT_TLS
SECURE_HSTS_PRELOAD = KIT_TLS
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto and appends X-Forwarded-For.
# Off: no forwarded header is believed, by Django or by gunicorn (gunicorn.conf.py).
KIT_BEHIND_PROXY = env.bool("KIT_BEHIND_PROXY", default=False)
if KIT_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^sim/", r"^healthz$"]
# Content-Security-Policy: only the site's own scripts, styles and images; no inline script,
# no framing. Pages load htmx and their scripts from static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The same format and time zone as gunicorn's lines (gunicorn.conf.py) and Celery's (kit/celery.py).
LOGGING = kit_logs.config(env("LOG_LEVEL", default="INFO"))

# Simulators: sleep for real (live) or mark the delay for the in-process test transport.
KIT_SIM_REAL_SLEEP = env.bool("KIT_SIM_REAL_SLEEP", default=True)
KIT_SIM_TIMEOUT_SLEEP = env.float("KIT_SIM_TIMEOUT_SLEEP", default=8.0)
