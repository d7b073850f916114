"""The bridge's Celery app with a fast schedule, for the two-beats test (``tests/core/test_beat.py``).

Same app, same scheduler class (``ignite_bridge.core.beat.SingleRunScheduler``); only the intervals
are seconds instead of minutes, so a few seconds show several runs."""

from ignite_bridge.celery import app

app.conf.beat_schedule = {
    "probe-every-second": {"task": "ignite_bridge.core.tasks.ping_task", "schedule": 1.0, "args": ("one",)},
    "probe-every-two-seconds": {"task": "ignite_bridge.core.tasks.ping_task", "schedule": 2.0, "args": ("two",)},
}
