"""``sync/engine/price_lists.py`` on its own: SparkLayer answered with ``responses``, the database real.

Creates only the lists SparkLayer lacks, remembers per process what it checked, leaves a list
another source owns alone (one issue says why, resolved when the list is ours again) and drops
the pricing meant for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from connections.models import Connection
from ignite_bridge.core.errors import PermanentError
from platforms.types import DataType, SyncRecord
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import PriceList, PricingItem
from sparklayer.token_cache import InMemoryTokenStore
from sync.engine.price_lists import (
    PRICE_LIST_NOT_OURS,
    price_list_issue_id,
    price_lists_ensure,
    price_lists_forget,
    price_lists_not_ours,
    pricing_without_lists_not_ours,
)
from sync.models import IssueState, SyncIssue
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

BASE = "https://sparklayer.test"
LISTING = f"{BASE}/api/v2/price-lists"
CREATE = f"{BASE}/api/v1/price-lists"
GBP: PriceList = {"slug": "woocommerce-gbp", "name": "WooCommerce GBP", "currency_code": "gbp", "source": "platform"}
EUR: PriceList = {"slug": "woocommerce-eur", "name": "WooCommerce EUR", "currency_code": "eur", "source": "platform"}


class Lists:
    """The one thing the service asks of an adapter."""

    def __init__(self, *lists: PriceList) -> None:
        self.lists = list(lists)

    def price_lists(self) -> list[PriceList]:
        return self.lists


@pytest.fixture
def connection() -> Iterator[Connection]:
    connection = ConnectionFactory()
    yield connection
    price_lists_forget(connection_id=connection.pk)


@pytest.fixture
def client() -> SparkLayerClient:
    return SparkLayerClient(
        BASE, "site-1", "client-1", "secret", token_store=InMemoryTokenStore(), sleep=lambda s: None, max_attempts=1
    )


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(f"{BASE}/api/auth/token", json={"access_token": "t", "expires_in": 3600})
        yield rsps


def listing(*rows: dict[str, object]) -> dict[str, object]:
    return {"data": list(rows), "pagination": {"total_pages": 1}}


def api_calls(mocked: responses.RequestsMock) -> list[tuple[str, str]]:
    return [
        (str(c.request.method), str(c.request.url).split("?")[0])
        for c in mocked.calls
        if not str(c.request.url).endswith("/token")
    ]


def ensure(connection: Connection, client: SparkLayerClient, *lists: PriceList, force: bool = False) -> int:
    return price_lists_ensure(connection_id=connection.pk, client=client, adapter=Lists(*lists), force=force)  # type: ignore[arg-type]


def test_only_the_missing_list_is_created_with_the_adapters_payload(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LISTING, json=listing({"slug": "woocommerce-gbp", "source": "platform"}))
    mocked.post(CREATE, json={"slug": "woocommerce-eur"})

    assert ensure(connection, client, GBP, EUR) == 1

    assert api_calls(mocked) == [("GET", LISTING), ("POST", CREATE)]
    assert json.loads(mocked.calls[-1].request.body) == EUR


def test_the_checked_lists_are_remembered_until_forgotten_or_forced(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LISTING, json=listing({"slug": "woocommerce-gbp", "source": "platform"}))

    assert ensure(connection, client, GBP) == 0
    assert ensure(connection, client, GBP) == 0
    assert api_calls(mocked) == [("GET", LISTING)]  # the second call asked nothing

    ensure(connection, client, GBP, force=True)
    price_lists_forget(connection_id=connection.pk)
    ensure(connection, client, GBP)
    assert api_calls(mocked) == [("GET", LISTING)] * 3


def test_a_list_wanted_that_was_not_checked_yet_is_checked(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LISTING, json=listing({"slug": "woocommerce-gbp", "source": "platform"}))
    mocked.post(CREATE, json={})
    ensure(connection, client, GBP)

    assert ensure(connection, client, GBP, EUR) == 1  # the store's currency changed: EUR is new
    assert api_calls(mocked) == [("GET", LISTING), ("GET", LISTING), ("POST", CREATE)]


def test_a_list_created_meanwhile_422_counts_and_other_refusals_raise(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LISTING, json=listing())
    mocked.post(CREATE, status=422, json={"title": "already_exists"})
    assert ensure(connection, client, GBP) == 1

    price_lists_forget(connection_id=connection.pk)
    mocked.replace(responses.POST, CREATE, status=400, json={"title": "Bad request"})
    with pytest.raises(PermanentError):
        ensure(connection, client, GBP)


def test_a_list_another_source_owns_is_left_alone_with_one_issue_until_it_is_ours(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LISTING, json=listing({"slug": "woocommerce-gbp", "source": "custom"}))

    assert ensure(connection, client, GBP) == 0

    assert api_calls(mocked) == [("GET", LISTING)]  # never created, renamed or written
    assert price_lists_not_ours(connection_id=connection.pk) == {"woocommerce-gbp": "custom"}
    issue = SyncIssue.objects.get(connection=connection, data_type=DataType.PRODUCTS)
    assert (issue.external_id, issue.code, issue.state) == (
        price_list_issue_id("woocommerce-gbp"),
        PRICE_LIST_NOT_OURS,
        IssueState.OPEN,
    )

    mocked.replace(responses.GET, LISTING, json=listing())  # deleted in SparkLayer's dashboard
    mocked.post(CREATE, json={})
    assert ensure(connection, client, GBP, force=True) == 1
    assert price_lists_not_ours(connection_id=connection.pk) == {}
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED


def test_a_listing_row_without_source_is_taken_as_ours(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LISTING, json=listing({"slug": "woocommerce-gbp"}))

    assert ensure(connection, client, GBP) == 0
    assert price_lists_not_ours(connection_id=connection.pk) == {}
    assert not SyncIssue.objects.filter(connection=connection).exists()


def product(external_id: str, *items: PricingItem) -> SyncRecord:
    return SyncRecord(data_type=DataType.PRODUCTS, external_id=external_id, payload={}, pricing=list(items))


def item(sku: str, slug: str) -> PricingItem:
    return {"sku": sku, "price_list_slug": slug, "pricing": [{"quantity": 1, "price": "9.99"}]}


def test_the_pricing_for_a_list_not_ours_is_dropped_from_the_records(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        LISTING,
        json=listing(
            {"slug": "woocommerce-gbp", "source": "integration"}, {"slug": "woocommerce-eur", "source": "platform"}
        ),
    )
    records = [
        product("1", item("A", "woocommerce-gbp"), item("A", "woocommerce-eur")),
        product("2", item("B", "woocommerce-gbp")),
    ]

    dropped = pricing_without_lists_not_ours(
        connection_id=connection.pk,
        client=client,
        adapter=Lists(GBP, EUR),
        records=records,  # type: ignore[arg-type]
    )

    assert dropped == 2
    assert [record.pricing for record in records] == [[item("A", "woocommerce-eur")], []]


def test_records_without_pricing_ask_sparklayer_nothing(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    records = [product("1")]

    assert (
        pricing_without_lists_not_ours(
            connection_id=connection.pk,
            client=client,
            adapter=Lists(GBP),
            records=records,  # type: ignore[arg-type]
        )
        == 0
    )
    assert api_calls(mocked) == []
