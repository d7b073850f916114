"""django-prometheus's PostgreSQL backend (query counts and durations) with the quiet-connection
health check (``ignite_bridge/core/db/health.py``)."""

from django_prometheus.db.backends.postgresql import base

from ignite_bridge.core.db.health import QuietHealthCheck


class DatabaseWrapper(QuietHealthCheck, base.DatabaseWrapper):
    pass
