"""PUT /customers and the sub-account endpoints, against the sandbox store.

docs/ignite-contract.md §1.6, endpoints 6 to 9.
"""

from __future__ import annotations

import json

import pytest

from tests.endpoints.storefront_helpers import assert_problem, create_customer, meta, path, store_calls, wc

pytestmark = pytest.mark.django_db

CUSTOMER = {
    "email": "buyer@climbing.example",
    "first_name": "Bob",
    "last_name": "Jones",
    "company_name": "Tom Jones Climbing Ltd",
    "accounting_id": "ACC-1",
    "sales_agent_groups": ["group-1"],
    "price_lists": ["25-off", "trade"],
    "customer_discount_percentage": 12.5,
    "group": "50-off",
    "role": "main",
    "addresses": [
        {"first_name": "Bob", "last_name": "Jones", "address_line1": "1 Crag Road", "city": "Sheffield",
         "postal_code": "S1 2AB", "country_code": "gb", "is_default_billing": True, "is_default_shipping": True},
        {"address_line1": "9 Rue du Roc", "city": "Lyon", "country_code": "FR", "title": "Depot"},
    ],
}  # fmt: skip


def test_put_creates_the_customer_with_meta_and_addresses(api_client, connection, store):
    response = api_client.put(path(connection, "/customers"), CUSTOMER, format="json")
    assert response.status_code == 201
    customer_id = response.json()["customer_external_id"]
    customer = wc(store, "GET", f"customers/{customer_id}")
    assert (customer["email"], customer["first_name"], customer["last_name"]) == (
        "buyer@climbing.example",
        "Bob",
        "Jones",
    )
    assert meta(customer, "sparklayer_accounting_id") == "ACC-1"
    assert meta(customer, "sparklayer_company_name") == "Tom Jones Climbing Ltd"
    assert json.loads(meta(customer, "sparklayer_price_lists")) == ["25-off", "trade"]
    assert json.loads(meta(customer, "sparklayer_sales_agent_groups")) == ["group-1"]
    assert meta(customer, "sparklayer_customer_discount_percentage") == "12.5"
    assert meta(customer, "sparklayer_group") == "50-off"
    assert meta(customer, "sparklayer_role") == "main"
    assert customer["billing"]["address_1"] == "1 Crag Road"
    assert customer["billing"]["country"] == "GB"
    assert customer["billing"]["email"] == "buyer@climbing.example"
    assert customer["shipping"]["postcode"] == "S1 2AB"
    stored = json.loads(meta(customer, "sparklayer_addresses"))
    assert [(a["city"], a["is_default_billing"]) for a in stored] == [("Sheffield", True), ("Lyon", False)]
    assert len({a["id"] for a in stored}) == 2


def test_put_again_updates_the_same_customer_and_keeps_address_ids(api_client, connection, store):
    first = api_client.put(path(connection, "/customers"), CUSTOMER, format="json").json()["customer_external_id"]
    before = json.loads(meta(wc(store, "GET", f"customers/{first}"), "sparklayer_addresses"))
    changed = {**CUSTOMER, "email": "BUYER@climbing.example", "last_name": "Smith", "group": None, "price_lists": []}
    response = api_client.put(path(connection, "/customers"), changed, format="json")
    assert response.status_code == 201
    assert response.json() == {"customer_external_id": first}
    customer = wc(store, "GET", f"customers/{first}")
    assert customer["last_name"] == "Smith"
    assert meta(customer, "sparklayer_group") is None  # null clears the attribute
    assert json.loads(meta(customer, "sparklayer_price_lists")) == []
    assert [a["id"] for a in json.loads(meta(customer, "sparklayer_addresses"))] == [a["id"] for a in before]
    assert len(wc(store, "GET", "customers", params={"email": "buyer@climbing.example", "role": "all"})) == 1


def test_put_finds_customers_of_any_role(api_client, connection, store):
    """role=all: the shop admin (role administrator) is found by email, not duplicated."""
    response = api_client.put(path(connection, "/customers"),
                              {"email": "admin@sandbox.example.com", "first_name": "Shop", "last_name": "Owner"},
                              format="json")  # fmt: skip
    assert response.json() == {"customer_external_id": "1"}
    assert wc(store, "GET", "customers/1")["last_name"] == "Owner"


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": 42}, "email"),
        ({"first_name": None}, "first_name"),
        ({"last_name": 7}, "last_name"),
        ({"role": "admin"}, "role"),
        ({"customer_discount_percentage": "25"}, "customer_discount_percentage"),
        ({"customer_discount_percentage": 101}, "customer_discount_percentage"),
        ({"price_lists": "25-off"}, "price_lists"),
        ({"price_lists": [1]}, "price_lists.0"),
        ({"addresses": [{"country_code": "XX"}]}, "addresses[0].country_code"),
        ({"addresses": [{"country_code": "GBR"}]}, "addresses[0].country_code"),
        ({"addresses": [{"is_default_billing": "yes"}]}, "addresses[0].is_default_billing"),
        ({"addresses": {"city": "x"}}, "addresses"),
    ],
)
def test_put_bad_input_is_400_and_writes_nothing(api_client, connection, store, change, prop):
    response = api_client.put(path(connection, "/customers"), {**CUSTOMER, **change}, format="json")
    problem = assert_problem(response, 400)
    assert [e["property"] for e in problem["errors"]] == [prop]
    assert store_calls(store) == []


def test_put_missing_required_fields_lists_each(api_client, connection):
    problem = assert_problem(api_client.put(path(connection, "/customers"), {}, format="json"), 400)
    assert sorted(e["property"] for e in problem["errors"]) == ["email", "first_name", "last_name"]


# -- sub-accounts ------------------------------------------------------------------------------


