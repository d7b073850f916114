"""Pure mapping from WooCommerce REST ``wc/v3`` records to SparkLayer payloads, one module per record type.

No function here performs I/O: the adapter fetches, these map, ``validation`` says what is wrong.
"""

from platforms.woocommerce.mapping.common import (
    GRAMS_PER_UNIT,
    StoreSettings,
    address_payload,
    customer_admin_url,
    money,
    order_admin_url,
    parse_gmt,
    product_admin_url,
    weight_in_grams,
)
from platforms.woocommerce.mapping.customers import address_external_id, map_customer
from platforms.woocommerce.mapping.orders import is_syncable_order, map_order
from platforms.woocommerce.mapping.products import (
    DEFAULT_STOCK_LOCATION,
    map_product,
    price_list_payloads,
    price_list_slug,
    product_status,
    stock_location_payloads,
    stock_quantity,
    variant_status,
)
from platforms.woocommerce.mapping.settings import (
    MERCHANT_EXTERNAL_ID,
    map_merchant,
    option_values,
    settings_payload,
    store_settings_from_options,
)

__all__ = [
    "DEFAULT_STOCK_LOCATION",
    "GRAMS_PER_UNIT",
    "MERCHANT_EXTERNAL_ID",
    "StoreSettings",
    "address_external_id",
    "address_payload",
    "customer_admin_url",
    "is_syncable_order",
    "map_customer",
    "map_merchant",
    "map_order",
    "map_product",
    "money",
    "option_values",
    "order_admin_url",
    "parse_gmt",
    "price_list_payloads",
    "price_list_slug",
    "product_admin_url",
    "product_status",
    "settings_payload",
    "stock_location_payloads",
    "stock_quantity",
    "store_settings_from_options",
    "variant_status",
    "weight_in_grams",
]
