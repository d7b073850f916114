"""``POST /v1/{siteEnv}/{siteId}/authentication/verify``: storefront single sign-on (docs/ignite-contract.md §1.5)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from endpoints.storefront_base import StorefrontApiView
from endpoints.storefront_schema import STANDARD_ERRORS, CustomerIdSerializer, StrictCharField, error_responses

TOKEN_EXAMPLE = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImV4cCI6MTg5MzQ1NjAwMH0.signature"  # noqa: S105 - documentation example


class AuthenticationVerifyApi(StorefrontApiView):
    """Verify a storefront login token and answer the platform's id for that customer.

    401 when the token is forged, expired, not HS256 or names a customer the store does not have
    (the same status as a wrong bearer token: either way SparkLayer must not sign the buyer in).
    """

    class InputSerializer(serializers.Serializer):
        data = StrictCharField(  # type: ignore[assignment]  # a field named like Serializer.data
            max_length=4096, help_text="The store-signed login token (HS256 JWT)."
        )

        class Meta:
            ref_name = "AuthenticationVerifyInput"

    @extend_schema(
        operation_id="authenticationVerify",
        tags=["storefront"],
        request=InputSerializer,
        responses={
            200: CustomerIdSerializer,
            **error_responses(*STANDARD_ERRORS),
        },
        examples=[
            OpenApiExample("Token", value={"data": TOKEN_EXAMPLE}, request_only=True),
            OpenApiExample("Customer", value={"customer_external_id": "42"}, response_only=True, status_codes=["200"]),
        ],
    )
    def post(self, request: Request, site_env: str, site_id: str) -> Response:
        data = self.validated(self.InputSerializer)
        connection = self.get_connection()
        customer_id = self.platform().verify_storefront_credential(
            data["data"],
            secret=connection.storefront_secret,
            audience=connection.storefront_jwt_audience,
            issuer=connection.storefront_jwt_issuer,
            max_lifetime_seconds=settings.STOREFRONT_JWT_MAX_LIFETIME_SECONDS,
        )
        return Response({"customer_external_id": customer_id}, status=status.HTTP_200_OK)
