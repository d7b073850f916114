"""Fixtures shared by every test package: API clients, the two sandboxes, a real Celery worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from rest_framework.test import APIClient

from ignite_bridge.core.curl import forget_lookups
from tests.support import Stores, shared_gates_clear
from tests.workers import WorkerProcess, worker_environment


@pytest.fixture(autouse=True)
def _process_caches_cleared() -> Iterator[None]:
    """Per-process caches keyed by store URL must not carry one test's store into the next."""
    from ignite_bridge.core.process_cache import clear_all
    from sync.engine import customer_groups, price_lists, stock_locations

    clear_all()
    # what a process believes SparkLayer holds, per connection id (ids may repeat across test databases)
    price_lists._ready.clear()
    price_lists._not_ours.clear()
    stock_locations._ready.clear()
    customer_groups._known.clear()
    customer_groups._read_for_job.clear()
    return


@pytest.fixture(autouse=True)
def _libcurl_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-socket holds Python's sockets to loopback; libcurl opens its own (``ignite_bridge/core/curl.py``):
    the same rule for it, so no test reaches a network through it either."""
    import ipaddress
    from urllib.parse import urlsplit

    from pytest_socket import SocketConnectBlockedError

    from ignite_bridge.core import http
    from ignite_bridge.core.pinned import AddressGuardAdapter

    real = http.curl_send

    def loopback_only(session: Any, method: str, url: str, **kwargs: Any) -> Any:
        if isinstance(kwargs.get("adapter"), AddressGuardAdapter):
            return real(session, method, url, **kwargs)  # the guard opens its sockets in Python: held already
        host = urlsplit(url).hostname or ""
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise SocketConnectBlockedError(["127.0.0.0/8", "::1"], host)
        return real(session, method, url, **kwargs)

    monkeypatch.setattr(http, "curl_send", loopback_only)


@pytest.fixture(autouse=True)
def _shared_gates_cleared() -> None:
    shared_gates_clear()
    forget_lookups()  # a name looked up under one test's DNS is not another's


@pytest.fixture
def example_rolled_back(db: None) -> Callable[[], AbstractContextManager[None]]:
    """For a hypothesis test on the database: ``with example_rolled_back():`` runs one example in a
    savepoint that is rolled back after it, so every example starts from the same rows."""

    @contextmanager
    def rolled_back() -> Iterator[None]:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)

    return rolled_back


@pytest.fixture
def ignite_token() -> str:
    return settings.IGNITE_API_TOKENS[0]


@pytest.fixture
def api_client(ignite_token: str) -> APIClient:
    """A client authenticated the way SparkLayer calls the Ignite endpoints."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ignite_token}")
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def sparklayer_sandbox() -> Iterator[Any]:
    """The SparkLayer sandbox over real HTTP on loopback (``.url``, ``.app`` for its state)."""
    from sandbox.server import serve_in_thread
    from sandbox.sparklayer.app import SparkLayerSandbox

    server = serve_in_thread(SparkLayerSandbox())
    yield server
    server.stop()


@pytest.fixture
def spark(sparklayer_sandbox: Any, settings: Any) -> Any:
    """The SparkLayer sandbox, with the bridge's test-environment URL pointing at it."""
    settings.SPARKLAYER_URL_TEST = sparklayer_sandbox.url
    caches["default"].clear()  # tokens of an earlier sandbox are unknown to this one
    return sparklayer_sandbox


@pytest.fixture
def woo_store() -> Iterator[Any]:
    """A 60-product WooCommerce store (about 3 variants a variable product)."""
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox

    server = serve_in_thread(WooCommerceSandbox(products=60, customers=30, orders=15, seed=11))
    yield server
    server.stop()


@pytest.fixture
def woocommerce_sandbox() -> Iterator[Any]:
    """A small WooCommerce store over real HTTP on loopback."""
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox

    server = serve_in_thread(WooCommerceSandbox(products=30, customers=20, orders=10, seed=7))
    yield server
    server.stop()


@pytest.fixture
def stores(settings: Any, sparklayer_sandbox: Any, woocommerce_sandbox: Any) -> Stores:
    """Both sandboxes, with the bridge's SparkLayer URLs (test and live) pointing at the SparkLayer one."""
    settings.SPARKLAYER_URL_TEST = sparklayer_sandbox.url
    settings.SPARKLAYER_URL_LIVE = sparklayer_sandbox.url
    return Stores(spark=sparklayer_sandbox, woo=woocommerce_sandbox)


@pytest.fixture
def celery_worker_process(transactional_db: None) -> Iterator[WorkerProcess]:
    """A real Celery worker on this run's broker and test database (tests must commit: transactional_db)."""
    worker = WorkerProcess(worker_environment()).start()
    yield worker
    worker.stop()
