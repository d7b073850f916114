"""Reconcile: deletions no webhook reported, and the health of the store's webhooks.

WooCommerce fires no ``product.deleted`` on a force delete, a batch delete or a variation delete,
and silently disables a webhook after repeated failed deliveries. So every
``RECONCILE_INTERVAL_SECONDS`` each active connection:

* lists the live record ids (``adapter.iter_record_ids``) and compares them with ``RecordState``;
  a record SparkLayer holds that the listing lacks is confirmed gone with ``fetch_record`` (a record
  created during the listing is not deleted) and goes through the full sync's delete path;
* asks the adapter to re-enable or re-create disabled/missing webhooks, and opens a
  ``webhook_repaired`` issue when it had to, since deliveries were probably missed meanwhile (the
  next catch-up reads them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from connections.clients import connection_platform_adapter, connection_sparklayer_client
from connections.models import Connection, CustomerSyncScope
from connections.selectors import active_connections_due
from connections.services import connection_webhook_delivery_url
from ignite_bridge.core.errors import IntegrationError
from platforms.types import DataType, RecordIssue
from sync.models import JobKind, JobState, RecordState, SyncJob, TriggerSource
from sync.services.deletion import record_delete
from sync.services.issues import issues_record
from sync.webhooks.locks import advisory_lock

logger = logging.getLogger(__name__)

#: types whose deletions matter in SparkLayer (orders are never deleted there)
RECONCILE_DATA_TYPES = (DataType.PRODUCTS, DataType.CUSTOMERS)
WEBHOOK_ISSUE_DATA_TYPE = "webhooks"
WEBHOOK_REPAIRED = "webhook_repaired"


@dataclass
class ReconcileResult:
    deleted: dict[str, list[str]] = field(default_factory=dict)
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
    """Detect deletions and repair webhooks for one connection; ``last_reconcile_at`` moves only
    when both parts succeeded."""
    started = now or timezone.now()
    with advisory_lock(f"reconcile:{connection.pk}", wait_seconds=0) as held:
        if not held:
            return ReconcileResult(skipped=True)
        result = ReconcileResult()
        for data_type in RECONCILE_DATA_TYPES:
            if data_type == DataType.CUSTOMERS and connection.customer_sync_scope == CustomerSyncScope.NONE:
                continue
            try:
                result.deleted[str(data_type)] = deletions_reconcile(connection=connection, data_type=data_type)
            except IntegrationError as exc:
                result.errors.append(f"{data_type}: {type(exc).__name__}: {exc}")
        try:
            result.repaired_topics = webhooks_repair(connection=connection)
        except IntegrationError as exc:
            result.errors.append(f"webhooks: {type(exc).__name__}: {exc}")
        if not result.errors:
            Connection.objects.filter(pk=connection.pk).update(last_reconcile_at=started)
        else:
            logger.warning("reconcile incomplete", extra={"connection": connection.pk, "errors": result.errors})
        return result


def deletions_reconcile(*, connection: Connection, data_type: DataType) -> list[str]:
    """Delete in SparkLayer the records of ``data_type`` the platform no longer has; returns their ids.

    Recorded as a ``SyncJob`` of kind ``reconcile`` for the admin."""
    job = SyncJob.objects.create(
        connection=connection,
        data_type=data_type,
        kind=JobKind.RECONCILE,
        state=JobState.RUNNING,
        trigger=TriggerSource.SCHEDULE,
        started_at=timezone.now(),
    )
    adapter = connection_platform_adapter(connection)
    client = connection_sparklayer_client(connection)
    gone: list[str] = []
    live: set[str] = set()
    try:
        live = set(adapter.iter_record_ids(data_type))
        known = RecordState.objects.filter(connection=connection, data_type=data_type, deleted=False)
        candidates = [external_id for external_id in known.values_list("external_id", flat=True).iterator()
                      if external_id not in live]  # fmt: skip
        for external_id in candidates:
            found = adapter.fetch_record(data_type, external_id)
            if found is not None and not found.deleted:
                continue  # created or restored while the listing ran
            record_delete(connection=connection, data_type=data_type, external_id=external_id, job=job, client=client)
            gone.append(external_id)
    except IntegrationError as exc:
        job.state, job.error = JobState.FAILED, f"{type(exc).__name__}: {exc}"[:4000]
        raise
    else:
        job.state = JobState.SUCCEEDED
    finally:
        job.seen = len(live)
        job.deleted = len(gone)
        job.finished_at = timezone.now()
        job.result = {"deleted": gone[:1000]}
        job.save(update_fields=["state", "error", "seen", "deleted", "finished_at", "result", "updated_at"])
    return gone


def webhooks_repair(*, connection: Connection) -> list[str]:
    """Re-enable or re-create the store's missing/disabled webhooks; opens an issue when it had to."""
    adapter = connection_platform_adapter(connection)
    delivery_url = connection_webhook_delivery_url(connection)
    fixed = adapter.repair_webhooks(delivery_url=delivery_url, secret=connection.webhook_secret)
    if fixed:
        message = (
            f"The store's webhooks for {', '.join(fixed)} were disabled or missing and have been re-enabled. "
            "Changes made meanwhile are read by the next catch-up."
        )
        issues_record(
            connection=connection,
            data_type=WEBHOOK_ISSUE_DATA_TYPE,
            issues=[RecordIssue(external_id="webhooks", code=WEBHOOK_REPAIRED, message=message)],
        )
        logger.warning("webhooks repaired", extra={"connection": connection.pk, "topics": fixed})
    return fixed
