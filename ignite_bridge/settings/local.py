"""The embedded default: one laptop, SQLite, no broker server, sandboxes on loopback."""

from ignite_bridge.settings.base import *  # noqa: F403
from ignite_bridge.settings.env import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="local-development-only-not-secret")
IGNITE_API_TOKENS = env.list("IGNITE_API_TOKENS", default=["local-dev-token"])
# A fixed development key so the embedded database stays readable across restarts. Never use it
# in production: production settings require FIELD_ENCRYPTION_KEYS.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=["bG9jYWwtZGV2LWtleS1ub3Qtc2VjcmV0LTMyYnl0ZXM="])
IGNITE_ALLOWED_PLATFORM_HOSTS = env.list("IGNITE_ALLOWED_PLATFORM_HOSTS", default=["127.0.0.1", "localhost"])
