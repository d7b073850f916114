"""The inline, shopper-facing half of the standard adapter: Ignite customer requests → Platform API calls.

The Platform API's customer requests mirror the Ignite contract (docs/ignite-contract.md §1.5 to §1.8), so each
operation is one call with a body translated field by field. Every operation first checks that the platform
announces the capability it needs (``capabilities``) and raises ``CapabilityMissing`` (→ 501
problem) otherwise. The platform's documented error codes become the bridge's documented answers:

==========================  ===========================================
platform answer             Ignite answer
==========================  ===========================================
409 ``email_taken``         400 ``{"error_code": "email-already-taken"}``
404 (any)                   404 problem
422 ``parent_not_found``    400 problem, ``property`` the parent id
422 ``unknown_sku`` etc.    400 problem naming the field
422 ``invalid_token``        401 (the storefront credential is not valid)
==========================  ===========================================

Anything else is a platform failure (502/504 through ``endpoints.platform_errors``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ignite_bridge.core.errors import AuthenticationError, PermanentError
from platforms.base import CredentialInvalid, EmailAlreadyTaken, PlatformRequestError, RecordNotFound
from platforms.standard import capabilities as caps
from platforms.standard.client import path_id
from platforms.storefront_tokens import MAX_TOKEN_LENGTH, storefront_token_claims

if TYPE_CHECKING:
    from platforms.standard.capabilities import Discovery
    from platforms.standard.client import StandardClient

T = TypeVar("T")

#: storefront login verified by the bridge (HS256 JWT signed with the connection's storefront secret) or by the platform
STOREFRONT_JWT = "jwt"
STOREFRONT_PLATFORM = "platform"

#: the platform's 422 codes that mean the request itself is wrong (the endpoints name the field)
REQUEST_ERROR_CODES = frozenset(
    {"parent_not_found", "unknown_sku", "unknown_customer", "shipping_method_unavailable", "unknown_metafield"}
)
#: Ignite customer request field → the key under the Platform API customer's ``sparklayer``
SPARKLAYER_REQUEST_FIELDS = {
    "accounting_id": "accounting_id",
    "price_lists": "price_lists",
    "sales_agent_groups": "sales_agent_groups",
    "customer_discount_percentage": "discount_percentage",
    "group": "group",
    "role": "role",
}
ADDRESS_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "company",
    "address_line1",
    "address_line2",
    "city",
    "region_name",
    "region_code",
    "postal_code",
    "country_code",
    "phone",
    "is_default_billing",
    "is_default_shipping",
)


def documented(call: Callable[[], T], *, not_found: str = "") -> T:
    """Run one platform call, turning its documented refusals into ``PlatformRequestError``s."""
    try:
        return call()
    except AuthenticationError:
        raise
    except PermanentError as exc:
        code = exc.problem.code
        detail = exc.problem.detail or exc.problem.title or code
        if exc.status == 409 and code == "email_taken":
            raise EmailAlreadyTaken(detail or "The email address is registered already.") from exc
        if exc.status == 404 and not_found:
            raise RecordNotFound(not_found) from exc
        if exc.status in (400, 422) and code in REQUEST_ERROR_CODES:
            raise PlatformRequestError(detail or code, code=code) from exc
        raise


def address_body(address: Mapping[str, Any]) -> dict[str, Any]:
    """An Ignite Address as the Platform API's (same names; ``is_temporary`` stays with SparkLayer)."""
    return {field: address[field] for field in ADDRESS_FIELDS if field in address and address[field] is not None}


def address_answer(stored: Any) -> dict[str, Any]:
    """The platform's stored address as the contract's AddressWithId."""
    if not isinstance(stored, Mapping) or not stored.get("id"):
        raise PermanentError("platform-api: the address answer has no id")
    body = {field: stored.get(field) for field in ADDRESS_FIELDS if stored.get(field) is not None}
    body["customer_address_external_id"] = str(stored["id"])
    return body


def created_id(answer: Any) -> str:
    if not isinstance(answer, Mapping) or not str(answer.get("id") or "").strip():
        raise PermanentError("platform-api: the answer has no id")
    return str(answer["id"]).strip()


def money_of(amount: Any, currency: str) -> dict[str, str]:
    return {"number": str(amount), "currency": currency.lower()}


