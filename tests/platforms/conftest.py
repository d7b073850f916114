"""Shared helpers for the platform adapter tests: WooCommerce-format JSON fixtures and store settings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from platforms.woocommerce.mapping import StoreSettings

FIXTURES = Path(__file__).parent / "fixtures"
STORE = "https://shop.example.com"


def load(name: str) -> Any:
    """A fresh copy of a fixture, safe to modify in the test."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


@pytest.fixture
def settings() -> StoreSettings:
    return StoreSettings(currency="GBP", weight_unit="kg", prices_include_tax=True)
