"""Stock locations and customer groups: the calls, and every plausible "it exists already" answer.

SparkLayer documents 409 for a duplicate stock-location ``external_id`` and ``400
resource-already-exists`` for a customer-group slug in use; the client reads both (and the 422
``already_exists`` shape SparkLayer uses elsewhere) as "exists", never retries them, and raises
every other refusal. The sandbox gives the documented answers; the others are mocked here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from ignite_bridge.core.errors import PermanentError
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.sparklayer.app import SparkLayerSandbox
from sparklayer.client import SparkLayerClient
from tests.sparklayer.helpers import BASE, TOKEN_URL, make_client, site_stats

LOCATIONS = f"{BASE}/api/v1/stock-locations"
GROUPS = f"{BASE}/api/v1/customer-groups"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = serve_in_thread(SparkLayerSandbox())
    yield server
    server.stop()


def api_calls(mocked: responses.RequestsMock) -> list[Any]:
    return [call for call in mocked.calls if call.request.url != TOKEN_URL]


def test_stock_location_calls(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    listed = [{"id": "5f0c…", "name": "Main", "external_id": "default"}]
    token_endpoint.get(LOCATIONS, json=listed)
    token_endpoint.post(LOCATIONS, json={"id": "u-2", "name": "North", "external_id": "north"})
    token_endpoint.patch(f"{LOCATIONS}/u-2", json={"id": "u-2", "name": "North depot", "external_id": "north"})

    assert client.list_stock_locations() == listed
    assert client.create_stock_location({"external_id": "north", "name": "North"}) is True
    client.update_stock_location("u-2", {"external_id": "north", "name": "North depot"})

    calls = api_calls(token_endpoint)
    assert [(c.request.method, c.request.url) for c in calls] == [
        ("GET", LOCATIONS), ("POST", LOCATIONS), ("PATCH", f"{LOCATIONS}/u-2"),
    ]  # fmt: skip
    assert json.loads(calls[1].request.body) == {"external_id": "north", "name": "North"}
    assert json.loads(calls[2].request.body) == {"external_id": "north", "name": "North depot"}


def test_customer_group_calls(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    groups = [{"slug": "base", "name": "Base", "parent_slug": None}]
    token_endpoint.get(GROUPS, json=groups)
    token_endpoint.post(GROUPS, json=[*groups, {"slug": "trade", "name": "Trade", "parent_slug": "base"}])

    assert client.list_customer_groups() == groups
    assert client.create_customer_group({"slug": "trade", "name": "Trade", "parent_slug": "base"}) is True
    (_, post) = api_calls(token_endpoint)
    assert json.loads(post.request.body) == {"slug": "trade", "name": "Trade", "parent_slug": "base"}


@pytest.mark.parametrize("wrapped", [False, True])
def test_listings_read_a_bare_array_or_a_data_envelope(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, wrapped: bool
) -> None:
    rows = [{"slug": "base", "name": "Base"}, "not-a-row"]
    token_endpoint.get(GROUPS, json={"data": rows} if wrapped else rows)
    token_endpoint.get(LOCATIONS, status=204)
    assert client.list_customer_groups() == [{"slug": "base", "name": "Base"}]
    assert client.list_stock_locations() == []


EXISTS_ANSWERS = [
    pytest.param(409, {"title": "Conflict", "status": 409}, id="409 documented for locations"),
    pytest.param(409, None, id="409 without a body"),
    pytest.param(
        400,
        {"title": "Bad Request", "status": 400, "errors": [{"code": "resource-already-exists", "property": "slug"}]},
        id="400 resource-already-exists in errors",
    ),
    pytest.param(400, {"type": "resource-already-exists", "title": "Resource exists"}, id="400 as the problem type"),
    pytest.param(400, {"error_code": "resource-already-exists"}, id="400 error_code body"),
    pytest.param(400, {"code": "resource_already_exists"}, id="400 code"),
    pytest.param(400, {"detail": "The slug trade already exists."}, id="400 said in words"),
    pytest.param(422, {"errors": [{"code": "already_exists", "property": "external_id"}]}, id="422 already_exists"),
]


@pytest.mark.parametrize(("status", "answer"), EXISTS_ANSWERS)
def test_an_existing_location_or_group_is_not_an_error_and_not_retried(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, status: int, answer: Any
) -> None:
    for url in (LOCATIONS, GROUPS):
        if answer is None:
            token_endpoint.post(url, status=status)
        else:
            token_endpoint.post(url, status=status, json=answer)

    assert client.create_stock_location({"external_id": "default", "name": "Main"}) is False
    assert client.create_customer_group({"slug": "trade", "name": "Trade", "parent_slug": "base"}) is False
    assert len(api_calls(token_endpoint)) == 2  # one each: "exists" is an answer, not a conflict to retry


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, {"errors": [{"code": "resource-id-not-found", "property": "parent_slug"}]}),
        (400, {"errors": [{"code": "required", "property": "name"}]}),
        (403, {"title": "Forbidden"}),
        (422, {"errors": [{"code": "invalid", "property": "slug"}]}),
    ],
)
def test_other_refusals_are_raised(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, status: int, answer: Any
) -> None:
    token_endpoint.post(GROUPS, status=status, json=answer)
    token_endpoint.post(LOCATIONS, status=status, json=answer)
    with pytest.raises(PermanentError) as group_refused:
        client.create_customer_group({"slug": "trade", "name": "Trade", "parent_slug": "nope"})
    with pytest.raises(PermanentError):
        client.create_stock_location({"external_id": "default", "name": ""})
    assert group_refused.value.status == status


def test_locations_and_groups_against_the_sandbox(sandbox: SandboxServer) -> None:
    client = make_client(sandbox.url)

    assert client.create_stock_location({"external_id": "default", "name": "Main"}) is True
    assert client.create_stock_location({"external_id": "default", "name": "Main"}) is False  # 409
    (location,) = client.list_stock_locations()
    client.update_stock_location(location["id"], {"external_id": "default", "name": "Leeds"})
    assert client.list_stock_locations() == [{**location, "name": "Leeds"}]

    assert client.create_customer_group({"slug": "trade", "name": "Trade", "parent_slug": "base"}) is True
    assert client.create_customer_group({"slug": "trade", "name": "Trade", "parent_slug": "base"}) is False  # 400
    with pytest.raises(PermanentError) as orphan:
        client.create_customer_group({"slug": "gold", "name": "Gold", "parent_slug": "nope"})
    assert orphan.value.status == 400
    assert [group["slug"] for group in client.list_customer_groups()] == ["base", "trade"]

    routes = site_stats(sandbox)["by_route"]
    assert routes["POST /api/v1/stock-locations"] == 2
    assert routes["POST /api/v1/customer-groups"] == 3
