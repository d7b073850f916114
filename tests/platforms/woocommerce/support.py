"""Data of the WooCommerce adapter tests: WooCommerce-format JSON fixtures and the store they come from."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
STORE = "https://shop.example.com"


def load(name: str) -> Any:
    """A fresh copy of a fixture, safe to modify in the test."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))
