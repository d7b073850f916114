"""The embedded default: one laptop, SQLite, no broker server, sandboxes on loopback."""

import os

from ignite_bridge.settings.base import *  # noqa: F403
from ignite_bridge.settings.env import env

INSTALLED_APPS = [*INSTALLED_APPS, *SANDBOX_APPS]  # noqa: F405  (the demo and its sandboxes run here)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="local-development-only-not-secret")
IGNITE_API_TOKENS = env.list("IGNITE_API_TOKENS", default=["local-dev-token"])
# A fixed development key so the embedded database stays readable across restarts. Never use it
# in production: production settings require FIELD_ENCRYPTION_KEYS.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=["bG9jYWwtZGV2LWtleS1ub3Qtc2VjcmV0LTMyYnl0ZXM="])
IGNITE_ALLOWED_PLATFORM_HOSTS = env.list("IGNITE_ALLOWED_PLATFORM_HOSTS", default=["127.0.0.1", "localhost"])

# ``manage.py demo`` leaves the URLs of its sandboxes and web server in ``var/demo.env``, so a command
# run beside it (``manage.py sync_run demo-store products``) talks to the same sandboxes. The process's
# own environment wins over the file.
DEMO_ENV_FILE = VAR_DIR / "demo.env"  # noqa: F405
DEMO_ENV_NAMES: list[str] = []
if DEMO_ENV_FILE.exists():
    import environ

    _before = set(os.environ)
    environ.Env.read_env(str(DEMO_ENV_FILE), overwrite=False)
    DEMO_ENV_NAMES = sorted(set(os.environ) - _before)
    SPARKLAYER_URL_TEST = env.str("SPARKLAYER_URL_TEST", default=SPARKLAYER_URL_TEST)  # noqa: F405
    SPARKLAYER_URL_LIVE = env.str("SPARKLAYER_URL_LIVE", default=SPARKLAYER_URL_LIVE)  # noqa: F405
    IGNITE_PUBLIC_URL = env.str("IGNITE_PUBLIC_URL", default=IGNITE_PUBLIC_URL)  # noqa: F405
