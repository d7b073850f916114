"""Django's PostgreSQL backend with the quiet-connection health check (``ignite_bridge/core/db/health.py``)."""

from django.db.backends.postgresql import base

from ignite_bridge.core.db.health import QuietHealthCheck


class DatabaseWrapper(QuietHealthCheck, base.DatabaseWrapper):
    pass
