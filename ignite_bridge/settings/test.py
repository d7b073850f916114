"""Tests: PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL point at them (as in .ci/run)."""

from ignite_bridge.settings.base import *  # noqa: F403
from ignite_bridge.settings.env import env

INSTALLED_APPS = [*INSTALLED_APPS, *SANDBOX_APPS]  # noqa: F405  (tests run the sandboxes)
SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
IGNITE_API_TOKENS = env.list("IGNITE_API_TOKENS", default=["test-token-a", "test-token-b"])
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=["dGVzdC1rZXktYS10ZXN0LWtleS1hLXRlc3Qta2V5LWE="])
IGNITE_ALLOWED_PLATFORM_HOSTS = ["127.0.0.1", "localhost"]
IGNITE_PUBLIC_URL = "http://127.0.0.1:8000"
#: skip the enqueue after a webhook is stored, as a crash between commit and enqueue would (tests and
#: benchmarks set it; a deployment has no such switch: the send then always happens)
WEBHOOK_SKIP_ENQUEUE = env.bool("WEBHOOK_SKIP_ENQUEUE", default=False)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Threads of live-server tests must not hold the test database open (benchmarks may set it).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)  # noqa: F405
