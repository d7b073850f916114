"""Field-for-field comparison of SparkLayer (the sandbox's ``GET /_sandbox/state``) and the bridge's
``RecordState`` / ``SyncIssue`` rows with the expected state (``semantics.Expected``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connections.models import Connection
from platforms.types import DataType, SyncRecord
from sync.models import RecordState, SyncIssue
from sync.services.hashing import record_hashes
from tests.convergence import semantics
from tests.convergence.semantics import Expected

MISSING = "<missing>"
GONE = semantics.GONE_VARIANT_STATUS


def _by_id(item: tuple[str, Any]) -> tuple[int, str]:
    return len(item[0]), item[0]


@dataclass(frozen=True)
class Difference:
    """One divergence: ``actual`` is what SparkLayer (or the bridge's bookkeeping) holds, ``expected``
    what the store's mapping says."""

    area: str  # product, variant, stock, pricing, customer, purchase, record_state, issue
    record: str
    field: str
    actual: Any
    expected: Any
    key: tuple[str, str] | None = None  # (data type, external id) of the record, for its RecordState

    def kind(self) -> str:
        """What went wrong, without the record: to count distinct causes over many seeds."""
        qualifier = self.record[self.record.index("(") - 1 :] if "(" in self.record else ""
        if self.field in ("(record)", "(row)"):
            return f"{self.area} {'missing' if self.actual == MISSING else 'left over'}{qualifier}"
        return f"{self.area} {self.field}{qualifier}"

    def render(self) -> str:
        holder = {"record_state": "RecordState", "issue": "bridge"}.get(self.area, "SparkLayer")
        return f"{self.area} {self.record}: {self.field}: {holder}={self.actual!r} store={self.expected!r}"


def compare(
    *, connection: Connection, expected: Expected, state: dict[str, Any], leave_out: frozenset[str] = frozenset()
) -> list[Difference]:
    """Every difference; ``leave_out`` names products (with their SKUs' stock and pricing rows) not
    compared, because a change of theirs only a full sync can see is not covered yet."""
    if leave_out:
        expected, state = without_products(expected, state, leave_out)
    found: list[Difference] = []
    found += compare_products(expected, state)
    found += compare_stock(expected, state)
    found += compare_pricing(expected, state)
    found += compare_customers(expected, state)
    found += compare_purchases(expected, state)
    found += compare_record_states(connection, expected, state, leave_out)
    found += compare_issues(connection, expected, leave_out)
    return found


def without_products(
    expected: Expected, state: dict[str, Any], leave_out: frozenset[str]
) -> tuple[Expected, dict[str, Any]]:
    skus = {str(v.get("sku")) for p in state.get("products", []) if str(p["external_id"]) in leave_out
            for v in p.get("variants", [])}  # fmt: skip
    for external_id in leave_out:
        record = expected.products.get(external_id)
        if record is not None and record.payload is not None:
            skus |= {str(v["sku"]) for v in record.payload["variants"]}
    kept = Expected(
        products={k: v for k, v in expected.products.items() if k not in leave_out},
        unpushable={k: v for k, v in expected.unpushable.items() if k not in leave_out},
        stock={k: v for k, v in expected.stock.items() if k[0] not in skus},
        pricing={k: v for k, v in expected.pricing.items() if k[0] not in skus},
        customers=expected.customers,
        customers_unpushable=expected.customers_unpushable,
        purchases=expected.purchases,
        purchases_unpushable=expected.purchases_unpushable,
    )
    trimmed = {
        **state,
        "products": [p for p in state.get("products", []) if str(p["external_id"]) not in leave_out],
        "stock": [row for row in state.get("stock", []) if str(row["sku"]) not in skus],
        "pricing": [item for item in state.get("pricing", []) if str(item["sku"]) not in skus],
    }
    return kept, trimmed


# -- catalogue -----------------------------------------------------------------------------------


def compare_products(expected: Expected, state: dict[str, Any]) -> list[Difference]:
    found: list[Difference] = []
    landed = {str(p["external_id"]): p for p in state.get("products", [])}
    for external_id, record in sorted(expected.products.items(), key=_by_id):
        payload = record.payload or {}
        stored = landed.get(external_id)
        if stored is None:
            found.append(
                Difference("product", external_id, "(record)", MISSING, "present", key=("products", external_id))
            )
            continue
        for name in semantics.PRODUCT_FIELDS:
            if stored.get(name) != payload.get(name):
                found.append(
                    Difference(
                        "product", external_id, name, stored.get(name), payload.get(name), key=("products", external_id)
                    )
                )
        stored_variants = {str(v["external_id"]): v for v in stored.get("variants", [])}
        mapped = {str(v["external_id"]): v for v in payload.get("variants", [])}
        for variant_id, variant in mapped.items():
            kept = stored_variants.get(variant_id)
            where = f"{variant_id} of product {external_id}"
            if kept is None:
                found.append(
                    Difference("variant", where, "(record)", MISSING, "present", key=("products", external_id))
                )
                continue
            for name in semantics.VARIANT_FIELDS:
                if kept.get(name) != variant.get(name):
                    found.append(
                        Difference(
                            "variant", where, name, kept.get(name), variant.get(name), key=("products", external_id)
                        )
                    )
        for variant_id, kept in stored_variants.items():
            if variant_id not in mapped and kept.get("status") != semantics.GONE_VARIANT_STATUS:
                where = f"{variant_id} of product {external_id} (variation gone from the store)"
                found.append(
                    Difference("variant", where, "status", kept.get("status"), GONE, key=("products", external_id))
                )
    for external_id, stored in sorted(landed.items()):
        if external_id in expected.products:
            continue
        why = "unpushable in the store" if external_id in expected.unpushable else "gone from the store"
        for variant in stored.get("variants", []):
            if variant.get("status") != semantics.GONE_VARIANT_STATUS:
                where = f"{variant['external_id']} of product {external_id} ({why})"
                found.append(
                    Difference(
                        "variant",
                        where,
                        "status",
                        variant.get("status"),
                        semantics.GONE_VARIANT_STATUS,
                        key=("products", external_id),
                    )
                )
    return found


def _location(row: dict[str, Any]) -> str:
    if row.get("stock_location_external_id") is not None:
        return str(row["stock_location_external_id"])
    return f"id:{row.get('stock_location_id')}"


def left_over_reasons(expected: Expected, state: dict[str, Any], *, rows: str) -> dict[str, str]:
    """Why SparkLayer may still hold a row the store does not map, by SKU: what the store did to the
    variant SparkLayer has under that SKU (for the report and for counting causes)."""
    reasons: dict[str, str] = {}
    for product in state.get("products", []):
        external_id = str(product["external_id"])
        record = expected.products.get(external_id)
        mapped = {str(v["external_id"]): v for v in (record.payload or {}).get("variants", [])} if record else {}
        for variant in product.get("variants", []):
            sku, variant_id = str(variant.get("sku")), str(variant["external_id"])
            if record is None:
                why = "product unpushable" if external_id in expected.unpushable else "product gone"
            elif variant_id not in mapped:
                why = "variation gone"
            elif mapped[variant_id]["sku"] != sku:
                why = "SKU changed"
            else:
                why = "stock not managed" if rows == "stock" else "no price"
            reasons[sku] = f"({why} in the store)"
    return reasons


def compare_stock(expected: Expected, state: dict[str, Any]) -> list[Difference]:
    found: list[Difference] = []
    landed = {(str(row["sku"]), _location(row)): row for row in state.get("stock", [])}
    reasons = left_over_reasons(expected, state, rows="stock")
    for key in sorted(set(landed) | set(expected.stock)):
        where = f"{key[0]} @ {key[1]}"
        have, want = landed.get(key), expected.stock.get(key)
        if want is None:
            assert have is not None
            where += f" {reasons.get(key[0], '(no variant has the SKU)')}"
            found.append(Difference("stock", where, "(row)", have.get("stock_level"), MISSING))
        elif have is None:
            found.append(Difference("stock", where, "(row)", MISSING, want["stock_level"]))
        elif have.get("stock_level") != want["stock_level"]:
            found.append(Difference("stock", where, "stock_level", have.get("stock_level"), want["stock_level"]))
    return found


def _tiers(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"quantity": tier.get("quantity"), "price": tier.get("price")} for tier in item.get("pricing") or []]


