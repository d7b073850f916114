"""A store settings change (currency, weight unit, tax mode) reaches everything it affects.

The merchant record is read by every catch-up and merchant full sync. When the settings
SparkLayer holds change, the product mapping changes with them (the price list follows the
currency, weights the unit), so the price-list cache is dropped and a full sync of products is
queued. A change is told from the merchant record's hash before and after the push.
"""

from __future__ import annotations

import logging

from django.db import connection as db

from connections.models import Connection
from platforms.types import DataType
from sync.engine.price_lists import price_lists_forget
from sync.engine.sql import record_state_hash_select
from sync.jobs.jobs import SyncAlreadyActive, sync_job_cancel, sync_job_queue_full, syncable_data_types
from sync.models import RecordState, SyncJob, TriggerSource

logger = logging.getLogger(__name__)

#: what a settings change affects
AFFECTED_DATA_TYPES = (DataType.PRODUCTS,)


def merchant_hash(*, connection: Connection) -> str:
    """The hash of the settings SparkLayer holds ('' before the first push)."""
    if db.vendor == "postgresql":  # a fixed statement: every webhook event asks (``sync.engine.sql``)
        return record_state_hash_select(connection_id=connection.pk, data_type=DataType.MERCHANT) or ""
    return (
        RecordState.objects.filter(connection=connection, data_type=DataType.MERCHANT, deleted=False)
        .values_list("content_hash", flat=True)
        .first()
        or ""
    )


def settings_followups(*, connection: Connection, job: SyncJob | None = None, before: str | None = None) -> list[str]:
    """Queue the full syncs a settings change needs; returns the data types queued.

    ``before``: the merchant hash before the push (the caller read it); without it the job's
    ``result["merchant_hash_before"]`` is used. Nothing happens on the first push."""
    if before is None and job is not None:
        before = str(job.result.get("merchant_hash_before") or "")
    after = merchant_hash(connection=connection)
    if not before or not after or before == after:
        return []
    price_lists_forget(connection_id=connection.pk)
    supported = set(syncable_data_types(connection))
    queued = []
    for data_type in AFFECTED_DATA_TYPES:
        if data_type not in supported:
            continue
        try:
            _queue(connection, data_type)
        except SyncAlreadyActive as active:
            # Pages it read before the change carry the old settings: start it over.
            if active.job is not None:
                sync_job_cancel(job=active.job, reason="the store settings changed: a new full sync replaces it")
            try:
                _queue(connection, data_type)
            except SyncAlreadyActive:
                continue
        queued.append(str(data_type))
    logger.info("store settings changed", extra={"connection": connection.pk, "queued": queued})
    return queued


def _queue(connection: Connection, data_type: DataType) -> None:
    sync_job_queue_full(
        connection=connection, data_type=data_type, trigger=TriggerSource.SCHEDULE, requested_by="settings change"
    )