def cart_body(data: Mapping[str, Any]) -> dict[str, Any]:
    """The Ignite checkout body as the Platform API's cart (``requests.json#checkout``).

    docs/ignite-contract.md §1.7."""
    customer = data.get("customer") or {}
    line = data.get("shipping_line") or {}
    state = data.get("ignite_state") or {}
    chosen = str(line.get("id") or "") if isinstance(line, Mapping) else ""
    chosen = chosen or (str(state.get("shipping_method_id") or "") if isinstance(state, Mapping) else "")
    body: dict[str, Any] = {
        "cart_id": str(data["cart_id"]),
        "currency": str(data["currency_code"]).upper(),
        "customer_id": str(customer.get("external_id") or "") or None,
        "email": str(customer.get("email") or "") or None,
        "billing_address": address_body(data["billing_address"]) if data.get("billing_address") else None,
        "shipping_address": address_body(data["shipping_address"]) if data.get("shipping_address") else None,
        "shipping_method_id": chosen or None,
        "lines": [
            {
                "sku": str(item["sku"]),
                "quantity": int(item["quantity"]),
                "unit_price": str(item["unit_price"]["number"]),
            }
            for item in data["line_items"]
        ],
    }
    if data.get("payment_type"):
        body["payment_type"] = str(data["payment_type"])
    return body


