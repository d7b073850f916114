"""RecordState rows: what SparkLayer holds per record, read and changed only as the write path allows.

Three ways a row changes, each safe against every other writer (``docs/sync-design.md``):

* ``states_confirm_unchanged``: one compare-and-set statement for a page of records whose hashes
  match what was pushed: only the read version (never backwards) and the "seen by this job" mark
  move, and only where the hashes *still* match; a record whose row changed meanwhile is handed
  back and goes through the locked path instead.
* ``states_claim``: before a record's writes are sent, under its lock: ``in_doubt`` is set, the
  hash of every part about to be written is cleared (a crash from here on leaves those parts
  "unknown", so the next push sends them again; parts SparkLayer accepted meanwhile are saved with
  their new hash as the answers arrive), and the SKUs and variants the writes introduce are added
  to ``skus`` and ``variants`` (other writers see the claim before any stock or price for them
  exists, and a later retirement knows every variant that may exist in SparkLayer).
* ``states_save``: after the writes, under the lock: the accepted result.

On PostgreSQL the compare-and-sets and the upserts are raw-SQL statements (``sync/engine/sql.py``); the
ORM branches beside them are the embedded SQLite mode's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection as db
from django.db.models import Q

from connections.models import Connection
from sync.engine.sql import (
    record_states_confirm_raw_unchanged,
    record_states_confirm_unchanged,
    record_states_select,
    rows_insert,
)
from sync.models import RecordState

STATE_FIELDS = (
    "content_hash",
    "stock_hash",
    "pricing_hash",
    "skus",
    "variants",
    "stock_keys",
    "pricing_keys",
    "retired_variants",
    "platform_updated_at",
    "last_pushed_at",
    "last_seen_job_id",
    "deleted",
    "read_version",
    "in_doubt",
    "raw_hash",
)


@dataclass
class StateRow:
    """What the bridge knows SparkLayer holds for one record; mutated as writes are accepted."""

    content_hash: str = ""
    stock_hash: str = ""
    pricing_hash: str = ""
    skus: list[str] = field(default_factory=list)
    variants: dict[str, str] = field(default_factory=dict)
    stock_keys: list[list[str]] = field(default_factory=list)
    pricing_keys: list[list[str]] = field(default_factory=list)
    retired_variants: dict[str, str] = field(default_factory=dict)
    platform_updated_at: datetime | None = None
    last_pushed_at: datetime | None = None
    last_seen_job_id: int | None = None
    deleted: bool = False
    read_version: datetime | None = None
    in_doubt: bool = False
    raw_hash: str = ""  # set only with an accepted push of a record without issues (``sync.engine.raw_skip``)
    exists: bool = False

    @classmethod
    def from_model(cls, row: RecordState) -> StateRow:
        return cls(
            content_hash=row.content_hash,
            stock_hash=row.stock_hash,
            pricing_hash=row.pricing_hash,
            skus=list(row.skus or []),
            variants=dict(row.variants or {}),
            stock_keys=[list(key) for key in row.stock_keys or []],
            pricing_keys=[list(key) for key in row.pricing_keys or []],
            retired_variants=dict(row.retired_variants or {}),
            platform_updated_at=row.platform_updated_at,
            last_pushed_at=row.last_pushed_at,
            last_seen_job_id=row.last_seen_job_id,
            deleted=row.deleted,
            read_version=row.read_version,
            in_doubt=row.in_doubt,
            raw_hash=row.raw_hash,
            exists=True,
        )

    @property
    def in_sparklayer(self) -> bool:
        """Whether SparkLayer has the record itself (live, or with discontinued variants)."""
        return bool(self.content_hash or self.variants or self.retired_variants)

    @property
    def holds_anything(self) -> bool:
        """Whether anything of the record is live in SparkLayer (content, variants, stock, prices)."""
        return bool(self.content_hash or self.variants or self.stock_keys or self.pricing_keys)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in STATE_FIELDS}


def states_load(*, connection: Connection, data_type: str, external_ids: Iterable[str]) -> dict[str, StateRow]:
    ids = list(external_ids)
    if db.vendor == "postgresql":  # a fixed statement: no ORM compile per page or event
        rows = record_states_select(connection_id=connection.pk, data_type=data_type, external_ids=ids)
    else:
        rows = list(RecordState.objects.filter(connection=connection, data_type=data_type, external_id__in=ids))
    return {row.external_id: StateRow.from_model(row) for row in rows}


def _upsert(*, connection: Connection, data_type: str, rows: dict[str, StateRow], fields: Sequence[str]) -> None:
    if db.vendor == "postgresql":  # one plain multi-row statement, no model instances (``sql.rows_insert``)
        rows_insert(
            model=RecordState,
            names=("connection", "data_type", "external_id", *STATE_FIELDS),
            rows=[
                (connection.pk, data_type, external_id, *(getattr(row, name) for name in STATE_FIELDS))
                for external_id, row in rows.items()
            ],
            conflict=("connection", "data_type", "external_id"),
            update=fields,
        )
        for row in rows.values():
            row.exists = True
        return
    RecordState.objects.bulk_create(
        [
            RecordState(connection=connection, data_type=data_type, external_id=external_id, **row.values())
            for external_id, row in rows.items()
        ],
        update_conflicts=True,
        unique_fields=["connection", "data_type", "external_id"],
        update_fields=list(fields),
    )
    for row in rows.values():
        row.exists = True


def states_save(*, connection: Connection, data_type: str, rows: dict[str, StateRow]) -> None:
    """Upsert the rows as they are (the caller holds every record's lock): one statement."""
    if rows:
        _upsert(connection=connection, data_type=data_type, rows=rows, fields=STATE_FIELDS)


def states_claim(*, connection: Connection, data_type: str, rows: dict[str, StateRow]) -> None:
    """Mark the rows in doubt, the parts about to be written unknown and the SKUs they introduce
    claimed, before any write is sent.

    The caller holds the records' locks and passes rows already carrying the claim; only the claim
    fields are written, so a row's last accepted hashes stay as they were."""
    if not rows:
        return
    for row in rows.values():
        row.in_doubt = True
        row.raw_hash = ""  # nothing may skip the record until the writes are accepted again
    _upsert(
        connection=connection,
        data_type=data_type,
        rows=rows,
        fields=(
            "in_doubt",
            "raw_hash",
            "skus",
            "variants",
            "stock_keys",
            "pricing_keys",
            "content_hash",
            "stock_hash",
            "pricing_hash",
        ),
    )


@dataclass(frozen=True)
class Unchanged:
    """A record whose mapped hashes equal what was pushed, read at ``read_at``; ``raw_hash``: the
    record's raw hash when it may be skipped unmapped from now on (else empty)."""

    external_id: str
    read_at: datetime | None
    content_hash: str
    stock_hash: str
    pricing_hash: str
    raw_hash: str = ""


def states_confirm_unchanged(
    *, connection: Connection, data_type: str, records: Sequence[Unchanged], job_id: int | None
) -> set[str]:
    """Compare-and-set for unchanged records: move ``read_version`` forward (never back), store the
    raw hash and mark them seen by ``job_id``, where the row's hashes still match and nothing is in doubt.

    Returns the external ids confirmed; the others changed since they were read (another writer)
    and must take the locked path."""
    if not records:
        return set()
    if db.vendor == "postgresql":
        return record_states_confirm_unchanged(
            connection_id=connection.pk, data_type=data_type, records=records, job_id=job_id
        )
    confirmed: set[str] = set()
    for item in records:  # the embedded mode: small stores, a statement per record is fine
        matching = RecordState.objects.filter(
            connection=connection,
            data_type=data_type,
            external_id=item.external_id,
            content_hash=item.content_hash,
            stock_hash=item.stock_hash,
            pricing_hash=item.pricing_hash,
            in_doubt=False,
            deleted=False,
        )
        current = matching.values_list("read_version", flat=True).first()
        if current is None and not matching.exists():
            continue
        version = item.read_at if item.read_at is not None and (current is None or current < item.read_at) else current
        changes: dict[str, Any] = {"read_version": version, "raw_hash": item.raw_hash}
        if job_id is not None:
            changes["last_seen_job_id"] = job_id
        if matching.update(**changes):
            confirmed.add(item.external_id)
    return confirmed


def states_confirm_raw_unchanged(
    *,
    connection: Connection,
    data_type: str,
    raw_hashes: dict[str, str],
    read_at: datetime | None,
    job_id: int | None,
) -> dict[str, dict[str, str]]:
    """Compare-and-set for records whose raw hash (``sync.engine.raw_skip``) equals the one stored
    with their last push accepted in full: move ``read_version`` forward (never back) and mark them
    seen by ``job_id``, where the row still has that raw hash, is not in doubt, not deleted and holds
    content. One statement; returns external id → the variants (id → SKU) of each record confirmed.
    The others must be mapped and take the write path."""
    wanted = {external_id: raw for external_id, raw in raw_hashes.items() if raw}
    if not wanted:
        return {}
    if db.vendor != "postgresql":
        confirmed: dict[str, dict[str, str]] = {}
        for external_id, raw in wanted.items():  # the embedded mode: a statement or two per record
            matching = RecordState.objects.filter(
                connection=connection, data_type=data_type, external_id=external_id, raw_hash=raw,
                in_doubt=False, deleted=False,
            ).exclude(content_hash="")  # fmt: skip
            found = matching.values_list("read_version", "variants").first()
            if found is None:
                continue
            current, variants = found
            changes: dict[str, Any] = {}
            if read_at is not None and (current is None or current < read_at):
                changes["read_version"] = read_at
            if job_id is not None:
                changes["last_seen_job_id"] = job_id
            if not changes or matching.update(**changes):
                confirmed[external_id] = dict(variants or {})
        return confirmed
    return record_states_confirm_raw_unchanged(
        connection_id=connection.pk, data_type=data_type, raw_hashes=wanted, read_at=read_at, job_id=job_id
    )


def states_track(*, connection: Connection, data_type: str, external_ids: Iterable[str], job_id: int | None) -> None:
    """Make sure every record a sync saw on the platform has a live row (records never pushed, e.g.
    with issues, too), so deletion detection and issue resolution know them. Existing rows are only
    marked live again (a record back after it was gone) and, with ``job_id``, seen by that job; new
    rows hold nothing yet. One statement (``_upsert``)."""
    rows = {external_id: StateRow(last_seen_job_id=job_id) for external_id in external_ids}
    if rows:
        fields = ("deleted", "last_seen_job_id") if job_id is not None else ("deleted",)
        _upsert(connection=connection, data_type=data_type, rows=rows, fields=fields)


def sku_holders(
    *, connection: Connection, data_type: str, skus: Iterable[str], exclude: Iterable[str] = ()
) -> dict[str, set[str]]:
    """SKU → external ids of the other records that claim it (live variants, stock or prices)."""
    wanted = set(skus)
    if not wanted:
        return {}
    rows = RecordState.objects.filter(connection=connection, data_type=data_type, deleted=False).exclude(
        external_id__in=list(exclude)
    )
    if db.vendor == "postgresql":
        condition = Q()
        for sku in wanted:
            condition |= Q(skus__contains=[sku])
        rows = rows.filter(condition)
    holders: dict[str, set[str]] = {}
    for external_id, claimed, stock_keys, pricing_keys in rows.values_list(
        "external_id", "skus", "stock_keys", "pricing_keys"
    ).iterator(chunk_size=2000):
        owned = set(claimed or []) | {key[0] for key in stock_keys or []} | {key[0] for key in pricing_keys or []}
        for sku in owned & wanted:
            holders.setdefault(sku, set()).add(external_id)
    return holders


def retired_holders(*, connection: Connection, data_type: str, skus: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """SKU → (record external id, variant external id) of variants the bridge discontinued that
    still hold that SKU in SparkLayer."""
    wanted = set(skus)
    if not wanted:
        return {}
    rows = RecordState.objects.filter(connection=connection, data_type=data_type).exclude(retired_variants={})
    found: dict[str, list[tuple[str, str]]] = {}
    for external_id, retired in rows.values_list("external_id", "retired_variants").iterator(chunk_size=2000):
        for variant_id, sku in (retired or {}).items():
            if sku in wanted:
                found.setdefault(sku, []).append((external_id, variant_id))
    return found
