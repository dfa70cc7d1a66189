"""caseqa settings: one file, driven by the environment.

SQLite by default so that a fresh checkout works; PostgreSQL through DATABASE_URL.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.getenv(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


DEBUG = envbool("DEBUG", "False")
SECRET_KEY_MISSING = (
    "SECRET_KEY must be set (only DEBUG=1 or TESTING=1 serve on the development key); generate one with "
    "python -c 'import secrets; print(secrets.token_urlsafe(60))'"
)
TESTING = envbool("TESTING")
# PRODUCTION=1 turns every security default on (HTTPS only, secure cookies, HSTS, SECRET_KEY
# required); each one can still be overridden by its own variable below. See docs/deploy.md.
PRODUCTION = envbool("PRODUCTION")
if PRODUCTION and DEBUG:
    # DEBUG pages show settings and source to anyone who triggers an error: never in production.
    raise ImproperlyConfigured("PRODUCTION=1 refuses DEBUG=1: unset DEBUG (or set DEBUG=0) in the environment file")
SECRET_KEY = os.getenv("SECRET_KEY", "")
# Without a key of its own the project runs on a development key published in the source. Production
# refuses that outright; elsewhere commands that serve nothing (migrate, makemigrations, import_data…)
# may use it, but a server (WSGI or runserver) starts on it only with DEBUG=1 or under tests
# (caseqa/serving.py: a site that signs sessions and CSRF tokens with a public key is open to anyone).
DEVELOPMENT_KEY_IN_USE = not SECRET_KEY
if DEVELOPMENT_KEY_IN_USE:
    if PRODUCTION:
        raise ImproperlyConfigured(SECRET_KEY_MISSING)
    # The django-insecure- prefix makes `check --deploy` report it (security.W009).
    SECRET_KEY = "django-insecure-caseqa-development-key-do-not-use-in-production"
ALLOWED_HOSTS = [h for h in os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "teams",
    "cases",
    "ops",
    "importjobs",
    "django_prometheus",
]

MIDDLEWARE = [
    # Outermost: times the whole request (django-prometheus) and writes its log line (ops/requestlog.py).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ops.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "caseqa.middleware.RejectNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "caseqa.urls"
WSGI_APPLICATION = "caseqa.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=envint("CONN_MAX_AGE", "0")
    )
}
# After a write, the writer reads on the primary this long (caseqa/db_router.py: the standby replays the
# WAL later; docs/scaling.md measured the lag under a large import).
REPLICA_PIN_SECONDS = envint("REPLICA_PIN_SECONDS", "30")
if os.getenv("DATABASE_REPLICA_URL"):
    # Statistics reads go to a read replica (caseqa/db_router.py). In tests it mirrors the default
    # database: Django renames it to the test database, which a real standby has by replication.
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=envint("CONN_MAX_AGE", "0")
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["caseqa.db_router.StatisticsReplicaRouter"]
    MIDDLEWARE.append("caseqa.db_router.StatisticsReadsMiddleware")
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # Statistics read a working set that lives in memory (or on SSD), where a random page costs
        # about what a sequential one does: at the default 4.0 the planner scans all reviews instead of
        # looking up one team's cases. JIT compiling costs more than it saves on sub-second statements.
        _database.setdefault("OPTIONS", {}).setdefault(
            "options", os.getenv("CASEQA_PG_OPTIONS", "-c random_page_cost=1.1 -c jit=off")
        )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo server and an import run side by side; IMMEDIATE makes
    # each transaction take the single write lock at BEGIN, so concurrent writers queue (up to the
    # timeout) instead of failing with "database is locked" when a reader turns writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )

# django-prometheus' wrappers of the same backends count queries and errors for /metrics.
_METERED_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        # In memory under tests, as with the stock engine (pytest-django recognises only its name).
        _database.setdefault("TEST", {}).setdefault("NAME", ":memory:")
    _database["ENGINE"] = _METERED_ENGINES.get(_database["ENGINE"], _database["ENGINE"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache: API throttle counts must be seen by every gunicorn worker and every server, so
# not local memory. The database cache table by default (created by `migrate`, see ops/apps.py);
# Redis when CACHE_URL=redis://host:6379/0 is set (Django's own backend, the `redis` package).
CACHE_URL = os.getenv("CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "caseqa_cache",
            # Culling at Django's default 300 entries could drop live throttle counts on a busy day.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# django-axes watches every authenticate() call and refuses locked-out logins before ModelBackend.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Login lockout: after AXES_FAILURE_LIMIT failures for one username from one address, that pair is
# refused for AXES_COOLOFF_TIME hours. Off by default under TESTING (the test client's login()
# passes no request); tests/test_security.py switches it on.
AXES_ENABLED = envbool("AXES_ENABLED", "False" if TESTING else "True")
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_TIME_HOURS", "1")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# The client's address, also behind the reverse proxy (BEHIND_PROXY=1): the address the proxy appended
# to X-Forwarded-For, not the proxy's own, so that one client cannot lock out everybody (ops/proxy.py).
# The attempt counts live in the database (axes' database handler), which every worker shares.
AXES_CLIENT_IP_CALLABLE = "ops.proxy.client_address"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Without collectstatic (the demo and the tests) WhiteNoise looks files up per request instead of
# indexing a STATIC_ROOT that does not exist (which it warned about once per test client).
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
# Uploaded files (achievements' attachments): never served directly, only through access-checked views.
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if envbool("TESTING") or DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Imports: the web upload and the command share one code path; big files are streamed to disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Optimistic concurrency on the API: If-Match is honoured (412 when stale); required (428 without it) only if set,
# so that existing clients keep working (docs/api.md).
API_REQUIRE_IF_MATCH = envbool("API_REQUIRE_IF_MATCH")
IMPORT_MAX_UPLOAD_BYTES = envint("IMPORT_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024))
# An XLSX is refused before it is expanded when its parts would inflate past this many bytes in all,
# or when one part over 10 MB inflates more than this many times (a 1.5 MB file with a 1.5 GB cell);
# real sheets compress 5-20 times.
IMPORT_MAX_XLSX_EXPANDED_BYTES = envint("IMPORT_MAX_XLSX_EXPANDED_BYTES", str(2 * 1024 * 1024 * 1024))
IMPORT_MAX_XLSX_COMPRESSION_RATIO = envint("IMPORT_MAX_XLSX_COMPRESSION_RATIO", "200")
# Uploads wait here for the worker (`manage.py import_worker`): web servers and worker must share it.
IMPORT_SPOOL_DIR = os.environ.get("IMPORT_SPOOL_DIR", os.path.join(tempfile.gettempdir(), "caseqa-imports"))

# Background tasks (django-tasks): the database backend needs no other server; `manage.py import_worker`
# runs them. Tests run them in the request (immediate) unless a test switches to the database backend
# and runs a worker itself (tests/test_import_jobs.py).
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend",
        )
    }
}

# Statutory deadlines: days before a deadline at which an open case is "at risk" (DOMAIN §6).
CASEQA_AT_RISK_DAYS = envint("CASEQA_AT_RISK_DAYS", "5")

# Daily reminder e-mails (manage.py send_reminders): SMTP from the environment in production; the demo
# prints them to the console. CASEQA_SITE_URL makes the links in an e-mail absolute.
EMAIL_BACKEND = os.getenv(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "caseqa@localhost")
CASEQA_SITE_URL = os.getenv("CASEQA_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

REST_FRAMEWORK = {
    # Token first: an anonymous request is answered 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "teams.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "teams.api.auth.TokenWritePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["teams.api.auth.TokenRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cases.api.common.StablePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "cases.api.common.FormatNegotiation",
    "EXCEPTION_HANDLER": "cases.api.common.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Requests per API token (DRF throttle rate syntax); browser sessions are not throttled.
CASEQA_API_TOKEN_RATE = os.getenv("CASEQA_API_TOKEN_RATE", "1200/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "caseqa API",
    "DESCRIPTION": "案-件比与案件质量评查 / case-to-item ratio and case quality reviews",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice set used by several fields (e.g. computed and final review grades).
    "ENUM_NAME_OVERRIDES": {"GradeEnum": "cases.models.review.Grade"},
    # The error answers every operation can give (400/401/403/404/409/429), documented once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "caseqa.api_schema.document_error_answers",
    ],
}

SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", str(PRODUCTION))
CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", str(PRODUCTION))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(PRODUCTION))
# Monitoring probes reach gunicorn directly over plain HTTP on the loopback: answer, do not redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_PROXY = envbool("BEHIND_PROXY")
# How many trusted proxies append to X-Forwarded-For in front of caseqa (deploy/nginx: one).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "1")
if BEHIND_PROXY:
    # Behind a TLS-terminating reverse proxy (nginx) that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Content Security Policy (django-csp): only this site's own scripts, styles and images (no CDN is
# used); an inline <script> needs nonce="{{ request.csp_nonce }}". Charts save as data:/blob: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Health and metrics (ops/health.py, ops/metrics.py).
WORKER_HEARTBEAT_MAX_AGE = envint("WORKER_HEARTBEAT_MAX_AGE", "60")
METRICS_ALLOWED_ADDRESSES = [a for a in os.getenv("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1").split(",") if a]
METRICS_TOKEN = os.getenv("METRICS_TOKEN", "")
LOG_FORMAT = os.getenv("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json")

# Every record goes through one console handler whose filter masks personal data (names, case
# titles, ID numbers, phone numbers) before it is written: caseqa/logging_filters.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "caseqa.logging_filters.PersonalDataFilter"}},
    "formatters": {
        "json": {"()": "ops.logformat.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's own default handlers would bypass the filter: route everything through ours.
        "django": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING"), "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # One line per request and per import (ops/requestlog.py, ops/observe.py), also at LOG_LEVEL=WARNING.
        "caseqa": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
