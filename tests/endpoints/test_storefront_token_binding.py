"""The verify endpoint applies the connection's aud/iss binding and the lifetime setting."""

from __future__ import annotations

import time
from typing import Any

from tests.endpoints.storefront_helpers import STOREFRONT_SECRET, assert_problem, create_customer, path, token
from tests.factories import ConnectionFactory


def verify(api_client: Any, connection: Any, credential: str) -> Any:
    return api_client.post(path(connection, "/authentication/verify"), {"data": credential}, format="json")


def test_a_token_for_site_a_is_refused_on_site_b_with_the_same_secret(
    api_client: Any, connection: Any, store: Any
) -> None:
    customer = create_customer(store, "binding@example.com")
    connection.storefront_jwt_audience = "https://shop-a.example"
    connection.save()
    site_b = ConnectionFactory(
        store_url=store.url, storefront_secret=STOREFRONT_SECRET, storefront_jwt_audience="https://shop-b.example"
    )
    credential = token(str(customer["id"]), aud="https://shop-a.example")
    assert verify(api_client, connection, credential).json() == {"customer_external_id": str(customer["id"])}
    assert_problem(verify(api_client, site_b, credential), 401)


def test_the_lifetime_setting_applies(api_client: Any, connection: Any, store: Any, settings: Any) -> None:
    customer = create_customer(store, "lifetime@example.com")
    settings.STOREFRONT_JWT_MAX_LIFETIME_SECONDS = 600
    long_lived = token(str(customer["id"]), ttl=1200, iat=int(time.time()))
    assert_problem(verify(api_client, connection, long_lived), 401)
    settings.STOREFRONT_JWT_MAX_LIFETIME_SECONDS = 3600
    assert verify(api_client, connection, long_lived).status_code == 200
