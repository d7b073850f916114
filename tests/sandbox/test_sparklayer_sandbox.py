"""The SparkLayer sandbox over real HTTP: auth, each API area's contract, faults and the control API.

These tests depend on nothing but the sandbox, so they run without Django
(``pytest tests/sandbox -p no:django``).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.sparklayer.app import SparkLayerSandbox
from tests.sandbox.sparklayer_support import (
    SITE,
    TIMEOUT,
    address,
    auth,
    call,
    customer,
    get_token,
    product,
    state,
)

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"

MakeSandbox = Callable[..., SandboxServer]


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    servers: list[SandboxServer] = []

    def make(**kwargs: Any) -> SandboxServer:
        server = serve_in_thread(SparkLayerSandbox(**kwargs))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SandboxServer]:
    """One server for the module (stopping one costs werkzeug's 0.5 s poll); each test starts from a reset."""
    server = serve_in_thread(SparkLayerSandbox())
    yield server
    server.stop()


@pytest.fixture
def url(shared_server: SandboxServer) -> str:
    requests.post(f"{shared_server.url}/_sandbox/reset", timeout=TIMEOUT).raise_for_status()
    return shared_server.url


def properties(response: requests.Response) -> list[str]:
    return [error["property"] for error in response.json()["errors"]]


def set_faults(url: str, **fields: Any) -> requests.Response:
    return requests.put(f"{url}/_sandbox/faults", json=fields, timeout=TIMEOUT)


# --- token ---------------------------------------------------------------------------------------------------


def test_token_from_json_body(make_sandbox: MakeSandbox) -> None:
    response = get_token(make_sandbox(token_lifetime=1234).url)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1234
    assert len(body["access_token"]) >= 32


def test_token_form_encoded_body_is_refused(url: str) -> None:
    data = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
    response = requests.post(f"{url}/api/auth/token", headers={"Site-Id": SITE}, data=data, timeout=TIMEOUT)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "Content-Type must be application/json, got application/x-www-form-urlencoded."


def test_token_wrong_grant_type_and_missing_secret_are_refused(url: str) -> None:
    body = {"grant_type": "password", "client_id": "id"}
    response = requests.post(f"{url}/api/auth/token", headers={"Site-Id": SITE}, json=body, timeout=TIMEOUT)
    assert response.status_code == 400
    assert properties(response) == ["grant_type", "client_secret"]


def test_token_empty_client_id_is_refused(url: str) -> None:
    response = get_token(url, client_id="")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "blank", "message": "Must not be blank.", "property": "client_id"}]


def test_token_without_site_id_is_refused(url: str) -> None:
    body = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
    response = requests.post(f"{url}/api/auth/token", json=body, timeout=TIMEOUT)
    assert response.status_code == 400
    assert response.json()["detail"] == "The Site-Id header is required."


def test_registered_credentials_are_the_only_pair_accepted(url: str) -> None:
    register = requests.put(
        f"{url}/_sandbox/sites/{SITE}/credentials", json={"client_id": "good", "client_secret": "pw"}, timeout=TIMEOUT
    )
    assert register.status_code == 204
    assert get_token(url, client_id="good", client_secret="wrong").status_code == 401
    assert get_token(url, client_id="other", client_secret="pw").status_code == 401
    assert get_token(url, client_id="good", client_secret="pw").status_code == 200
    # a site without registered credentials still accepts any non-empty pair
    assert get_token(url, site="other-site", client_id="any", client_secret="thing").status_code == 200


def test_register_credentials_needs_both_values(url: str) -> None:
    response = requests.put(f"{url}/_sandbox/sites/{SITE}/credentials", json={"client_id": "x"}, timeout=TIMEOUT)
    assert response.status_code == 400
    assert properties(response) == ["client_secret"]


# --- authentication of API calls ------------------------------------------------------------------------------


