"""Compare what SparkLayer holds for one record with what the write path would make of the store's record.

Pure functions: no database, no HTTP. The expectation is the one ``docs/sync-design.md`` states:

* a product that maps: its title, slug and variants as mapped; variants SparkLayer holds that the
  mapping lacks ``discontinued``; stock rows and prices exactly the mapped ones for its SKUs;
* a product gone from the store: none of its variants live, no stock or prices for its SKUs (the
  product itself may stay);
* a customer that maps: every field as mapped, fields the mapping leaves out cleared (a customer
  write is a full replace), its addresses exactly the mapped ones;
* a customer gone from the store: not in SparkLayer.

Only what the bridge writes is compared: fields a product ``PATCH`` never sends (a variant's
``tax_type``) and values SparkLayer adds (ids, timestamps) are not. Values are compared as values:
``1500`` grams equals ``1500.0``, price ``"10"`` equals ``"10.00"``, currency codes and emails
ignore case, option and RRP lists ignore order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from platforms.types import SyncRecord
from sparklayer.payloads import Address, Customer, Product, Variant

EQUAL = "equal"
DIFFERS = "differs"
MISSING = "missing"
EXTRA = "extra"

DISCONTINUED = "discontinued"
#: a discontinued variant that gave its SKU up carries ``<sku>~retired-<variant id>`` (``writes.tombstone_sku``)
TOMBSTONE_MARK = "~retired-"

#: customer fields a full replace clears when the payload leaves them out (value SparkLayer then holds)
CUSTOMER_CLEARED: dict[str, Any] = {
    "title": None,
    "first_name": None,
    "last_name": None,
    "company_name": None,
    "accounting_id": None,
    "currency_code": None,
    "parent_customer_id": None,
    "price_lists": [],
    "sales_agent_groups": [],
    "discount_percentage": None,
    "tax_exempt": False,
    "payment_on_account": None,
    "group": "base",
    "role": "main",
}
#: address fields a replace clears when the payload leaves them out
ADDRESS_CLEARED = (
    "title",
    "first_name",
    "last_name",
    "company",
    "address_line2",
    "region_name",
    "region_code",
    "postal_code",
    "phone",
)
#: values that compare without case
CASELESS = frozenset({"email", "country_code", "currency_code"})
#: lists whose order SparkLayer need not keep
UNORDERED = frozenset({"options", "rrp", "price_lists", "sales_agent_groups"})


@dataclass(frozen=True)
class FieldDiff:
    """One field SparkLayer holds otherwise than the store's mapping: ``None`` means "not there"."""

    field: str
    sparklayer: Any
    store: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "sparklayer": self.sparklayer, "store": self.store}


@dataclass
class Comparison:
    kind: str  # EQUAL, DIFFERS, MISSING, EXTRA
    fields: list[FieldDiff] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.kind == EQUAL


@dataclass
class ProductSide:
    """What SparkLayer holds for one product: the product (None: not there), stock and prices by SKU."""

    product: dict[str, Any] | None
    stock: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)  # sku → location → row
    pricing: Mapping[str, Mapping[str, list[dict[str, Any]]]] = field(default_factory=dict)  # slug → sku → tiers


# -- values -----------------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def normalized(value: Any, key: str = "") -> Any:
    """A form of ``value`` in which equal values are equal (numbers as Decimals, caseless keys lower)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        if key in CASELESS:
            return value.casefold()
        if key == "price":
            number = _number(value)
            return number if number is not None else value
        return value
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), normalized(v, str(k))) for k, v in value.items()))
    if isinstance(value, list | tuple):
        items = [normalized(item, key) for item in value]
        return tuple(sorted(items, key=repr)) if key in UNORDERED else tuple(items)
    return value


def same(left: Any, right: Any, key: str = "") -> bool:
    return bool(normalized(left, key) == normalized(right, key))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _plain(value: Any) -> Any:
    """A JSON value for display (what SparkLayer answered, or what the mapping holds)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