class StandardCustomerRequestsMixin:
    """Mixed into ``StandardAdapter``, which provides ``client``, ``credentials`` and ``discovery()``."""

    if TYPE_CHECKING:
        credentials: dict[str, str]

        @property
        def client(self) -> StandardClient: ...

        def discovery(self) -> Discovery: ...

    def _require(self, capability: str) -> None:
        self.discovery().require(capability)

    # -- storefront login -------------------------------------------------------------------

    def verify_storefront_credential(
        self, credential: str, *, secret: str, audience: str = "", issuer: str = "", max_lifetime_seconds: int = 3600
    ) -> str:
        if not credential or len(credential) > MAX_TOKEN_LENGTH:
            raise CredentialInvalid("The storefront credential is not a token.")
        if self.credentials.get("storefront_login") == STOREFRONT_PLATFORM:
            self._require(caps.STOREFRONT_VERIFY)
            try:
                answer = self.client.send_json("POST", "storefront/verify", body={"token": credential})
            except PermanentError as exc:
                if exc.status == 422 and exc.problem.code == "invalid_token":
                    raise CredentialInvalid("The store did not accept the storefront credential.") from exc
                raise
            return created_from(answer, "customer_id")
        claims = storefront_token_claims(
            credential, secret=secret, audience=audience, issuer=issuer, max_lifetime_seconds=max_lifetime_seconds
        )
        customer_id = str(claims.get("sub") or "").strip()
        if not customer_id:
            raise CredentialInvalid("The storefront credential does not name a customer.")
        if self.client.get_or_none(f"customers/{path_id(customer_id)}") is None:
            raise CredentialInvalid("The storefront credential names an unknown customer.")
        return customer_id

    # -- customers and sub-accounts ---------------------------------------------------------------

    def customer_upsert(self, data: Mapping[str, Any]) -> str:
        self._require(caps.CUSTOMERS_WRITE)
        body: dict[str, Any] = {key: data[key] for key in ("email", "first_name", "last_name") if key in data}
        if data.get("company_name") is not None:
            body["company_name"] = data["company_name"]
        if data.get("addresses") is not None:
            body["addresses"] = [address_body(address) for address in data["addresses"]]
        attributes = {name: data[field] for field, name in SPARKLAYER_REQUEST_FIELDS.items() if field in data}
        if attributes:
            body["sparklayer"] = attributes
        return created_id(documented(lambda: self.client.send_json("PUT", "customers", body=body)))

    def sub_account_create(self, data: Mapping[str, Any]) -> str:
        self._require(caps.SUB_ACCOUNTS)
        body = {
            "parent_customer_id": str(data["parent_customer_external_id"]),
            "email": data["email"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
        }
        if data.get("role"):
            body["role"] = data["role"]
        return created_id(documented(lambda: self.client.send_json("POST", "sub-accounts", body=body)))

    def sub_account_update(self, customer_id: str, data: Mapping[str, Any]) -> str:
        self._require(caps.SUB_ACCOUNTS)
        body = {key: data[key] for key in ("first_name", "last_name", "role") if data.get(key) is not None}
        path = f"sub-accounts/{path_id(customer_id)}"
        answer = documented(
            lambda: self.client.send_json("PATCH", path, body=body), not_found=f"Sub-account {customer_id} not found."
        )
        return created_id(answer)

    def sub_account_delete(self, customer_id: str) -> None:
        self._require(caps.SUB_ACCOUNTS)
        path = f"sub-accounts/{path_id(customer_id)}"
        documented(lambda: self.client.send_json("DELETE", path), not_found=f"Sub-account {customer_id} not found.")

    # -- addresses ----------------------------------------------------------------------------------

    def address_create(self, customer_id: str, address: Mapping[str, Any]) -> dict[str, Any]:
        self._require(caps.ADDRESSES)
        path = f"customers/{path_id(customer_id)}/addresses"
        answer = documented(
            lambda: self.client.send_json("POST", path, body=address_body(address)),
            not_found=f"Customer {customer_id} not found.",
        )
        return address_answer(answer)

    def address_update(self, customer_id: str, address_id: str, address: Mapping[str, Any]) -> dict[str, Any]:
        self._require(caps.ADDRESSES)
        path = f"customers/{path_id(customer_id)}/addresses/{path_id(address_id)}"
        answer = documented(
            lambda: self.client.send_json("PUT", path, body=address_body(address)),
            not_found=f"Address {address_id} of customer {customer_id} not found.",
        )
        return address_answer(answer)

    def address_delete(self, customer_id: str, address_id: str) -> None:
        self._require(caps.ADDRESSES)
        path = f"customers/{path_id(customer_id)}/addresses/{path_id(address_id)}"
        documented(
            lambda: self.client.send_json("DELETE", path),
            not_found=f"Address {address_id} of customer {customer_id} not found.",
        )

    # -- checkout -------------------------------------------------------------------------------------

    def checkout_calculate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        self._require(caps.CHECKOUT)
        body = cart_body(data)
        body.pop("payment_type", None)
        answer = documented(lambda: self.client.send_json("POST", "checkout/calculate", body=body))
        if not isinstance(answer, Mapping) or not isinstance(answer.get("totals"), Mapping):
            raise PermanentError("platform-api POST /checkout/calculate: the answer has no totals")
        currency = str(answer.get("currency") or body["currency"])
        methods = [
            {
                "id": str(method["id"]),
                "name": str(method.get("name") or ""),
                "price": money_of(method["price"], currency),
            }
            for method in answer.get("shipping_methods") or []
            if isinstance(method, Mapping) and method.get("id")
        ]
        totals = {
            key: money_of(answer["totals"].get(key, "0"), currency) for key in ("subtotal", "shipping", "tax", "total")
        }
        chosen = (
            answer.get("shipping_method_id") or body["shipping_method_id"] or (methods[0]["id"] if methods else None)
        )
        return {
            "available_shipping_methods": methods,
            "totals": totals,
            "ignite_state": {"version": 1, "shipping_method_id": chosen, "totals": totals},
        }

    def checkout_complete(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """One platform call with ``Idempotency-Key: <cart_id>``: the platform returns the first
        order for a repeated key, the bridge's own completion row being the first guard."""
        self._require(caps.CHECKOUT)
        body = cart_body(data)
        headers = {"Idempotency-Key": body["cart_id"]}
        answer = documented(lambda: self.client.send_json("POST", "checkout/complete", body=body, headers=headers))
        order_id = created_from(answer, "order_id")
        if data["payment_type"] == "upfrontPayment":
            payment_url = str(answer.get("payment_url") or "")
            if not payment_url:
                raise PermanentError("platform-api POST /checkout/complete: an upfront payment needs payment_url")
            return {"order_id": order_id, "order_external_id": None, "redirect_url": payment_url}
        return {"order_id": order_id, "order_external_id": order_id, "redirect_url": None}

    # -- metafields ----------------------------------------------------------------------------------

    def metafield_list(self) -> list[dict[str, str]]:
        self._require(caps.METAFIELDS)
        answer = self.client.get_json("metafields")
        items = answer.get("data") if isinstance(answer, Mapping) else None
        return [
            {"key": str(item["key"]), "state": str(item.get("state") or "disabled")}
            for item in items or []
            if isinstance(item, Mapping) and item.get("key")
        ]

    def metafield_enable(self, key: str) -> dict[str, str]:
        self._require(caps.METAFIELDS)
        path = f"metafields/{path_id(key)}/enable"
        try:
            answer = self.client.send_json("POST", path)
        except PermanentError as exc:
            if exc.status == 404 and not isinstance(exc, AuthenticationError):
                raise PlatformRequestError(f"Unknown metafield key {key!r}.", code="unknown_metafield") from exc
            raise
        if not isinstance(answer, Mapping):
            raise PermanentError("platform-api: the metafield answer is not an object")
        return {"key": str(answer.get("key") or key), "state": str(answer.get("state") or "enabled")}


def created_from(answer: Any, field: str) -> str:
    if not isinstance(answer, Mapping) or not str(answer.get(field) or "").strip():
        raise PermanentError(f"platform-api: the answer has no {field}")
    return str(answer[field]).strip()
