"""One SparkLayer site's data, kept in memory and lean enough for benchmark volumes.

Records are compact JSON strings (see ``records``); indexes map the natural keys SparkLayer
enforces as unique (SKU, customer email, address external id) to their owners, so every
uniqueness check is one dict lookup even at 150,000 variants.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sandbox.sparklayer.records import unpack

# Field order of stored records; top-level nulls are not stored (records.pack_lean) and come back from here.
VARIANT_FIELDS: dict[str, Any] = dict.fromkeys(
    (
        "id",
        "product_id",
        "product_external_id",
        "external_id",
        "sku",
        "weight_in_grams",
        "tax_type",
        "position",
        "cart_image_url",
        "status",
        "rrp",
        "options",
        "settings",
        "created_at",
        "updated_at",
    )
)
CUSTOMER_FIELDS: dict[str, Any] = dict.fromkeys(
    (
        "id",
        "legacy_id",
        "created_at",
        "external_id",
        "email",
        "title",
        "first_name",
        "last_name",
        "company_name",
        "accounting_id",
        "currency_code",
        "default_billing_address_id",
        "default_shipping_address_id",
        "parent_customer_id",
        "group",
        "role",
        "price_lists",
        "sales_agent_groups",
        "discount_percentage",
        "tax_exempt",
        "payment_on_account",
        "addresses",
        "updated_at",
    )
)


#: the customer group every site has; a customer without a group belongs to it
BASE_GROUP = "base"


def _base_groups() -> dict[str, dict[str, Any]]:
    return {BASE_GROUP: {"slug": BASE_GROUP, "name": "Base", "parent_slug": None}}


@dataclass
class SyncLog:
    """The sync log of one (integration, data_type) pair; exists once a full sync was recorded."""

    started_full_sync: str | None = None
    last_full_sync: str | None = None
    last_full_sync_succeeded: bool | None = None
    last_partial_sync: str | None = None
    errors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def status(self, integration: str, data_type: str) -> dict[str, Any]:
        return {
            "integration": integration,
            "data_type": data_type,
            "started_full_sync": self.started_full_sync,
            "last_full_sync": self.last_full_sync,
            "last_full_sync_succeeded": self.last_full_sync_succeeded,
            "last_partial_sync": self.last_partial_sync,
            "error_count": len(self.errors),
        }


@dataclass
class SiteState:
    products: dict[str, str] = field(default_factory=dict)  # product external_id -> record
    product_ids: dict[str, str] = field(default_factory=dict)  # pp_N -> product external_id
    variants: dict[str, str] = field(default_factory=dict)  # variant external_id -> record
    variant_ids: dict[str, str] = field(default_factory=dict)  # pv_N -> variant external_id
    skus: dict[str, str] = field(default_factory=dict)  # sku -> variant external_id
    stock: dict[str, dict[str, str]] = field(default_factory=dict)  # sku -> location external_id -> row
    stock_locations: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_id -> {id, name, external_id}
    customer_groups: dict[str, dict[str, Any]] = field(default_factory=_base_groups)  # slug -> group
    price_lists: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> price list
    pricing: dict[str, dict[str, str]] = field(default_factory=dict)  # slug -> sku -> tiers
    customers: dict[str, str] = field(default_factory=dict)  # customer external_id -> record
    emails: dict[str, str] = field(default_factory=dict)  # lower-cased email -> customer external_id
    address_owners: dict[str, str] = field(default_factory=dict)  # address external_id -> customer external_id
    purchases: dict[str, str] = field(default_factory=dict)  # platform order id -> record
    settings: dict[str, Any] = field(default_factory=dict)
    sync_logs: dict[tuple[str, str], SyncLog] = field(default_factory=dict)
    sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.sequence)}"

    def counts(self) -> dict[str, int]:
        return {
            "products": len(self.products),
            "variants": len(self.variants),
            "stock_rows": sum(len(rows) for rows in self.stock.values()),
            "stock_locations": len(self.stock_locations),
            "customer_groups": len(self.customer_groups),
            "price_lists": len(self.price_lists),
            "pricing_rows": sum(len(rows) for rows in self.pricing.values()),
            "customers": len(self.customers),
            "purchases": len(self.purchases),
            "settings": len(self.settings),
            "sync_logs": len(self.sync_logs),
        }

    def snapshot(self, sections: set[str] | None = None) -> dict[str, Any]:
        """Everything stored for the site, decoded, for ``GET /_sandbox/state``."""
        builders = {
            "products": self._products,
            "stock": self._stock,
            "stock_locations": lambda: [dict(location) for location in self.stock_locations.values()],
            "customer_groups": lambda: [dict(group) for group in self.customer_groups.values()],
            "price_lists": lambda: list(self.price_lists.values()),
            "pricing": self._pricing,
            "customers": lambda: [self.customer_view(external_id) for external_id in self.customers],
            "purchases": lambda: [unpack(text) for text in self.purchases.values()],
            "settings": lambda: [{"key": key, "value": value} for key, value in self.settings.items()],
            "sync_logs": self._sync_logs,
        }
        result: dict[str, Any] = {"counts": self.counts()}
        for name, build in builders.items():
            if sections is None or name in sections:
                result[name] = build()
        return result

    def product_view(self, external_id: str) -> dict[str, Any]:
        product = unpack(self.products[external_id])
        product["variants"] = [self.variant_view(variant_id) for variant_id in product.pop("variant_ids")]
        return product

    def variant_view(self, external_id: str) -> dict[str, Any]:
        return unpack(self.variants[external_id], VARIANT_FIELDS)

    def customer_view(self, external_id: str) -> dict[str, Any]:
        return unpack(self.customers[external_id], CUSTOMER_FIELDS)

    def _products(self) -> list[dict[str, Any]]:
        return [self.product_view(external_id) for external_id in self.products]

    def _stock(self) -> list[dict[str, Any]]:
        return [
            {"sku": sku, "stock_location_external_id": location, **unpack(text)}
            for sku, locations in self.stock.items()
            for location, text in locations.items()
        ]

    def _pricing(self) -> list[dict[str, Any]]:
        return [
            {"sku": sku, "price_list_slug": slug, "pricing": unpack(text)["pricing"]}
            for slug, rows in self.pricing.items()
            for sku, text in rows.items()
        ]

    def _sync_logs(self) -> list[dict[str, Any]]:
        return [
            {**log.status(integration, data_type), "errors": list(log.errors.values())}
            for (integration, data_type), log in self.sync_logs.items()
        ]
