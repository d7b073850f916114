"""Customer addresses and their round trip through the customer sync.

docs/ignite-contract.md §1.6, endpoints 10 to 12.
"""

from __future__ import annotations

import json
import uuid

import pytest

from platforms.woocommerce.mapping import map_customer
from tests.endpoints.storefront_helpers import assert_problem, create_customer, meta, path, store_calls, wc

pytestmark = pytest.mark.django_db

WAREHOUSE = {"title": "Warehouse", "first_name": "Bob", "last_name": "Jones", "company": "Crag Ltd",
             "address_line1": "1 Crag Road", "address_line2": "Unit 4", "city": "Sheffield", "region_name": "Yorkshire",
             "region_code": "", "postal_code": "S1 2AB", "country_code": "GB", "phone": "+44 114 000000",
             "is_default_billing": True, "is_default_shipping": False, "is_temporary": False}  # fmt: skip
DEPOT = {"address_line1": "9 Rue du Roc", "city": "Lyon", "postal_code": "69001", "country_code": "FR",
         "is_default_shipping": True}  # fmt: skip


def _stored(store, customer_id):
    return json.loads(meta(wc(store, "GET", f"customers/{customer_id}"), "sparklayer_addresses") or "[]")


def _add(api_client, connection, customer_id, address):
    response = api_client.post(path(connection, f"/customers/{customer_id}/addresses"), address, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_returns_address_with_id_and_mirrors_the_default(api_client, connection, store):
    customer = create_customer(store, "addr@example.com")
    body = _add(api_client, connection, customer["id"], WAREHOUSE)
    address_id = body.pop("customer_address_external_id")
    assert uuid.UUID(address_id)
    assert body == WAREHOUSE
    stored = wc(store, "GET", f"customers/{customer['id']}")
    assert stored["billing"] == {"first_name": "Bob", "last_name": "Jones", "company": "Crag Ltd",
                                 "address_1": "1 Crag Road", "address_2": "Unit 4", "city": "Sheffield", "state": "",
                                 "postcode": "S1 2AB", "country": "GB", "email": "addr@example.com",
                                 "phone": "+44 114 000000"}  # fmt: skip
    assert [a["id"] for a in _stored(store, customer["id"])] == [address_id]


def test_non_default_address_leaves_the_native_fields_alone(api_client, connection, store):
    customer = create_customer(
        store, "extra@example.com", billing={"address_1": "Old St", "city": "Leeds", "country": "GB"}
    )
    _add(api_client, connection, customer["id"], {**DEPOT, "is_default_shipping": False})
    after = wc(store, "GET", f"customers/{customer['id']}")
    assert after["billing"]["address_1"] == "Old St"
    assert after["shipping"]["address_1"] == ""


def test_a_new_default_takes_the_flag_from_the_old_one(api_client, connection, store):
    customer = create_customer(store, "flags@example.com")
    first = _add(api_client, connection, customer["id"], {**WAREHOUSE, "is_default_shipping": True})
    second = _add(api_client, connection, customer["id"], DEPOT)
    flags = {a["id"]: (a["is_default_billing"], a["is_default_shipping"]) for a in _stored(store, customer["id"])}
    assert flags == {first["customer_address_external_id"]: (True, False),
                     second["customer_address_external_id"]: (False, True)}  # fmt: skip
    after = wc(store, "GET", f"customers/{customer['id']}")
    assert (after["billing"]["city"], after["shipping"]["city"]) == ("Sheffield", "Lyon")


def test_update_replaces_the_address_and_the_mirror(api_client, connection, store):
    customer = create_customer(store, "upd@example.com")
    address_id = _add(api_client, connection, customer["id"], WAREHOUSE)["customer_address_external_id"]
    changed = {**WAREHOUSE, "address_line1": "2 Boulder Lane", "city": "Leeds"}
    response = api_client.put(path(connection, f"/customers/{customer['id']}/addresses/{address_id}"), changed,
                              format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {**changed, "customer_address_external_id": address_id}
    assert wc(store, "GET", f"customers/{customer['id']}")["billing"]["city"] == "Leeds"
    assert [(a["id"], a["city"]) for a in _stored(store, customer["id"])] == [(address_id, "Leeds")]


def test_unflagging_the_default_clears_the_native_field(api_client, connection, store):
    customer = create_customer(store, "unflag@example.com")
    address_id = _add(api_client, connection, customer["id"], WAREHOUSE)["customer_address_external_id"]
    api_client.put(path(connection, f"/customers/{customer['id']}/addresses/{address_id}"),
                   {**WAREHOUSE, "is_default_billing": False}, format="json")  # fmt: skip
    billing = wc(store, "GET", f"customers/{customer['id']}")["billing"]
    assert billing["address_1"] == ""
    assert billing["email"] == "unflag@example.com"


def test_delete_removes_the_address_and_its_mirror(api_client, connection, store):
    customer = create_customer(store, "del@example.com")
    keep = _add(api_client, connection, customer["id"], DEPOT)["customer_address_external_id"]
    gone = _add(api_client, connection, customer["id"], WAREHOUSE)["customer_address_external_id"]
    response = api_client.delete(path(connection, f"/customers/{customer['id']}/addresses/{gone}"))
    assert response.status_code == 204
    assert [a["id"] for a in _stored(store, customer["id"])] == [keep]
    after = wc(store, "GET", f"customers/{customer['id']}")
    assert after["billing"]["address_1"] == ""
    assert after["shipping"]["city"] == "Lyon"
    assert_problem(api_client.delete(path(connection, f"/customers/{customer['id']}/addresses/{gone}")), 404)


def test_native_address_ids_from_the_sync_can_be_edited_and_deleted(api_client, connection, store):
    customer = create_customer(store, "native@example.com",
                               billing={"address_1": "5 Old Road", "city": "York", "country": "GB"},
                               shipping={"address_1": "6 Old Road", "city": "York", "country": "GB"})  # fmt: skip
    cid = customer["id"]
    response = api_client.put(path(connection, f"/customers/{cid}/addresses/{cid}-billing"),
                              {**WAREHOUSE, "city": "Hull"}, format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["customer_address_external_id"] == f"{cid}-billing"
    assert wc(store, "GET", f"customers/{cid}")["billing"]["city"] == "Hull"
    assert api_client.delete(path(connection, f"/customers/{cid}/addresses/{cid}-shipping")).status_code == 204
    assert wc(store, "GET", f"customers/{cid}")["shipping"]["address_1"] == ""
    synced = map_customer(wc(store, "GET", f"customers/{cid}"), store_url=store.url).payload
    assert [(a["external_id"], a["city"], a["is_default_billing"]) for a in synced["addresses"]] == [
        (f"{cid}-billing", "Hull", True)
    ]


def test_the_customer_sync_reads_every_address_back_with_its_id(api_client, connection, store):
    customer = create_customer(store, "sync@example.com")
    warehouse = _add(api_client, connection, customer["id"], WAREHOUSE)["customer_address_external_id"]
    depot = _add(api_client, connection, customer["id"], DEPOT)["customer_address_external_id"]
    bath = {"address_line1": "3 Side St", "city": "Bath", "country_code": "GB"}
    extra = _add(api_client, connection, customer["id"], bath)["customer_address_external_id"]
    record = map_customer(wc(store, "GET", f"customers/{customer['id']}"), store_url=store.url)
    assert record.issues == []
    got = {a["external_id"]: (a["city"], a["is_default_billing"], a["is_default_shipping"])
           for a in record.payload["addresses"]}  # fmt: skip
    assert got == {warehouse: ("Sheffield", True, False), depot: ("Lyon", False, True), extra: ("Bath", False, False)}


@pytest.mark.parametrize(
    ("body", "prop"),
    [({"country_code": "ZZ"}, "country_code"), ({"country_code": 44}, "country_code"), ({"city": ["x"]}, "city"),
     ({"is_default_shipping": 1}, "is_default_shipping"), ({"postal_code": "x" * 40}, "postal_code")],
)  # fmt: skip
def test_bad_address_is_400_and_writes_nothing(api_client, connection, store, body, prop):
    customer = create_customer(store, "bad@example.com")
    calls = len(store_calls(store))
    problem = assert_problem(
        api_client.post(path(connection, f"/customers/{customer['id']}/addresses"), body, format="json"), 400
    )
    assert [e["property"] for e in problem["errors"]] == [prop]
    assert len(store_calls(store)) == calls


def test_unknown_customer_or_address_is_404(api_client, connection, store):
    customer = create_customer(store, "known@example.com")
    assert_problem(api_client.post(path(connection, "/customers/99999/addresses"), DEPOT, format="json"), 404)
    assert_problem(api_client.put(path(connection, f"/customers/{customer['id']}/addresses/nope"), DEPOT,
                                  format="json"), 404)  # fmt: skip
    assert_problem(api_client.delete(path(connection, f"/customers/{customer['id']}/addresses/nope")), 404)
    assert_problem(
        api_client.delete(path(connection, f"/customers/{customer['id']}/addresses/{customer['id']}-billing")), 404
    )  # fmt: skip  (blank native address: nothing to delete)


def test_cross_tenant_address_calls_are_404_and_touch_nothing(
    api_client, connection, store, other_connection, other_store
):
    customer = create_customer(store, "tenant@example.com")
    address_id = _add(api_client, connection, customer["id"], WAREHOUSE)["customer_address_external_id"]
    calls_on_a = len(store_calls(store))
    base = f"/customers/{customer['id']}/addresses"
    assert_problem(api_client.post(path(other_connection, base), DEPOT, format="json"), 404)
    assert_problem(api_client.put(path(other_connection, f"{base}/{address_id}"), DEPOT, format="json"), 404)
    assert_problem(api_client.delete(path(other_connection, f"{base}/{address_id}")), 404)
    assert len(store_calls(store)) == calls_on_a
    assert {c["method"] for c in store_calls(other_store)} == {"GET"}
