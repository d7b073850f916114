"""Customer addresses (docs/ignite-contract.md §1.6, endpoints 10 to 12).

WooCommerce holds one billing and one shipping address; the adapter keeps the rest in customer meta
with stable ids and mirrors the defaults into the native fields (``platforms/woocommerce/addresses``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from endpoints.storefront_base import StorefrontApiView
from endpoints.storefront_schema import (
    ADDRESS_EXAMPLE,
    STANDARD_ERRORS,
    AddressSerializer,
    AddressWithIdSerializer,
    error_responses,
)

ADDRESS_ID_EXAMPLE = "3f0c2b8e-8f5e-4c1a-9a57-0d4f4f2b7a11"
EXAMPLES = [
    OpenApiExample("Address", value=ADDRESS_EXAMPLE, request_only=True),
    OpenApiExample(
        "Address with id",
        value={**ADDRESS_EXAMPLE, "customer_address_external_id": ADDRESS_ID_EXAMPLE},
        response_only=True,
        status_codes=["200", "201"],
    ),
]


class AddressCreateApi(StorefrontApiView):
    """Add an address to a customer; a default flag moves the default to this address."""

    InputSerializer = AddressSerializer
    OutputSerializer = AddressWithIdSerializer

    @extend_schema(
        operation_id="createCustomerAddress",
        tags=["addresses"],
        request=AddressSerializer,
        responses={201: AddressWithIdSerializer, **error_responses(*STANDARD_ERRORS)},
        examples=EXAMPLES,
    )
    def post(self, request: Request, site_env: str, site_id: str, customer_external_id: str) -> Response:
        address = self.validated(self.InputSerializer)
        created = self.platform().address_create(customer_external_id, address)
        return Response(self.OutputSerializer(created).data, status=status.HTTP_201_CREATED)


class AddressDetailApi(StorefrontApiView):
    """``PUT`` replaces an address; ``DELETE`` removes it."""

    InputSerializer = AddressSerializer
    OutputSerializer = AddressWithIdSerializer

    @extend_schema(
        operation_id="updateCustomerAddress",
        tags=["addresses"],
        request=AddressSerializer,
        responses={200: AddressWithIdSerializer, **error_responses(*STANDARD_ERRORS)},
        examples=EXAMPLES,
    )
    def put(
        self, request: Request, site_env: str, site_id: str, customer_external_id: str, address_external_id: str
    ) -> Response:
        address = self.validated(self.InputSerializer)
        updated = self.platform().address_update(customer_external_id, address_external_id, address)
        return Response(self.OutputSerializer(updated).data, status=status.HTTP_200_OK)

    @extend_schema(
        operation_id="deleteCustomerAddress",
        tags=["addresses"],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(401, 404, 502, 504)},
    )
    def delete(
        self, request: Request, site_env: str, site_id: str, customer_external_id: str, address_external_id: str
    ) -> Response:
        self.get_connection()
        self.platform().address_delete(customer_external_id, address_external_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
