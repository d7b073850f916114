"""A thread pool whose tasks keep the submitter's correlation id (and, with tracing on, its span).

``concurrent.futures.ThreadPoolExecutor`` runs each task in its worker thread's own context, so the
correlation id of the webhook or job (``ignite_bridge/core/correlation.py``) and the current trace
span are lost there. The push path sends its SparkLayer writes from such a pool; with this one, their
log lines and spans belong to the event or job that sent them.

Only those two are carried over, not the whole ``contextvars`` context: libraries keep per-context
state there too (Django's cache handler among them), which must stay per thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any, TypeVar

from ignite_bridge.core import correlation, tracing

T = TypeVar("T")


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """``ThreadPoolExecutor`` whose tasks run with the submitter's correlation id and trace context."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        correlation_id = correlation.current()
        trace_context = tracing.current_context()

        def run() -> T:
            with (
                correlation.bound(correlation_id) if correlation_id else nullcontext(),
                tracing.attached(trace_context),
            ):
                return fn(*args, **kwargs)

        return super().submit(run)
