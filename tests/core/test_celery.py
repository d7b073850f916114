"""A real worker process takes a task from the broker and answers."""

import fnmatch
import json
from typing import Any

import pytest
from django.conf import settings

from ignite_bridge.celery import app
from ignite_bridge.core.tasks import ping_task
from tests.processes import wait_until
from tests.workers import WorkerProcess, worker_environment


def test_reliability_settings_are_on():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"]
    assert {q.name for q in app.conf.task_queues} == {"realtime", "webhooks", "sync"}
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_every_task_route_routes_a_task_that_exists():
    """A route whose pattern matches no task is dead weight that misleads a reader about the queues."""
    app.loader.import_default_modules()  # the autodiscovered task modules, as a worker loads them
    names = [name for name in app.tasks if not name.startswith("celery.")]
    for pattern in app.conf.task_routes:
        assert fnmatch.filter(names, pattern), f"route {pattern!r} matches no task"


@pytest.mark.integration
@pytest.mark.skipif(not settings.CELERY_RESULT_BACKEND, reason="needs CELERY_RESULT_BACKEND to read the answer")
def test_worker_round_trips_a_task(celery_worker_process):
    result = ping_task.apply_async(args=["hello"], queue="realtime")
    assert result.get(timeout=60) == "pong:hello"


@pytest.mark.integration
@pytest.mark.skipif(not settings.CELERY_RESULT_BACKEND, reason="needs CELERY_RESULT_BACKEND to read the answer")
def test_worker_processes_freeze_their_start_up_objects(transactional_db, tmp_path):
    """Each pool process (after the fork) and the worker itself freeze their start-up objects before
    the first task (``ignite_bridge/core/collector.py``)."""
    worker = WorkerProcess(worker_environment(LOG_FORMAT="json"), queues="realtime", concurrency=2)
    worker.log_path = tmp_path / "worker.log"  # this worker's lines only
    worker.start()
    try:
        assert ping_task.apply_async(args=["x"], queue="realtime").get(timeout=60) == "pong:x"

        def frozen_lines() -> list[dict[str, Any]]:
            lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
            return [line for line in lines if line.get("event") == "startup objects frozen"]

        # the pool's other process may log after the first one has answered the ping
        wait_until(lambda: len(frozen_lines()) >= 3, timeout=30, what="three processes to freeze")
        frozen: dict[str, list[int]] = {}
        for entry in frozen_lines():
            frozen.setdefault(entry["role"], []).append(entry["frozen_objects"])
    finally:
        worker.stop()
    assert len(frozen.get("worker pool process", [])) == 2, worker.log()[-3000:]  # -c 2
    assert len(frozen.get("worker", [])) == 1, worker.log()[-3000:]
    # Django and the apps are loaded by then: far more than a bare interpreter's ~5,000 objects
    assert min(n for counts in frozen.values() for n in counts) > 50_000
