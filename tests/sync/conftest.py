"""Fixtures for full-sync tests: a connection bound to the sandboxes (tests/conftest.py) and reads of SparkLayer's."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connections.models import Connection
from tests.factories import ConnectionFactory


def make_connection(store: Any, **extra: Any) -> Connection:
    return ConnectionFactory(
        store_url=store.url,
        platform_credentials={"consumer_key": store.app.consumer_key, "consumer_secret": store.app.consumer_secret},
        **extra,
    )


@pytest.fixture
def connection(db: None, spark: Any, woo_store: Any) -> Connection:
    return make_connection(woo_store, site_id="bobs-store", push_concurrency=4)


def spark_state(spark: Any, site_id: str, include: str) -> dict[str, Any]:
    response = requests.get(f"{spark.url}/_sandbox/state", params={"site_id": site_id, "include": include}, timeout=30)
    response.raise_for_status()
    return response.json()


def spark_site_stats(spark: Any, site_id: str) -> dict[str, Any]:
    stats = requests.get(f"{spark.url}/_sandbox/stats", timeout=10).json()
    return stats["sites"].get(site_id, {"total": 0, "by_kind": {"read": 0, "write": 0, "token": 0}, "by_route": {}})


def spark_writes(spark: Any, site_id: str) -> int:
    return int(spark_site_stats(spark, site_id)["by_kind"]["write"])


def spark_calls(spark: Any, site_id: str) -> list[dict[str, Any]]:
    return requests.get(f"{spark.url}/_sandbox/calls", params={"site_id": site_id}, timeout=30).json()
