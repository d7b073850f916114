"""Production: every secret must come from the environment; the process refuses to start without one."""

from ignite_bridge.settings.base import *  # noqa: F403
from ignite_bridge.settings.env import env, require
from ignite_bridge.settings.operations import database_engine

DEBUG = False
SECRET_KEY = require("SECRET_KEY")
IGNITE_API_TOKENS = [t for t in require("IGNITE_API_TOKENS").split(",") if t.strip()]
FIELD_ENCRYPTION_KEYS = [k for k in require("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()]
IGNITE_PUBLIC_URL = require("IGNITE_PUBLIC_URL")
DATABASES = {"default": env.db_url_config(require("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ENGINE"] = database_engine(DATABASES["default"]["ENGINE"])
CELERY_BROKER_URL = require("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}  # noqa: F405
CACHES = {"default": env.cache_url_config(env.str("CACHE_URL", default=CELERY_BROKER_URL))}

WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=False)  # the image runs collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# X-Forwarded-Proto means "the caller used https" only when a proxy of ours sets it (the proxy must
# overwrite, not append to, the caller's own header); without one, anyone could send it.
if TRUSTED_PROXY_HOPS > 0:  # noqa: F405
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # probes and Prometheus call plain HTTP
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[IGNITE_PUBLIC_URL])
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = build_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)  # noqa: F405
