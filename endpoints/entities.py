"""Fetch one record (``POST /v1/{siteEnv}/{siteId}/sync/{syncDataType}/{entityId}``, docs/ignite-contract.md §1.9).

SparkLayer asks for one platform record by its id; the answer is exactly the item the pull
endpoint lists for it (``sync.selectors.entities``). The store is read inline, with the short
timeouts of every call SparkLayer waits on: a store that does not answer in time is a 504, one
that fails a 502 (``platform_errors``). The optional body ``{"payload": string | null}`` is
accepted and not needed: the path names the record.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from connections.clients import connection_sync_source
from endpoints.storefront_base import StorefrontApiView
from endpoints.storefront_schema import StrictCharField, error_responses
from endpoints.sync import data_type_from_path
from ignite_bridge.core.problems import problem_response
from platforms.types import FETCHABLE_DATA_TYPES
from sync.selectors.entities import EntityNotFound, EntityNotSyncable, sync_entity_get

PAYLOAD_MAX = 65536


class SyncEntityFetchApi(StorefrontApiView):
    """One record as the pull endpoint lists it; 404 when the store does not have it, 422 when it cannot sync."""

    class InputSerializer(serializers.Serializer):
        payload = StrictCharField(
            required=False, allow_null=True, allow_blank=True, max_length=PAYLOAD_MAX,
            help_text="Opaque; SparkLayer may send it, the record is named by the path.",
        )  # fmt: skip

    @extend_schema(
        operation_id="getEntity",
        tags=["sync"],
        request=InputSerializer,
        parameters=[
            OpenApiParameter("data_type", str, OpenApiParameter.PATH, enum=[str(t) for t in FETCHABLE_DATA_TYPES]),
            OpenApiParameter(
                "entity_id", str, OpenApiParameter.PATH, description="The platform's id of the record (stock: the SKU)."
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 401, 404, 422, 502, 504)},
        examples=[
            OpenApiExample(
                "A product",
                value={"external_id": "101", "title": "Linen Beanie", "slug": "linen-beanie", "variants": []},
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "A stock row",
                value={"sku": "BEANIE-1", "stock_location_external_id": "default", "stock_level": 12},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request, site_env: str, site_id: str, data_type: str, entity_id: str) -> Any:
        connection = self.get_connection()
        chosen = data_type_from_path(data_type, FETCHABLE_DATA_TYPES)
        if isinstance(chosen, HttpResponse):
            return chosen
        self.validated(self.InputSerializer, request.data or {})
        try:
            item = sync_entity_get(
                connection=connection,
                adapter=connection_sync_source(connection, inline=True),
                data_type=chosen,
                entity_id=entity_id,
            )
        except EntityNotFound as exc:
            return problem_response(404, detail=str(exc))
        except EntityNotSyncable as exc:
            errors = [{"code": i.code, "message": i.message, "property": "entityId"} for i in exc.issues]
            return problem_response(422, detail=str(exc), errors=errors or None)
        except ValueError as exc:  # the platform cannot fetch one record of this type
            return problem_response(400, detail=str(exc))
        return Response(item)
