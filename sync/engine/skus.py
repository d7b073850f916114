"""Duplicate SKUs across the pages of one full sync, including a run resumed from its checkpoint.

The adapter already catches duplicates within one ``iter_pages`` call, but a resumed run starts a
new call (and a new map), so the engine keeps its own SKU → owning variant map, rebuilt on resume
from the RecordState rows this job has already seen. The first owner keeps the SKU; a later
variant with it is left out of the push and becomes a ``duplicate_sku`` issue.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import cast

from connections.models import Connection
from platforms.types import DataType, SyncRecord
from platforms.validation import duplicate_sku_issue
from sparklayer.payloads import Product, Variant
from sync.models import RecordState


def seen_skus_rebuild(*, connection: Connection, job_id: int) -> dict[str, str]:
    """SKU → variant external id for every product this job already saw (resume after a checkpoint)."""
    seen: dict[str, str] = {}
    rows = RecordState.objects.filter(
        connection=connection, data_type=DataType.PRODUCTS, last_seen_job_id=job_id, deleted=False
    ).values_list("variants", flat=True)
    for variants in rows.iterator(chunk_size=2000):
        for variant_id, sku in (variants or {}).items():
            seen.setdefault(str(sku), str(variant_id))
    return seen


def drop_duplicate_skus(record: SyncRecord, seen: MutableMapping[str, str]) -> None:
    """Leave out variants whose SKU an earlier variant owns, with their stock rows and prices."""
    if record.payload is None or record.data_type != DataType.PRODUCTS:
        return
    product = cast(Product, record.payload)
    kept: list[Variant] = []
    dropped: set[str] = set()
    label = f"Product '{product.get('title', '')}' (#{record.external_id})"
    for variant in product.get("variants", []):
        issue = duplicate_sku_issue(
            str(variant["sku"]),
            str(variant["external_id"]),
            seen,
            record_external_id=record.external_id,
            record_label=label,
            platform_url=record.platform_url,
        )
        if issue is None:
            kept.append(variant)
            continue
        dropped.add(str(variant["sku"]))
        if all((i.code, i.visible_id) != (issue.code, issue.visible_id) for i in record.issues):
            record.issues.append(issue)
    if not dropped:
        return
    record.stock = [row for row in record.stock if row.get("sku") not in dropped]
    record.pricing = [item for item in record.pricing if item.get("sku") not in dropped]
    if kept:
        record.payload = {**record.payload, "variants": kept}
    else:
        record.payload = None
