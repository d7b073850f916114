"""The store's settings (currency, weight unit, tax mode): three groups, read at once, merged in order."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
import responses

from ignite_bridge.core.errors import AuthenticationError
from platforms.woocommerce.adapter import SETTINGS_GROUPS, WooCommerceAdapter

API = "https://shop.example.com/wp-json/wc/v3"
OPTIONS = {
    "general": [{"id": "woocommerce_currency", "value": "eur"}, {"id": "woocommerce_store_city", "value": "Leeds"}],
    "products": [{"id": "woocommerce_weight_unit", "value": "LBS"}],
    # a later group wins where two name the same option, as when they were read one after the other
    "tax": [{"id": "woocommerce_prices_include_tax", "value": "yes"}, {"id": "woocommerce_currency", "value": "gbp"}],
}


def adapter() -> WooCommerceAdapter:
    credentials = {"consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40}
    return WooCommerceAdapter(store_url="https://shop.example.com/", credentials=credentials, max_attempts=1)


def answer_together(statuses: dict[str, int]) -> list[str]:
    """Each group answers only once all three were asked (a barrier): read one after the other, the
    first would wait in vain and fail the test."""
    barrier = threading.Barrier(len(SETTINGS_GROUPS), timeout=10)
    asked: list[str] = []

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        group = str(request.url).rsplit("/", 1)[-1]
        asked.append(group)
        barrier.wait()
        status = statuses.get(group, 200)
        body: Any = OPTIONS[group] if status == 200 else {"code": "woocommerce_rest_cannot_view", "message": "no"}
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    for group in SETTINGS_GROUPS:
        responses.add_callback(responses.GET, f"{API}/settings/{group}", callback=callback)
    return asked


@responses.activate
def test_the_settings_groups_are_read_at_once_and_merged_in_their_order() -> None:
    asked = answer_together({})
    settings = adapter().store_settings()
    assert sorted(asked) == sorted(SETTINGS_GROUPS)
    assert settings.currency == "GBP"
    assert settings.weight_unit == "lbs"
    assert settings.prices_include_tax is True
    assert settings.store_address == "Leeds"


@responses.activate
def test_the_settings_are_read_once_per_adapter() -> None:
    asked = answer_together({})
    reader = adapter()
    assert reader.store_settings() is reader.store_settings()
    assert len(asked) == len(SETTINGS_GROUPS)


@responses.activate
def test_a_missing_group_falls_back_to_woocommerces_defaults_and_refused_keys_raise() -> None:
    answer_together({"products": 404})
    assert adapter().store_settings().weight_unit == "kg"

    responses.reset()
    answer_together({"tax": 401})
    with pytest.raises(AuthenticationError):
        adapter().store_settings()
