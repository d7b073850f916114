"""Reconcile: what webhooks and catch-ups cannot see, and the health of the store's webhooks.

WooCommerce fires no ``product.deleted`` on a force delete, a batch delete or a variation delete,
moves no ``date_modified`` when an order reduces stock or a line is edited, and silently disables
a webhook after repeated failed deliveries. So every ``RECONCILE_INTERVAL_SECONDS`` each active
connection:

* queues a full sync of every webhook-driven data type it syncs (``trigger=schedule``): a full
  sync reads everything, pushes only what differs from what SparkLayer holds (stock and order
  changes included), reads what its listing missed and removes what is gone
  (``sync.engine.deletion``); a type whose full sync is already queued or running is left to it;
* asks the adapter to re-enable or re-create disabled/missing webhooks, and opens a
  ``webhook_repaired`` issue when it had to, since deliveries were probably missed meanwhile (the
  full syncs above read them).

The run is recorded as a ``SyncJob`` of kind ``reconcile`` (data type ``webhooks``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from connections.clients import connection_webhook_source
from connections.models import Connection
from connections.selectors import active_connections_due
from connections.services import connection_webhook_data_types, connection_webhook_delivery_url
from ignite_bridge.core.errors import IntegrationError
from platforms.types import RecordIssue
from sync.engine.issues import issues_record
from sync.incremental.catch_up import catch_up_data_types
from sync.incremental.locks import advisory_lock
from sync.jobs.jobs import SyncAlreadyActive, sync_job_queue_full
from sync.jobs.partial_jobs import sync_job_end, sync_job_start_partial
from sync.models import JobKind, JobState, TriggerSource

logger = logging.getLogger(__name__)

WEBHOOK_ISSUE_DATA_TYPE = "webhooks"
WEBHOOK_REPAIRED = "webhook_repaired"


@dataclass
class ReconcileResult:
    queued: list[str] = field(default_factory=list)
    repaired_topics: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: bool = False


def connections_due_for_reconcile(*, now: datetime | None = None) -> list[int]:
    """Active connections whose last reconcile is older than ``RECONCILE_INTERVAL_SECONDS``."""
    return active_connections_due(
        last_run_field="last_reconcile_at",
        interval_seconds=settings.RECONCILE_INTERVAL_SECONDS,
        now=now or timezone.now(),
    )


def connection_reconcile(*, connection: Connection, now: datetime | None = None) -> ReconcileResult:
    """Queue the reconciling full syncs and repair webhooks for one connection; ``last_reconcile_at``
    moves only when both parts succeeded."""
    started = now or timezone.now()
    with advisory_lock(f"reconcile:{connection.pk}", wait_seconds=0) as held:
        if not held:
            return ReconcileResult(skipped=True)
        result = ReconcileResult()
        job = sync_job_start_partial(connection=connection, data_type=WEBHOOK_ISSUE_DATA_TYPE, kind=JobKind.RECONCILE)
        for data_type in catch_up_data_types(connection):
            try:
                sync_job_queue_full(connection=connection, data_type=data_type, trigger=TriggerSource.SCHEDULE)
            except SyncAlreadyActive:
                continue
            result.queued.append(str(data_type))
        try:
            result.repaired_topics = webhooks_repair(connection=connection)
        except IntegrationError as exc:
            result.errors.append(f"webhooks: {type(exc).__name__}: {exc}")
        sync_job_end(
            job=job,
            state=JobState.FAILED if result.errors else JobState.SUCCEEDED,
            error="; ".join(result.errors),
            result={"queued": result.queued, "repaired_topics": result.repaired_topics},
        )
        if not result.errors:
            Connection.objects.filter(pk=connection.pk).update(last_reconcile_at=started)
        else:
            logger.warning("reconcile incomplete", extra={"connection": connection.pk, "errors": result.errors})
        return result


def webhooks_repair(*, connection: Connection) -> list[str]:
    """Re-enable or re-create the store's missing/disabled webhooks; opens an issue when it had to."""
    adapter = connection_webhook_source(connection)
    delivery_url = connection_webhook_delivery_url(connection)
    fixed = adapter.repair_webhooks(
        delivery_url=delivery_url,
        secret=connection.webhook_secret,
        data_types=connection_webhook_data_types(connection),
    )
    if fixed:
        message = (
            f"The store's webhooks for {', '.join(fixed)} were disabled or missing and have been re-enabled. "
            "Changes made meanwhile are read by the full syncs the reconcile queued."
        )
        issues_record(
            connection=connection,
            data_type=WEBHOOK_ISSUE_DATA_TYPE,
            issues=[RecordIssue(external_id="webhooks", code=WEBHOOK_REPAIRED, message=message)],
        )
        logger.warning("webhooks repaired", extra={"connection": connection.pk, "topics": fixed})
    return fixed
