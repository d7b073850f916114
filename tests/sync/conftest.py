"""Fixtures for full-sync tests: a connection bound to the sandboxes (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.models import Connection
from tests.sync.helpers import make_connection


@pytest.fixture
def connection(db: None, spark: Any, woo_store: Any) -> Connection:
    return make_connection(woo_store, site_id="bobs-store", push_concurrency=4)
