"""WooCommerce store settings → ``StoreSettings`` (used by the other mappings) and the merchant record.

SparkLayer's docs do not list which global setting keys a platform fills in (docs/ignite-contract.md §2.6), so
the keys are a **[decision]** kept in ``SETTING_KEYS``: changing one is a one-line change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from platforms.types import DataType, SyncRecord
from platforms.woocommerce.mapping.common import StoreSettings

#: StoreSettings attribute → SparkLayer settings key
SETTING_KEYS = {
    "currency_code": "currency_code",
    "weight_unit": "weight_unit",
    "prices_include_tax": "prices_include_tax",
}
MERCHANT_EXTERNAL_ID = "settings"
#: the store address options (WooCommerce → Settings → General), in the order they are written
STORE_ADDRESS_OPTIONS = (
    "woocommerce_store_address",
    "woocommerce_store_address_2",
    "woocommerce_store_city",
    "woocommerce_store_postcode",
)


def option_values(options: Iterable[Any]) -> dict[str, Any]:
    """``GET /settings/<group>`` answers ``[{id, value, ...}]``; index the values by id."""
    return {str(o.get("id")): o.get("value") for o in options if isinstance(o, Mapping) and o.get("id")}


def store_settings_from_options(options: Mapping[str, Any]) -> StoreSettings:
    """Build ``StoreSettings`` from option ids → values, WooCommerce's defaults for missing ones."""
    currency = str(options.get("woocommerce_currency") or "USD").strip().upper()
    weight_unit = str(options.get("woocommerce_weight_unit") or "kg").strip().lower()
    include_tax = str(options.get("woocommerce_prices_include_tax") or "no").strip().lower() == "yes"
    address = ", ".join(
        str(options.get(key) or "").strip() for key in STORE_ADDRESS_OPTIONS if str(options.get(key) or "").strip()
    )
    return StoreSettings(
        currency=currency, weight_unit=weight_unit, prices_include_tax=include_tax, store_address=address
    )


def settings_payload(settings: StoreSettings) -> list[dict[str, Any]]:
    """The body of ``PATCH /api/v1/settings``: ``[{key, value}]``."""
    values = {
        "currency_code": settings.currency_code,
        "weight_unit": settings.weight_unit,
        "prices_include_tax": settings.prices_include_tax,
    }
    return [{"key": SETTING_KEYS[name], "value": value} for name, value in values.items()]


def map_merchant(settings: StoreSettings, *, store_url: str) -> SyncRecord:
    """The one merchant record; its payload is ``{"settings": [{key, value}, ...]}``."""
    return SyncRecord(
        data_type=DataType.MERCHANT,
        external_id=MERCHANT_EXTERNAL_ID,
        payload={"settings": settings_payload(settings)},
        platform_url=f"{store_url.rstrip('/')}/wp-admin/admin.php?page=wc-settings",
        visible_id="store settings",
    )
