"""Ids a caller hands the bridge are ASCII digits only: ``²`` was a 500, ``٢`` was read as customer 2.

Refused ids never reach the store: 404 for ids in the path, 400 naming the field in a body, 401
for a storefront token's ``sub``.
"""

from __future__ import annotations

from typing import Any

import pytest

from ignite_bridge.core.ids import positive_id
from tests.endpoints.storefront_helpers import assert_problem, cart, path, standard_rated_sku, store_calls, token

NON_ASCII_DIGITS = ["²", "٢", "\uff11\uff12", "߂"]  # superscript, Arabic-Indic, fullwidth, NKo


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), (42, 42), ("0", None), ("-1", None), ("²", None), ("٢", None), ("4 2", None), (" 42", None),
     ("9" * 19, None), (str(2**63 - 1), 2**63 - 1), (True, None), (None, None), ("", None)],
)  # fmt: skip
def test_positive_id(value: Any, expected: int | None) -> None:
    assert positive_id(value) == expected


@pytest.mark.parametrize("bad_id", NON_ASCII_DIGITS)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("delete", "/sub-accounts/{id}"),
        ("patch", "/sub-accounts/{id}"),
        ("post", "/customers/{id}/addresses"),
        ("put", "/customers/{id}/addresses/{id}-billing"),
        ("delete", "/customers/{id}/addresses/{id}-billing"),
    ],
)
def test_non_ascii_digit_ids_in_the_path_are_404_and_never_reach_the_store(
    api_client: Any, connection: Any, store: Any, method: str, suffix: str, bad_id: str
) -> None:
    body = {"first_name": "Bo", "last_name": "Jo", "address_line1": "1 Road", "city": "London", "country_code": "GB"}
    before = len(store_calls(store))
    response = getattr(api_client, method)(path(connection, suffix.format(id=bad_id)), body, format="json")
    assert_problem(response, 404)
    assert len(store_calls(store)) == before


@pytest.mark.parametrize("bad_id", NON_ASCII_DIGITS)
def test_a_storefront_token_naming_a_non_ascii_customer_is_401(api_client: Any, connection: Any, bad_id: str) -> None:
    response = api_client.post(path(connection, "/authentication/verify"), {"data": token(bad_id)}, format="json")
    assert_problem(response, 401)


@pytest.mark.parametrize("bad_id", NON_ASCII_DIGITS)
def test_a_checkout_for_a_non_ascii_customer_id_is_400_naming_the_field(
    api_client: Any, connection: Any, store: Any, bad_id: str
) -> None:
    body = cart(standard_rated_sku(store), customer_id=bad_id)
    response = api_client.post(path(connection, "/checkout/calculate"), body, format="json")
    problem = assert_problem(response, 400)
    assert problem["errors"][0]["property"] == "customer.external_id"
