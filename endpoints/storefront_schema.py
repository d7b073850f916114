"""Shapes shared by the customer-request endpoints, and their OpenAPI documentation.

The contract: docs/ignite-contract.md §1.5 to §1.8.

Fields are strict about JSON types: SparkLayer sends typed JSON, so ``"5"`` for a quantity or ``1``
for a name is a client bug to report (400 with the field named), not something to coerce.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers

from endpoints.storefront_countries import ISO_3166_ALPHA2

PROBLEM_MEDIA_TYPE = "application/problem+json"
DECIMAL_PATTERN = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")
CURRENCY_PATTERN = re.compile(r"^[A-Za-z]{3}$")
TEXT_MAX = 255


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF's CharField would turn ``12`` or ``true`` into text)."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data)).strip()


class StrictBooleanField(serializers.BooleanField):
    """``true``/``false`` only (DRF would accept ``"yes"``, ``1``...)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class StrictNumberField(serializers.FloatField):
    """A JSON number (int or float), e.g. ``customer_discount_percentage: 25``."""

    default_error_messages = {"invalid": "Must be a number."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return float(super().to_internal_value(data))


class StrictObjectField(serializers.DictField):
    """A free-form JSON object (``ignite_state``, ``shop``, ``shipping_line``)."""

    default_error_messages = {"not_a_dict": "Must be a JSON object."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.JSONField(), **kwargs)


def text_field(**kwargs: Any) -> StrictCharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("max_length", TEXT_MAX)
    return StrictCharField(**kwargs)


class CountryCodeField(StrictCharField):
    default_error_messages = {"invalid_country": "Must be an ISO 3166-1 alpha-2 country code, e.g. GB."}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).strip().upper()
        if value and value not in ISO_3166_ALPHA2:
            self.fail("invalid_country")
        return value


class MoneySerializer(serializers.Serializer):
    """``{"number": "15.99", "currency": "gbp"}``: a decimal string, never a float."""

    number = StrictCharField(help_text="Decimal string, e.g. 15.99.")
    currency = StrictCharField(help_text="ISO 4217 code, lower case, e.g. gbp.")

    def validate_number(self, value: str) -> str:
        if not DECIMAL_PATTERN.match(value):
            raise serializers.ValidationError("Must be a decimal string such as 15.99.")
        return value

    def validate_currency(self, value: str) -> str:
        if not CURRENCY_PATTERN.match(value):
            raise serializers.ValidationError("Must be a three-letter ISO 4217 code.")
        return value.lower()


class AddressSerializer(serializers.Serializer):
    """Address (docs/ignite-contract.md §1.6)."""

    title = text_field()
    first_name = text_field()
    last_name = text_field()
    company = text_field()
    address_line1 = text_field()
    address_line2 = text_field()
    city = text_field()
    region_name = text_field()
    region_code = text_field(max_length=32)
    postal_code = text_field(max_length=32)
    country_code = CountryCodeField(required=False, allow_blank=True, max_length=2)
    phone = text_field(max_length=64)
    is_default_shipping = StrictBooleanField(required=False, default=False)
    is_default_billing = StrictBooleanField(required=False, default=False)
    is_temporary = StrictBooleanField(required=False, default=False)


class AddressWithIdSerializer(AddressSerializer):
    customer_address_external_id = serializers.CharField()


class CustomerIdSerializer(serializers.Serializer):
    customer_external_id = serializers.CharField(help_text="The customer's id on the platform.")


class ProblemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    property = serializers.CharField(allow_null=True, required=False)


class ProblemSerializer(serializers.Serializer):
    """RFC 7807 problem JSON: every error the bridge answers (docs/ignite-contract.md §1, Errors)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]  # field, not .errors


class EmailTakenSerializer(serializers.Serializer):
    error_code = serializers.ChoiceField(choices=["email-already-taken"])


def problem_example(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> dict:
    body: dict[str, Any] = {
        "type": f"https://ignite-bridge.dev/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> Any:
    return OpenApiResponse(
        response=ProblemSerializer,
        description=detail,
        examples=[OpenApiExample(title, value=problem_example(status, title, detail, errors), status_codes=[status])],
    )


BAD_INPUT = problem_response(
    400,
    "Validation failed",
    "The request body is invalid.",
    [{"code": "invalid", "message": "Enter a valid email address.", "property": "email"}],
)
UNAUTHORISED = problem_response(401, "Unauthorized", "Invalid token.")
NOT_FOUND = problem_response(404, "Not Found", "No active connection for test/bobs-store.")
BAD_GATEWAY = problem_response(502, "Bad Gateway", "The store answered with an error: service_unavailable.")
GATEWAY_TIMEOUT = problem_response(504, "Gateway Timeout", "The store did not answer in time.")
UNPROCESSABLE = problem_response(
    422,
    "Unprocessable Entity",
    "The record exists but cannot be synced.",
    [{"code": "product_missing_sku", "message": "Product #12 (Hoodie) has no SKU.", "property": "entityId"}],
)


def error_responses(*statuses: int) -> dict[Any, Any]:
    """Problem responses (media type ``application/problem+json``) for the given statuses."""
    table = {
        400: BAD_INPUT, 401: UNAUTHORISED, 404: NOT_FOUND, 422: UNPROCESSABLE, 502: BAD_GATEWAY, 504: GATEWAY_TIMEOUT,
    }  # fmt: skip
    return {(status, PROBLEM_MEDIA_TYPE): table[status] for status in statuses}


STANDARD_ERRORS = (400, 401, 404, 502, 504)

#: 400 on sub-account creation: a problem, or the documented ``{"error_code": "email-already-taken"}``
SUB_ACCOUNT_BAD_REQUEST = PolymorphicProxySerializer(
    component_name="SubAccountBadRequest",
    serializers=[ProblemSerializer, EmailTakenSerializer],
    resource_type_field_name=None,
)

ADDRESS_EXAMPLE = {
    "title": "Mr",
    "first_name": "Bob",
    "last_name": "Jones",
    "company": "Tom Jones Climbing Ltd",
    "address_line1": "Example Industrial Estate",
    "address_line2": "North Country",
    "city": "Cityland",
    "region_name": "California",
    "region_code": "CA",
    "postal_code": "12345",
    "country_code": "US",
    "phone": "+44 (0) 123456789",
    "is_default_shipping": True,
    "is_default_billing": False,
    "is_temporary": False,
}
