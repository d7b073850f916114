"""Fixtures shared by every test package: API clients, the two sandboxes, a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent


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


def shared_gates_clear() -> None:
    """Forget every SparkLayer back-off, request budget and concurrency slot kept in the cache's Redis
    (they outlive a test: a 429 in one test would pause the next test's site)."""
    from ignite_bridge.core.shared_redis import cache_redis
    from sparklayer.budget import site_budgets_forget

    site_budgets_forget()
    client = cache_redis()
    if client is None:
        return
    keys = [
        key
        for pattern in ("*sparklayer-pause:*", "*sparklayer-budget:*", "*slots:*")
        for key in client.scan_iter(match=pattern, count=500)
    ]
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _shared_gates_cleared() -> None:
    shared_gates_clear()


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


def worker_environment(**extra: str) -> dict[str, str]:
    """Environment for a worker subprocess that shares this test run's database and broker."""
    db = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "ignite_bridge.settings.test"
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or ''}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env.update(extra)
    return env


class WorkerProcess:
    """A real ``celery worker`` subprocess; ``kill()`` sends SIGKILL, ``restart()`` starts a new one."""

    def __init__(self, env: dict[str, str], queues: str = "realtime,webhooks,sync", concurrency: int = 2) -> None:
        self.env = env
        self.queues = queues
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / "var" / f"test-worker-{os.getpid()}.log"

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "ignite_bridge", "worker",
                "-Q", self.queues, "-c", str(self.concurrency), "-l", "INFO", "--without-gossip",
                "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> WorkerProcess:
        self.kill()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def celery_worker_process(transactional_db: None) -> Iterator[WorkerProcess]:
    """A real Celery worker on this run's broker and test database (tests must commit: transactional_db)."""
    worker = WorkerProcess(worker_environment()).start()
    yield worker
    worker.stop()
