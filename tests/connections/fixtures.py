"""Fixtures and helpers for connection tests (imported by tests/connections and tests/endpoints).

``stores`` points the bridge's SparkLayer URLs at the SparkLayer sandbox and hands both sandboxes
over; helpers read what the WooCommerce sandbox holds (its webhooks) and the raw database columns.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.db import connection as db_connection

from connections.models import Connection
from sync.models import SyncJob

SPARK_ID = "spark-client-id"
SPARK_SECRET = "spark-client-secret-value-1234567890"
STOREFRONT_SECRET = "storefront-jwt-secret-value-0987654321"


@dataclass
class Stores:
    spark: Any
    woo: Any

    @property
    def woo_url(self) -> str:
        return str(self.woo.url)

    def spark_register(self, site_id: str, client_id: str, client_secret: str) -> None:
        """Make the SparkLayer sandbox accept only this pair for the site (its control API)."""
        reply = requests.put(
            f"{self.spark.url}/_sandbox/sites/{site_id}/credentials",
            json={"client_id": client_id, "client_secret": client_secret},
            timeout=5,
        )
        assert reply.status_code == 204, reply.text

    def woo_add_key(self, key: str, secret: str) -> None:
        with self.woo.app.store.lock:
            self.woo.app.store.add_api_key(key, secret, permissions="read_write", description="test")

    def woo_webhooks(self, delivery_url: str | None = None) -> list[dict[str, Any]]:
        """The store's webhooks (as its REST API lists them), optionally only those to ``delivery_url``."""
        reply = requests.get(
            f"{self.woo_url}/wp-json/wc/v3/webhooks",
            params={"status": "all", "per_page": 100},
            auth=(self.woo.app.consumer_key, self.woo.app.consumer_secret),
            timeout=5,
        )
        assert reply.status_code == 200, reply.text
        hooks = reply.json()
        return [h for h in hooks if delivery_url is None or h["delivery_url"] == delivery_url]


@pytest.fixture(name="stores")
def stores_fixture(settings: Any, sparklayer_sandbox: Any, woocommerce_sandbox: Any) -> Stores:
    settings.SPARKLAYER_URL_TEST = sparklayer_sandbox.url
    settings.SPARKLAYER_URL_LIVE = sparklayer_sandbox.url
    return Stores(spark=sparklayer_sandbox, woo=woocommerce_sandbox)


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
