"""A thread pool whose tasks run in the submitter's context.

``concurrent.futures.ThreadPoolExecutor`` runs each task in its worker thread's own (empty) context,
so what the submitting code had bound in context variables is lost there: the correlation id of the
webhook or job (``ignite_bridge/core/correlation.py``) and, with tracing on, the current span. The
push path sends its SparkLayer writes from such a pool; with this one, their log lines and spans
belong to the event or job that sent them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """``ThreadPoolExecutor`` that runs every task in a copy of the context it was submitted from."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()  # one copy per task: a context is entered by one thread at a time
        return super().submit(context.run, fn, *args, **kwargs)
