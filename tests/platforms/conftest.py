"""Fixtures for the platform adapter tests: the store settings the WooCommerce mapping runs with."""

from __future__ import annotations

import pytest

from platforms.woocommerce.mapping import StoreSettings


@pytest.fixture
def settings() -> StoreSettings:
    return StoreSettings(currency="GBP", weight_unit="kg", prices_include_tax=True)
