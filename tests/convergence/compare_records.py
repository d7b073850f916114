"""Comparisons of customers and purchases with their payloads, and of the bridge's own bookkeeping
(``RecordState``, ``SyncIssue``) with the expected state."""

from __future__ import annotations

from typing import Any

from connections.models import Connection
from platforms.types import DataType, SyncRecord
from sync.engine.hashing import record_hashes
from sync.models import RecordState, SyncIssue
from tests.convergence import semantics
from tests.convergence.difference import MISSING, Difference, by_id
from tests.convergence.semantics import Expected

# -- people and orders ---------------------------------------------------------------------------


def payload_differences(expected: Any, actual: Any, path: str) -> list[tuple[str, Any, Any]]:
    """Where ``actual`` differs from ``expected`` in the fields ``expected`` has (SparkLayer adds its
    own ids and timestamps). Lists of objects with an ``external_id`` are matched by it."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [(path, actual, expected)]
        found = []
        for key, value in expected.items():
            found += payload_differences(value, actual.get(key, MISSING), f"{path}.{key}" if path else key)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [(path, actual, expected)]
        if all(isinstance(item, dict) and "external_id" in item for item in expected):
            by_id = {item.get("external_id"): item for item in actual if isinstance(item, dict)}
            found = []
            for item in expected:
                found += payload_differences(item, by_id.get(item["external_id"], MISSING),
                                             f"{path}[{item['external_id']}]")  # fmt: skip
            return found
        found = []
        for index, (want, have) in enumerate(zip(expected, actual, strict=True)):
            found += payload_differences(want, have, f"{path}[{index}]")
        return found
    return [] if expected == actual else [(path, actual, expected)]


def compare_customers(expected: Expected, state: dict[str, Any]) -> list[Difference]:
    found: list[Difference] = []
    landed = {str(c["external_id"]): c for c in state.get("customers", [])}
    for external_id, record in sorted(expected.customers.items(), key=by_id):
        stored = landed.get(external_id)
        if stored is None:
            found.append(
                Difference("customer", external_id, "(record)", MISSING, "present", key=("customers", external_id))
            )
            continue
        for path, have, want in payload_differences(record.payload, stored, ""):
            found.append(Difference("customer", external_id, path, have, want, key=("customers", external_id)))
    for external_id in sorted(set(landed) - set(expected.customers) - set(expected.customers_unpushable)):
        found.append(
            Difference(
                "customer", external_id, "(record)", "present", "deleted from the store", key=("customers", external_id)
            )
        )
    return found


def compare_purchases(expected: Expected, state: dict[str, Any]) -> list[Difference]:
    found: list[Difference] = []
    landed: dict[str, dict[str, Any]] = {}
    for purchase in state.get("purchases", []):
        platform_id = (purchase.get("purchase_identifiers") or {}).get("platform")
        landed[str(platform_id)] = purchase
    for external_id, record in sorted(expected.purchases.items(), key=by_id):
        stored = landed.get(external_id)
        if stored is None:
            found.append(
                Difference("purchase", external_id, "(record)", MISSING, "present", key=("purchases", external_id))
            )
            continue
        for path, have, want in payload_differences(record.payload, stored, ""):
            found.append(Difference("purchase", external_id, path, have, want, key=("purchases", external_id)))
    return found


# -- the bridge's own bookkeeping ------------------------------------------------------------------


def compare_record_states(
    connection: Connection, expected: Expected, state: dict[str, Any], leave_out: frozenset[str] = frozenset()
) -> list[Difference]:
    found: list[Difference] = []
    landed_products = {str(p["external_id"]) for p in state.get("products", [])}
    for data_type in semantics.RECORD_STATE_TYPES:
        rows = {row.external_id: row for row in RecordState.objects.filter(connection=connection, data_type=data_type)}
        if data_type == DataType.PRODUCTS:
            rows = {external_id: row for external_id, row in rows.items() if external_id not in leave_out}
        mapped = expected.of(data_type)
        for external_id, record in sorted(mapped.items(), key=by_id):
            found += _record_state_differences(data_type, external_id, rows.get(external_id), record)
        in_store = set(mapped) | set(expected.unpushable_of(data_type))
        gone = (set(rows) | (landed_products if data_type == DataType.PRODUCTS else set())) - in_store
        for external_id in sorted(gone):
            row = rows.get(external_id)
            where = f"{data_type} {external_id} (gone from the store)"
            if row is None:
                found.append(
                    Difference(
                        "record_state", where, "(row)", MISSING, "deleted=True", key=(str(data_type), external_id)
                    )
                )
            elif not getattr(row, semantics.RECORD_STATE_DELETED):
                found.append(
                    Difference(
                        "record_state",
                        where,
                        semantics.RECORD_STATE_DELETED,
                        False,
                        True,
                        key=(str(data_type), external_id),
                    )
                )
    return found


def _record_state_differences(
    data_type: DataType, external_id: str, row: RecordState | None, record: SyncRecord
) -> list[Difference]:
    where = f"{data_type} {external_id}"
    if row is None:
        return [Difference("record_state", where, "(row)", MISSING, "present", key=(str(data_type), external_id))]
    found = []
    if getattr(row, semantics.RECORD_STATE_DELETED):
        found.append(
            Difference(
                "record_state", where, semantics.RECORD_STATE_DELETED, True, False, key=(str(data_type), external_id)
            )
        )
    hashes = record_hashes(record)
    fields = semantics.RECORD_STATE_HASHES if data_type == DataType.PRODUCTS else {"content_hash": "content"}
    for field_name, attribute in fields.items():
        have, want = getattr(row, field_name), getattr(hashes, attribute)
        if have != want:
            found.append(
                Difference("record_state", where, field_name, have[:12], want[:12], key=(str(data_type), external_id))
            )
    return found


def compare_issues(
    connection: Connection, expected: Expected, leave_out: frozenset[str] = frozenset()
) -> list[Difference]:
    found: list[Difference] = []
    for data_type in semantics.RECORD_STATE_TYPES:
        open_ids = set(
            SyncIssue.objects.filter(connection=connection, data_type=data_type, state="open").values_list(
                "external_id", flat=True
            )
        )
        if data_type == DataType.PRODUCTS:
            open_ids -= leave_out
        for external_id in sorted(expected.unpushable_of(data_type)):
            if external_id not in open_ids:
                found.append(
                    Difference(
                        "issue",
                        f"{data_type} {external_id} (unpushable)",
                        "open issue",
                        "none",
                        "one",
                        key=(str(data_type), external_id),
                    )
                )
        if not semantics.CHECK_NO_STALE_ISSUES:
            continue
        clean = {external_id for external_id, record in expected.of(data_type).items() if not record.issues}
        in_store = set(expected.of(data_type)) | set(expected.unpushable_of(data_type))
        for external_id in sorted(open_ids):
            if external_id in clean:
                found.append(
                    Difference(
                        "issue",
                        f"{data_type} {external_id} (maps cleanly)",
                        "open issue",
                        "open",
                        "none",
                        key=(str(data_type), external_id),
                    )
                )
            elif external_id not in in_store:
                found.append(
                    Difference(
                        "issue",
                        f"{data_type} {external_id} (gone)",
                        "open issue",
                        "open",
                        "none",
                        key=(str(data_type), external_id),
                    )
                )
    return found
