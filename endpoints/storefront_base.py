"""What every customer-request view shares: the connection from the path, its inline adapter, error mapping.

Customer requests run while a buyer waits, so the adapter is the inline one (short timeouts, one
attempt; ``PLATFORM_INLINE_*`` settings) and every platform failure is answered through
``platform_errors`` instead of surfacing as a 500.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from connections.clients import connection_platform_adapter
from connections.models import Connection, ConnectionState
from endpoints.platform_errors import platform_error_response
from platforms.base import PlatformAdapter


def connection_get_active(*, site_env: str, site_id: str) -> Connection:
    """The active connection of a SparkLayer site; ``NotFound`` (404 problem) for unknown or inactive ones."""
    # The SparkLayer and webhook secrets are not needed here: not loading them skips their decryption.
    connection = (
        Connection.objects.defer("spark_client_id", "spark_client_secret", "webhook_secret")
        .filter(site_env=site_env, site_id=site_id)
        .first()
    )
    if connection is None or connection.state != ConnectionState.ACTIVE:
        raise NotFound(f"No active connection for {site_env}/{site_id}.")
    return connection


class StorefrontApiView(APIView):
    """Base of the customer-request views; subclasses call ``self.platform()`` inside their handler."""

    _connection: Connection | None = None

    def get_connection(self) -> Connection:
        if self._connection is None:
            self._connection = connection_get_active(site_env=self.kwargs["site_env"], site_id=self.kwargs["site_id"])
        return self._connection

    def platform(self) -> PlatformAdapter:
        return connection_platform_adapter(self.get_connection(), inline=True)

    def handle_exception(self, exc: Exception) -> Response:
        response = platform_error_response(exc)
        if response is not None:
            return response
        return super().handle_exception(exc)

    def validated(self, serializer_class: type[Any], data: Any = None) -> Any:
        """Validate the body (400 problem with one error per field) after the connection is known."""
        self.get_connection()
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return plain(serializer.validated_data)


def plain(value: Any) -> Any:
    """Validated data as plain dicts and lists (the adapter knows nothing of DRF's containers)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
