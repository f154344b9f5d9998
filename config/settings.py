"""One settings module, driven by environment variables (django-environ).

No variables set: SQLite file in the project, Celery tasks run in-process (eager), DEBUG on.
``DATABASE_URL=postgres://...`` switches to PostgreSQL (psycopg 3); ``CELERY_BROKER_URL`` or
``REDIS_URL`` switches Celery to a real broker and worker processes.
"""

from datetime import date, timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
_INSECURE_DEV_KEY = "django-insecure-local-development-key-change-me-0123456789abcdefghijklmnop"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY)
if not DEBUG and SECRET_KEY in ("", _INSECURE_DEV_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set SECRET_KEY when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "coordination",
    "pledges",
    "stockpiles",
    "notifications",
    "web",
    "loaders",
]

MIDDLEWARE = [
    # /healthz answers first: no HTTPS redirect, no host check (a probe calls http://127.0.0.1:8000/healthz).
    "web.middleware.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session carries a confirmed OTP device (django-otp).
    "web.middleware.OTPMiddleware",
    "web.middleware.SessionRefreshMiddleware",
    "web.middleware.UserLanguageMiddleware",
    # Two-factor rule: cell users, users with a device, and everyone in /admin/ must be OTP-verified.
    "web.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "web.context_processors.banner",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a command writes; a busy timeout instead of "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env.bool("DATABASE_JIT", default=False):
    # PostgreSQL's JIT compiles a statement whose estimated cost passes jit_above_cost; the dashboards' sums
    # with per-pledge sub-plans are estimated high and spent 0.4-1.2 s compiling to run in 70 ms (the full
    # recompute measured the same with and without it). DATABASE_JIT=true leaves the server's setting.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds API throttle counters: point it at Redis (CACHE_URL=redis://host:6379/1) when
# several web processes serve the API, so they share the counters. Default: per-process memory.
# An unreachable cache makes throttling fail open (logged), never a request fail: short timeouts.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    _timeout = env.float("CACHE_SOCKET_TIMEOUT", default=1.0)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": _timeout, "socket_timeout": _timeout})

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One format everywhere: ISO 8601 dates (config/formats/<language>/formats.py), numbers grouped per language
# (1,234 / 1 234) also in the admin. Ids and numbers that go into URLs, attributes or scripts use |unlocalize;
# the API (JSON numbers) and the exports (plain numbers) are not localized.
FORMAT_MODULE_PATH = ["config.formats"]
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# django-axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend whose per-request user read joins the Membership (scope and language: no query of their own)
    "coordination.auth.MembershipBackend",
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Security (production values come on when DEBUG is off) -----------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Inactivity expiry: web.middleware.SessionRefreshMiddleware re-saves a session (new expiry)
# when its last refresh is older than SESSION_REFRESH_AFTER seconds, instead of on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_AFTER = env.int("SESSION_REFRESH_AFTER", default=300)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from one IP
# address, that pair is refused (HTTP 429), even with the right password, for AXES_COOLOFF_HOURS.
# A successful login before the limit resets the count. Attempts are in the admin (Axes section).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(hours=env.float("AXES_COOLOFF_HOURS", default=1.0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Two-factor authentication (django-otp, TOTP + single-use recovery codes). Required for cell users, for
# every /admin/ visit, and for any user who has enrolled a device; there is deliberately no switch to
# turn it off. OTP_TOTP_ISSUER is the name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Aid Coordination Cell")
# Failed codes lock a device for 1, 2, 4, 8 ... seconds (times this factor) between attempts.
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)
OTP_STATIC_THROTTLE_FACTOR = env.int("OTP_STATIC_THROTTLE_FACTOR", default=1)
# The admin lists devices (to delete a lost one) but never shows their secrets, QR codes or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# How many recovery codes enrolment and "new recovery codes" hand out.
OTP_RECOVERY_CODES = env.int("OTP_RECOVERY_CODES", default=10)

# Content Security Policy (django-csp 4): only the project's own static files; no inline script.
# One inline style is allowed, by hash: the indicator <style> that htmx 2 adds to <head> at start-up
# (".htmx-indicator{opacity:0;...}"); tests/security/test_csp.py fails in Chromium if it changes.
HTMX_INDICATOR_STYLE_HASH = "'sha256-faU7yAF8NxuMTNEwVmBz+VcYeIoBQ2EMHW3WaVxCvnk='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", HTMX_INDICATOR_STYLE_HASH],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Product settings --------------------------------------------------------------------------
# Disclosure control (coordination/disclosure.py, docs/disclosure.md): an aggregate of other nations'
# figures is shown to a nation only when at least this many OTHER nations contribute a non-zero value,
# no one of them makes up more than the dominance percentage of the others' total, and rounded to the
# nearest multiple of AGGREGATE_ROUNDING. The cell sees exact figures.
AGGREGATE_MIN_OTHER_NATIONS = env.int("AGGREGATE_MIN_OTHER_NATIONS", default=3)
AGGREGATE_DOMINANCE_PERCENT = env.int("AGGREGATE_DOMINANCE_PERCENT", default=85)
AGGREGATE_ROUNDING = env.int("AGGREGATE_ROUNDING", default=10)
AGGREGATE_PROTECTION_PERCENT = env.int("AGGREGATE_PROTECTION_PERCENT", default=10)
CLASSIFICATION_BANNER = env.str("CLASSIFICATION_BANNER", default="UNCLASSIFIED — DEMO DATA")
# Shortfalls older than this are flagged as stale on the dashboard.
SHORTFALL_STALE_AFTER = timedelta(minutes=env.int("SHORTFALL_STALE_AFTER_MINUTES", default=60))
# The sourcing planner's horizon: headroom month by month over this many months (docs/sourcing.md).
SOURCING_HORIZON_MONTHS = env.int("SOURCING_HORIZON_MONTHS", default=12)

