"""Pure Platform API record → SparkLayer payload functions (no I/O)."""

from platforms.standard.mapping.common import StoreSettings, parse_timestamp, store_settings
from platforms.standard.mapping.customers import map_customer
from platforms.standard.mapping.orders import map_order
from platforms.standard.mapping.products import map_product, price_list_payloads, stock_records
from platforms.standard.mapping.settings import map_merchant

__all__ = [
    "StoreSettings",
    "map_customer",
    "map_merchant",
    "map_order",
    "map_product",
    "parse_timestamp",
    "price_list_payloads",
    "stock_records",
    "store_settings",
]