# -- products ---------------------------------------------------------------------------------------


def product_skus(record: SyncRecord | None, held: Mapping[str, Any] | None) -> list[str]:
    """The SKUs whose stock and prices belong to this product: mapped ones and those of SparkLayer's variants."""
    skus: dict[str, None] = {}
    if record is not None and record.payload is not None:
        for variant in cast(Product, record.payload).get("variants", []):
            skus[str(variant["sku"])] = None
    if record is not None:
        for row in [*record.stock, *record.pricing]:
            skus[str(row["sku"])] = None
    for variant in (held or {}).get("variants") or []:
        sku = str(variant.get("sku") or "")
        if sku and TOMBSTONE_MARK not in sku:
            skus[sku] = None
    return list(skus)


def _tiers(tiers: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        ({"quantity": tier.get("quantity"), "price": tier.get("price")} for tier in tiers),
        key=lambda tier: _number(tier["quantity"]) or 0,
    )


def _same_tiers(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> bool:
    def key(tiers: list[dict[str, Any]]) -> list[tuple[Decimal | None, Decimal | None]]:
        return [(_number(tier["quantity"]), _number(tier["price"])) for tier in tiers]

    return key(left) == key(right)


def _stock_and_pricing(
    record: SyncRecord | None, side: ProductSide, skus: list[str], slugs: Iterable[str]
) -> list[FieldDiff]:
    diffs: list[FieldDiff] = []
    expected_stock = {
        (str(row["sku"]), str(row.get("stock_location_external_id") or "")): row
        for row in (record.stock if record else [])
    }
    held_stock = {(sku, location): row for sku in skus for location, row in (side.stock.get(sku) or {}).items()}
    for key in sorted(set(expected_stock) | set(held_stock)):
        name = f"stock[{key[0]}@{key[1]}]"
        want, have = expected_stock.get(key), held_stock.get(key)
        if want is None or have is None:
            diffs.append(FieldDiff(name, have and have.get("stock_level"), want and want.get("stock_level")))
            continue
        for column, value in want.items():
            if column in ("sku", "stock_location_external_id"):
                continue
            if not same(have.get(column), value, column):
                diffs.append(
                    FieldDiff(name if column == "stock_level" else f"{name}.{column}", have.get(column), value)
                )
    expected_pricing = {
        (str(item["sku"]), str(item["price_list_slug"])): _tiers(item["pricing"])
        for item in (record.pricing if record else [])
    }
    held_pricing = {}
    for slug in sorted(set(slugs) | {key[1] for key in expected_pricing}):
        prices = side.pricing.get(slug) or {}  # a whole price list: look the product's SKUs up, never scan it
        for sku in skus:
            if prices.get(sku):
                held_pricing[(sku, slug)] = _tiers(prices[sku])
    for key in sorted(set(expected_pricing) | set(held_pricing)):
        want_tiers, have_tiers = expected_pricing.get(key), held_pricing.get(key)
        if want_tiers is not None and have_tiers is not None and _same_tiers(want_tiers, have_tiers):
            continue
        diffs.append(FieldDiff(f"pricing[{key[0]}@{key[1]}]", have_tiers, want_tiers))
    return diffs


def _variant_diffs(expected: list[Variant], held: list[dict[str, Any]]) -> list[FieldDiff]:
    diffs: list[FieldDiff] = []
    by_id = {str(variant.get("external_id")): variant for variant in held}
    wanted = {str(variant["external_id"]) for variant in expected}
    for variant in expected:
        variant_id = str(variant["external_id"])
        have = by_id.get(variant_id)
        if have is None:
            diffs.append(FieldDiff(f"variants[{variant_id}]", None, variant))
            continue
        for key, value in variant.items():
            if key != "external_id" and not same(have.get(key), value, key):
                diffs.append(FieldDiff(f"variants[{variant_id}].{key}", have.get(key), value))
    for variant_id, have in by_id.items():
        if variant_id not in wanted and have.get("status") != DISCONTINUED:
            diffs.append(FieldDiff(f"variants[{variant_id}].status", have.get("status"), DISCONTINUED))
    return diffs


def compare_product(record: SyncRecord | None, side: ProductSide, *, slugs: Iterable[str] = ()) -> Comparison:
    """``record``: the store's product mapped (``payload`` set), or None when it is gone from the store
    (trashed, deleted). ``slugs``: the price lists the bridge manages."""
    held = side.product
    skus = product_skus(record, held)
    if record is None or record.payload is None:
        diffs = _variant_diffs([], list((held or {}).get("variants") or []))
        diffs += _stock_and_pricing(None, side, skus, slugs)
        return Comparison(EXTRA, diffs) if diffs else Comparison(EQUAL)
    product = cast(Product, record.payload)
    if held is None:
        return Comparison(MISSING, [FieldDiff("product", None, product.get("title"))])
    diffs = [
        FieldDiff(key, held.get(key), value)
        for key, value in product.items()
        if key not in ("external_id", "variants") and not same(held.get(key), value, key)
    ]
    diffs += _variant_diffs(list(product.get("variants") or []), list(held.get("variants") or []))
    diffs += _stock_and_pricing(record, side, skus, slugs)
    return Comparison(DIFFERS, diffs) if diffs else Comparison(EQUAL)


# -- customers --------------------------------------------------------------------------------------


def _address_diffs(expected: list[Address], held: list[dict[str, Any]]) -> list[FieldDiff]:
    diffs: list[FieldDiff] = []
    by_id = {str(address.get("external_id")): address for address in held}
    wanted = {str(address.get("external_id")) for address in expected}
    for address in expected:
        address_id = str(address.get("external_id"))
        have = by_id.get(address_id)
        if have is None:
            diffs.append(FieldDiff(f"addresses[{address_id}]", None, address))
            continue
        for key, value in address.items():
            current = have.get(key)
            if isinstance(value, bool) and current is None:
                current = False  # a flag SparkLayer leaves out is not set
            if key != "external_id" and not same(current, value, key):
                diffs.append(FieldDiff(f"addresses[{address_id}].{key}", have.get(key), value))
        for key in ADDRESS_CLEARED:
            if key not in address and not _empty(have.get(key)):
                diffs.append(FieldDiff(f"addresses[{address_id}].{key}", have.get(key), None))
    for address_id, have in by_id.items():
        if address_id not in wanted:
            shown = {k: v for k, v in have.items() if k != "id" and not _empty(v)}
            diffs.append(FieldDiff(f"addresses[{address_id}]", shown, None))
    return diffs


def compare_customer(record: SyncRecord | None, held: dict[str, Any] | None) -> Comparison:
    """``record``: the store's customer mapped, or None when it is gone from the store."""
    if record is None or record.payload is None:
        if held is None:
            return Comparison(EQUAL)
        return Comparison(EXTRA, [FieldDiff("customer", held.get("email"), None)])
    payload = cast(Customer, record.payload)
    if held is None:
        return Comparison(MISSING, [FieldDiff("customer", None, payload.get("email"))])
    diffs: list[FieldDiff] = []
    for key, value in payload.items():
        if key in ("external_id", "addresses"):
            continue
        if not same(held.get(key), value, key):
            diffs.append(FieldDiff(key, held.get(key), value))
    for key, cleared in CUSTOMER_CLEARED.items():
        if key in payload or key not in held:
            continue
        value = held.get(key)
        if not (_empty(value) or same(value, cleared, key)):
            diffs.append(FieldDiff(key, value, _plain(cleared)))
    diffs += _address_diffs(list(payload.get("addresses") or []), list(held.get("addresses") or []))
    return Comparison(DIFFERS, diffs) if diffs else Comparison(EQUAL)
