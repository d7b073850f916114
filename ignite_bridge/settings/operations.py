"""Settings for running many stores: metrics, fair scheduling, the SparkLayer budget, retention."""

import os
from typing import Any

from ignite_bridge.settings.env import env

# -- metrics (ignite_bridge/core/metrics.py) ---------------------------------------------------
#: product, request and database metrics, served at /metrics (web) and on METRICS_PORT (workers)
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
#: a Celery worker's main process serves its pool's metrics on this port (0: not served)
METRICS_PORT = env.int("METRICS_PORT", default=0)
METRICS_ADDRESS = env.str("METRICS_ADDRESS", default="0.0.0.0")  # noqa: S104 - a private port, for Prometheus
#: per-connection gauges (webhook backlog) are reported for at most this many connections
METRICS_TOP_CONNECTIONS = env.int("METRICS_TOP_CONNECTIONS", default=10)
#: prometheus_client's own variable: with it, every process writes its samples there and a scrape adds
#: them up (one empty directory per service; gunicorn and the worker empty it when they start). Made
#: here so that any process of the service (manage.py commands too) can write its samples.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip():
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
elif "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # set but empty (an .env line): prometheus_client tests presence
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]

# -- fair scheduling (sync/incremental/processing.py, sync/jobs/job_slots.py) ------------------
#: processing tasks working on one connection's webhook events at once, across all workers (one while
#: other connections have events waiting)
WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION = env.int("WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION", default=2)
#: a processing task going on with its connection's events checks, after this many events or seconds,
#: whether other connections have events waiting, and if so hands its own on to the back of the queue
WEBHOOK_HANDOVER_EVENTS = env.int("WEBHOOK_HANDOVER_EVENTS", default=20)
WEBHOOK_HANDOVER_SECONDS = env.float("WEBHOOK_HANDOVER_SECONDS", default=1.0)
#: full syncs of one connection running at once, across all workers (keep it below the sync slots)
SYNC_MAX_JOBS_PER_CONNECTION = env.int("SYNC_MAX_JOBS_PER_CONNECTION", default=2)

# -- one SparkLayer budget per site (sparklayer/budget.py) ------------------------------------
#: requests per second all writers together may send to one SparkLayer site (0: no budget; the shared
#: 429 back-off applies either way)
SPARKLAYER_MAX_RPS_PER_SITE = env.float("SPARKLAYER_MAX_RPS_PER_SITE", default=0.0)
#: share of the budget background writers leave to requests a buyer waits for
SPARKLAYER_INTERACTIVE_SHARE = env.float("SPARKLAYER_INTERACTIVE_SHARE", default=0.2)
#: the longest a background call waits for the budget or a back-off before its task is rescheduled
SPARKLAYER_BUDGET_MAX_WAIT_SECONDS = env.float("SPARKLAYER_BUDGET_MAX_WAIT_SECONDS", default=30.0)
#: the longest a call a buyer waits for waits; then it is sent anyway
SPARKLAYER_INTERACTIVE_MAX_WAIT_SECONDS = env.float("SPARKLAYER_INTERACTIVE_MAX_WAIT_SECONDS", default=2.0)

# -- retention (sync/scheduled/retention.py) ----------------------------------------------------
#: bodies (and headers) of finished webhook events are emptied after this many days
RETENTION_EVENT_BODY_DAYS = env.int("RETENTION_EVENT_BODY_DAYS", default=14)
#: finished webhook events (with their attempts) are deleted after this many days
RETENTION_EVENT_DAYS = env.int("RETENTION_EVENT_DAYS", default=90)
#: push logs are deleted after this many days
RETENTION_PUSHLOG_DAYS = env.int("RETENTION_PUSHLOG_DAYS", default=30)
#: finished sync jobs kept per connection, data type and kind (older ones are deleted)
RETENTION_JOBS_KEPT = env.int("RETENTION_JOBS_KEPT", default=200)
#: rows changed per statement (each its own short transaction)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=500)


def database_engine(engine: str) -> str:
    """The backend for a database URL's ``engine``: PostgreSQL through the bridge's own backend (a
    health check without a round trip while the connection is quiet: ``ignite_bridge/core/db/health.py``),
    with django-prometheus's query counts and durations when ``METRICS_ENABLED``; any other engine (the
    embedded SQLite default) as it is."""
    if engine != "django.db.backends.postgresql":
        return engine
    return "ignite_bridge.core.db.metrics.postgresql" if METRICS_ENABLED else "ignite_bridge.core.db.postgresql"


def metrics_instrumented(*, middleware: list[str], database: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The database on its backend (``database_engine``) and, when ``METRICS_ENABLED``, request metrics
    (``ignite_bridge/core/metrics_middleware.py``, right after the correlation id)."""
    database = {**database, "ENGINE": database_engine(database["ENGINE"])}
    if not METRICS_ENABLED:
        return middleware, database
    first = 1 if middleware[:1] == ["ignite_bridge.core.correlation.CorrelationIdMiddleware"] else 0
    middleware = [
        *middleware[:first],
        "ignite_bridge.core.metrics_middleware.RequestMetricsMiddleware",
        *middleware[first:],
    ]
    return middleware, database
