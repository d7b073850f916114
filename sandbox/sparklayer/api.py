"""The SparkLayer API routes: each handler parses input, calls one service, and shapes the answer.

Handlers run under the sandbox lock with the caller already authenticated; they return
``(status, payload)`` (payload ``None`` for an empty body) or raise ``ApiProblem``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.routing import Map, Rule

from sandbox.sparklayer import (
    catalog,
    customers,
    organisation,
    purchases,
    reads,
    synclog,
    validation,
    validation_customers,
    validation_synclog,
)
from sandbox.sparklayer.problems import FieldError, invalid
from sandbox.sparklayer.state import SiteState

TOKEN_ROUTE = "/api/auth/token"


@dataclass
class ApiCall:
    state: SiteState
    values: dict[str, str]
    query: MultiDict[str, str]
    body: Any
    max_sync_log_errors: int


Handler = Callable[[ApiCall], tuple[int, Any]]


def product_create(call: ApiCall) -> tuple[int, Any]:
    return 200, catalog.product_create(call.state, validation.product_create(call.body))


def product_update(call: ApiCall) -> tuple[int, Any]:
    return 200, catalog.product_update(call.state, call.values["product_id"], validation.product_patch(call.body))


def product_get(call: ApiCall) -> tuple[int, Any]:
    return 200, catalog.product_get(call.state, call.values["product_id"])


def variant_get(call: ApiCall) -> tuple[int, Any]:
    return 200, catalog.variant_get(call.state, call.values["variant_id"])


def variant_update(call: ApiCall) -> tuple[int, Any]:
    return 200, catalog.variant_update(call.state, call.values["variant_id"], validation.variant_patch(call.body))


def stock_update(call: ApiCall) -> tuple[int, Any]:
    catalog.stock_update(call.state, validation.stock_rows(call.body))
    return 204, None


def stock_delete(call: ApiCall) -> tuple[int, Any]:
    catalog.stock_delete(call.state, validation.stock_delete(call.body))
    return 204, None


def stock_locations_list(call: ApiCall) -> tuple[int, Any]:
    return 200, [dict(location) for location in call.state.stock_locations.values()]


def stock_location_create(call: ApiCall) -> tuple[int, Any]:
    return 200, organisation.stock_location_create(call.state, validation.stock_location(call.body))


def stock_location_get(call: ApiCall) -> tuple[int, Any]:
    return 200, organisation.stock_location_get(call.state, call.values["location_id"])


def stock_location_update(call: ApiCall) -> tuple[int, Any]:
    changes = validation.stock_location(call.body, partial=True)
    return 200, organisation.stock_location_update(call.state, call.values["location_id"], changes)


def stock_location_delete(call: ApiCall) -> tuple[int, Any]:
    organisation.stock_location_delete(call.state, call.values["location_id"])
    return 204, None


def customer_groups_list(call: ApiCall) -> tuple[int, Any]:
    return 200, organisation.customer_groups_list(call.state)


def customer_group_create(call: ApiCall) -> tuple[int, Any]:
    data = validation.customer_group(call.body)
    if not data["slug"]:
        raise invalid([FieldError("required", "This field is required.", "slug")])
    return 201, organisation.customer_group_create(call.state, data)


def customer_group_update(call: ApiCall) -> tuple[int, Any]:
    data = validation.customer_group(call.body)
    return 200, organisation.customer_group_update(call.state, call.values["slug"], data)


def stock_fetch(call: ApiCall) -> tuple[int, Any]:
    skus, every, location_ids = reads.stock_fetch_request(call.body)
    return 200, reads.stock_fetch(call.state, skus, every=every, location_ids=location_ids)


def price_list_pricing(call: ApiCall) -> tuple[int, Any]:
    rows = reads.price_list_pricing(call.state, call.values["slug"])
    return (200, rows) if rows else (204, None)


def sku_pricing(call: ApiCall) -> tuple[int, Any]:
    return 200, reads.sku_pricing(call.state, call.values["sku"])


def _positive_int(query: MultiDict[str, str], key: str, default: int, maximum: int | None = None) -> int:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        raise invalid([FieldError("invalid", f"Must be an integer of 1 or more{limit}.", key)])
    return int(raw)


def price_lists_page(call: ApiCall) -> tuple[int, Any]:
    page = _positive_int(call.query, "page", 1)
    page_size = _positive_int(call.query, "page_size", 100, catalog.MAX_PAGE_SIZE)
    sources = [source for source in call.query.get("source", "").split(",") if source]
    return 200, catalog.price_lists_page(
        call.state, page=page, page_size=page_size, order_by=call.query.get("order_by"), sources=sources
    )


def price_list_create(call: ApiCall) -> tuple[int, Any]:
    return 201, catalog.price_list_create(call.state, validation.price_list(call.body))


def pricing_update(call: ApiCall) -> tuple[int, Any]:
    catalog.pricing_update(call.state, validation.pricing_items(call.body))
    return 204, None


def customer_upsert(call: ApiCall) -> tuple[int, Any]:
    external_id = call.values["external_id"]
    data = validation_customers.customer(call.body, external_id)
    created, record = customers.customer_upsert(call.state, external_id, data)
    return (201 if created else 200), record


def customer_get(call: ApiCall) -> tuple[int, Any]:
    return 200, customers.customer_get(call.state, call.values["external_id"])


def customer_delete(call: ApiCall) -> tuple[int, Any]:
    customers.customer_delete(call.state, call.values["external_id"])
    return 204, None


def purchase_upsert(call: ApiCall) -> tuple[int, Any]:
    order_id = call.values["order_id"]
    _created, record = purchases.purchase_upsert(
        call.state, order_id, validation_customers.purchase(call.body, order_id)
    )
    return 200, record


def settings_update(call: ApiCall) -> tuple[int, Any]:
    purchases.settings_update(call.state, validation.settings(call.body))
    return 204, None


def settings_list(call: ApiCall) -> tuple[int, Any]:
    return 200, [{"key": key, "value": value} for key, value in call.state.settings.items()]


def sync_log_full(call: ApiCall) -> tuple[int, Any]:
    record = validation_synclog.full_sync(call.body, limit=call.max_sync_log_errors)
    return 200, synclog.sync_log_full(call.state, call.values["integration"], call.values["data_type"], record)


def sync_log_partial(call: ApiCall) -> tuple[int, Any]:
    change = validation_synclog.partial_sync(call.body, limit=call.max_sync_log_errors)
    integration, data_type = call.values["integration"], call.values["data_type"]
    return 200, synclog.sync_log_partial(call.state, integration, data_type, change, limit=call.max_sync_log_errors)


def sync_log_get(call: ApiCall) -> tuple[int, Any]:
    return 200, synclog.sync_log_get(
        call.state, call.values["integration"], call.values["data_type"], with_errors=False
    )


def sync_log_errors(call: ApiCall) -> tuple[int, Any]:
    return 200, synclog.sync_log_get(call.state, call.values["integration"], call.values["data_type"], with_errors=True)


def sync_log_delete_all(call: ApiCall) -> tuple[int, Any]:
    synclog.sync_log_delete_all(call.state)
    return 204, None


def _token_placeholder(call: ApiCall) -> tuple[int, Any]:  # pragma: no cover - the app answers the token route
    raise NotImplementedError


SYNC_LOG = "/api/v1/sync-log/<integration>/<data_type>"
API_ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", TOKEN_ROUTE, _token_placeholder),
    ("POST", "/api/v1/products", product_create),
    ("GET", "/api/v1/products/<path:product_id>", product_get),
    ("PATCH", "/api/v1/products/<path:product_id>", product_update),
    ("GET", "/api/v1/variants/<path:variant_id>", variant_get),
    ("PATCH", "/api/v1/variants/<path:variant_id>", variant_update),
    ("POST", "/api/v1/batch-update-stock", stock_update),
    ("GET", "/api/v1/stock-locations", stock_locations_list),
    ("POST", "/api/v1/stock-locations", stock_location_create),
    ("GET", "/api/v1/stock-locations/<path:location_id>", stock_location_get),
    ("PATCH", "/api/v1/stock-locations/<path:location_id>", stock_location_update),
    ("DELETE", "/api/v1/stock-locations/<path:location_id>", stock_location_delete),
    ("GET", "/api/v1/customer-groups", customer_groups_list),
    ("POST", "/api/v1/customer-groups", customer_group_create),
    ("PATCH", "/api/v1/customer-groups/<path:slug>", customer_group_update),
    ("POST", "/api/v1/batch-delete-stock", stock_delete),
    ("POST", "/api/v1/batch-fetch-stock", stock_fetch),
    ("GET", "/api/v2/price-lists", price_lists_page),
    ("POST", "/api/v1/price-lists", price_list_create),
    ("PATCH", "/api/v1/batch-update-pricing", pricing_update),
    ("GET", "/api/v1/price-lists/<slug>/pricing", price_list_pricing),
    ("GET", "/api/v1/pricing/<path:sku>", sku_pricing),
    ("PUT", "/api/v2/customers/platform/<path:external_id>", customer_upsert),
    ("GET", "/api/v2/customers/platform/<path:external_id>", customer_get),
    ("DELETE", "/api/v2/customers/platform/<path:external_id>", customer_delete),
    ("PUT", "/api/v1/purchases/platform/<path:order_id>", purchase_upsert),
    ("GET", "/api/v1/settings", settings_list),
    ("PATCH", "/api/v1/settings", settings_update),
    ("PUT", SYNC_LOG, sync_log_full),
    ("PATCH", SYNC_LOG, sync_log_partial),
    ("GET", SYNC_LOG, sync_log_get),
    ("GET", SYNC_LOG + "/errors", sync_log_errors),
    ("DELETE", "/api/v1/sync-log", sync_log_delete_all),
]


def api_map() -> Map:
    return Map([Rule(path, methods=[method], endpoint=handler) for method, path, handler in API_ROUTES])


def route_template(rule: str) -> str:
    """``/api/v1/products/<path:product_id>`` → ``/api/v1/products/{product_id}`` for logs and stats."""
    parts = []
    for part in rule.split("/"):
        if part.startswith("<") and part.endswith(">"):
            part = "{" + part[1:-1].split(":")[-1] + "}"
        parts.append(part)
    return "/".join(parts)
