"""Product metrics in Prometheus format: one place that defines them, small calls that count.

Code elsewhere calls the functions below (``webhook_received``, ``outbound_request``, ...); it never
touches ``prometheus_client`` itself. With ``METRICS_ENABLED`` off every call returns at once and
``prometheus_client`` is not even imported.

**Several processes.** gunicorn workers and the Celery prefork pool are separate processes. With
``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory per service, wiped when the service starts:
``ignite_bridge/gunicorn_conf.py`` and ``ignite_bridge/core/worker_metrics.py``), every process
writes its samples to files there and a scrape adds them up (prometheus_client's multiprocess
mode). Without it each process reports only its own samples (the embedded default, tests).

**Cardinality rule.** Counters and histograms carry only labels whose values come from a small
fixed set: platform, data type, outcome/state, HTTP method, status code, queue, and the outbound
*endpoint template* (``/api/v1/products/{id}``, never the id itself). They never carry a
connection, site, record or event id: every process file would keep a series per connection
forever. Per-connection numbers exist only as gauges computed at scrape time, for at most
``METRICS_TOP_CONNECTIONS`` connections (the ones with the most waiting webhook events), so a
scrape stays the same size whatever the number of stores.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

#: seconds; event lag runs from milliseconds (quiet) to many minutes (an outage being caught up)
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0)
WAIT_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_lock = threading.Lock()
_metrics: dict[str, Any] | None = None
_enabled: bool | None = None

#: functions returning extra metric families at scrape time (registered by apps: open issues, backlog)
ScrapeCollector = Callable[[], Iterable[Any]]
_scrape_collectors: list[ScrapeCollector] = []


def enabled() -> bool:
    global _enabled
    if _enabled is None:
        try:
            _enabled = bool(getattr(settings, "METRICS_ENABLED", True))
        except ImproperlyConfigured:  # a client used without Django settings (scripts): nothing to count into
            _enabled = False
    return _enabled


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def _build() -> dict[str, Any]:
    from prometheus_client import Counter, Histogram

    return {
        "webhooks_received": Counter(
            "ignite_webhooks_received_total",
            "Webhook deliveries answered, by result: stored, duplicate, rejected_signature, rejected_size, "
            "unknown_connection, not_stored (pings and topics with nothing to sync).",
            ["platform", "data_type", "result"],
        ),
        "events_finished": Counter(
            "ignite_webhook_events_finished_total",
            "Webhook event processing attempts that ended, by the event's state and outcome.",
            ["platform", "data_type", "state", "outcome"],
        ),
        "event_lag": Histogram(
            "ignite_webhook_event_lag_seconds",
            "From the delivery's receipt to the end of its processing (SparkLayer accepted the write, or "
            "nothing needed writing).",
            ["platform", "data_type", "outcome"],
            buckets=LAG_BUCKETS,
        ),
        "handovers": Counter(
            "ignite_webhook_handovers_total",
            "Processing tasks that handed their connection's waiting events to a new task: fair_share (other "
            "connections wait), deadline (WEBHOOK_FOLLOW_ON_SECONDS), or refused (the connection is at its "
            "concurrency cap).",
            ["reason"],
        ),
        "jobs_finished": Counter(
            "ignite_sync_jobs_finished_total",
            "Sync job runs that ended (or were deferred), by kind and resulting state.",
            ["platform", "data_type", "kind", "state"],
        ),
        "job_duration": Histogram(
            "ignite_sync_job_duration_seconds",
            "Wall time of finished sync jobs, from first start to finish.",
            ["platform", "data_type", "kind", "state"],
            buckets=JOB_BUCKETS,
        ),
        "records_read": Counter(
            "ignite_sync_records_total",
            "Platform records read by full syncs (rate() gives records/s).",
            ["platform", "data_type"],
        ),
        "outbound_requests": Counter(
            "ignite_outbound_requests_total",
            "HTTP calls to SparkLayer and the stores, one per attempt, by endpoint template and status "
            "('error' when no answer came).",
            ["service", "endpoint", "method", "status"],
        ),
        "outbound_duration": Histogram(
            "ignite_outbound_request_duration_seconds",
            "Latency of HTTP calls to SparkLayer and the stores, per attempt.",
            ["service", "endpoint", "method"],
            buckets=CALL_BUCKETS,
        ),
        "retry_waits": Counter(
            "ignite_outbound_retry_wait_seconds_total",
            "Seconds slept between attempts of one call: retry_after (the answer's Retry-After) or backoff.",
            ["service", "reason"],
        ),
        "budget_waits": Histogram(
            "ignite_sparklayer_budget_wait_seconds",
            "Time a SparkLayer call waited for its site's shared request budget or back-off.",
            ["priority"],
            buckets=WAIT_BUCKETS,
        ),
        "http_requests": Counter(
            "ignite_http_requests_total",
            "Requests the bridge answered, by URL name (the route, never its arguments), method and status.",
            ["view", "method", "status"],
        ),
        "http_duration": Histogram(
            "ignite_http_request_duration_seconds",
            "Time the bridge took to answer, by URL name.",
            ["view"],
            buckets=CALL_BUCKETS,
        ),
        "backoffs": Counter(
            "ignite_sparklayer_backoffs_total",
            "429 answers that paused every writer of the site (the shared back-off).",
        ),
    }


def _get() -> dict[str, Any] | None:
    global _metrics
    if not enabled():
        return None
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = _build()
    return _metrics


def _safe(record: Callable[[dict[str, Any]], None]) -> None:
    """Counting must never break what is counted."""
    metrics = _get()
    if metrics is None:
        return
    try:
        record(metrics)
    except Exception:  # noqa: BLE001 - a metrics failure is logged, never raised into product code
        logger.warning("metric not recorded", exc_info=True)


# -- what product code calls --------------------------------------------------------------------


def webhook_received(*, platform: str, result: str, data_type: str = "") -> None:
    _safe(lambda m: m["webhooks_received"].labels(platform, data_type, result).inc())


def webhook_event_finished(
    *, platform: str, data_type: str, state: str, outcome: str, lag_seconds: float | None
) -> None:
    def record(m: dict[str, Any]) -> None:
        m["events_finished"].labels(platform, data_type, state, outcome).inc()
        if lag_seconds is not None:
            m["event_lag"].labels(platform, data_type, outcome).observe(max(0.0, lag_seconds))

    _safe(record)


def webhook_handover(*, reason: str) -> None:
    _safe(lambda m: m["handovers"].labels(reason).inc())


def sync_job_finished(*, platform: str, data_type: str, kind: str, state: str, duration: float | None) -> None:
    def record(m: dict[str, Any]) -> None:
        m["jobs_finished"].labels(platform, data_type, kind, state).inc()
        if duration is not None:
            m["job_duration"].labels(platform, data_type, kind, state).observe(max(0.0, duration))

    _safe(record)


def sync_records_read(*, platform: str, data_type: str, count: int) -> None:
    if count > 0:
        _safe(lambda m: m["records_read"].labels(platform, data_type).inc(count))


def outbound_request(*, service: str, endpoint: str, method: str, status: int | None, duration: float) -> None:
    def record(m: dict[str, Any]) -> None:
        m["outbound_requests"].labels(service, endpoint, method, str(status) if status else "error").inc()
        m["outbound_duration"].labels(service, endpoint, method).observe(duration)

    _safe(record)


def outbound_retry_wait(*, service: str, reason: str, seconds: float) -> None:
    if seconds > 0:
        _safe(lambda m: m["retry_waits"].labels(service, reason).inc(seconds))


def budget_wait(*, priority: str, seconds: float) -> None:
    _safe(lambda m: m["budget_waits"].labels(priority).observe(seconds))


def http_request(*, view: str, method: str, status: int, duration: float) -> None:
    def record(m: dict[str, Any]) -> None:
        m["http_requests"].labels(view, method, str(status)).inc()
        m["http_duration"].labels(view).observe(duration)

    _safe(record)


def sparklayer_backoff() -> None:
    _safe(lambda m: m["backoffs"].inc())


# -- exposition ---------------------------------------------------------------------------------


def register_scrape_collector(collector: ScrapeCollector) -> None:
    """Add metric families computed at scrape time (database counts, queue lengths) to the web's /metrics."""
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


