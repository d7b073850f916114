"""The app-authorisation flow and credentials from the connect call, without a store."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ignite_bridge.core.errors import AuthenticationError
from platforms.base import platform_adapter_class
from platforms.types import DataType
from platforms.woocommerce.adapter import WooCommerceAdapter
from platforms.woocommerce.client import InsecureStoreUrlError

KEY, SECRET = "ck_" + "1" * 40, "cs_" + "2" * 40


def adapter(store_url: str = "https://shop.example.com", **kwargs: object) -> WooCommerceAdapter:
    return WooCommerceAdapter(store_url=store_url, credentials={}, **kwargs)  # type: ignore[arg-type]


def test_registered_under_its_name_with_every_data_type() -> None:
    assert platform_adapter_class("woocommerce") is WooCommerceAdapter
    assert set(WooCommerceAdapter.data_types) == set(DataType)
    with pytest.raises(ValueError, match="fetch_stock"):
        adapter().fetch_record(DataType.STOCK, "SKU-1")
    with pytest.raises(ValueError, match="customer_groups"):
        adapter().fetch_record(DataType.CUSTOMER_GROUPS, "gold")


def test_authorization_url_carries_every_required_parameter() -> None:
    url = adapter().authorization_url(
        callback_url="https://bridge.example.com/woocommerce/auth/callback/tok",
        return_url="https://app.sparklayer.io/done",
        state="tok_123",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://shop.example.com/wc-auth/v1/authorize"
    assert parse_qs(parts.query) == {
        "app_name": ["SparkLayer Ignite Bridge"],
        "scope": ["read_write"],
        "user_id": ["tok_123"],
        "return_url": ["https://app.sparklayer.io/done"],
        "callback_url": ["https://bridge.example.com/woocommerce/auth/callback/tok"],
    }


def test_authorization_url_refuses_a_plain_http_store() -> None:
    with pytest.raises(InsecureStoreUrlError):
        adapter("http://shop.example.com").authorization_url(
            callback_url="https://b/c", return_url="https://b/r", state="s"
        )


def test_callback_body_becomes_credentials() -> None:
    body = json.dumps({"key_id": 7, "user_id": "tok_123", "consumer_key": KEY, "consumer_secret": SECRET,
                       "key_permissions": "read_write"}).encode()  # fmt: skip
    result = adapter().parse_authorization_callback(body, {"Content-Type": "application/json;charset=UTF-8"})
    assert result.state == "tok_123"
    assert dict(result.credentials) == {"consumer_key": KEY, "consumer_secret": SECRET}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        json.dumps({"user_id": "tok", "consumer_secret": SECRET}).encode(),
        json.dumps({"user_id": "tok", "consumer_key": KEY}).encode(),
        json.dumps({"consumer_key": KEY, "consumer_secret": SECRET}).encode(),
        json.dumps({"user_id": "", "consumer_key": KEY, "consumer_secret": SECRET}).encode(),
        json.dumps({"user_id": "tok", "consumer_key": 5, "consumer_secret": SECRET}).encode(),
        json.dumps(
            {"user_id": "tok", "consumer_key": KEY, "consumer_secret": SECRET, "key_permissions": "read"}
        ).encode(),
    ],
)
def test_malformed_callback_bodies_raise_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        adapter().parse_authorization_callback(body, {})


@pytest.mark.parametrize(
    ("extra_config", "expected"),
    [
        ({"store_url": "https://s", "woocommerce_api_key": KEY, "woocommerce_api_secret": SECRET},
         {"consumer_key": KEY, "consumer_secret": SECRET}),
        ({"woocommerce_basic_user": f" {KEY} ", "woocommerce_basic_pass": SECRET},
         {"consumer_key": KEY, "consumer_secret": SECRET}),
        ({"store_url": "https://s"}, {}),
        ({}, {}),
    ],
)  # fmt: skip
def test_credentials_from_extra_config(extra_config: dict[str, str], expected: dict[str, str]) -> None:
    assert WooCommerceAdapter.credentials_from_extra_config(extra_config) == expected


def test_half_a_credential_pair_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="woocommerce_api_secret"):
        WooCommerceAdapter.credentials_from_extra_config({"woocommerce_api_key": KEY})


def test_an_adapter_without_keys_cannot_call_the_store() -> None:
    with pytest.raises(AuthenticationError, match="keys are missing"):
        adapter().check_credentials()


@responses.activate
def test_check_credentials_refused_raises_authentication_error() -> None:
    responses.get(
        "https://shop.example.com/wp-json/wc/v3/settings/general",
        status=401,
        json={"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
              "data": {"status": 401}},
    )  # fmt: skip
    credentials = {"consumer_key": KEY, "consumer_secret": SECRET}
    woo = WooCommerceAdapter(store_url="https://shop.example.com", credentials=credentials)
    with pytest.raises(AuthenticationError):
        woo.check_credentials()
