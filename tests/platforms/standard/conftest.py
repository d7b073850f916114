"""Fixtures for the standard platform (the bridge's own Platform API) against its sandbox over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connections.models import Connection
from sandbox.server import SandboxServer
from tests.platforms.standard.support import standard_store, std_connection


@pytest.fixture
def std_store() -> Iterator[SandboxServer]:
    server = standard_store()
    yield server
    server.app.dispatcher.flush(5)
    server.stop()


@pytest.fixture
def connection(db: None, spark: Any, std_store: SandboxServer) -> Connection:
    return std_connection(std_store, site_id="std-store", push_concurrency=4)
