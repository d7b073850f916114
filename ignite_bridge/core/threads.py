"""A thread pool whose tasks keep the submitter's correlation id (and, with tracing on, its span).

``concurrent.futures.ThreadPoolExecutor`` runs each task in its worker thread's own context, so the
correlation id of the webhook or job (``ignite_bridge/core/correlation.py``) and the current trace
span are lost there. The push path sends its SparkLayer writes from such a pool; with this one, their
log lines and spans belong to the event or job that sent them. Threads started another way (a full
sync's page threads, its id listing) wrap what they run with ``in_submitter_context``, the same carrier.

Only those two are carried over, not the whole ``contextvars`` context: libraries keep per-context
state there too (Django's cache handler among them), which must stay per thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any, ParamSpec, TypeVar

from ignite_bridge.core import correlation, tracing

P = ParamSpec("P")
T = TypeVar("T")


def in_submitter_context(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn``, to be run in another thread with the correlation id and trace context of the thread that
    wraps it (captured now)."""
    correlation_id = correlation.current()
    trace_context = tracing.current_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with (
            correlation.bound(correlation_id) if correlation_id else nullcontext(),
            tracing.attached(trace_context),
        ):
            return fn(*args, **kwargs)

    return run


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """``ThreadPoolExecutor`` whose tasks run with the submitter's correlation id and trace context."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(in_submitter_context(fn), *args, **kwargs)
