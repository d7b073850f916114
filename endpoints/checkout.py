"""Checkout calculate and complete (docs/ignite-contract.md §1.7, endpoints 13 and 14): the shopper waits on these."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from endpoints.platform_errors import platform_error_response
from endpoints.storefront_base import StorefrontApiView, rendered
from endpoints.storefront_schema import (
    ADDRESS_EXAMPLE,
    CURRENCY_PATTERN,
    PROBLEM_MEDIA_TYPE,
    STANDARD_ERRORS,
    AddressSerializer,
    MoneySerializer,
    ProblemSerializer,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictObjectField,
    error_responses,
    problem_example,
    text_field,
)
from ignite_bridge.core.problems import PROBLEM_CONTENT_TYPE, problem_body
from storefront.services import CheckoutInProgress, checkout_complete_once

PAYMENT_TYPES = ["upfrontPayment", "paymentOnAccount", "paymentByInvoice", "quote"]


class LineItemSerializer(serializers.Serializer):
    sku = StrictCharField(max_length=255)
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)
    unit_price = MoneySerializer()


class CheckoutCustomerSerializer(serializers.Serializer):
    id = text_field(allow_null=True)
    email = StrictEmailField(required=False, allow_null=True, allow_blank=True, max_length=254)
    external_id = text_field(allow_null=True, max_length=64)
    accounting_id = text_field(allow_null=True)
    default_billing_address_id = text_field(allow_null=True)
    default_shipping_address_id = text_field(allow_null=True)
    temporary_external_address_ids = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, allow_null=True, max_length=100
    )
    payment_on_account = StrictObjectField(required=False, allow_null=True)


class CheckoutInputSerializer(serializers.Serializer):
    cart_id = serializers.UUIDField()
    customer = CheckoutCustomerSerializer()
    currency_code = StrictCharField(max_length=3, help_text="ISO 4217, e.g. gbp.")
    billing_address = AddressSerializer(required=False, allow_null=True)
    shipping_address = AddressSerializer(required=False, allow_null=True)
    shipping_line = StrictObjectField(required=False, allow_null=True, help_text="The chosen method: {id}.")
    line_items = LineItemSerializer(many=True, min_length=1, max_length=500)  # type: ignore[call-arg]
    ignite_state = StrictObjectField(required=False, allow_null=True)

    def validate_cart_id(self, value: Any) -> str:
        if not isinstance(self.initial_data.get("cart_id"), str):
            raise serializers.ValidationError("Must be a uuid string.")
        return str(value)

    def validate_currency_code(self, value: str) -> str:
        if not CURRENCY_PATTERN.match(value):
            raise serializers.ValidationError("Must be a three-letter ISO 4217 code.")
        return value.lower()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {
            f"line_items[{index}].unit_price.currency": "Must be the cart's currency_code."
            for index, line in enumerate(attrs["line_items"])
            if line["unit_price"]["currency"] != attrs["currency_code"]
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CompleteInputSerializer(CheckoutInputSerializer):
    payment_type = serializers.ChoiceField(choices=PAYMENT_TYPES)
    shop = StrictObjectField(required=False, allow_null=True)


class ShippingMethodSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="WooCommerce rate id, e.g. flat_rate:1.")
    name = serializers.CharField()
    price = MoneySerializer()


class TotalsSerializer(serializers.Serializer):
    subtotal = MoneySerializer()
    shipping = MoneySerializer()
    tax = MoneySerializer()
    total = MoneySerializer()


class CalculateOutputSerializer(serializers.Serializer):
    available_shipping_methods = ShippingMethodSerializer(many=True)
    totals = TotalsSerializer()
    ignite_state = serializers.DictField(help_text="Send back unchanged on checkout/complete.")


class CompleteOutputSerializer(serializers.Serializer):
    order_external_id = serializers.CharField(allow_null=True)
    redirect_url = serializers.CharField(allow_null=True)


def _money(number: str) -> dict[str, str]:
    return {"number": number, "currency": "gbp"}


CHECKOUT_EXAMPLE = {
    "cart_id": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
    "customer": {"id": "cu_1", "email": "bob@sparklayer.io", "external_id": "42", "accounting_id": "ACC-1"},
    "currency_code": "gbp",
    "billing_address": {**ADDRESS_EXAMPLE, "country_code": "GB", "region_code": "", "postal_code": "EC1A 1BB"},
    "shipping_address": {**ADDRESS_EXAMPLE, "country_code": "GB", "region_code": "", "postal_code": "EC1A 1BB"},
    "shipping_line": {"id": "flat_rate:1"},
    "line_items": [{"sku": "SKU-1", "quantity": 2, "unit_price": _money("15.99")}],
    "ignite_state": {},
}
CALCULATE_RESPONSE_EXAMPLE = {
    "available_shipping_methods": [
        {"id": "flat_rate:1", "name": "Standard delivery", "price": _money("4.95")},
        {"id": "free_shipping:2", "name": "Free delivery", "price": _money("0.00")},
    ],
    "totals": {
        "subtotal": _money("31.98"),
        "shipping": _money("4.95"),
        "tax": _money("7.39"),
        "total": _money("44.32"),
    },
    "ignite_state": {"version": 1, "shipping_method_id": "flat_rate:1"},
}


class CheckoutCalculateApi(StorefrontApiView):
    """Shipping methods for the shipping address, and tax and totals as the store computes them."""

    InputSerializer = CheckoutInputSerializer
    OutputSerializer = CalculateOutputSerializer

    @extend_schema(
        operation_id="calculateOrder",
        tags=["checkout"],
        request=CheckoutInputSerializer,
        responses={200: CalculateOutputSerializer, **error_responses(*STANDARD_ERRORS)},
        examples=[
            OpenApiExample("Cart", value=CHECKOUT_EXAMPLE, request_only=True),
            OpenApiExample("Calculated", value=CALCULATE_RESPONSE_EXAMPLE, response_only=True, status_codes=["200"]),
        ],
    )
    def post(self, request: Request, site_env: str, site_id: str) -> Response:
        data = self.validated(self.InputSerializer)
        result = self.platform().checkout_calculate(data)
        return Response(rendered(self.OutputSerializer, result), status=status.HTTP_200_OK)


class CheckoutCompleteApi(StorefrontApiView):
    """Create the platform order (or the payment URL for upfront payment); idempotent on ``cart_id``.

    WooCommerce order status per payment type: ``paymentOnAccount`` and ``paymentByInvoice`` →
    ``on-hold`` (goods owed, the merchant reviews; stock is reduced); ``quote`` → ``pending``;
    ``upfrontPayment`` → ``pending`` and the answer's ``redirect_url`` is the store's payment page
    for it (``order_external_id`` is then null). The order carries ``sparkCartId`` and
    ``sparkPaymentType`` meta. A retry with the same ``cart_id`` answers the same body and never
    creates a second order; a concurrent duplicate waits for the first call and gets its answer.
    """

    InputSerializer = CompleteInputSerializer
    OutputSerializer = CompleteOutputSerializer

    @extend_schema(
        operation_id="completeOrder",
        tags=["checkout"],
        request=CompleteInputSerializer,
        responses={
            201: CompleteOutputSerializer,
            **error_responses(*STANDARD_ERRORS),
            (409, PROBLEM_MEDIA_TYPE): OpenApiResponse(
                ProblemSerializer, description="Another call is completing this cart right now: retry."
            ),
        },
        examples=[
            OpenApiExample(
                "Pay on account",
                value={**CHECKOUT_EXAMPLE, "payment_type": "paymentOnAccount", "shop": {}},
                request_only=True,
            ),
            OpenApiExample(
                "Order created",
                value={"order_external_id": "1234", "redirect_url": None},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Upfront payment",
                value={
                    "order_external_id": None,
                    "redirect_url": "https://shop.example.com/checkout/order-pay/1234/?pay_for_order=true&key=wc_order_x",
                },
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "In progress",
                value=problem_example(409, "Conflict", "This cart is being completed by another call; retry."),
                response_only=True,
                status_codes=["409"],
                media_type=PROBLEM_MEDIA_TYPE,
            ),
        ],
    )
    def post(self, request: Request, site_env: str, site_id: str) -> Response:
        data = self.validated(self.InputSerializer)
        answer = checkout_complete_once(connection=self.get_connection(), data=data, platform=self.platform)
        return Response(rendered(self.OutputSerializer, answer), status=status.HTTP_201_CREATED)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CheckoutInProgress):
            body = problem_body(409, detail="This cart is being completed by another call; retry.")
            return Response(body, status=409, content_type=PROBLEM_CONTENT_TYPE)
        response = platform_error_response(exc)
        return response if response is not None else super().handle_exception(exc)
