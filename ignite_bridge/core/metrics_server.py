"""Serving the metrics: the web's ``/metrics`` view and the Celery worker's exporter on ``METRICS_PORT``.

The web answers for all its gunicorn workers (multiprocess mode) and adds the scrape-time gauges
(queue lengths, backlog, open issues: the same for every process, so they are reported once, by the
web). A worker's main process serves the counters and histograms of its whole prefork pool on
``METRICS_PORT``, outside Django (no host check, no HTTPS redirect), for Prometheus on the private
network; 0 serves nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from ignite_bridge.core import metrics
from ignite_bridge.core.problems import problem_response

logger = logging.getLogger(__name__)

_server: Any = None


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: Prometheus text format (404 with ``METRICS_ENABLED`` off)."""
    if not metrics.enabled():
        return problem_response(404, detail="Metrics are turned off (METRICS_ENABLED).")
    body, content_type = metrics.exposition(include_scrape_time=True)
    return HttpResponse(body, content_type=content_type)


def worker_metrics_serve() -> int | None:
    """Start the worker's exporter thread once (``METRICS_PORT`` > 0); returns the port, or None."""
    global _server
    port = int(getattr(settings, "METRICS_PORT", 0) or 0)
    if not metrics.enabled() or port <= 0 or _server is not None:
        return None
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    if metrics.multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        logger.warning("PROMETHEUS_MULTIPROC_DIR is not set: the worker's metrics show its main process only")
        registry = REGISTRY
    metrics._get()
    _server, _thread = start_http_server(port, addr=settings.METRICS_ADDRESS, registry=registry)
    logger.info("worker metrics served", extra={"port": port, "address": settings.METRICS_ADDRESS})
    return port
