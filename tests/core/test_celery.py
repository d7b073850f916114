"""A real worker process takes a task from the broker and answers."""

import fnmatch

import pytest
from django.conf import settings

from ignite_bridge.celery import app
from ignite_bridge.core.tasks import ping_task


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
