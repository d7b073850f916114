"""Fixtures for the WooCommerce adapter tests: the store settings the WooCommerce mapping runs with (in this folder
only, ``settings`` is these rather than pytest-django's Django settings fixture)."""

from __future__ import annotations

import pytest

from platforms.woocommerce.mapping import StoreSettings


@pytest.fixture
def settings() -> StoreSettings:
    return StoreSettings(currency="GBP", weight_unit="kg", prices_include_tax=True)
