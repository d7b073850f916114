"""RecordState rows of one push: read once before, written (upserted) as SparkLayer accepts writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connections.models import Connection
from sync.models import RecordState

STATE_FIELDS = (
    "content_hash",
    "stock_hash",
    "pricing_hash",
    "skus",
    "variants",
    "platform_updated_at",
    "last_pushed_at",
    "last_seen_job_id",
    "deleted",
)


@dataclass
class StateRow:
    """What the bridge knows SparkLayer holds for one record; mutated as writes are accepted."""

    content_hash: str = ""
    stock_hash: str = ""
    pricing_hash: str = ""
    skus: list[str] = field(default_factory=list)
    variants: dict[str, str] = field(default_factory=dict)
    platform_updated_at: datetime | None = None
    last_pushed_at: datetime | None = None
    last_seen_job_id: int | None = None
    deleted: bool = False
    exists: bool = False

    @classmethod
    def from_model(cls, row: RecordState) -> StateRow:
        return cls(
            content_hash=row.content_hash,
            stock_hash=row.stock_hash,
            pricing_hash=row.pricing_hash,
            skus=list(row.skus or []),
            variants=dict(row.variants or {}),
            platform_updated_at=row.platform_updated_at,
            last_pushed_at=row.last_pushed_at,
            last_seen_job_id=row.last_seen_job_id,
            deleted=row.deleted,
            exists=True,
        )

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in STATE_FIELDS}


def states_load(*, connection: Connection, data_type: str, external_ids: Iterable[str]) -> dict[str, StateRow]:
    rows = RecordState.objects.filter(connection=connection, data_type=data_type, external_id__in=list(external_ids))
    return {row.external_id: StateRow.from_model(row) for row in rows}


def states_save(*, connection: Connection, data_type: str, rows: dict[str, StateRow]) -> None:
    """Upsert on (connection, data type, external id): one statement for any number of rows."""
    if not rows:
        return
    RecordState.objects.bulk_create(
        [
            RecordState(connection=connection, data_type=data_type, external_id=external_id, **row.values())
            for external_id, row in rows.items()
        ],
        update_conflicts=True,
        unique_fields=["connection", "data_type", "external_id"],
        update_fields=list(STATE_FIELDS),
    )
    for row in rows.values():
        row.exists = True


def states_mark_seen(*, connection: Connection, data_type: str, external_ids: Iterable[str], job_id: int) -> int:
    """One UPDATE for a page: these records still exist on the platform as of this job."""
    ids = list(external_ids)
    if not ids:
        return 0
    return RecordState.objects.filter(connection=connection, data_type=data_type, external_id__in=ids).update(
        last_seen_job_id=job_id
    )
