"""Records the platform no longer has: discontinue or delete them in SparkLayer.

Deleted platform records (contract §2): a product becomes ``discontinued`` (every variant) and
the stock of its SKUs is removed; a customer is deleted; purchases and settings have no delete in
SparkLayer, so only the bridge's state changes. The RecordState keeps the row, marked deleted
with its hashes cleared, so a record that comes back is pushed in full again.

``deletions_detect`` runs at the end of a completed full sync: records of the type this run did
not see are candidates, each confirmed with the platform before anything is written.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from connections.clients import connection_sparklayer_client
from connections.models import Connection
from ignite_bridge.core.errors import PermanentError
from platforms.base import PlatformAdapter
from platforms.types import DataType
from sparklayer.client import SparkLayerClient
from sync.models import PushLog, RecordState, SyncJob, WebhookEvent
from sync.services import writes
from sync.services.issues import issues_resolve_records

logger = logging.getLogger(__name__)


def _sparklayer_delete(client: SparkLayerClient, data_type: str, state: RecordState) -> list[writes.WriteResult]:
    if data_type == DataType.PRODUCTS:
        variant_ids = list(state.variants) or [state.external_id]
        results = [writes.write_discontinue(client, state.external_id, variant_ids)]
        skus = list(state.skus or state.variants.values())
        if skus and results[0].ok:
            results.append(writes.write_stock_delete(client, [state.external_id], skus))
        return results
    if data_type == DataType.CUSTOMERS:
        return [writes.write_customer_delete(client, state.external_id)]
    return []


def record_delete(
    *,
    connection: Connection,
    data_type: DataType | str,
    external_id: str,
    job: SyncJob | None = None,
    event: WebhookEvent | None = None,
    client: SparkLayerClient | None = None,
) -> bool:
    """Discontinue/delete the record in SparkLayer and mark it deleted; True if a write was made.

    Does not ask the platform: the caller decided the record is gone. A record never pushed (or
    already deleted) needs no write. Transient and authentication errors are raised (nothing
    is marked); a permanent refusal is logged on the record's timeline and the record is still
    marked deleted, since there is nothing the next run could do differently.
    """
    state = RecordState.objects.filter(connection=connection, data_type=data_type, external_id=external_id).first()
    if state is None or state.deleted or not state.content_hash:
        if state is not None and not state.deleted:
            RecordState.objects.filter(pk=state.pk).update(deleted=True)
        issues_resolve_records(connection=connection, data_type=str(data_type), external_ids=[external_id])
        return False
    client = client or connection_sparklayer_client(connection)
    results = _sparklayer_delete(client, str(data_type), state)
    for result in results:
        if result.error is not None and not isinstance(result.error, PermanentError):
            raise result.error
        if isinstance(result.error, PermanentError) and result.error.status in (401, 403):
            raise result.error
    with transaction.atomic():
        PushLog.objects.bulk_create(
            [
                PushLog(
                    connection=connection,
                    data_type=str(data_type),
                    external_id=external_id[:255],
                    operation=result.operation,
                    status=result.status,
                    error="" if result.error is None else str(result.error)[:2000],
                    job=job,
                    event=event,
                )
                for result in results
            ]
        )
        RecordState.objects.filter(pk=state.pk).update(
            deleted=True, content_hash="", stock_hash="", pricing_hash="", last_pushed_at=timezone.now()
        )
        issues_resolve_records(connection=connection, data_type=str(data_type), external_ids=[external_id])
    logger.info(
        "record deleted in sparklayer",
        extra={"connection": connection.pk, "data_type": str(data_type), "external_id": external_id},
    )
    return bool(results)


def deletions_detect(
    *,
    connection: Connection,
    data_type: DataType,
    job: SyncJob,
    adapter: PlatformAdapter,
    client: SparkLayerClient,
) -> int:
    """Discontinue/delete records this completed run did not see and the platform confirms gone."""
    if data_type not in (DataType.PRODUCTS, DataType.CUSTOMERS, DataType.PURCHASES):
        return 0
    candidates = (
        RecordState.objects.filter(connection=connection, data_type=data_type, deleted=False)
        .exclude(last_seen_job_id=job.pk)
        .values_list("external_id", flat=True)
    )
    deleted = 0
    for external_id in list(candidates.iterator(chunk_size=1000)):
        found = adapter.fetch_record(data_type, external_id)
        if found is not None and not found.deleted:
            # Alive but missed by the listing (e.g. changed status mid-run): seen, not deleted.
            RecordState.objects.filter(connection=connection, data_type=data_type, external_id=external_id).update(
                last_seen_job_id=job.pk
            )
            continue
        record_delete(connection=connection, data_type=data_type, external_id=external_id, job=job, client=client)
        deleted += 1
    return deleted