def compare_pricing(expected: Expected, state: dict[str, Any]) -> list[Difference]:
    platform_lists = {str(pl["slug"]) for pl in state.get("price_lists", []) if pl.get("source") == "platform"}
    platform_lists |= {slug for _sku, slug in expected.pricing}
    landed = {
        (str(item["sku"]), str(item["price_list_slug"])): item
        for item in state.get("pricing", [])
        if item["price_list_slug"] in platform_lists
    }
    found: list[Difference] = []
    reasons = left_over_reasons(expected, state, rows="pricing")
    for key in sorted(set(landed) | set(expected.pricing)):
        where = f"{key[0]} in {key[1]}"
        have, want = landed.get(key), expected.pricing.get(key)
        if want is None:
            assert have is not None
            where += f" {reasons.get(key[0], '(no variant has the SKU)')}"
            found.append(Difference("pricing", where, "(row)", _tiers(have), MISSING))
        elif have is None:
            found.append(Difference("pricing", where, "(row)", MISSING, _tiers(want)))
        elif _tiers(have) != _tiers(want):
            found.append(Difference("pricing", where, "tiers", _tiers(have), _tiers(want)))
    return found


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
    for external_id, record in sorted(expected.customers.items(), key=_by_id):
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
    for external_id, record in sorted(expected.purchases.items(), key=_by_id):
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
        for external_id, record in sorted(mapped.items(), key=_by_id):
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
