"""Metafield configuration (docs/ignite-contract.md §1.8, endpoints 15 and 16).

On WooCommerce customer meta is free-form, so every supported key is ``enabled`` and enabling one
creates nothing on the store; an unsupported key is a 400 naming ``key``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from endpoints.storefront_base import StorefrontApiView
from endpoints.storefront_schema import STANDARD_ERRORS, StrictCharField, error_responses

STATES = ["enabled", "disabled"]


class MetafieldSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="e.g. customer.accounting_id")
    state = serializers.ChoiceField(choices=STATES)


class MetafieldListApi(StorefrontApiView):
    OutputSerializer = MetafieldSerializer

    @extend_schema(
        operation_id="getMetafieldConfiguration",
        tags=["metafields"],
        responses={200: MetafieldSerializer(many=True), **error_responses(401, 404, 502, 504)},
        examples=[
            OpenApiExample(
                "Configuration",
                value=[{"key": "customer.accounting_id", "state": "enabled"}],
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request, site_env: str, site_id: str) -> Response:
        self.get_connection()
        return Response(self.OutputSerializer(self.platform().metafield_list(), many=True).data)


class MetafieldEnableApi(StorefrontApiView):
    class InputSerializer(serializers.Serializer):
        key = StrictCharField(max_length=128)
        name = StrictCharField(max_length=255, required=False, allow_blank=True)

        class Meta:
            ref_name = "MetafieldEnableInput"

    OutputSerializer = MetafieldSerializer

    @extend_schema(
        operation_id="enableMetafield",
        tags=["metafields"],
        request=InputSerializer,
        responses={200: MetafieldSerializer, **error_responses(*STANDARD_ERRORS)},
        examples=[
            OpenApiExample(
                "Enable", value={"key": "customer.accounting_id", "name": "Accounting id"}, request_only=True
            ),
            OpenApiExample(
                "Enabled",
                value={"key": "customer.accounting_id", "state": "enabled"},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request, site_env: str, site_id: str) -> Response:
        data = self.validated(self.InputSerializer)
        result = self.platform().metafield_enable(data["key"])
        return Response(self.OutputSerializer(result).data, status=status.HTTP_200_OK)
