"""One settings module, driven by the environment (every variable is listed in .env.example)."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import environ

from contactsource.beat import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is read if present; real deployments set variables in the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for a local dev key).")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Absolute base for docs pages, examples and callback links (never derived from the Host header).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin with the marketer's pages (dashboard, charts, caps): see admin_site.py.
    "contactsource.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "health_check",
    # Admin login lockout (docs/admin.md): failures counted in the shared cache.
    "axes",
    "sources",
    "campaigns",
    "finance",
    "subscriptions",
    "ingest",
    "feedback",
    "reports",
    "imports",
    "partnerdocs",
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on admin and docs pages; no-store on API and intake answers.
    "contactsource.headers.SecurityHeadersMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "contactsource.urls"
WSGI_APPLICATION = "contactsource.wsgi.application"

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
            ],
        },
    },
]

# PostgreSQL everywhere (DESIGN §10): `make run` and `make test` start an embedded one when no
# DATABASE_URL is given (.ci/with-database); anything else is refused here, not half-supported.
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/contactsource")
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise environ.ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…).")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The lockout check first (django-axes), then the ordinary user database.
AUTHENTICATION_BACKENDS = [
    "contactsource.login_lockout.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Project assets (vendored Chart.js, the admin's JS and CSS): served locally, never from a CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
# --- Intake -------------------------------------------------------------------------------
INTAKE_MAX_BODY_BYTES = env.int("INTAKE_MAX_BODY_BYTES", default=1024 * 1024)
INTAKE_MAX_BATCH_BODY_BYTES = env.int("INTAKE_MAX_BATCH_BODY_BYTES", default=10 * 1024 * 1024)
INTAKE_MAX_BATCH_ITEMS = env.int("INTAKE_MAX_BATCH_ITEMS", default=1000)
# Old tokens keep working this long after a rotation.
TOKEN_ROTATION_GRACE_SECONDS = env.int("TOKEN_ROTATION_GRACE_SECONDS", default=24 * 3600)
# Mounts the bare one-insert baseline at /bench/bare/… (make bench only; docs/benchmarks.md).
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)
DATA_UPLOAD_MAX_MEMORY_SIZE = INTAKE_MAX_BATCH_BODY_BYTES + 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- CSV imports (docs/admin.md) ----------------------------------------------------------------
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Rows per chunk: one transaction each, and the progress bar moves once per chunk.
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=1000)
# A task imports chunks for this long, then hands over to a fresh task (other work interleaves).
IMPORT_TASK_SECONDS = env.float("IMPORT_TASK_SECONDS", default=30.0)
# A queued or running import untouched this long lost its task: beat enqueues it again.
IMPORT_STALE_SECONDS = env.float("IMPORT_STALE_SECONDS", default=300.0)
# The charts' hourly rollup trails the log by this much (time for open transactions to commit).
STATS_ROLLUP_MARGIN_SECONDS = env.int("STATS_ROLLUP_MARGIN_SECONDS", default=120)

# --- Callbacks ----------------------------------------------------------------------------
CALLBACK_ALLOW_PRIVATE = env.bool("CALLBACK_ALLOW_PRIVATE", default=False)
CALLBACK_CONNECT_TIMEOUT = env.float("CALLBACK_CONNECT_TIMEOUT", default=3.0)
CALLBACK_READ_TIMEOUT = env.float("CALLBACK_READ_TIMEOUT", default=10.0)
REALTIME_TIMEOUT = env.float("REALTIME_TIMEOUT", default=5.0)
# Callback retries (docs/callbacks.md): backoff with jitter, base to cap, in the window; then dead.
CALLBACK_RETRY_BASE_SECONDS = env.float("CALLBACK_RETRY_BASE_SECONDS", default=30.0)
CALLBACK_RETRY_MAX_DELAY_SECONDS = env.float("CALLBACK_RETRY_MAX_DELAY_SECONDS", default=6 * 3600)
CALLBACK_RETRY_WINDOW_SECONDS = env.float("CALLBACK_RETRY_WINDOW_SECONDS", default=26 * 3600)
# A claimed delivery is due again after this lease (its worker died): longer than one attempt.
CALLBACK_LEASE_SECONDS = env.float(
    "CALLBACK_LEASE_SECONDS", default=CALLBACK_CONNECT_TIMEOUT + CALLBACK_READ_TIMEOUT + 30
)
# The sweeper re-enqueues a due delivery whose task has not run this long after being sent.
CALLBACK_LOST_TASK_SECONDS = env.float("CALLBACK_LOST_TASK_SECONDS", default=120.0)
CALLBACK_SWEEP_SECONDS = env.float("CALLBACK_SWEEP_SECONDS", default=15.0)
CALLBACK_SWEEP_BATCH = env.int("CALLBACK_SWEEP_BATCH", default=2000)
# Deliveries per Celery task (fewer messages); each worker's outbox dispatcher wakes on the
# intake's NOTIFY, else every CALLBACK_DISPATCH_POLL_SECONDS.
CALLBACK_TASK_BATCH = env.int("CALLBACK_TASK_BATCH", default=10)
CALLBACK_DISPATCHER = env.bool("CALLBACK_DISPATCHER", default=True)
CALLBACK_DISPATCH_POLL_SECONDS = env.float("CALLBACK_DISPATCH_POLL_SECONDS", default=2.0)
# An endpoint whose every attempt failed for this many days is disabled (Svix's rule), or
# after this many consecutive failed attempts (0 turns the count rule off).
CALLBACK_DISABLE_AFTER_DAYS = env.float("CALLBACK_DISABLE_AFTER_DAYS", default=5.0)
CALLBACK_DISABLE_AFTER_FAILURES = env.int("CALLBACK_DISABLE_AFTER_FAILURES", default=0)
# Region for national numbers posted to the person API (the intake uses the campaign's).
PERSON_API_PHONE_REGION = env.str("PERSON_API_PHONE_REGION", default="US")

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport (make run): one folder for both directions.
    _broker_dir = env.path("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / "var" / "broker"))
    for _sub in ("queue", "processed", "control"):
        Path(_broker_dir, _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(Path(_broker_dir, "queue")),
        "data_folder_out": str(Path(_broker_dir, "queue")),
        "processed_folder": str(Path(_broker_dir, "processed")),
        # Broadcast (pidbox) messages; kombu's default is ./control in the working directory.
        "control_folder": str(Path(_broker_dir, "control")),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # Publishing fails at once when Redis is down (kombu otherwise retries for ~6 s inside
        # the request); outbox rows (callbacks, imports, notifications) are resent by beat.
        "max_retries": 0,
        "socket_connect_timeout": 2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
# Returned contacts' emails: one digest per source this often (their webhooks go out at once).
RETURNS_DIGEST_SECONDS = env.float("RETURNS_DIGEST_SECONDS", default=3600.0)
if RETURNS_DIGEST_SECONDS <= 0:
    raise environ.ImproperlyConfigured("RETURNS_DIGEST_SECONDS must be a positive number.")
CELERY_BEAT_SCHEDULE = beat_schedule(
    callback_sweep_seconds=CALLBACK_SWEEP_SECONDS, returns_digest_seconds=RETURNS_DIGEST_SECONDS
)

# --- REST API -----------------------------------------------------------------------------


def _throttle_rate(name: str, default: str) -> str:
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"[1-9]\d*/(s|sec|m|min|h|hour|d|day)", value):
        raise environ.ImproperlyConfigured(f"{name}={value!r}: use requests/period, as 600/min.")
    return value


REST_FRAMEWORK = {
    # DRF's own, with a JSON parser that answers 400 for a body nested 1,000 levels deep.
    "DEFAULT_PARSER_CLASSES": [
        "contactsource.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per user (token or session) and per callback endpoint API key, counted in the shared
    # cache so the rate holds whatever the number of web processes (contactsource/throttles.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "contactsource.throttles.UserThrottle",
        "subscriptions.throttles.EndpointKeyThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": _throttle_rate("API_THROTTLE_USER", "1200/min"),
        "endpoint_key": _throttle_rate("API_THROTTLE_ENDPOINT_KEY", "600/min"),
    },
    # Model validation answers 400 and a protected delete 409, never a 500 (contactsource/api.py).
    "EXCEPTION_HANDLER": "contactsource.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contact Source API",
    "DESCRIPTION": "Lead intake, management and person API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags come from the segment after /api/v1/ (sources, campaigns, …); the intake has its own.
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    # The intake routes are plain Django views (their wire format predates DRF): a hook adds them.
    "PREPROCESSING_HOOKS": ["ingest.schema.intake_endpoints_add"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ingest.schema.intake_components_add",
        "contactsource.schema.error_responses_add",
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "sourceToken": {
                "type": "apiKey",
                "in": "header",
                "name": "token",
                "description": "The source's intake token (also accepted as the `token` field "
                "or query parameter, `X-Auth-Token`, `Authorization: Bearer` or the password of "
                "`Authorization: Basic`).",
            }
        }
    },
    "ENUM_NAME_OVERRIDES": {
        "ContactStatusEnum": "ingest.models.ContactStatus",
        "IntakeStatusEnum": "ingest.models.IntakeStatus",
        "IntakePublicStatusEnum": "ingest.schema.PUBLIC_STATUSES",
        "EventTypeEnum": "subscriptions.models.EventType",
    },
}

# --- Cache: throttles, lockouts and docs sessions, shared by every web process ---------------
# Redis in production and tests; `make run` has no Redis (its broker is kombu's filesystem
# transport), so it shares a file cache under var/ between its processes instead.
_CACHE_DEFAULT = (
    f"filecache://{BASE_DIR / 'var' / 'cache'}"
    if CELERY_BROKER_URL.startswith("filesystem://")
    else "redis://127.0.0.1:6379/1"
)
CACHES = {"default": env.cache_url("CACHE_URL", default=_CACHE_DEFAULT)}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Django's own Redis backend (django-environ would pick django-redis if it were installed);
    # a Redis that is down answers at once instead of holding the request.
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 1, "socket_timeout": 1}
    )

# Failed authentications, counted per client address and per source in the shared cache
# (contactsource/failure_limits.py). Over the limit the intake and the docs form answer 429
# with Retry-After until the window ends.
AUTH_FAILURE_WINDOW_SECONDS = env.int("AUTH_FAILURE_WINDOW_SECONDS", default=300)
AUTH_FAILURE_LIMIT_PER_ADDRESS = env.int("AUTH_FAILURE_LIMIT_PER_ADDRESS", default=30)
AUTH_FAILURE_LIMIT_PER_SOURCE = env.int("AUTH_FAILURE_LIMIT_PER_SOURCE", default=100)

# Admin login lockout (django-axes): this many failures for one username from one address
# lock that pair out for the cool-off; a successful login clears the count.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("ADMIN_LOGIN_COOLOFF_SECONDS", default=900))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Not verbose: no banner at every start, and failure lines name only the lockout parameters.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "contactsource.login_lockout.lockout_response"
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    # make run only: one developer, one machine; a file cache's counts may race, which axes warns
    # about at every start. Production and tests use Redis, where the warning does not apply.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]

# Partner docs pages: how long the token form's answer is remembered (ingest/docs_access.py).
DOCS_SESSION_SECONDS = env.int("DOCS_SESSION_SECONDS", default=8 * 3600)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="contactsource@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Emails, phone numbers and tokens are masked in every line, whoever logs them.
    "filters": {"pii": {"()": "contactsource.logmask.PiiMaskingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["pii"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's defaults give "django" a console handler of its own (with DEBUG on) that
        # wrote every request warning a second time, unmasked; the root handler has them all.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request's full URL at INFO; a CRM's URL may carry a key in its query.
        "httpx": {"level": "WARNING"},
    },
}

SESSION_COOKIE_HTTPONLY = True

# --- Reverse proxy (docs/deploy.md) ------------------------------------------------------
# Addresses or networks of the reverse proxies in front of gunicorn (nginx in docker-compose.yml).
# Only from them are X-Forwarded-For (the client's address: the intake log, throttles) and
# X-Forwarded-Proto (https) believed; empty, the default for a direct run, believes neither.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise environ.ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r}: {_exc}") from _exc
# First: every later middleware and view sees the client's address (contactsource/forwarded.py).
MIDDLEWARE.insert(0, "contactsource.forwarded.TrustedProxyMiddleware")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
# DRF's throttles key anonymous clients on REMOTE_ADDR (the client, once the middleware has
# run), never on an X-Forwarded-For as sent, which anyone can vary to dodge a throttle.
REST_FRAMEWORK["NUM_PROXIES"] = 0
