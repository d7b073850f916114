"""Control routes that edit a site's stored data directly, as a merchant would in SparkLayer's dashboard.

For tests of the bridge's drift audit: they change what SparkLayer holds without the bridge knowing.
No API validation runs (a dashboard edit need not look like an API body), but the stores' indexes
(SKU, email and address owners) stay consistent. Like every control route: no auth, no faults, not
in the call log or the counters.

Routes (``/_sandbox/sites/{site}/...``): ``PATCH products/{id}`` (title, slug), ``DELETE products/{id}``
(the product and its variants; stock and prices, keyed by SKU, stay), ``PATCH variants/{id}`` (any
stored field), ``PUT stock`` (rows overwrite, ``stock_level: null`` removes one), ``PUT pricing``
(pairs replaced, ``pricing: []`` removes), ``PATCH customers/{id}`` (top-level fields, ``addresses``
replaced whole), ``DELETE customers/{id}``. ``sandbox/README.md`` has the table.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from sandbox.sparklayer.problems import ApiProblem, FieldError, invalid, not_found
from sandbox.sparklayer.records import now_iso, pack, pack_lean, unpack
from sandbox.sparklayer.state import CUSTOMER_FIELDS, VARIANT_FIELDS, SiteState

if TYPE_CHECKING:
    from sandbox.sparklayer.app import SparkLayerSandbox

PRODUCT_EDITABLE = frozenset({"title", "slug"})
VARIANT_EDITABLE = frozenset(VARIANT_FIELDS) - {"id", "product_id", "product_external_id", "external_id", "created_at"}
CUSTOMER_EDITABLE = frozenset(CUSTOMER_FIELDS) - {"id", "legacy_id", "external_id", "created_at"}


def _json(request: Request) -> Any:
    try:
        return json.loads(request.get_data(cache=False) or b"")
    except ValueError as error:
        raise ApiProblem(400, f"The body is not valid JSON: {error}.") from error


def _changes(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    data = _json(request)
    if not isinstance(data, dict) or not data:
        raise invalid([FieldError("invalid_type", "The body must be a non-empty JSON object.", "body")])
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise invalid([FieldError("unknown_field", "Not an editable field.", key) for key in unknown])
    return data


def _rows(request: Request, required: tuple[str, ...]) -> list[dict[str, Any]]:
    data = _json(request)
    if not isinstance(data, list):
        raise invalid([FieldError("invalid_type", "The body must be a JSON array.", "body")])
    errors = [
        FieldError("required", "This field is required.", f"[{index}].{key}")
        for index, row in enumerate(data)
        for key in required
        if not isinstance(row, dict) or key not in row
    ]
    if errors:
        raise invalid(errors)
    return data


def _site(sandbox: SparkLayerSandbox, site_id: str) -> SiteState:
    site = sandbox.sites.get(site_id)
    if site is None:
        raise not_found(f"No site {site_id} has stored data.")
    return site


def product_edit(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    changes = _changes(request, PRODUCT_EDITABLE)
    with sandbox.lock:
        site, external_id = _site(sandbox, values["site_id"]), values["external_id"]
        if external_id not in site.products:
            raise not_found(f"Product {external_id} does not exist.")
        product = unpack(site.products[external_id])
        product.update(changes, updated_at=now_iso())
        site.products[external_id] = pack(product)
        return 200, site.product_view(external_id)


def product_delete(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    with sandbox.lock:
        site, external_id = _site(sandbox, values["site_id"]), values["external_id"]
        if external_id not in site.products:
            raise not_found(f"Product {external_id} does not exist.")
        product = unpack(site.products.pop(external_id))
        site.product_ids.pop(product["id"], None)
        for variant_id in product["variant_ids"]:
            variant = unpack(site.variants.pop(variant_id))
            site.variant_ids.pop(variant["id"], None)
            if site.skus.get(variant["sku"]) == variant_id:
                del site.skus[variant["sku"]]
    return 204, None


def variant_edit(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    changes = _changes(request, VARIANT_EDITABLE)
    with sandbox.lock:
        site, external_id = _site(sandbox, values["site_id"]), values["external_id"]
        if external_id not in site.variants:
            raise not_found(f"Variant {external_id} does not exist.")
        variant = site.variant_view(external_id)
        if "sku" in changes and changes["sku"] != variant["sku"]:
            owner = site.skus.get(changes["sku"])
            if owner is not None:
                raise ApiProblem(409, f"SKU {changes['sku']} is held by variant {owner}.")
            site.skus.pop(variant["sku"], None)
            site.skus[changes["sku"]] = external_id
        variant.update(changes, updated_at=now_iso())
        site.variants[external_id] = pack_lean(variant)
        return 200, site.variant_view(external_id)


def stock_edit(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    rows = _rows(request, ("sku", "stock_location_external_id", "stock_level"))
    with sandbox.lock:
        site = sandbox.site(values["site_id"])
        for row in rows:
            locations = site.stock.setdefault(row["sku"], {})
            if row["stock_level"] is None:
                locations.pop(row["stock_location_external_id"], None)
                if not locations:
                    del site.stock[row["sku"]]
                continue
            location = row["stock_location_external_id"]
            stored = unpack(locations[location]) if location in locations else {"restock_date": None}
            locations[location] = pack({"min_stock_level": None, **stored, "stock_level": row["stock_level"]})
    return 204, None


def pricing_edit(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    rows = _rows(request, ("sku", "price_list_slug", "pricing"))
    with sandbox.lock:
        site = sandbox.site(values["site_id"])
        for row in rows:
            prices = site.pricing.setdefault(row["price_list_slug"], {})
            if row["pricing"]:
                prices[row["sku"]] = pack({"pricing": row["pricing"]})
            else:
                prices.pop(row["sku"], None)
    return 204, None


def customer_edit(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    changes = _changes(request, CUSTOMER_EDITABLE)
    with sandbox.lock:
        site, external_id = _site(sandbox, values["site_id"]), values["external_id"]
        if external_id not in site.customers:
            raise not_found(f"Customer {external_id} does not exist.")
        customer = site.customer_view(external_id)
        if "email" in changes:
            site.emails.pop(customer["email"].lower(), None)
            site.emails[str(changes["email"]).lower()] = external_id
        if "addresses" in changes:
            for address in customer["addresses"]:
                if address.get("external_id"):
                    site.address_owners.pop(address["external_id"], None)
            for address in changes["addresses"]:
                if address.get("external_id"):
                    site.address_owners[address["external_id"]] = external_id
        customer.update(changes, updated_at=now_iso())
        site.customers[external_id] = pack_lean(customer)
        return 200, site.customer_view(external_id)


def customer_delete(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    with sandbox.lock:
        site, external_id = _site(sandbox, values["site_id"]), values["external_id"]
        if external_id not in site.customers:
            raise not_found(f"Customer {external_id} does not exist.")
        customer = site.customer_view(external_id)
        site.emails.pop(customer["email"].lower(), None)
        for address in customer["addresses"]:
            if address.get("external_id"):
                site.address_owners.pop(address["external_id"], None)
        del site.customers[external_id]
    return 204, None


SITE = "/_sandbox/sites/<site_id>"
EDIT_ROUTES = [
    ("PATCH", f"{SITE}/products/<path:external_id>", product_edit),
    ("DELETE", f"{SITE}/products/<path:external_id>", product_delete),
    ("PATCH", f"{SITE}/variants/<path:external_id>", variant_edit),
    ("PUT", f"{SITE}/stock", stock_edit),
    ("PUT", f"{SITE}/pricing", pricing_edit),
    ("PATCH", f"{SITE}/customers/<path:external_id>", customer_edit),
    ("DELETE", f"{SITE}/customers/<path:external_id>", customer_delete),
]