def test_api_call_without_site_id_is_400(url: str) -> None:
    headers = {"Authorization": auth(url)["Authorization"]}
    response = requests.get(f"{url}/api/v1/products/101", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 400
    assert response.json()["detail"] == "The Site-Id header is required."


def test_api_call_without_token_is_401(url: str) -> None:
    response = requests.get(f"{url}/api/v1/products/101", headers={"Site-Id": SITE}, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "A Bearer access token is required."


def test_api_call_with_unknown_token_is_401(url: str) -> None:
    headers = {"Site-Id": SITE, "Authorization": "Bearer not-a-token"}
    response = requests.get(f"{url}/api/v1/products/101", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token is not valid for this site."


def test_token_is_valid_only_for_its_site(url: str) -> None:
    headers = {"Site-Id": "another-site", "Authorization": auth(url, SITE)["Authorization"]}
    response = requests.get(f"{url}/api/v1/products/101", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401


def test_token_expires_after_its_lifetime(make_sandbox: MakeSandbox) -> None:
    url = make_sandbox(token_lifetime=1).url
    headers = auth(url)
    assert call("GET", url, "/api/v2/price-lists", headers=headers).status_code == 200
    time.sleep(1.1)
    response = call("GET", url, "/api/v2/price-lists", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token has expired."


def test_expire_tokens_control_route(url: str) -> None:
    headers = auth(url)
    expired = requests.post(f"{url}/_sandbox/expire-tokens", timeout=TIMEOUT)
    assert expired.json() == {"expired": 1}
    assert call("GET", url, "/api/v2/price-lists", headers=headers).status_code == 401
    assert call("GET", url, "/api/v2/price-lists").status_code == 200  # a fresh token works


def test_unknown_route_is_404_and_wrong_method_405(url: str) -> None:
    assert call("GET", url, "/api/v1/nothing-here").status_code == 404
    assert call("DELETE", url, "/api/v1/products/101").status_code == 405


def test_non_json_body_on_api_call_is_415(url: str) -> None:
    headers = {**auth(url), "Content-Type": "text/csv"}
    response = call("PATCH", url, "/api/v1/batch-update-pricing", headers=headers, data="sku,price\nA,1")
    assert response.status_code == 415


def test_invalid_json_is_400(url: str) -> None:
    headers = {**auth(url), "Content-Type": "application/json"}
    response = call("POST", url, "/api/v1/products", headers=headers, data="{not json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not valid JSON")


# --- products and variants -----------------------------------------------------------------------------------


def test_product_create_returns_product_with_variants(url: str) -> None:
    response = call("POST", url, "/api/v1/products", json=product("101", "SKU-1", "SKU-2"))
    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("pp_")
    assert (body["external_id"], body["title"], body["slug"]) == ("101", "Striped Jumper", "striped-jumper")
    assert [v["sku"] for v in body["variants"]] == ["SKU-1", "SKU-2"]
    assert all(v["id"].startswith("pv_") and v["product_id"] == body["id"] for v in body["variants"])
    assert body["variants"][0]["status"] == "pending"
    assert call("GET", url, "/api/v1/products/101").json() == body
    assert call("GET", url, f"/api/v1/products/{body['id']}").json() == body


def test_duplicate_product_external_id_is_422_already_exists(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101", "SKU-1"))
    response = call("POST", url, "/api/v1/products", json=product("101", "SKU-9"))
    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    error = response.json()["errors"][0]
    assert (error["code"], error["property"]) == ("already_exists", "external_id")
    assert state(url)["counts"]["variants"] == 1


def test_sku_of_another_product_is_422_duplicate_sku(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101", "SKU-1"))
    response = call("POST", url, "/api/v1/products", json=product("102", "SKU-2", "SKU-1"))
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["code"], error["property"]) == ("duplicate_sku", "variants[1].sku")
    assert state(url)["counts"] == {**state(url)["counts"], "products": 1, "variants": 1}


def test_duplicate_sku_inside_one_body_is_400(url: str) -> None:
    body = product("101", "SKU-1")
    body["variants"].append({"external_id": "other", "sku": "SKU-1"})
    response = call("POST", url, "/api/v1/products", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "duplicate_sku"


@pytest.mark.parametrize("prefix", ["pp_", "pv_", "cu_"])
def test_reserved_prefix_in_product_external_id_is_refused(url: str, prefix: str) -> None:
    response = call("POST", url, "/api/v1/products", json=product(f"{prefix}101"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "reserved_prefix"
    assert "external_id" in properties(response)


def test_reserved_prefix_in_variant_external_id_is_refused(url: str) -> None:
    body = product("101")
    body["variants"][0]["external_id"] = "pv_1"
    response = call("POST", url, "/api/v1/products", json=body)
    assert response.status_code == 400
    assert properties(response) == ["variants[0].external_id"]


def test_product_validation_names_every_bad_property(url: str) -> None:
    body = {"external_id": 5, "slug": "", "variants": [{"external_id": "v", "status": "gone", "weight_in_grams": "1"}]}
    response = call("POST", url, "/api/v1/products", json=body)
    assert response.status_code == 400
    assert properties(response) == [
        "external_id", "title", "slug", "variants[0].sku", "variants[0].weight_in_grams", "variants[0].status",
    ]  # fmt: skip


def test_product_rrp_and_options_are_validated(url: str) -> None:
    body = product("101")
    body["variants"][0]["rrp"] = [{"currency_code": "pounds", "price": "1.0"}, {"currency_code": "gbp", "price": 1.5}]
    body["variants"][0]["options"] = [{"group": "Size"}]
    response = call("POST", url, "/api/v1/products", json=body)
    assert response.status_code == 400
    assert properties(response) == ["variants[0].rrp[0].currency_code", "variants[0].options[0].value"]


def test_product_patch_updates_and_upserts_variants_keeping_the_rest(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101", "SKU-1", "SKU-2"))
    patch = {"title": "Plain Jumper", "variants": [{"external_id": "101-SKU-1", "status": "live"},
                                                   {"external_id": "101-SKU-3", "sku": "SKU-3"}]}  # fmt: skip
    response = call("PATCH", url, "/api/v1/products/101", json=patch)
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Plain Jumper"
    assert body["slug"] == "striped-jumper"
    assert [(v["sku"], v["status"]) for v in body["variants"]] == [
        ("SKU-1", "live"), ("SKU-2", "pending"), ("SKU-3", "pending"),
    ]  # fmt: skip


def test_product_patch_unknown_is_404(url: str) -> None:
    response = call("PATCH", url, "/api/v1/products/nope", json={"title": "x"})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM


def test_product_get_unknown_is_404(url: str) -> None:
    assert call("GET", url, "/api/v1/products/nope").status_code == 404


def test_product_patch_new_variant_without_sku_is_400(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101"))
    response = call("PATCH", url, "/api/v1/products/101", json={"variants": [{"external_id": "new"}]})
    assert response.status_code == 400
    assert properties(response) == ["variants[0].sku"]


def test_product_patch_variant_of_another_product_is_422(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101", "SKU-1"))
    call("POST", url, "/api/v1/products", json=product("102", "SKU-2"))
    response = call("PATCH", url, "/api/v1/products/102", json={"variants": [{"external_id": "101-SKU-1"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "already_exists"


def test_product_patch_cannot_change_external_id(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101"))
    response = call("PATCH", url, "/api/v1/products/101", json={"external_id": "999"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "idMismatch"


def test_variant_patch_and_sku_guard(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101", "SKU-1", "SKU-2"))
    response = call("PATCH", url, "/api/v1/variants/101-SKU-1", json={"weight_in_grams": 250, "status": "suspended"})
    assert response.status_code == 200
    assert (response.json()["weight_in_grams"], response.json()["status"]) == (250, "suspended")
    taken = call("PATCH", url, "/api/v1/variants/101-SKU-1", json={"sku": "SKU-2"})
    assert taken.status_code == 422
    assert (taken.json()["errors"][0]["code"], taken.json()["errors"][0]["property"]) == ("duplicate_sku", "sku")
    renamed = call("PATCH", url, "/api/v1/variants/101-SKU-1", json={"sku": "SKU-1B"})
    assert renamed.json()["sku"] == "SKU-1B"
    # the old SKU is free again
    assert call("PATCH", url, "/api/v1/variants/101-SKU-2", json={"sku": "SKU-1"}).status_code == 200
    assert call("PATCH", url, "/api/v1/variants/unknown", json={"status": "live"}).status_code == 404
    assert call("PATCH", url, "/api/v1/variants/101-SKU-1", json={"status": "gone"}).status_code == 400


# --- stock -----------------------------------------------------------------------------------------------------


def locations(url: str, *external_ids: str) -> None:
    for external_id in external_ids:
        body = {"name": external_id.title(), "external_id": external_id}
        assert call("POST", url, "/api/v1/stock-locations", json=body).status_code == 200


def test_stock_rows_overwrite_and_delete(url: str) -> None:
    locations(url, "main", "north")
    rows = [
        {"sku": "A", "stock_location_external_id": "main", "stock_level": 5},
        {"sku": "A", "stock_location_external_id": "north", "stock_level": 2},
        {"sku": "B", "stock_location_external_id": "main", "stock_level": 1},
    ]
    assert call("POST", url, "/api/v1/batch-update-stock", json=rows).status_code == 204
    update = [{"sku": "A", "stock_location_external_id": "main", "stock_level": 9}]
    assert call("POST", url, "/api/v1/batch-update-stock", json=update).status_code == 204
    stock = {(row["sku"], row["stock_location_external_id"]): row["stock_level"] for row in state(url)["stock"]}
    assert stock == {("A", "main"): 9, ("A", "north"): 2, ("B", "main"): 1}
    assert call("POST", url, "/api/v1/batch-delete-stock", json={"skus": ["A"]}).status_code == 204
    assert [row["sku"] for row in state(url)["stock"]] == ["B"]


def test_stock_duplicate_pair_and_bad_rows_are_400(url: str) -> None:
    locations(url, "main")
    rows = [
        {"sku": "A", "stock_location_external_id": "main", "stock_level": 5},
        {"sku": "A", "stock_location_external_id": "main", "stock_level": 6},
        {"sku": "B", "stock_level": "many"},
    ]
    response = call("POST", url, "/api/v1/batch-update-stock", json=rows)
    assert response.status_code == 400
    assert properties(response) == ["[1].sku", "[2].stock_location_external_id", "[2].stock_level"]
    assert state(url)["stock"] == []
    assert call("POST", url, "/api/v1/batch-update-stock", json={"sku": "A"}).status_code == 400
    assert call("POST", url, "/api/v1/batch-delete-stock", json={}).status_code == 400


def test_stock_at_an_unknown_location_is_400_and_writes_nothing(url: str) -> None:
    locations(url, "main")
    rows = [
        {"sku": "A", "stock_location_external_id": "main", "stock_level": 5},
        {"sku": "B", "stock_location_external_id": "default", "stock_level": 1},
    ]
    response = call("POST", url, "/api/v1/batch-update-stock", json=rows)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "resource-id-not-found", "message": "Stock location default does not exist.",
         "property": "[1].stock_location_external_id"},
    ]  # fmt: skip
    assert state(url)["stock"] == []


def test_stock_by_location_id_lands_on_that_location(url: str) -> None:
    locations(url, "main")
    (main,) = call("GET", url, "/api/v1/stock-locations").json()
    rows = [{"sku": "A", "stock_location_id": main["id"], "stock_level": 3}]
    assert call("POST", url, "/api/v1/batch-update-stock", json=rows).status_code == 204
    both = [
        {"sku": "A", "stock_location_id": main["id"], "stock_level": 4},
        {"sku": "A", "stock_location_external_id": "main", "stock_level": 5},
    ]
    assert properties(call("POST", url, "/api/v1/batch-update-stock", json=both)) == ["[1].sku"]
    unknown = [{"sku": "A", "stock_location_id": "00000000-0000-0000-0000-000000000000", "stock_level": 1}]
    assert properties(call("POST", url, "/api/v1/batch-update-stock", json=unknown)) == ["[0].stock_location_id"]
    assert state(url)["stock"] == [
        {"sku": "A", "stock_location_external_id": "main", "stock_level": 3, "restock_date": None,
         "min_stock_level": None},
    ]  # fmt: skip


# --- stock locations -------------------------------------------------------------------------------------------


def test_stock_location_create_list_get_and_duplicate_is_409(url: str) -> None:
    created = call("POST", url, "/api/v1/stock-locations", json={"name": "Main warehouse", "external_id": "main"})
    assert created.status_code == 200
    location = created.json()
    assert location == {"id": location["id"], "name": "Main warehouse", "external_id": "main"}
    assert call("GET", url, "/api/v1/stock-locations").json() == [location]
    assert call("GET", url, "/api/v1/stock-locations/main").json() == location
    assert call("GET", url, f"/api/v1/stock-locations/{location['id']}").json() == location
    assert call("GET", url, "/api/v1/stock-locations/north").status_code == 404
    duplicate = call("POST", url, "/api/v1/stock-locations", json={"name": "Again", "external_id": "main"})
    assert duplicate.status_code == 409
    assert duplicate.headers["Content-Type"] == PROBLEM
    missing = call("POST", url, "/api/v1/stock-locations", json={"external_id": "x"})
    assert (missing.status_code, properties(missing)) == (400, ["name"])
    assert state(url)["stock_locations"] == [location]


def test_stock_location_rename_by_id_or_external_id_and_delete_drops_its_stock(url: str) -> None:
    locations(url, "main")
    location = call("GET", url, "/api/v1/stock-locations/main").json()
    renamed = call("PATCH", url, f"/api/v1/stock-locations/{location['id']}", json={"name": "Leeds depot"})
    assert renamed.json() == {**location, "name": "Leeds depot"}
    assert call("PATCH", url, "/api/v1/stock-locations/main", json={"name": "Depot"}).json()["name"] == "Depot"
    assert call("PATCH", url, "/api/v1/stock-locations/none", json={"name": "x"}).status_code == 404
    call("POST", url, "/api/v1/batch-update-stock", json=[{"sku": "A", "stock_location_external_id": "main",
                                                             "stock_level": 1}])  # fmt: skip
    assert call("DELETE", url, "/api/v1/stock-locations/main").status_code == 204
    assert call("DELETE", url, "/api/v1/stock-locations/main").status_code == 204
    assert state(url)["stock"] == []
    assert state(url)["stock_locations"] == []


# --- customer groups -------------------------------------------------------------------------------------------


def test_customer_groups_start_with_base_and_create_answers_the_list(url: str) -> None:
    base = {"slug": "base", "name": "Base", "parent_slug": None}
    assert call("GET", url, "/api/v1/customer-groups").json() == [base]
    body = {"slug": "trade", "name": "Trade customers"}
    created = call("POST", url, "/api/v1/customer-groups", json=body)
    assert created.status_code == 201
    trade = {"slug": "trade", "name": "Trade customers", "parent_slug": "base"}
    assert created.json() == [base, trade]
    child = call(
        "POST", url, "/api/v1/customer-groups", json={"slug": "trade-gold", "name": "Gold", "parent_slug": "trade"}
    )
    assert child.json()[-1] == {"slug": "trade-gold", "name": "Gold", "parent_slug": "trade"}
    assert state(url)["customer_groups"] == child.json()


def test_customer_group_duplicate_slug_and_unknown_parent_are_400(url: str) -> None:
    call("POST", url, "/api/v1/customer-groups", json={"slug": "trade", "name": "Trade"})
    duplicate = call("POST", url, "/api/v1/customer-groups", json={"slug": "trade", "name": "Trade again"})
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"][0]["code"] == "resource-already-exists"
    orphan = call("POST", url, "/api/v1/customer-groups", json={"slug": "x", "name": "X", "parent_slug": "nope"})
    assert (orphan.status_code, orphan.json()["errors"][0]["code"]) == (400, "resource-id-not-found")
    assert call("POST", url, "/api/v1/customer-groups", json={"slug": "base", "name": "B"}).status_code == 400
    assert [g["slug"] for g in call("GET", url, "/api/v1/customer-groups").json()] == ["base", "trade"]


def test_customer_group_update_sets_name_and_resets_parent(url: str) -> None:
    call("POST", url, "/api/v1/customer-groups", json={"slug": "trade", "name": "Trade"})
    call("POST", url, "/api/v1/customer-groups", json={"slug": "gold", "name": "Gold", "parent_slug": "trade"})
    updated = call("PATCH", url, "/api/v1/customer-groups/gold", json={"name": "Gold tier"})
    assert updated.json()[-1] == {"slug": "gold", "name": "Gold tier", "parent_slug": "base"}
    unknown = call("PATCH", url, "/api/v1/customer-groups/none", json={"name": "x"})
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (400, "resource-id-not-found")


def test_customer_naming_an_unknown_group_is_400_until_the_group_exists(url: str) -> None:
    response = call("PUT", url, "/api/v2/customers/platform/7", json=customer(group="trade"))
    assert response.status_code == 400
    assert properties(response) == ["group"]
    assert state(url)["customers"] == []
    call("POST", url, "/api/v1/customer-groups", json={"slug": "trade", "name": "Trade"})
    assert call("PUT", url, "/api/v2/customers/platform/7", json=customer(group="trade")).json()["group"] == "trade"
    assert (
        call("PUT", url, "/api/v2/customers/platform/8", json=customer("8", "b@example.com")).json()["group"] == "base"
    )


# --- price lists and pricing ---------------------------------------------------------------------------------


def price_list(slug: str, name: str | None = None) -> dict[str, Any]:
    return {"slug": slug, "name": name or slug.title(), "currency_code": "gbp", "source": "platform"}


def test_price_list_create_and_duplicate_slug(url: str) -> None:
    created = call("POST", url, "/api/v1/price-lists", json=price_list("trade"))
    assert created.status_code == 201
    assert created.json()["slug"] == "trade"
    duplicate = call("POST", url, "/api/v1/price-lists", json=price_list("trade"))
    assert duplicate.status_code == 422
    assert (duplicate.json()["errors"][0]["code"], duplicate.json()["errors"][0]["property"]) == (
        "already_exists", "slug",
    )  # fmt: skip
    bad = call("POST", url, "/api/v1/price-lists", json={"slug": "x", "currency_code": "pound", "source": "erp"})
    assert properties(bad) == ["name", "currency_code", "source"]


def test_price_lists_page_envelope(url: str) -> None:
    for slug, name in (("c", "Charlie"), ("a", "Alpha"), ("b", "Bravo")):
        call("POST", url, "/api/v1/price-lists", json=price_list(slug, name))
    first = call("GET", url, "/api/v2/price-lists?page=1&page_size=2").json()
    assert [row["slug"] for row in first["data"]] == ["a", "b"]
    assert first["pagination"] == {"total": 3, "per_page": 2, "current_page": 1, "total_pages": 2}
    second = call("GET", url, "/api/v2/price-lists?page=2&page_size=2").json()
    assert [row["slug"] for row in second["data"]] == ["c"]
    assert second["pagination"]["current_page"] == 2
    descending = call("GET", url, "/api/v2/price-lists?order_by=name:desc").json()
    assert [row["slug"] for row in descending["data"]] == ["c", "b", "a"]


def test_price_lists_page_of_empty_site(url: str) -> None:
    body = call("GET", url, "/api/v2/price-lists").json()
    assert body == {"data": [], "pagination": {"total": 0, "per_page": 100, "current_page": 1, "total_pages": 1}}


@pytest.mark.parametrize("query", ["page_size=251", "page_size=0", "page=0", "page=x", "order_by=price:asc"])
def test_price_lists_page_bad_query_is_400(url: str, query: str) -> None:
    assert call("GET", url, f"/api/v2/price-lists?{query}").status_code == 400


def test_price_lists_page_size_250_is_allowed(url: str) -> None:
    assert call("GET", url, "/api/v2/price-lists?page_size=250").status_code == 200


def test_batch_update_pricing_replaces_each_pair(url: str) -> None:
    call("POST", url, "/api/v1/price-lists", json=price_list("trade"))
    first = [{"sku": "A", "price_list_slug": "trade", "pricing": [{"quantity": 1, "price": "10.00"},
                                                                   {"quantity": 10, "price": "9.00"}]}]  # fmt: skip
    assert call("PATCH", url, "/api/v1/batch-update-pricing", json=first).status_code == 204
    second = [{"sku": "A", "price_list_slug": "trade", "pricing": [{"quantity": 1, "price": 8}]}]
    assert call("PATCH", url, "/api/v1/batch-update-pricing", json=second).status_code == 204
    assert state(url)["pricing"] == [
        {"sku": "A", "price_list_slug": "trade", "pricing": [{"quantity": 1, "price": "8", "unit_of_measure": None}]}
    ]
    cleared = [{"sku": "A", "price_list_slug": "trade", "pricing": []}]
    assert call("PATCH", url, "/api/v1/batch-update-pricing", json=cleared).status_code == 204
    assert state(url)["pricing"] == []


def test_batch_update_pricing_unknown_price_list_is_422_and_writes_nothing(url: str) -> None:
    call("POST", url, "/api/v1/price-lists", json=price_list("trade"))
    items = [
        {"sku": "A", "price_list_slug": "trade", "pricing": [{"quantity": 1, "price": "1"}]},
        {"sku": "A", "price_list_slug": "missing", "pricing": [{"quantity": 1, "price": "1"}]},
    ]
    response = call("PATCH", url, "/api/v1/batch-update-pricing", json=items)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "code": "not_found", "message": "Price list missing does not exist.", "property": "[1].price_list_slug",
    }  # fmt: skip
    assert state(url)["pricing"] == []


def test_batch_update_pricing_validation(url: str) -> None:
    items = [{"sku": "A", "price_list_slug": "t", "pricing": [{"quantity": 0, "price": "abc"}]}, {"sku": "B"}]
    response = call("PATCH", url, "/api/v1/batch-update-pricing", json=items)
    assert response.status_code == 400
    assert properties(response) == [
        "[0].pricing[0].quantity", "[0].pricing[0].price", "[1].price_list_slug", "[1].pricing",
    ]  # fmt: skip


# --- customers -----------------------------------------------------------------------------------------------


def test_customer_put_creates_201_then_replaces_200(url: str) -> None:
    created = call("PUT", url, "/api/v2/customers/platform/7", json=customer(price_lists=["trade"]))
    assert created.status_code == 201
    assert created.json()["price_lists"] == ["trade"]
    replaced = call("PUT", url, "/api/v2/customers/platform/7", json=customer(first_name="Janet"))
    assert replaced.status_code == 200
    assert replaced.json()["id"] == created.json()["id"]
    assert replaced.json()["legacy_id"].startswith("cu_")


def test_customer_put_is_a_full_replace(url: str) -> None:
    full = customer(
        price_lists=["trade"], accounting_id="ACC-1", company_name="Acme", discount_percentage=5, tax_exempt=True,
        sales_agent_groups=["north"], payment_on_account={"credit_limit": "100.00"},
        addresses=[address("a1"), address("a2", "2 Low Road")],
    )  # fmt: skip
    first = call("PUT", url, "/api/v2/customers/platform/7", json=full).json()
    response = call("PUT", url, "/api/v2/customers/platform/7", json=customer(addresses=[address("a2", "3 New St")]))
    assert response.status_code == 200
    body = response.json()
    assert body["price_lists"] == []
    assert body["sales_agent_groups"] == []
    assert (body["accounting_id"], body["company_name"], body["discount_percentage"]) == (None, None, None)
    assert (body["tax_exempt"], body["payment_on_account"]) == (False, None)
    assert [(a["external_id"], a["address_line1"]) for a in body["addresses"]] == [("a2", "3 New St")]
    assert body["addresses"][0]["id"] == first["addresses"][1]["id"]
    assert state(url)["customers"] == [body]


def test_customer_put_without_addresses_deletes_them_and_frees_their_ids(url: str) -> None:
    call("PUT", url, "/api/v2/customers/platform/7", json=customer(addresses=[address("a1")]))
    assert call("PUT", url, "/api/v2/customers/platform/7", json=customer()).json()["addresses"] == []
    other = call(
        "PUT", url, "/api/v2/customers/platform/8", json=customer("8", "bob@example.com", addresses=[address("a1")])
    )
    assert other.status_code == 201


def test_customer_email_owned_by_another_customer_is_409(url: str) -> None:
    call("PUT", url, "/api/v2/customers/platform/7", json=customer())
    response = call("PUT", url, "/api/v2/customers/platform/8", json=customer("8", "JANE@example.com"))
    assert response.status_code == 409
    assert response.headers["Content-Type"] == PROBLEM
    assert (response.json()["errors"][0]["code"], response.json()["errors"][0]["property"]) == (
        "already_exists", "email",
    )  # fmt: skip
    assert state(url)["counts"]["customers"] == 1


def test_customer_address_external_id_owned_by_another_customer_is_409(url: str) -> None:
    call("PUT", url, "/api/v2/customers/platform/7", json=customer(addresses=[address("a1")]))
    body = customer("8", "bob@example.com", addresses=[address("a1")])
    response = call("PUT", url, "/api/v2/customers/platform/8", json=body)
    assert response.status_code == 409
    assert properties(response) == ["addresses[0].external_id"]


def test_customer_body_id_must_match_path(url: str) -> None:
    response = call("PUT", url, "/api/v2/customers/platform/7", json=customer("8"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "idMismatch"


def test_customer_validation(url: str) -> None:
    body = {"external_id": "cu_7", "email": "nope", "role": "boss", "addresses": [{"city": "London"}]}
    response = call("PUT", url, "/api/v2/customers/platform/cu_7", json=body)
    assert response.status_code == 400
    assert properties(response) == [
        "external_id", "email", "role", "addresses[0].address_line1", "addresses[0].country_code",
    ]  # fmt: skip


def test_customer_parent_must_exist(url: str) -> None:
    response = call("PUT", url, "/api/v2/customers/platform/7", json=customer(parent_customer_id="99"))
    assert response.status_code == 400
    assert properties(response) == ["parent_customer_id"]
    call("PUT", url, "/api/v2/customers/platform/99", json=customer("99", "parent@example.com"))
    assert call("PUT", url, "/api/v2/customers/platform/7", json=customer(parent_customer_id="99")).status_code == 201


def test_customer_delete_then_404_and_email_reusable(url: str) -> None:
    call("PUT", url, "/api/v2/customers/platform/7", json=customer())
    assert call("GET", url, "/api/v2/customers/platform/7").status_code == 200
    assert call("DELETE", url, "/api/v2/customers/platform/7").status_code == 204
    assert call("DELETE", url, "/api/v2/customers/platform/7").status_code == 404
    assert call("GET", url, "/api/v2/customers/platform/7").status_code == 404
    assert call("PUT", url, "/api/v2/customers/platform/8", json=customer("8")).status_code == 201


# --- purchases and settings ----------------------------------------------------------------------------------


def purchase(order_id: str = "1001", **extra: Any) -> dict[str, Any]:
    return {
        "type": "order", "purchase_identifiers": {"sparklayer": "cart-1", "platform": order_id, "visible": "#1001"},
        "customer_identifiers": {"platform": "7"}, "dates": {"created_at": "2024-01-01T00:00:00Z"},
        "currency_code": "gbp", "calculated_total": {"number": "15.99", "currency": "gbp"}, "billing_address": {},
        "packages": [], "accounting_files": [], "custom_fields": [], **extra,
    }  # fmt: skip


def test_purchase_put_upserts(url: str) -> None:
    first = call("PUT", url, "/api/v1/purchases/platform/1001", json=purchase())
    assert first.status_code == 200
    second = call("PUT", url, "/api/v1/purchases/platform/1001", json=purchase(customer_reference="PO-9"))
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert [p["customer_reference"] for p in state(url)["purchases"]] == ["PO-9"]


def test_purchase_validation(url: str) -> None:
    body = purchase(type="invoice", currency_code="pounds", calculated_total={"number": 15.99, "currency": "gbp"})
    del body["packages"]
    response = call("PUT", url, "/api/v1/purchases/platform/1001", json=body)
    assert response.status_code == 400
    assert properties(response) == ["type", "currency_code", "calculated_total.number", "packages"]


def test_purchase_total_currency_must_match(url: str) -> None:
    body = purchase(calculated_total={"number": "15.99", "currency": "eur"})
    response = call("PUT", url, "/api/v1/purchases/platform/1001", json=body)
    assert properties(response) == ["calculated_total.currency"]


def test_purchase_platform_id_must_match_path(url: str) -> None:
    response = call("PUT", url, "/api/v1/purchases/platform/1002", json=purchase("1001"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "idMismatch"


def test_purchase_sparklayer_id_is_immutable(url: str) -> None:
    call("PUT", url, "/api/v1/purchases/platform/1001", json=purchase())
    body = purchase()
    body["purchase_identifiers"]["sparklayer"] = "cart-2"
    assert call("PUT", url, "/api/v1/purchases/platform/1001", json=body).status_code == 403


def test_settings_patch(url: str) -> None:
    body = [{"key": "currency", "value": "gbp"}, {"key": "tax_display", "value": "inclusive"}]
    assert call("PATCH", url, "/api/v1/settings", json=body).status_code == 204
    assert call("PATCH", url, "/api/v1/settings", json=[{"key": "currency", "value": "eur"}]).status_code == 204
    assert call("GET", url, "/api/v1/settings").json() == [
        {"key": "currency", "value": "eur"}, {"key": "tax_display", "value": "inclusive"},
    ]  # fmt: skip
    bad = call("PATCH", url, "/api/v1/settings", json=[{"key": "currency"}, {"value": 1}])
    assert bad.status_code == 400
    assert properties(bad) == ["[0].value", "[1].key"]


# --- sync log ------------------------------------------------------------------------------------------------

SYNC_LOG = "/api/v1/sync-log/ignite-bridge/products"


def sync_errors(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"external_id": f"P{i}", "external_url": f"https://shop/p/{i}", "visible_id": f"P{i}", "message": "No SKU"}
            for i in range(start, start + count)]  # fmt: skip


def test_sync_log_get_is_404_before_first_full_sync(url: str) -> None:
    response = call("GET", url, SYNC_LOG)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    assert call("PATCH", url, SYNC_LOG, json={"last_partial_sync": "2024-01-01T00:00:00Z"}).status_code == 404


def test_sync_log_full_put_replaces_and_clears_omitted_timestamps(url: str) -> None:
    first = {"started_full_sync": "2024-01-01T00:00:00Z", "last_full_sync": "2024-01-01T01:00:00Z",
             "last_full_sync_succeeded": True, "errors": sync_errors(3)}  # fmt: skip
    assert call("PUT", url, SYNC_LOG, json=first).status_code == 200
    assert call("GET", url, SYNC_LOG).json() == {
        "integration": "ignite-bridge", "data_type": "products", "started_full_sync": "2024-01-01T00:00:00Z",
        "last_full_sync": "2024-01-01T01:00:00Z", "last_full_sync_succeeded": True, "last_partial_sync": None,
        "error_count": 3,
    }  # fmt: skip
    second = {"started_full_sync": "2024-01-02T00:00:00Z", "errors": sync_errors(1, start=10)}
    call("PUT", url, SYNC_LOG, json=second)
    status = call("GET", url, f"{SYNC_LOG}/errors").json()
    assert (status["started_full_sync"], status["last_full_sync"], status["last_full_sync_succeeded"]) == (
        "2024-01-02T00:00:00Z", None, None,
    )  # fmt: skip
    assert [error["external_id"] for error in status["errors"]] == ["P10"]


def test_sync_log_5001_errors_are_refused_5000_accepted(url: str) -> None:
    response = call("PUT", url, SYNC_LOG, json={"errors": sync_errors(5001)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_items"
    assert call("GET", url, SYNC_LOG).status_code == 404
    assert call("PUT", url, SYNC_LOG, json={"errors": sync_errors(5000)}).json()["error_count"] == 5000


def test_sync_log_duplicate_external_id_is_refused(url: str) -> None:
    response = call("PUT", url, SYNC_LOG, json={"errors": sync_errors(2) + sync_errors(1)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "duplicate_external_id"
    assert properties(response) == ["errors[2].external_id"]


def test_sync_log_bad_timestamp_is_refused(url: str) -> None:
    response = call("PUT", url, SYNC_LOG, json={"started_full_sync": "yesterday"})
    assert response.status_code == 400
    assert properties(response) == ["started_full_sync"]


def test_sync_log_partial_patch_adds_and_resolves(url: str) -> None:
    call("PUT", url, SYNC_LOG, json={"last_full_sync": "2024-01-01T01:00:00Z", "errors": sync_errors(3)})
    change = {"last_partial_sync": "2024-01-03T00:00:00Z", "errors_added": sync_errors(2, start=5),
              "errors_resolved": ["P0", "P1"]}  # fmt: skip
    response = call("PATCH", url, SYNC_LOG, json=change)
    assert response.status_code == 200
    status = call("GET", url, f"{SYNC_LOG}/errors").json()
    assert status["last_partial_sync"] == "2024-01-03T00:00:00Z"
    assert status["last_full_sync"] == "2024-01-01T01:00:00Z"
    assert [error["external_id"] for error in status["errors"]] == ["P2", "P5", "P6"]
    # a later full PUT keeps last_partial_sync (not part of a full record)
    call("PUT", url, SYNC_LOG, json={"errors": []})
    assert call("GET", url, SYNC_LOG).json()["last_partial_sync"] == "2024-01-03T00:00:00Z"


def test_sync_log_partial_patch_is_capped_in_total(make_sandbox: MakeSandbox) -> None:
    url = make_sandbox(max_sync_log_errors=3).url
    call("PUT", url, SYNC_LOG, json={"errors": sync_errors(2)})
    response = call("PATCH", url, SYNC_LOG, json={"errors_added": sync_errors(2, start=2)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_errors"
    assert call("GET", url, SYNC_LOG).json()["error_count"] == 2
    assert call("PATCH", url, SYNC_LOG, json={"errors_added": sync_errors(1, start=2)}).json()["error_count"] == 3


def test_sync_log_partial_patch_add_and_resolve_same_id_is_refused(url: str) -> None:
    call("PUT", url, SYNC_LOG, json={"errors": []})
    response = call("PATCH", url, SYNC_LOG, json={"errors_added": sync_errors(1), "errors_resolved": ["P0"]})
    assert response.status_code == 400
    assert properties(response) == ["errors_resolved[0]"]


def test_sync_log_delete_all(url: str) -> None:
    call("PUT", url, SYNC_LOG, json={"errors": []})
    assert call("DELETE", url, "/api/v1/sync-log").status_code == 204
    assert call("GET", url, SYNC_LOG).status_code == 404


# --- fault injection -----------------------------------------------------------------------------------------


def test_seeded_500_rate_is_deterministic(url: str) -> None:
    headers = auth(url)
    assert set_faults(url, error_500_rate=0.5, seed=42).status_code == 200
    statuses = [call("GET", url, "/api/v2/price-lists", headers=headers).status_code for _ in range(20)]
    dice = random.Random(42)
    assert statuses == [500 if dice.random() < 0.5 else 200 for _ in range(20)]
    assert 500 in statuses
    assert 200 in statuses


def test_injected_429_carries_retry_after(url: str) -> None:
    headers = auth(url)
    set_faults(url, error_429_rate=1.0, retry_after="7")
    response = call("GET", url, "/api/v2/price-lists", headers=headers)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["Content-Type"] == PROBLEM


def test_faults_apply_to_the_token_endpoint(url: str) -> None:
    set_faults(url, error_500_rate=1.0)
    assert get_token(url).status_code == 500


def test_faults_follow_path_prefix(url: str) -> None:
    headers = auth(url)
    set_faults(url, error_500_rate=1.0, path_prefix="/api/v1/products")
    assert call("GET", url, "/api/v2/price-lists", headers=headers).status_code == 200
    assert call("GET", url, "/api/v1/products/1", headers=headers).status_code == 500


def test_dropped_connection_is_a_connection_error(url: str) -> None:
    headers = auth(url)
    set_faults(url, drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        call("POST", url, "/api/v1/products", headers=headers, json=product())
    set_faults(url)
    assert call("GET", url, "/api/v2/price-lists", headers=headers).status_code == 200
    dropped = requests.get(f"{url}/_sandbox/calls", params={"site_id": SITE}, timeout=TIMEOUT).json()[-2]
    assert (dropped["status"], dropped["fault"], dropped["path"]) == (0, "drop", "/api/v1/products")
    assert state(url)["counts"]["products"] == 0


def test_latency_delays_api_calls_but_not_control_calls(url: str) -> None:
    headers = auth(url)
    set_faults(url, latency_ms=300)
    started = time.monotonic()
    assert call("GET", url, "/api/v2/price-lists", headers=headers).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    requests.get(f"{url}/_sandbox/stats", timeout=TIMEOUT)
    assert time.monotonic() - started < 0.3


def test_down_answers_503(url: str) -> None:
    headers = auth(url)
    set_faults(url, down=True)
    assert call("GET", url, "/api/v2/price-lists", headers=headers).status_code == 503


def test_faults_control_round_trip_and_unknown_key(url: str) -> None:
    assert set_faults(url, error_500_rate=0.25, seed=3).json()["error_500_rate"] == 0.25
    assert requests.get(f"{url}/_sandbox/faults", timeout=TIMEOUT).json() == {
        **FaultConfig().as_dict(), "error_500_rate": 0.25, "seed": 3,
    }  # fmt: skip
    bad = set_faults(url, error_500_rate=1.0, explode=True)
    assert bad.status_code == 400
    assert properties(bad) == ["explode"]
    assert requests.get(f"{url}/_sandbox/faults", timeout=TIMEOUT).json()["error_500_rate"] == 0.25
    assert set_faults(url, error_500_rate="lots").status_code == 400


def test_constructor_faults_apply_and_reset_restores_them(make_sandbox: MakeSandbox) -> None:
    url = make_sandbox(faults=FaultConfig(error_429_rate=1.0, retry_after="3")).url
    assert get_token(url).status_code == 429
    set_faults(url)
    assert get_token(url).status_code == 200
    requests.post(f"{url}/_sandbox/reset", timeout=TIMEOUT)
    assert get_token(url).headers["Retry-After"] == "3"


# --- control API: state, calls, stats, reset, tenancy ----------------------------------------------------------


def test_sites_are_separate(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101"))
    assert call("GET", url, "/api/v1/products/101", site="other").status_code == 404
    assert call("POST", url, "/api/v1/products", site="other", json=product("101")).status_code == 200
    assert state(url, "other")["counts"]["products"] == 1


def test_state_holds_everything_for_a_site(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101"))
    call("PUT", url, "/api/v2/customers/platform/7", json=customer())
    snapshot = state(url)
    assert snapshot["site_id"] == SITE
    assert set(snapshot) == {"site_id", "counts", "products", "stock", "stock_locations", "price_lists", "pricing",
                             "customers", "customer_groups", "purchases", "settings", "sync_logs"}  # fmt: skip
    assert [p["external_id"] for p in snapshot["products"]] == ["101"]
    assert snapshot["counts"]["customers"] == 1
    only = requests.get(f"{url}/_sandbox/state", params={"site_id": SITE, "include": "customers"}, timeout=TIMEOUT)
    assert set(only.json()) == {"site_id", "counts", "customers"}
    assert state(url, "never-seen")["counts"]["products"] == 0


def test_state_needs_site_id_and_known_sections(url: str) -> None:
    assert requests.get(f"{url}/_sandbox/state", timeout=TIMEOUT).status_code == 400
    bad = requests.get(f"{url}/_sandbox/state", params={"site_id": SITE, "include": "bogus"}, timeout=TIMEOUT)
    assert bad.status_code == 400


def test_calls_log_every_api_call(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101"))
    call("GET", url, "/api/v1/products/101", site="other")
    calls = requests.get(f"{url}/_sandbox/calls", params={"site_id": SITE}, timeout=TIMEOUT).json()
    assert [(c["method"], c["path"], c["status"], c["site_id"]) for c in calls] == [
        ("POST", "/api/auth/token", 200, SITE), ("POST", "/api/v1/products", 200, SITE),
    ]  # fmt: skip
    assert all(isinstance(c["timestamp"], float) for c in calls)
    everything = requests.get(f"{url}/_sandbox/calls", timeout=TIMEOUT).json()
    assert len(everything) == 4
    last = requests.get(f"{url}/_sandbox/calls", params={"limit": 1}, timeout=TIMEOUT).json()
    assert [(c["path"], c["status"]) for c in last] == [("/api/v1/products/101", 404)]
    assert requests.get(f"{url}/_sandbox/calls", params={"limit": "-1"}, timeout=TIMEOUT).status_code == 400


def test_call_log_keeps_only_the_last_10000_but_stats_keep_counting(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox()
    app = server.app
    assert isinstance(app, SparkLayerSandbox)
    for index in range(10_005):
        app.calls.record(method="GET", path=f"/x/{index}", route="/x", status=200, site_id=SITE, fault=None)
    calls = requests.get(f"{server.url}/_sandbox/calls", timeout=TIMEOUT).json()
    assert len(calls) == 10_000
    assert calls[0]["path"] == "/x/5"
    assert requests.get(f"{server.url}/_sandbox/stats", timeout=TIMEOUT).json()["total"] == 10_005


def test_stats_count_by_route_kind_and_site(url: str) -> None:
    headers = auth(url)
    call("POST", url, "/api/v1/products", headers=headers, json=product("101"))
    call("GET", url, "/api/v1/products/101", headers=headers)
    call("GET", url, "/api/v1/products/pp_1", headers=headers)
    call("GET", url, "/api/v1/products/101", site="other")
    stats = requests.get(f"{url}/_sandbox/stats", timeout=TIMEOUT).json()
    assert stats["total"] == 6
    assert stats["by_kind"] == {"read": 3, "write": 1, "token": 2}
    assert stats["by_route"] == {
        "POST /api/auth/token": 2, "POST /api/v1/products": 1, "GET /api/v1/products/{product_id}": 3,
    }  # fmt: skip
    assert stats["by_method"] == {"POST": 3, "GET": 3}
    assert stats["sites"][SITE]["by_kind"] == {"read": 2, "write": 1, "token": 1}
    assert stats["sites"]["other"]["by_status"] == {"200": 1, "404": 1}


def test_reset_one_site_keeps_the_others(url: str) -> None:
    call("POST", url, "/api/v1/products", json=product("101"))
    other_headers = auth(url, "other")
    call("POST", url, "/api/v1/products", headers=other_headers, json=product("101"))
    response = requests.post(f"{url}/_sandbox/reset", json={"site_id": SITE}, timeout=TIMEOUT)
    assert response.status_code == 204
    assert state(url)["counts"]["products"] == 0
    assert state(url, "other")["counts"]["products"] == 1
    assert call("GET", url, "/api/v1/products/101", site="other", headers=other_headers).status_code == 200
    stats = requests.get(f"{url}/_sandbox/stats", timeout=TIMEOUT).json()
    assert set(stats["sites"]) == {"other"}
    assert requests.get(f"{url}/_sandbox/calls", params={"site_id": SITE}, timeout=TIMEOUT).json() == []


def test_reset_everything(url: str) -> None:
    headers = auth(url)
    call("POST", url, "/api/v1/products", headers=headers, json=product("101"))
    requests.put(f"{url}/_sandbox/sites/{SITE}/credentials", json={"client_id": "a", "client_secret": "b"},
                 timeout=TIMEOUT)  # fmt: skip
    assert requests.post(f"{url}/_sandbox/reset", timeout=TIMEOUT).status_code == 204
    assert state(url)["counts"]["products"] == 0
    assert requests.get(f"{url}/_sandbox/stats", timeout=TIMEOUT).json()["total"] == 0
    assert call("GET", url, "/api/v2/price-lists", headers=headers).status_code == 401  # tokens are gone
    assert get_token(url, client_id="any").status_code == 200  # credentials are gone


def test_reset_rejects_unknown_fields(url: str) -> None:
    response = requests.post(f"{url}/_sandbox/reset", json={"site": SITE}, timeout=TIMEOUT)
    assert response.status_code == 400
    assert properties(response) == ["site"]


def test_control_unknown_route_is_404(url: str) -> None:
    assert requests.get(f"{url}/_sandbox/nothing", timeout=TIMEOUT).status_code == 404
    assert requests.delete(f"{url}/_sandbox/stats", timeout=TIMEOUT).status_code == 405


def test_control_calls_are_not_logged(url: str) -> None:
    requests.get(f"{url}/_sandbox/stats", timeout=TIMEOUT)
    assert requests.get(f"{url}/_sandbox/calls", timeout=TIMEOUT).json() == []


# --- command line --------------------------------------------------------------------------------------------


def test_command_line_starts_a_server_and_prints_its_url() -> None:
    command = [sys.executable, "-m", "sandbox.sparklayer", "--port", "0", "--token-lifetime", "60",
               "--fault-429-rate", "0", "--seed", "1"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("SparkLayer sandbox listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[-1]
        assert get_token(url).json()["expires_in"] == 60
    finally:
        process.terminate()
        process.wait(timeout=10)
