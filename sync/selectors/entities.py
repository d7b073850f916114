"""SparkLayer fetches one record from the platform (docs/ignite-contract.md §1.9, ``getEntity``).

The answer is exactly the item the pull endpoint (§1.4) lists for that record: the same adapter
call the webhook path makes (``fetch_record``; for stock, ``fetch_stock`` by SKU), the same
mapping and validation, the payload alone. A record the pull would leave out is not answered:
gone, trashed or a checkout draft → ``EntityNotFound``; mapped with no payload (a product without
SKU, a customer without email) → ``EntityNotSyncable`` carrying its issues. A customer is out of
scope while the connection's ``customer_sync_scope`` is ``none``.

One difference a single read cannot avoid: a SKU used twice is found by comparing the records of
one listing page, so a product whose SKU another product also has comes back whole here.
"""

from __future__ import annotations

import re
from typing import Any

from connections.models import Connection, CustomerSyncScope
from platforms.base import SyncSource
from platforms.types import DataType, RecordIssue, SyncRecord

#: a platform record id travels in the platform's URL path: nothing that could leave that segment
RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,254}$")
SKU_MAX = 255


class EntityNotFound(Exception):
    """The platform does not have the record, or it is not one SparkLayer can see."""


class EntityNotSyncable(Exception):
    """The record exists but cannot be synced; ``issues`` say why (what the sync log reports)."""

    def __init__(self, issues: list[RecordIssue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues) or "The record cannot be synced.")
        self.issues = issues


def sync_entity_get(
    *, connection: Connection, adapter: SyncSource, data_type: DataType, entity_id: str
) -> dict[str, Any]:
    """The pull item for one record. Raises ``EntityNotFound``, ``EntityNotSyncable``, ``ValueError``
    (the platform cannot fetch that type) and the adapter's ``TransientError``/``PermanentError``."""
    if data_type == DataType.CUSTOMERS and connection.customer_sync_scope == CustomerSyncScope.NONE:
        raise EntityNotFound("Customer sync is turned off for this site.")
    record: SyncRecord | None
    if data_type == DataType.STOCK:
        if not entity_id or len(entity_id) > SKU_MAX:
            raise EntityNotFound(f"No stock for SKU {entity_id!r}.")
        record = adapter.fetch_stock(entity_id)
    else:
        if not RECORD_ID.match(entity_id):
            raise EntityNotFound(f"No {data_type} record {entity_id!r}.")
        record = adapter.fetch_record(data_type, entity_id)
        if record is not None and record.external_id != entity_id:
            record = None  # e.g. a variation id answered with its parent product: not this record
    if record is None or record.deleted:
        raise EntityNotFound(f"The store has no {data_type} record {entity_id!r}.")
    if record.payload is None:
        raise EntityNotSyncable(record.issues)
    return record.payload