class _ScrapeTime:
    """A prometheus_client collector running the registered scrape-time functions; one failing is skipped."""

    def __init__(self, collectors: Iterable[ScrapeCollector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterable[Any]:
        for collector in self.collectors:
            try:
                yield from list(collector())
            except Exception:  # noqa: BLE001 - a broken gauge must not cost the whole scrape
                logger.warning("scrape-time metrics failed", extra={"collector": collector.__name__}, exc_info=True)


def exposition(*, include_scrape_time: bool) -> tuple[bytes, str]:
    """The text exposition of every process's samples (multiprocess mode) or this process's, plus the
    scrape-time gauges when asked (the web's /metrics; worker exporters leave them to the web)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    _get()  # the families exist (at zero) even before the first sample
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    if include_scrape_time and _scrape_collectors:
        extra = CollectorRegistry(auto_describe=False)
        extra.register(_ScrapeTime(_scrape_collectors))  # type: ignore[arg-type]
        output += generate_latest(extra)
    return output, CONTENT_TYPE_LATEST


def multiprocess_dir_reset() -> None:
    """Empty the multiprocess directory: called once when a service starts, before its processes fork."""
    path = multiprocess_dir()
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(path, name))


def process_exited(pid: int) -> None:
    """Tell multiprocess mode a process is gone (its live gauges stop counting)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
