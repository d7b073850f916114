"""Django core settings shared by every runtime."""

from pathlib import Path

from ignite_bridge.core.logging import build_logging, level_number
from ignite_bridge.settings.celery import *  # noqa: F403
from ignite_bridge.settings.env import BASE_DIR, VAR_DIR, env
from ignite_bridge.settings.ignite import *  # noqa: F403
from ignite_bridge.settings.operations import *  # noqa: F403
from ignite_bridge.settings.operations import metrics_instrumented

VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ignite_bridge.core",
    "connections",
    "sync",
    "storefront",
    # views only; it keeps its app label for its migration history (CheckoutCompletion moved to storefront)
    "endpoints",
    # management command only (platform_check, the Platform API conformance checker); no models
    "platforms.standard.apps.StandardPlatformConfig",
]
#: the local sandboxes and the demo command (no models, nothing imports it): installed only by the settings
#: that run them (``local``, ``test``), never by ``production``
SANDBOX_APPS = ["sandbox"]

MIDDLEWARE = [
    # first: every log line of the request, middleware included, carries its correlation id
    "ignite_bridge.core.correlation.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # body size limits on /v1/, /install/ and /webhooks/ before anything reads a body
    "ignite_bridge.core.body_limits.RequestBodyLimitMiddleware",
    # serves the admin's and the API docs' static files from gunicorn itself (no CDN, no extra server)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ignite_bridge.core.middleware.ProblemJsonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ignite_bridge.urls"
WSGI_APPLICATION = "ignite_bridge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ignite_bridge" / "templates"],
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has several processes (web, worker) on one file: wait for locks
    # instead of failing, and let readers run beside the writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # IMMEDIATE: a transaction takes the write lock when it begins and waits for it (timeout), instead of
    # failing at once with "database is locked" when a read transaction cannot become a write one.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A transaction takes the write lock when it begins, so it waits (``timeout``) for another
            # writer instead of failing with "database is locked" when its first write needs the lock
            # a reader of the same transaction could not upgrade to.
            "transaction_mode": "IMMEDIATE",
        }
    )

MIDDLEWARE, DATABASES["default"] = metrics_instrumented(middleware=MIDDLEWARE, database=DATABASES["default"])

#: the shared SparkLayer token cache; the database default's table is made by ``migrate``
#: (``ignite_bridge/core/migrations/0001_cache_table.py``)
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://ignite_bridge_cache")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
#: times to the second with their time zone in the console (ignite_bridge/formats/en/formats.py)
FORMAT_MODULE_PATH = ["ignite_bridge.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
# Without collectstatic (the embedded default, tests) whitenoise finds files in the apps directly.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["ignite_bridge.core.auth.IgniteTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["ignite_bridge.core.auth.IsIgniteCaller"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ignite_bridge.core.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "ignite_bridge.core.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ignite Bridge",
    "DESCRIPTION": (
        "The Ignite endpoints SparkLayer calls on this bridge (connect, sync, storefront requests). "
        "Every error is RFC 7807 problem JSON."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1/",
    # The docs page's assets are served from this deployment, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="console")  # "json" in production
LOGGING = build_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)
#: the level a full sync's *successful* store and SparkLayer calls are logged at. Each of its writes is on a
#: PushLog row and every call in the metrics, so by default a catalogue's tens of thousands of calls stay out
#: of the INFO log (one line cost a worker ~30-45 us of CPU a call); failed calls and retries log at INFO
#: whatever this says. INFO logs every call, as webhook processing and customer requests do.
FULL_SYNC_CALL_LOG_LEVEL = level_number(
    env.str("FULL_SYNC_CALL_LOG_LEVEL", default="DEBUG"), setting="FULL_SYNC_CALL_LOG_LEVEL"
)
