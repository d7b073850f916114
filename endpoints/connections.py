"""Connect (``POST /v1/{siteEnv}/{siteId}``) and disconnect (``DELETE`` same path), docs/ignite-contract.md §1.1, §1.2.

Both share one path: ``ConnectionApi`` joins the two views, one method each. The bearer token
is deployment-wide; the path alone picks the connection, and nothing here reaches another site.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connections.errors import (
    ConnectInputInvalid,
    PlatformCredentialsRefused,
    SparkLayerCredentialsRefused,
    UpstreamUnavailable,
)
from connections.models import ConnectionState
from connections.selectors import connection_get_for_site
from connections.services import connection_connect
from endpoints.storefront_schema import StrictCharField, error_responses
from ignite_bridge.core.problems import problem_response
from platforms.base import platform_connect_examples, platform_credential_keys
from sync.jobs.connection_lifecycle import connection_activated, connection_reconnected, connection_remove

#: a connect body is a few hundred bytes; anything near this is not a real call
MAX_BODY_BYTES = 64 * 1024


def extra_config_string_keys() -> tuple[str, ...]:
    """``extra_config`` keys that, when present, must be strings: the bridge's own and each platform's credentials."""
    return ("platform", "store_url", *platform_credential_keys(), "storefront_jwt_secret")


def connect_examples() -> list[OpenApiExample]:
    """One request example per configured platform that declares one (``PlatformAdapter.connect_example``)."""
    return [
        OpenApiExample(
            example.title,
            value={
                "store_id": "bobs-store",
                "spark_api_client_id": "client-id",
                "spark_api_client_secret": "client-secret",
                "extra_config": dict(example.extra_config),
            },
            request_only=True,
        )
        for example in platform_connect_examples()
    ]


def json_object_body(request: Request) -> Any:
    """The parsed body, refusing oversized or non-JSON bodies with a 400 (never a 413/415/500)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise exceptions.ValidationError({"body": [f"The body is larger than {MAX_BODY_BYTES} bytes."]})
    try:
        return request.data
    except exceptions.UnsupportedMediaType as exc:
        raise exceptions.ParseError("Send a JSON object with Content-Type: application/json.") from exc


def refused(exc: ConnectInputInvalid | SparkLayerCredentialsRefused | PlatformCredentialsRefused) -> HttpResponse:
    if isinstance(exc, ConnectInputInvalid):
        errors = [{"code": "invalid", "message": exc.message, "property": exc.field}]
        return problem_response(400, title="Validation failed", detail=exc.message, errors=errors)
    title = "SparkLayer credentials refused" if isinstance(exc, SparkLayerCredentialsRefused) else "Credentials refused"
    return problem_response(400, title=title, detail=exc.message)


def unavailable(exc: UpstreamUnavailable) -> HttpResponse:
    status = 504 if exc.timed_out else 502
    return problem_response(status, detail=exc.message)


class ConnectApi(APIView):
    """Idempotent connect: ``201 {"redirect_url"}`` while the platform install is pending, ``204`` once active."""

    @extend_schema_serializer(component_name="ConnectRequest")
    class InputSerializer(serializers.Serializer):
        store_id = StrictCharField(max_length=255)
        spark_api_client_id = StrictCharField(max_length=255)
        spark_api_client_secret = StrictCharField(max_length=255)
        extra_config = serializers.DictField(required=False, default=dict)

        def validate_extra_config(self, value: dict[str, Any]) -> dict[str, Any]:
            errors = {
                key: ["Must be a string of at most 2048 characters."]
                for key in extra_config_string_keys()
                if key in value
                and value[key] is not None
                and (not isinstance(value[key], str) or len(value[key]) > 2048)
            }
            if errors:
                raise serializers.ValidationError(errors)
            return value

    @extend_schema_serializer(component_name="ConnectPending")
    class OutputSerializer(serializers.Serializer):
        redirect_url = serializers.URLField()

    @extend_schema(
        operation_id="createPlatformConnection",
        tags=["connections"],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            204: OpenApiResponse(description="Connected: the store is active and its full syncs are queued."),
            **error_responses(400, 401, 502, 504),
        },
        examples=[
            *connect_examples(),
            OpenApiExample(
                "Install pending",
                value={"redirect_url": "https://shop.example.com/wc-auth/v1/authorize?app_name=Ignite+Bridge"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request, site_env: str, site_id: str) -> HttpResponse:
        serializer = self.InputSerializer(data=json_object_body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            outcome = connection_connect(
                site_env=site_env,
                site_id=site_id,
                store_id=data["store_id"],
                spark_client_id=data["spark_api_client_id"],
                spark_client_secret=data["spark_api_client_secret"],
                extra_config=data["extra_config"],
                on_activated=connection_activated,
                on_reconnect=connection_reconnected,
            )
        except (ConnectInputInvalid, SparkLayerCredentialsRefused, PlatformCredentialsRefused) as exc:
            return refused(exc)
        except UpstreamUnavailable as exc:
            return unavailable(exc)
        if outcome.redirect_url:
            return Response(self.OutputSerializer({"redirect_url": outcome.redirect_url}).data, status=201)
        return Response(status=204)


class DisconnectApi(APIView):
    """Revoke syncs, unregister webhooks, erase credentials; ``204``, also on repeat. Never connected → ``404``."""

    @extend_schema(
        operation_id="removePlatformConnection",
        tags=["connections"],
        responses={
            204: OpenApiResponse(description="Disconnected (also on a repeat call)."),
            **error_responses(401, 404),
        },
    )
    def delete(self, request: Request, site_env: str, site_id: str) -> HttpResponse:
        connection = connection_get_for_site(site_env=site_env, site_id=site_id)
        if connection is None:
            return problem_response(404, detail=f"No connection for site {site_env}/{site_id}.")
        if connection.state != ConnectionState.REMOVED:
            connection_remove(connection)
        return Response(status=204)


class ConnectionApi(ConnectApi, DisconnectApi):
    """``/v1/{siteEnv}/{siteId}``: POST connects, DELETE disconnects (one path, two operations);
    any other method is DRF's 405, as problem JSON."""
