"""The Celery app: three queues, JSON only, acks late, explicit limits, beat schedule in code."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

# correlation ids across the broker, per-process metrics and tracing (connects Celery signals)
from ignite_bridge.core import celery_signals  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ignite_bridge.settings.local")

app = Celery("ignite_bridge")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_track_started=True,
    broker_connection_retry_on_startup=True,
    task_default_queue="sync",
    task_queues=[Queue("realtime"), Queue("webhooks"), Queue("sync")],
    task_routes={
        "sync.tasks.webhook_*": {"queue": "webhooks"},
        "sync.tasks.*": {"queue": "sync"},
        "ignite_bridge.core.tasks.*": {"queue": "realtime"},
    },
    worker_hijack_root_logger=False,
    result_expires=3600,
)

# Periodic work lives here, in code, so every deployment runs the same schedule.
app.conf.beat_schedule = {
    "webhook-sweeper": {"task": "sync.tasks.webhook_sweep_task", "schedule": 30.0},
    "catch-up": {"task": "sync.tasks.catch_up_all_task", "schedule": 60.0},
    "reconcile-and-webhook-health": {"task": "sync.tasks.reconcile_all_task", "schedule": 3600.0},
    "sync-job-sweeper": {"task": "sync.tasks.sync_job_sweep_task", "schedule": 60.0},
    "drift-audit": {"task": "sync.tasks.audit_schedule_task", "schedule": 300.0},
    "retention-prune": {"task": "sync.tasks.retention_prune_task", "schedule": 3600.0},
}
# every beat process asks Redis before sending: one effective scheduler on any number of machines
app.conf.beat_scheduler = "ignite_bridge.core.beat:SingleRunScheduler"

app.autodiscover_tasks()
