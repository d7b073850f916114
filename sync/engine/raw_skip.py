"""Unchanged records skipped before they are mapped: the cheap path of an unchanged full sync.

Mapping and hashing a record costs more than the rest of an unchanged re-sync. So a full sync asks
the adapter for pages whose mapping is deferred (``Page.deferred``): each record comes with the
hash of everything its mapping reads (its store payload with its variations, the store settings the
mapper uses, the mapper's version: the adapter's part), combined here with what the write path
itself changes in a mapped record before hashing it for this connection (``mapping_context``: the
price lists SparkLayer owns, whose prices are left out; the engine's version).

That combined raw hash is stored on ``RecordState.raw_hash`` only when a push of the record was
accepted in full and the record had no issues (``sync.engine.push``), and cleared whenever the
record is claimed for a write (``states_claim``). A record whose raw hash equals the stored one is
confirmed with one compare-and-set statement per page (read version forward, seen by the job),
never mapped nor hashed; every other record is mapped and takes the write path as before. A
forced sync skips nothing. A stock-only change changes the store payload, so it is found.

Duplicate SKUs stay exact: a skipped record's SKUs are taken as seen in page order, and one whose
SKU another variant took first in this run is mapped after all (and loses it, as it would have).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from dataclasses import dataclass

from connections.models import Connection
from platforms.types import DataType, Page, SyncRecord
from sync.engine.price_lists import price_lists_not_ours
from sync.engine.record_states import states_confirm_raw_unchanged

#: bump whenever the write path changes what it makes of a mapped record before hashing it
ENGINE_MAPPING_VERSION = "1"


def mapping_context(connection: Connection) -> str:
    """What, besides the adapter's raw hash, decides the payloads a record is pushed with."""
    not_ours = sorted(price_lists_not_ours(connection_id=connection.pk).items())
    scope = connection.customer_sync_scope
    parts = [ENGINE_MAPPING_VERSION, connection.platform, connection.store_url, scope, not_ours]
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def effective_raw_hash(raw: str, context: str) -> str:
    """The raw hash stored and compared: the adapter's, bound to the connection's ``context``."""
    return hashlib.sha256(f"{raw}:{context}".encode()).hexdigest() if raw else ""


@dataclass
class Resolved:
    """A deferred page: the records to push (mapped), and the ones confirmed unchanged unmapped."""

    records: list[SyncRecord]
    skipped: list[str]


def page_resolve(
    *,
    connection: Connection,
    data_type: DataType,
    page: Page,
    job_id: int | None,
    force: bool,
    seen_skus: MutableMapping[str, str] | None,
) -> Resolved:
    """Confirm the page's records whose raw hash is unchanged, map the others (see the module docstring)."""
    deferred = page.deferred
    if deferred is None:
        return Resolved(records=page.records, skipped=[])
    skip: dict[str, dict[str, str]] = {}
    if not force:
        context = mapping_context(connection)
        confirmed = states_confirm_raw_unchanged(
            connection=connection,
            data_type=str(data_type),
            raw_hashes={eid: effective_raw_hash(raw, context) for eid, raw in deferred.raw_hashes.items()},
            read_at=page.read_at,
            job_id=job_id,
        )
        owners = seen_skus if seen_skus is not None else {}
        skip = {  # a SKU another variant took first in this run (before a resume): mapped after all
            eid: variants
            for eid, variants in confirmed.items()
            if all(owners.get(sku.strip(), vid) == vid for vid, sku in variants.items())
        }
    records = deferred.map(skip)
    mapped = {record.external_id for record in records}
    skipped = [eid for eid in deferred.raw_hashes if eid in skip and eid not in mapped]
    if seen_skus is not None:
        for eid in skipped:
            for vid, sku in skip[eid].items():
                seen_skus.setdefault(sku.strip(), vid)
    return Resolved(records=records, skipped=skipped)
