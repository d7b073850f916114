"""Celery signal handlers of the core: correlation ids across the broker, metrics and tracing per process.

Imported by ``ignite_bridge/celery.py`` so they are connected in every process that publishes or runs
tasks (web, worker, beat). Nothing here imports Django models.

* Publishing: the message carries the bound correlation id (``ignite_correlation_id``) and the time
  it was sent (``ignite_sent_at``, which the queue-age gauge reads).
* Running: the task runs with the message's correlation id bound, or a new one (beat's tasks).
* The worker's main process empties the metrics directory before its pool forks and, with
  ``METRICS_PORT``, serves ``/metrics`` for all its processes; a pool process that ends is marked
  dead for multiprocess mode; each pool process starts tracing when it is configured.
* Start-up objects are frozen out of collections (``ignite_bridge/core/collector.py``): in each pool
  process after the fork (prefork, solo) and in the worker's main process once it is ready (where a
  threads pool runs tasks, and from which prefork forks the pool processes that replace others).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import signals

from ignite_bridge.core import correlation, metrics

logger = logging.getLogger(__name__)

SENT_AT_HEADER = "ignite_sent_at"


@signals.before_task_publish.connect(weak=False)
def _message_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is None:
        return
    headers.setdefault(correlation.TASK_HEADER, correlation.current() or correlation.new_id())
    headers.setdefault(SENT_AT_HEADER, time.time())


@signals.task_prerun.connect(weak=False)
def _bind_task_correlation(task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    value = getattr(request, correlation.TASK_HEADER, None) or getattr(request, "id", "") or ""
    if request is not None:
        request._ignite_correlation_token = correlation.bind(str(value))


@signals.task_postrun.connect(weak=False)
def _unbind_task_correlation(task: Any = None, **_: Any) -> None:
    token = getattr(getattr(task, "request", None), "_ignite_correlation_token", None)
    if token is not None:
        correlation.unbind(token)


@signals.worker_init.connect(weak=False)
def _reset_metrics_dir(**_: Any) -> None:
    metrics.multiprocess_dir_reset()


@signals.worker_ready.connect(weak=False)
def _serve_worker_metrics(**_: Any) -> None:
    from ignite_bridge.core.metrics_server import worker_metrics_serve

    worker_metrics_serve()


@signals.worker_process_init.connect(weak=False)
def _start_tracing(**_: Any) -> None:
    from ignite_bridge.core.tracing import tracing_init

    tracing_init(service="worker")


@signals.worker_process_init.connect(weak=False)
def _tune_pool_process_gc(**_: Any) -> None:
    from ignite_bridge.core.collector import gc_tune

    gc_tune("worker pool process")


@signals.worker_ready.connect(weak=False)
def _tune_worker_gc(**_: Any) -> None:
    from ignite_bridge.core.collector import gc_tune

    gc_tune("worker")


@signals.worker_process_shutdown.connect(weak=False)
def _process_gone(pid: int | None = None, **_: Any) -> None:
    metrics.process_exited(pid or os.getpid())
