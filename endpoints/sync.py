"""Trigger a full sync (``POST /status/{syncDataType}``) and pull a page (``GET /sync/{syncDataType}``).

docs/ignite-contract.md §1.3 and §1.4. The path picks the connection; a site that never connected (or was
removed) is a 404 problem, an unknown data type a 400 problem.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connections.models import Connection, ConnectionState
from connections.selectors import connection_get_for_site
from endpoints.storefront_schema import error_responses
from ignite_bridge.core.errors import PermanentError, TransientError
from ignite_bridge.core.problems import problem_response
from platforms.types import PULLABLE_DATA_TYPES, TRIGGERABLE_DATA_TYPES, DataType
from sync.engine.pull import PullCursorInvalid, sync_page_pull
from sync.jobs.jobs import DataTypeNotSupported, SyncAlreadyActive, sync_job_queue_full
from sync.models import TriggerSource


def _connection(site_env: str, site_id: str) -> Connection | HttpResponse:
    connection = connection_get_for_site(site_env=site_env, site_id=site_id)
    if connection is None or connection.state == ConnectionState.REMOVED:
        return problem_response(404, detail=f"Site {site_env}/{site_id} is not connected.")
    return connection


def data_type_from_path(value: str, allowed: tuple[DataType, ...]) -> DataType | HttpResponse:
    if value in {str(t) for t in allowed}:
        return DataType(value)
    choices = ", ".join(str(t) for t in allowed)
    message = f"Unknown data type {value!r}; one of: {choices}."
    return problem_response(
        400,
        title="Validation failed",
        detail=message,
        errors=[{"code": "invalid_choice", "message": message, "property": "syncDataType"}],
    )


class SyncTriggerApi(APIView):
    """Queue a full sync of one data type; 201 at once, 400 while one of that type is queued or running
    and for a type the connection's platform cannot sync."""

    @extend_schema_serializer(component_name="SyncQueued")
    class OutputSerializer(serializers.Serializer):
        job_id = serializers.IntegerField()

    @extend_schema(
        operation_id="triggerDataSync",
        tags=["sync"],
        request=None,
        parameters=[
            OpenApiParameter("data_type", str, OpenApiParameter.PATH, enum=[str(t) for t in TRIGGERABLE_DATA_TYPES])
        ],
        responses={201: OutputSerializer, **error_responses(400, 401, 404)},
        examples=[OpenApiExample("Queued", value={"job_id": 42}, response_only=True, status_codes=["201"])],
    )
    def post(self, request: Request, site_env: str, site_id: str, data_type: str) -> Response | HttpResponse:
        connection = _connection(site_env, site_id)
        if isinstance(connection, HttpResponse):
            return connection
        chosen = data_type_from_path(data_type, TRIGGERABLE_DATA_TYPES)
        if isinstance(chosen, HttpResponse):
            return chosen
        if connection.state != ConnectionState.ACTIVE:
            return problem_response(400, detail="The connection is not active yet: finish connecting the store first.")
        try:
            job = sync_job_queue_full(connection=connection, data_type=chosen, trigger=TriggerSource.SPARKLAYER)
        except SyncAlreadyActive:
            return problem_response(
                400, title="Sync already running", detail=f"A {chosen} sync is already queued or running."
            )
        except DataTypeNotSupported as exc:
            errors = [{"code": "unsupported", "message": str(exc), "property": "syncDataType"}]
            return problem_response(400, title="Data type not supported", detail=str(exc), errors=errors)
        return Response(self.OutputSerializer({"job_id": job.pk}).data, status=201)


class SyncPullApi(APIView):
    """One live platform page: ``{"data": [...], "next_page": <signed cursor> | null}``."""

    class InputSerializer(serializers.Serializer):
        page = serializers.CharField(required=False, allow_blank=True, max_length=4096)

    @extend_schema_serializer(component_name="SyncPage")
    class OutputSerializer(serializers.Serializer):
        data = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
        next_page = serializers.CharField(allow_null=True)

    @extend_schema(
        operation_id="getPage",
        tags=["sync"],
        parameters=[
            OpenApiParameter("data_type", str, OpenApiParameter.PATH, enum=[str(t) for t in PULLABLE_DATA_TYPES]),
            OpenApiParameter(
                "page", str, OpenApiParameter.QUERY, required=False, description="next_page of the last answer"
            ),
        ],
        responses={200: OutputSerializer, **error_responses(400, 401, 404, 502, 504)},
        examples=[
            OpenApiExample(
                "A page of products",
                value={
                    "data": [{"external_id": "101", "title": "Linen Beanie", "slug": "linen-beanie", "variants": []}],
                    "next_page": "eyJwIjoidj0xJnBhZ2U9MiJ9:1u2XyZ:signature",
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request, site_env: str, site_id: str, data_type: str) -> Response | HttpResponse:
        connection = _connection(site_env, site_id)
        if isinstance(connection, HttpResponse):
            return connection
        chosen = data_type_from_path(data_type, PULLABLE_DATA_TYPES)
        if isinstance(chosen, HttpResponse):
            return chosen
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if connection.state != ConnectionState.ACTIVE:
            return problem_response(400, detail="The connection is not active yet: finish connecting the store first.")
        try:
            page = sync_page_pull(
                connection=connection, data_type=chosen, page=params.validated_data.get("page") or None
            )
        except PullCursorInvalid as exc:
            errors = [{"code": "invalid", "message": str(exc), "property": "page"}]
            return problem_response(400, title="Validation failed", detail=str(exc), errors=errors)
        except ValueError as exc:  # the platform does not have this type (e.g. no stock rows)
            return problem_response(400, detail=str(exc))
        except TransientError:
            return problem_response(504, detail="The store did not answer in time; try the page again.")
        except PermanentError as exc:
            return problem_response(502, detail=f"The store refused the read (HTTP {exc.status}).")
        return Response(self.OutputSerializer({"data": page.data, "next_page": page.next_page}).data)
