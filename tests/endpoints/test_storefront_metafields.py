"""Metafield configuration: every supported key is enabled on WooCommerce; nothing is written.

docs/ignite-contract.md §1.8.
"""

from __future__ import annotations

import pytest

from tests.endpoints.storefront_helpers import assert_problem, path, store_calls

pytestmark = pytest.mark.django_db

KEYS = [
    "customer.accounting_id",
    "customer.company_name",
    "customer.discount_percentage",
    "customer.price_lists",
    "customer.group",
    "customer.payment_on_account",
    "customer.billing_address_id",
    "customer.shipping_address_id",
    "customer.available_shipping_addresses_ids",
]


def test_list_answers_every_key_enabled(api_client, connection, store):
    response = api_client.get(path(connection, "/metafield-configuration"))
    assert response.status_code == 200
    assert response.json() == [{"key": key, "state": "enabled"} for key in KEYS]
    assert store_calls(store) == []


def test_enable_a_known_key(api_client, connection, store):
    response = api_client.post(path(connection, "/metafield-configuration/enable"),
                               {"key": "customer.price_lists", "name": "Price lists"}, format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"key": "customer.price_lists", "state": "enabled"}
    assert store_calls(store) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [({"key": "customer.shoe_size"}, "unknown_metafield"), ({"key": 5}, "invalid"), ({}, "required")],
)
def test_enable_bad_key_is_400_naming_key(api_client, connection, body, code):
    problem = assert_problem(
        api_client.post(path(connection, "/metafield-configuration/enable"), body, format="json"), 400
    )
    assert [(e["property"], e["code"]) for e in problem["errors"]] == [("key", code)]


def test_unknown_site_is_404(api_client, db):
    assert_problem(api_client.get("/v1/live/nobody/metafield-configuration"), 404)


def test_without_token_is_401(anonymous_client, connection):
    assert_problem(anonymous_client.get(path(connection, "/metafield-configuration")), 401)
