"""gunicorn hooks of the web service (``gunicorn -c python:ignite_bridge.gunicorn_conf ...``).

Metrics in multiprocess mode need the master to empty ``PROMETHEUS_MULTIPROC_DIR`` before the
workers start and to mark a worker dead when it exits (``ignite_bridge/core/metrics.py``). Tracing
starts in each worker when it loads the app (``ignite_bridge/wsgi.py``), after the fork; once it has,
the worker freezes its start-up objects out of collections (``ignite_bridge/core/collector.py``).
Everything else (bind, workers, threads, timeouts) stays on the command line.
"""

from __future__ import annotations

from typing import Any

from ignite_bridge.core import metrics
from ignite_bridge.core.collector import gc_tune


def on_starting(server: Any) -> None:
    metrics.multiprocess_dir_reset()


def child_exit(server: Any, worker: Any) -> None:
    metrics.process_exited(worker.pid)


def post_worker_init(worker: Any) -> None:
    gc_tune("web worker")
