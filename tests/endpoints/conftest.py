"""Fixtures of the customer-request endpoint tests: the store the bridge calls, its connection, and a second
store and connection (the other tenant in cross-tenant tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connections.models import Connection
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.woocommerce.app import WooCommerceSandbox
from tests.endpoints.storefront_helpers import STOREFRONT_SECRET
from tests.factories import ConnectionFactory


@pytest.fixture
def store(woocommerce_sandbox: SandboxServer) -> SandboxServer:
    """The WooCommerce store the bridge calls through its inline adapter."""
    return woocommerce_sandbox


@pytest.fixture
def other_store() -> Iterator[SandboxServer]:
    """A second, smaller store: the other tenant in cross-tenant tests."""
    server = serve_in_thread(WooCommerceSandbox(products=10, customers=5, orders=2, seed=11))
    yield server
    server.stop()


@pytest.fixture
def connection(db: None, store: SandboxServer) -> Connection:
    """A connection to ``store`` whose storefront tokens are signed with ``STOREFRONT_SECRET``."""
    return ConnectionFactory(store_url=store.url, storefront_secret=STOREFRONT_SECRET)


@pytest.fixture
def other_connection(db: None, other_store: SandboxServer) -> Connection:
    return ConnectionFactory(store_url=other_store.url, storefront_secret="another-tenant-secret-0123456789abcdef")


@pytest.fixture
def short_timeouts(settings: Any) -> float:
    """Inline timeouts small enough for fault tests; returns the read timeout."""
    settings.PLATFORM_INLINE_CONNECT_TIMEOUT = 0.5
    settings.PLATFORM_INLINE_READ_TIMEOUT = 0.5
    return 0.5
