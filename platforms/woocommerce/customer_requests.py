"""Customer-request operations (storefront login, customers, sub-accounts, addresses, checkout, metafields).

The inline, shopper-facing half of ``PlatformAdapter`` for WooCommerce. Each method is one
operation of docs/ignite-contract.md §1.5 to §1.8; the work lives in ``storefront_auth``, ``customer_writes``,
``addresses``, ``shipping`` and ``checkout``. The adapter these run on is built with the short
inline timeouts and a single attempt (``connections.clients.connection_platform_adapter(...,
inline=True)``), so a slow store fails the request quickly instead of holding the shopper.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from platforms.base import CredentialInvalid, PlatformRequestError, RecordNotFound
from platforms.woocommerce import checkout, customer_writes
from platforms.woocommerce.storefront_auth import storefront_token_subject

if TYPE_CHECKING:
    from platforms.woocommerce.client import WooCommerceClient

#: docs/ignite-contract.md §1.8: the SparkLayer attributes a WooCommerce store can hold. Customer meta is free-form,
#: so each is always ``enabled`` and enabling one creates nothing.
METAFIELD_KEYS: tuple[str, ...] = (
    "customer.accounting_id",
    "customer.company_name",
    "customer.discount_percentage",
    "customer.price_lists",
    "customer.group",
    "customer.payment_on_account",
    "customer.billing_address_id",
    "customer.shipping_address_id",
    "customer.available_shipping_addresses_ids",
)
METAFIELD_ENABLED = "enabled"


class WooCommerceCustomerRequestsMixin:
    """Mixed into ``WooCommerceAdapter``, which provides ``client``."""

    if TYPE_CHECKING:

        @property
        def client(self) -> WooCommerceClient: ...

    def verify_storefront_credential(
        self, credential: str, *, secret: str, audience: str = "", issuer: str = "", max_lifetime_seconds: int = 3600
    ) -> str:
        """The token's customer must still exist on the store: a deleted buyer cannot sign in."""
        customer_id = storefront_token_subject(
            credential, secret=secret, audience=audience, issuer=issuer, max_lifetime_seconds=max_lifetime_seconds
        )
        try:
            customer_writes.get_customer(self.client, customer_id)
        except RecordNotFound as exc:
            raise CredentialInvalid("The storefront credential names an unknown customer.") from exc
        return customer_id

    def customer_upsert(self, data: Mapping[str, Any]) -> str:
        return customer_writes.customer_upsert(self.client, data)

    def sub_account_create(self, data: Mapping[str, Any]) -> str:
        return customer_writes.sub_account_create(self.client, data)

    def sub_account_update(self, customer_id: str, data: Mapping[str, Any]) -> str:
        return customer_writes.sub_account_update(self.client, customer_id, data)

    def sub_account_delete(self, customer_id: str) -> None:
        customer_writes.sub_account_delete(self.client, customer_id)

    def address_create(self, customer_id: str, address: Mapping[str, Any]) -> dict[str, Any]:
        return customer_writes.address_create(self.client, customer_id, address)

    def address_update(self, customer_id: str, address_id: str, address: Mapping[str, Any]) -> dict[str, Any]:
        return customer_writes.address_update(self.client, customer_id, address_id, address)

    def address_delete(self, customer_id: str, address_id: str) -> None:
        customer_writes.address_delete(self.client, customer_id, address_id)

    def checkout_calculate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return checkout.checkout_calculate(self.client, data)

    def checkout_complete(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Returns ``order_id`` (always), ``order_external_id`` and ``redirect_url`` (docs/ignite-contract.md §1.7)."""
        return checkout.checkout_complete(self.client, data)

    def metafield_list(self) -> list[dict[str, str]]:
        return [{"key": key, "state": METAFIELD_ENABLED} for key in METAFIELD_KEYS]

    def metafield_enable(self, key: str) -> dict[str, str]:
        if key not in METAFIELD_KEYS:
            raise PlatformRequestError(f"Unknown metafield key {key!r}.", code="unknown_metafield")
        return {"key": key, "state": METAFIELD_ENABLED}
