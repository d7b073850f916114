"""Optional OpenTelemetry tracing: on only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

One webhook can then be followed from its intake (Django's server span) through the Celery task
that processes it (the trace context travels in the message headers) to the platform read and the
SparkLayer write (``requests`` client spans) and the database statements between them (psycopg).

Started once per process that does work, after any fork: the web in ``ignite_bridge/wsgi.py``
(gunicorn loads the app in each worker after forking), each Celery pool process on
``worker_process_init`` (``ignite_bridge/core/celery_signals.py``). The exporter speaks OTLP over
HTTP and reads the standard ``OTEL_*`` variables itself (endpoint, headers, timeouts, batch sizes);
``OTEL_SERVICE_NAME`` names the service (default ``ignite-bridge``).

Off (the default), nothing of OpenTelemetry is imported and nothing is wrapped: no cost at all.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_initialised = False


def tracing_configured() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip())


def tracing_init(*, service: str, exporter: Any = None) -> bool:
    """Install the tracer provider and the instrumentations in this process; True when it did.

    ``exporter`` replaces the OTLP exporter (tests); without one, nothing happens unless the
    endpoint is configured."""
    global _initialised
    if _initialised or (exporter is None and not tracing_configured()):
        return False
    with _lock:
        if _initialised:
            return False
        from opentelemetry import trace
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        resource = Resource.create(
            {
                "service.name": os.environ.get("OTEL_SERVICE_NAME", "ignite-bridge"),
                "service.instance.id": f"{service}-{os.getpid()}",
                "ignite.process": service,
            }
        )
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        DjangoInstrumentor().instrument()
        CeleryInstrumentor().instrument()
        RequestsInstrumentor().instrument()
        PsycopgInstrumentor().instrument(skip_dep_check=True)
        _initialised = True
    logger.info("tracing started", extra={"service": service})
    return True


def current_context() -> Any:
    """The current trace context to hand to another thread (None when tracing is off)."""
    if not _initialised:
        return None
    from opentelemetry import context

    return context.get_current()


@contextmanager
def attached(trace_context: Any) -> Iterator[None]:
    """Attach a context from ``current_context`` for a block (nothing when it is None)."""
    if trace_context is None:
        yield
        return
    from opentelemetry import context

    token = context.attach(trace_context)
    try:
        yield
    finally:
        context.detach(token)
