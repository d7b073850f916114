"""The ensure services on SparkLayer answers the sandbox does not give (``responses``).

What must hold whatever SparkLayer answers: a location without ``id`` is renamed by its external
id; a 409 on create is "exists"; a refused listing (403) neither fails the sync nor is retried in
a loop, while a refused key (401 twice) and a 5xx are raised for the caller to handle; each
process asks SparkLayer again only for what it does not know yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from ignite_bridge.core.errors import AuthenticationError, TransientError
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import customer_group_for_slug
from sparklayer.token_cache import InMemoryTokenStore
from sync.engine.customer_groups import customer_groups_ensure, customer_groups_forget
from sync.engine.stock_locations import stock_locations_ensure, stock_locations_forget

BASE = "https://sparklayer.test"
LOCATIONS = f"{BASE}/api/v1/stock-locations"
GROUPS = f"{BASE}/api/v1/customer-groups"


class OneLocation:
    def stock_locations(self) -> list[dict[str, Any]]:
        return [{"external_id": "default", "name": "1 Sandbox Street, London"}]


@pytest.fixture
def client() -> SparkLayerClient:
    return SparkLayerClient(
        BASE, "site-1", "client-1", "secret", token_store=InMemoryTokenStore(), sleep=lambda s: None, max_attempts=2
    )


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(f"{BASE}/api/auth/token", json={"access_token": "t", "expires_in": 3600})
        yield rsps


def api_calls(mocked: responses.RequestsMock) -> list[tuple[str, str]]:
    return [(c.request.method, c.request.url) for c in mocked.calls if not c.request.url.endswith("/token")]


def test_a_renamed_location_without_an_id_is_patched_by_its_external_id(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LOCATIONS, json={"data": [{"name": "Old name", "external_id": "default"}]})
    mocked.patch(f"{LOCATIONS}/default", json={})
    assert stock_locations_ensure(connection_id=901, client=client, adapter=OneLocation()) == 1  # type: ignore[arg-type]
    assert api_calls(mocked) == [("GET", LOCATIONS), ("PATCH", f"{LOCATIONS}/default")]
    assert json.loads(mocked.calls[-1].request.body) == {"external_id": "default", "name": "1 Sandbox Street, London"}


def test_a_location_created_meanwhile_409_is_fine_and_the_process_remembers(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LOCATIONS, json=[])
    mocked.post(LOCATIONS, status=409, json={"title": "Conflict"})
    adapter: Any = OneLocation()
    assert stock_locations_ensure(connection_id=902, client=client, adapter=adapter) == 0
    assert stock_locations_ensure(connection_id=902, client=client, adapter=adapter) == 0  # remembered: no call
    assert api_calls(mocked) == [("GET", LOCATIONS), ("POST", LOCATIONS)]
    stock_locations_forget(connection_id=902)
    stock_locations_ensure(connection_id=902, client=client, adapter=adapter)
    assert len(api_calls(mocked)) == 4


def test_a_refused_location_listing_is_left_to_the_stock_writes(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LOCATIONS, status=403, json={"title": "Forbidden"})
    assert stock_locations_ensure(connection_id=903, client=client, adapter=OneLocation()) == 0  # type: ignore[arg-type]
    assert stock_locations_ensure(connection_id=903, client=client, adapter=OneLocation()) == 0  # type: ignore[arg-type]
    assert api_calls(mocked) == [("GET", LOCATIONS)]  # not asked again in a loop


@pytest.mark.parametrize(("status", "raised"), [(401, AuthenticationError), (503, TransientError)])
def test_refused_keys_and_outages_are_raised(
    client: SparkLayerClient, mocked: responses.RequestsMock, status: int, raised: type[Exception]
) -> None:
    mocked.get(LOCATIONS, status=status)
    mocked.get(GROUPS, status=status)
    with pytest.raises(raised):
        stock_locations_ensure(connection_id=904, client=client, adapter=OneLocation())  # type: ignore[arg-type]
    with pytest.raises(raised):
        customer_groups_ensure(connection_id=904, client=client, groups=[customer_group_for_slug("gold")])


def test_groups_are_asked_for_only_when_one_is_not_known(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(GROUPS, json=[{"slug": "base"}, {"slug": "gold"}])
    mocked.post(GROUPS, status=400, json={"errors": [{"code": "resource-already-exists", "property": "slug"}]})
    gold, silver = customer_group_for_slug("gold"), customer_group_for_slug("silver")

    first = customer_groups_ensure(connection_id=905, client=client, groups=[gold, silver, gold])
    assert (first.created, first.existing, first.refused) == ([], ["gold", "silver"], {})  # silver: made meanwhile
    again = customer_groups_ensure(connection_id=905, client=client, groups=[silver, customer_group_for_slug("base")])
    assert again.existing == ["silver"]
    assert api_calls(mocked) == [("GET", GROUPS), ("POST", GROUPS)]  # the second ensure knew both
    customer_groups_forget(connection_id=905, slugs=["silver"])
    customer_groups_ensure(connection_id=905, client=client, groups=[silver])
    assert api_calls(mocked)[2:] == [("GET", GROUPS), ("POST", GROUPS)]


def test_a_refused_group_listing_refuses_the_groups_not_known(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(GROUPS, status=403, json={"title": "Forbidden"})
    result = customer_groups_ensure(connection_id=906, client=client, groups=[customer_group_for_slug("gold")])
    assert list(result.refused) == ["gold"]
    assert result.refused["gold"].status == 403
    assert api_calls(mocked) == [("GET", GROUPS)]


def test_group_names_come_from_their_slugs() -> None:
    assert customer_group_for_slug("trade-gold") == {"slug": "trade-gold", "name": "Trade Gold", "parent_slug": "base"}
    assert customer_group_for_slug("eu_gbp")["name"] == "Eu Gbp"
    assert customer_group_for_slug("---")["name"] == "---"
