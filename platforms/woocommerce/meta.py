"""Meta keys the bridge reads from (and, for customer requests, writes to) WooCommerce records.

One list shared by the mapping and the customer-request operations, so what one writes the other
reads back: SparkLayer replaces a customer wholesale, so any attribute only SparkLayer knows must
round-trip through the platform record.
"""

from __future__ import annotations

#: Customer v2 field (docs/ignite-contract.md §1.6, §2.4) → the customer meta keys holding it. The first
#: key is the one the bridge writes; later ones are aliases it also reads (last match wins).
CUSTOMER_META_FIELDS: dict[str, tuple[str, ...]] = {
    "accounting_id": ("sparklayer_accounting_id",),
    "company_name": ("sparklayer_company_name",),
    "price_lists": ("sparklayer_price_lists",),
    "sales_agent_groups": ("sparklayer_sales_agent_groups",),
    "discount_percentage": ("sparklayer_customer_discount_percentage", "sparklayer_discount_percentage"),
    "group": ("sparklayer_group", "sparklayer_customer_group"),
    "role": ("sparklayer_role",),
    "parent_customer_id": ("sparklayer_parent_customer_id",),
    "tax_exempt": ("sparklayer_tax_exempt",),
    "payment_on_account": ("sparklayer_payment_on_account",),
}
LIST_FIELDS = frozenset({"price_lists", "sales_agent_groups"})
NUMBER_FIELDS = frozenset({"discount_percentage"})
BOOL_FIELDS = frozenset({"tax_exempt"})
OBJECT_FIELDS = frozenset({"payment_on_account"})

#: order meta written by the checkout (docs/ignite-contract.md §1.7)
ORDER_CART_ID = "sparkCartId"
ORDER_PAYMENT_TYPE = "sparkPaymentType"