# ... and so are they while a write's recompute has been pending longer than this (a failed or lost drain).
SHORTFALL_PENDING_STALE_AFTER = timedelta(minutes=env.int("SHORTFALL_PENDING_STALE_AFTER_MINUTES", default=5))
# Dates every date field accepts (coordination/dates.py): from this day to today + this many years.
DATE_WINDOW_START = date.fromisoformat(env.str("DATE_WINDOW_START", default="1990-01-01"))
DATE_WINDOW_YEARS_AHEAD = env.int("DATE_WINDOW_YEARS_AHEAD", default=30)
# The reporting view flags a nation whose latest stock report is older than this many days (a stale-reporting
# alert opens: stockpiles.alerts) ...
REPORTING_STALE_AFTER_DAYS = env.int("REPORTING_STALE_AFTER_DAYS", default=35)
# ... and the periodic check raising (and closing) its stale-reporting alerts runs this often.
STALE_REPORTING_CHECK_MINUTES = env.int("STALE_REPORTING_CHECK_MINUTES", default=60)
# Tests only (tests/worker/): seconds each shortfall batch holds its transaction open, so a test can
# kill a worker in the middle of a recompute. Leave at 0.
SHORTFALL_TEST_SLEEP_SECONDS = env.float("SHORTFALL_TEST_SLEEP_SECONDS", default=0.0)

# --- Notifications (docs/notifications.md) ------------------------------------------------------
# Email: EMAIL_URL (django-environ), e.g. smtp+tls://user:password@mail.example.org:587. Default: the
# console (messages printed by the process that sends them: the web process with in-process tasks).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Aid Coordination Cell <aid-cell@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people reach the dashboard at: links in emails (the page concerned, unsubscribe, settings).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# A failed send is retried after a wait between half and all of min(BACKOFF_MAX, BACKOFF × 2**n) seconds before
# retry n+1 (n = 0, 1, ...; notifications.tasks.retry_countdown). Keep BACKOFF_MAX under the Redis broker's
# visibility timeout (1 hour): a message waiting longer would be handed to a second worker.
NOTIFY_EMAIL_MAX_RETRIES = env.int("NOTIFY_EMAIL_MAX_RETRIES", default=5)
NOTIFY_RETRY_BACKOFF_SECONDS = env.int("NOTIFY_RETRY_BACKOFF_SECONDS", default=30)
NOTIFY_RETRY_BACKOFF_MAX_SECONDS = env.int("NOTIFY_RETRY_BACKOFF_MAX_SECONDS", default=1800)
NOTIFY_DIGEST_HOUR = env.int("NOTIFY_DIGEST_HOUR", default=6)  # UTC, the daily digest
WEBHOOK_MAX_RETRIES = env.int("WEBHOOK_MAX_RETRIES", default=6)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# A webhook is disabled after this many failed attempts in a row (retries count); re-register it to resume.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=15)
WEBHOOKS_PER_NATION = env.int("WEBHOOKS_PER_NATION", default=10)

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "coordination.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["coordination.api.permissions.HasScope"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "coordination.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "coordination.api.pagination.ApiPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "coordination.api.renderers.CSVRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "coordination.api.throttling.ClientRateThrottle",
        "coordination.api.throttling.BulkRateThrottle",
    ],
    # Per client (token or user). Set CACHE_URL to Redis when running several web processes.
    "DEFAULT_THROTTLE_RATES": {
        "client": env.str("API_THROTTLE_RATE", default="1200/min"),
        "bulk": env.str("API_BULK_THROTTLE_RATE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "coordination.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aid Coordination Cell API",
    "DESCRIPTION": "Pledges, deliveries, training, stock levels and shortfalls, per nation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "coordination.api.schema.add_error_responses",
        "coordination.api.schema.align_with_server",
    ],
    # No call to the public swagger.io validator: the docs work offline.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "persistAuthorization": True},
    "ENUM_NAME_OVERRIDES": {
        "PledgeStatusEnum": "pledges.models.Pledge.Status",
        "DeliveryStatusEnum": "pledges.models.Delivery.Status",
        "TrainingStatusEnum": "pledges.models.TrainingCommitment.Status",
        "ShortfallStatusEnum": "stockpiles.models.Shortfall.Status",
        "OrderStatusEnum": "stockpiles.models.Order.Status",
        "WebhookEventEnum": "notifications.models.Event",
        "WebhookDeliveryStatusEnum": "notifications.models.WebhookDelivery.Status",
        "NotificationKindEnum": "notifications.models.Kind",
        "NotificationModeEnum": "notifications.models.NotificationPreference.Mode",
    },
}

# --- Celery ------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
# Without a broker, tasks run in-process (embedded default, and the plain test suite).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
# Eager tasks still build a producer; an in-memory transport keeps that from looking for a server.
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
# One queue name per deployment sharing a Redis (the worker tests use their own).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "full-shortfall-recompute": {
        "task": "stockpiles.tasks.recompute_all_shortfalls",
        "schedule": timedelta(minutes=env.int("FULL_RECOMPUTE_MINUTES", default=15)),
    },
    "stale-reporting-alerts": {
        "task": "stockpiles.tasks.sync_stale_reporting",
        "schedule": timedelta(minutes=STALE_REPORTING_CHECK_MINUTES),
    },
    "notification-daily-digest": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=NOTIFY_DIGEST_HOUR, minute=0),
    },
}
CELERY_TIMEZONE = TIME_ZONE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "coordination.security.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Refused access and failed logins, one JSON object per line.
        "coordination.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
}
