"""Customers and sub-accounts SparkLayer creates on the platform (docs/ignite-contract.md §1.6, endpoints 6 to 9)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from endpoints.storefront_base import StorefrontApiView
from endpoints.storefront_schema import (
    ADDRESS_EXAMPLE,
    PROBLEM_MEDIA_TYPE,
    STANDARD_ERRORS,
    SUB_ACCOUNT_BAD_REQUEST,
    AddressSerializer,
    CustomerIdSerializer,
    StrictCharField,
    StrictEmailField,
    StrictNumberField,
    error_responses,
    problem_example,
    text_field,
)

ROLES = ["main", "limited-customer"]
CUSTOMER_ID_EXAMPLE = OpenApiExample(
    "Customer id", value={"customer_external_id": "42"}, response_only=True, status_codes=["200", "201"]
)


class CustomerUpsertApi(StorefrontApiView):
    """Create or update the platform customer with this email; SparkLayer attributes are stored as meta."""

    class InputSerializer(serializers.Serializer):
        email = StrictEmailField(max_length=254)
        first_name = StrictCharField(max_length=255)
        last_name = StrictCharField(max_length=255)
        company_name = text_field(allow_null=True)
        accounting_id = text_field(allow_null=True)
        sales_agent_groups = serializers.ListField(
            child=StrictCharField(max_length=255), required=False, allow_null=True, max_length=100
        )
        price_lists = serializers.ListField(
            child=StrictCharField(max_length=255), required=False, allow_null=True, max_length=100
        )
        customer_discount_percentage = StrictNumberField(required=False, allow_null=True, min_value=0, max_value=100)
        group = text_field(allow_null=True)
        role = serializers.ChoiceField(choices=ROLES, required=False, allow_null=True)
        addresses = AddressSerializer(many=True, required=False, allow_null=True, max_length=100)  # type: ignore[call-arg]

        class Meta:
            ref_name = "CustomerUpsertInput"

    @extend_schema(
        operation_id="createUpdateCustomer",
        tags=["customers"],
        request=InputSerializer,
        responses={201: CustomerIdSerializer, **error_responses(*STANDARD_ERRORS)},
        examples=[
            OpenApiExample(
                "Customer",
                request_only=True,
                value={
                    "email": "bob@sparklayer.io",
                    "first_name": "Bob",
                    "last_name": "Jones",
                    "company_name": "Tom Jones Climbing Ltd",
                    "accounting_id": "ACC-1",
                    "sales_agent_groups": ["group-1"],
                    "price_lists": ["25-off"],
                    "customer_discount_percentage": 25,
                    "group": "50-off",
                    "role": "main",
                    "addresses": [ADDRESS_EXAMPLE],
                },
            ),
            CUSTOMER_ID_EXAMPLE,
        ],
    )
    def put(self, request: Request, site_env: str, site_id: str) -> Response:
        data = self.validated(self.InputSerializer)
        customer_id = self.platform().customer_upsert(data)
        return Response({"customer_external_id": customer_id}, status=status.HTTP_201_CREATED)


class SubAccountCreateApi(StorefrontApiView):
    """Create a customer linked to a parent (``sparklayer_parent_customer_id``)."""

    class InputSerializer(serializers.Serializer):
        email = StrictEmailField(max_length=254)
        first_name = StrictCharField(max_length=255)
        last_name = StrictCharField(max_length=255)
        parent_customer_external_id = StrictCharField(max_length=64)
        role = serializers.ChoiceField(choices=ROLES, required=False, allow_null=True)

        class Meta:
            ref_name = "SubAccountCreateInput"

    @extend_schema(
        operation_id="createSubAccount",
        tags=["customers"],
        request=InputSerializer,
        responses={
            201: CustomerIdSerializer,
            (400, "application/json"): OpenApiResponse(
                SUB_ACCOUNT_BAD_REQUEST,
                description='The email is taken: exactly {"error_code": "email-already-taken"}.',
            ),
            **error_responses(*STANDARD_ERRORS),
        },
        examples=[
            OpenApiExample(
                "Sub-account",
                request_only=True,
                value={
                    "email": "alice@sparklayer.io",
                    "first_name": "Alice",
                    "last_name": "Jones",
                    "parent_customer_external_id": "42",
                    "role": "limited-customer",
                },
            ),
            CUSTOMER_ID_EXAMPLE,
            OpenApiExample(
                "Email taken",
                value={"error_code": "email-already-taken"},
                response_only=True,
                status_codes=["400"],
                media_type="application/json",
            ),
        ],
    )
    def post(self, request: Request, site_env: str, site_id: str) -> Response:
        data = self.validated(self.InputSerializer)
        customer_id = self.platform().sub_account_create(data)
        return Response({"customer_external_id": customer_id}, status=status.HTTP_201_CREATED)


class SubAccountDetailApi(StorefrontApiView):
    """``PATCH`` updates a sub-account's names and role; ``DELETE`` unlinks it from its parent."""

    class UpdateInputSerializer(serializers.Serializer):
        first_name = StrictCharField(max_length=255, required=False)
        last_name = StrictCharField(max_length=255, required=False)
        role = serializers.ChoiceField(choices=ROLES, required=False, allow_null=True)

        class Meta:
            ref_name = "SubAccountUpdateInput"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "email" in self.initial_data:
                raise serializers.ValidationError({"email": "A sub-account's email cannot be changed here."})
            return attrs

    @extend_schema(
        operation_id="updateSubAccount",
        tags=["customers"],
        request=UpdateInputSerializer,
        responses={200: CustomerIdSerializer, **error_responses(*STANDARD_ERRORS)},
        examples=[
            OpenApiExample(
                "Names and role",
                request_only=True,
                value={"first_name": "Alice", "last_name": "Smith", "role": "main"},
            ),
            CUSTOMER_ID_EXAMPLE,
        ],
    )
    def patch(self, request: Request, site_env: str, site_id: str, customer_external_id: str) -> Response:
        data = self.validated(self.UpdateInputSerializer)
        customer_id = self.platform().sub_account_update(customer_external_id, data)
        return Response({"customer_external_id": customer_id}, status=status.HTTP_200_OK)

    @extend_schema(
        operation_id="deleteSubAccount",
        tags=["customers"],
        request=None,
        responses={
            204: OpenApiResponse(description="Unlinked from its parent; the platform customer is kept."),
            **error_responses(401, 404, 502, 504),
        },
        examples=[
            OpenApiExample(
                "Customer not found",
                value=problem_example(404, "Not Found", "Customer 42 is not a sub-account."),
                response_only=True,
                status_codes=["404"],
                media_type=PROBLEM_MEDIA_TYPE,
            )
        ],
    )
    def delete(self, request: Request, site_env: str, site_id: str, customer_external_id: str) -> Response:
        self.get_connection()
        self.platform().sub_account_delete(customer_external_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
