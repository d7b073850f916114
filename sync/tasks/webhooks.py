"""Tasks of the webhook-driven incremental sync (thin: ids in, one service call).

``webhook_*`` tasks run on the ``webhooks`` queue; the catch-up and reconcile tasks are heavier
reads and run on ``sync``.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from connections.models import Connection, ConnectionState
from sync.incremental.catch_up import connection_catch_up, connections_due_for_catch_up
from sync.incremental.processing import webhook_event_process_fairly
from sync.incremental.reconcile import connection_reconcile, connections_due_for_reconcile
from sync.incremental.sweeper import webhook_events_sweep
from sync.scheduled.retention import retention_prune

__all__ = [
    "catch_up_all_task",
    "catch_up_connection_task",
    "reconcile_all_task",
    "reconcile_connection_task",
    "retention_prune_task",
    "webhook_process_task",
    "webhook_sweep_task",
]


@shared_task(
    name="sync.tasks.webhook_process_task",
    bind=True,
    acks_late=True,
    max_retries=None,  # attempts are counted on the event row (WEBHOOK_MAX_ATTEMPTS)
    soft_time_limit=120,
    time_limit=150,
    ignore_result=True,
)
def webhook_process_task(self: Any, event_id: int, connection_id: int | None = None) -> None:
    """Process one stored webhook event, then its connection's other waiting events (nudge window),
    within the connection's concurrency cap; a short retry wait is a broker countdown. Messages
    without ``connection_id`` (sent before it was carried) look it up."""
    worker = str(self.request.hostname or "")
    result = webhook_event_process_fairly(event_id=event_id, worker=worker, connection_id=connection_id)
    if result is not None and result.retry_in is not None:
        raise self.retry(countdown=result.retry_in, max_retries=None)


@shared_task(name="sync.tasks.webhook_sweep_task", soft_time_limit=60, time_limit=90, ignore_result=True)
def webhook_sweep_task() -> None:
    """Re-send events nothing is working on (beat, every 30 s)."""
    webhook_events_sweep()


@shared_task(name="sync.tasks.catch_up_all_task", soft_time_limit=60, time_limit=90, ignore_result=True)
def catch_up_all_task() -> None:
    """Queue a catch-up for every active connection whose last one is older than the interval."""
    for connection_id in connections_due_for_catch_up():
        catch_up_connection_task.delay(connection_id)


@shared_task(name="sync.tasks.catch_up_connection_task", soft_time_limit=1800, time_limit=1900, ignore_result=True)
def catch_up_connection_task(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id, state=ConnectionState.ACTIVE).first()
    if connection is not None:
        connection_catch_up(connection=connection)


@shared_task(name="sync.tasks.reconcile_all_task", soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_all_task() -> None:
    """Queue deletion reconcile + webhook health check per connection due (RECONCILE_INTERVAL_SECONDS)."""
    for connection_id in connections_due_for_reconcile():
        reconcile_connection_task.delay(connection_id)


@shared_task(name="sync.tasks.reconcile_connection_task", soft_time_limit=3500, time_limit=3600, ignore_result=True)
def reconcile_connection_task(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id, state=ConnectionState.ACTIVE).first()
    if connection is not None:
        connection_reconcile(connection=connection)


@shared_task(name="sync.tasks.retention_prune_task", soft_time_limit=900, time_limit=960, ignore_result=True)
def retention_prune_task() -> None:
    """Beat, hourly: the retention settings, at most 10 minutes a run (the next run goes on)."""
    retention_prune(max_seconds=600)
