"""Plain helpers for connection tests (tests/connections, tests/endpoints, tests/platforms/standard, tests/sync/jobs):
a connect call's body, the raw database columns, a connection's jobs, a closed port. The ``stores`` fixture
they go with lives in ``tests/conftest.py``."""

from __future__ import annotations

import socket
from typing import Any

from django.db import connection as db_connection

from connections.models import Connection
from sync.models import SyncJob

SPARK_ID = "spark-client-id"
SPARK_SECRET = "spark-client-secret-value-1234567890"
STOREFRONT_SECRET = "storefront-jwt-secret-value-0987654321"


def connect_body(
    store_url: str,
    *,
    key: str | None = "ck_sandbox",
    secret: str | None = "cs_sandbox",  # noqa: S107 - the sandbox's well-known test key
    **extra: Any,
) -> dict[str, Any]:
    """A connect call's body; ``key=None`` leaves the platform credentials out (install flow)."""
    extra_config: dict[str, Any] = {"store_url": store_url, "storefront_jwt_secret": STOREFRONT_SECRET}
    if key is not None:
        extra_config.update({"woocommerce_api_key": key, "woocommerce_api_secret": secret})
    extra_config.update(extra.pop("extra_config", {}))
    body = {
        "store_id": "store-1",
        "spark_api_client_id": SPARK_ID,
        "spark_api_client_secret": SPARK_SECRET,
        "extra_config": extra_config,
    }
    body.update(extra)
    return body


def raw_columns(connection: Connection, *names: str) -> dict[str, Any]:
    """Column values as stored (ciphertext), bypassing the encrypted fields' decryption."""
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(names)} FROM connections_connection WHERE id = %s", [connection.pk])  # noqa: S608
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))


def job_states(connection: Connection) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for job in SyncJob.objects.filter(connection=connection).order_by("pk"):
        found.setdefault(job.data_type, []).append(job.state)
    return found


def closed_port() -> int:
    """A loopback port nothing listens on (bound then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