def _sub(parent_id, email="sub@climbing.example", **extra):
    return {"email": email, "first_name": "Alice", "last_name": "Jones", "parent_customer_external_id": str(parent_id),
            "role": "limited-customer", **extra}  # fmt: skip


def test_sub_account_is_created_linked_to_its_parent(api_client, connection, store):
    parent = create_customer(store, "parent@climbing.example")
    response = api_client.post(path(connection, "/sub-accounts"), _sub(parent["id"]), format="json")
    assert response.status_code == 201
    sub = wc(store, "GET", f"customers/{response.json()['customer_external_id']}")
    assert (sub["email"], sub["first_name"]) == ("sub@climbing.example", "Alice")
    assert meta(sub, "sparklayer_parent_customer_id") == str(parent["id"])
    assert meta(sub, "sparklayer_role") == "limited-customer"


def test_sub_account_with_taken_email_is_the_documented_400(api_client, connection, store):
    parent = create_customer(store, "parent2@climbing.example")
    create_customer(store, "taken@climbing.example")
    response = api_client.post(path(connection, "/sub-accounts"), _sub(parent["id"], "Taken@climbing.example"),
                               format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"error_code": "email-already-taken"}


def test_sub_account_with_unknown_parent_is_400_naming_the_field(api_client, connection, store):
    problem = assert_problem(api_client.post(path(connection, "/sub-accounts"), _sub(99999), format="json"), 400)
    assert [e["property"] for e in problem["errors"]] == ["parent_customer_external_id"]
    assert wc(store, "GET", "customers", params={"email": "sub@climbing.example", "role": "all"}) == []


@pytest.mark.parametrize(
    ("change", "prop"),
    [({"email": "nope"}, "email"), ({"parent_customer_external_id": 5}, "parent_customer_external_id"),
     ({"role": "boss"}, "role"), ({"first_name": ""}, "first_name")],
)  # fmt: skip
def test_sub_account_bad_input_is_400(api_client, connection, store, change, prop):
    problem = assert_problem(
        api_client.post(path(connection, "/sub-accounts"), {**_sub(2), **change}, format="json"), 400
    )
    assert [e["property"] for e in problem["errors"]] == [prop]
    assert store_calls(store) == []


def _linked_sub(api_client, connection, store):
    parent = create_customer(store, "parent3@climbing.example")
    response = api_client.post(path(connection, "/sub-accounts"), _sub(parent["id"]), format="json")
    return response.json()["customer_external_id"]


def test_sub_account_update_changes_names_and_role(api_client, connection, store):
    sub_id = _linked_sub(api_client, connection, store)
    response = api_client.patch(path(connection, f"/sub-accounts/{sub_id}"),
                                {"first_name": "Alicia", "role": "main"}, format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"customer_external_id": sub_id}
    sub = wc(store, "GET", f"customers/{sub_id}")
    assert (sub["first_name"], sub["last_name"], meta(sub, "sparklayer_role")) == ("Alicia", "Jones", "main")


def test_sub_account_update_refuses_an_email_change(api_client, connection, store):
    sub_id = _linked_sub(api_client, connection, store)
    problem = assert_problem(
        api_client.patch(path(connection, f"/sub-accounts/{sub_id}"), {"email": "new@x.example"}, format="json"), 400
    )
    assert [e["property"] for e in problem["errors"]] == ["email"]
    assert wc(store, "GET", f"customers/{sub_id}")["email"] == "sub@climbing.example"


def test_sub_account_delete_unlinks_but_keeps_the_customer(api_client, connection, store):
    sub_id = _linked_sub(api_client, connection, store)
    response = api_client.delete(path(connection, f"/sub-accounts/{sub_id}"))
    assert response.status_code == 204
    sub = wc(store, "GET", f"customers/{sub_id}")
    assert sub["email"] == "sub@climbing.example"
    assert meta(sub, "sparklayer_parent_customer_id") is None
    # No longer a sub-account: a second delete and an update are 404.
    assert_problem(api_client.delete(path(connection, f"/sub-accounts/{sub_id}")), 404)
    assert_problem(
        api_client.patch(path(connection, f"/sub-accounts/{sub_id}"), {"first_name": "X"}, format="json"), 404
    )


@pytest.mark.parametrize("customer_id", ["99999", "abc", "0"])
def test_unknown_sub_account_is_404(api_client, connection, store, customer_id):
    assert_problem(api_client.delete(path(connection, f"/sub-accounts/{customer_id}")), 404)
    assert_problem(
        api_client.patch(path(connection, f"/sub-accounts/{customer_id}"), {"first_name": "X"}, format="json"), 404
    )


def test_main_account_is_not_a_sub_account(api_client, connection, store):
    customer = create_customer(store, "main@climbing.example")
    assert_problem(api_client.delete(path(connection, f"/sub-accounts/{customer['id']}")), 404)
    assert wc(store, "GET", f"customers/{customer['id']}")["email"] == "main@climbing.example"


def test_cross_tenant_ids_are_404_and_the_other_store_is_untouched(
    api_client, connection, store, other_connection, other_store
):
    sub_id = _linked_sub(api_client, connection, store)
    calls_on_a = len(store_calls(store))
    assert_problem(api_client.delete(path(other_connection, f"/sub-accounts/{sub_id}")), 404)
    assert_problem(
        api_client.patch(path(other_connection, f"/sub-accounts/{sub_id}"), {"first_name": "X"}, format="json"), 404
    )
    assert len(store_calls(store)) == calls_on_a
    assert {c["method"] for c in store_calls(other_store)} == {"GET"}
    assert meta(wc(store, "GET", f"customers/{sub_id}"), "sparklayer_parent_customer_id") is not None
