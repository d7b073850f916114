"""What stays up across seeds: the SparkLayer sandbox, one WooCommerce sandbox (a fresh store per
seed), a real Celery worker on every queue, and the settings that point the bridge at them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from sandbox.server import SandboxServer, serve_in_thread
from sandbox.sparklayer.app import SparkLayerSandbox
from sandbox.woocommerce.app import WooCommerceSandbox

ROOT = Path(__file__).resolve().parents[2]

#: The product's periodic thresholds, scaled down so a seed settles in seconds instead of minutes.
#: Each stays well above what one event or one page of a full sync takes on loopback; the worker
#: reads them from its environment, the in-process intake from ``process_settings``.
TUNING: dict[str, str] = {
    "WEBHOOK_SWEEP_GRACE_SECONDS": "2",
    "WEBHOOK_PROCESSING_TIMEOUT_SECONDS": "8",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOK_RETRY_MAX_DELAY_SECONDS": "3",
    "SYNC_JOB_STALE_SECONDS": "8",
    "SYNC_JOB_QUEUED_GRACE_SECONDS": "4",
    "SYNC_JOB_RETRY_BASE_SECONDS": "0.5",
    "SYNC_JOB_RETRY_MAX_SECONDS": "4",
}

StoreListener = Callable[[str, int], None]


class Worker:
    """A real ``celery worker`` on all three queues; ``kill()`` is a SIGKILL of its process group."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 2) -> None:
        self.env = env
        self.log_path = log_path
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.name = ""
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.name = f"convergence-{os.getpid()}-{self.starts}@{socket.gethostname()}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "ignite_bridge", "worker", "-Q", "realtime,webhooks,sync",
                    "-c", str(self.concurrency), "-l", "WARNING", "--without-gossip", "--without-mingle",
                    "--without-heartbeat", "-n", self.name,
                ],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the worker answers a ping (it consumes its queues from then on)."""
        from ignite_bridge.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the celery worker exited while starting; see {self.log_path}")
            if app.control.ping(destination=[self.name], timeout=0.5):
                return
        raise RuntimeError(f"the celery worker did not answer within {timeout:.0f} s; see {self.log_path}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


class Environment:
    """Both sandboxes in this process (their state is inspected and driven directly) and one worker.

    ``base_env`` is the environment a worker needs to share this process's database and broker;
    the SparkLayer URL and ``TUNING`` are added to it. Store events are passed to ``listener``
    (the current seed's webhook queue) while one is set."""

    def __init__(self, *, base_env: dict[str, str], log_dir: Path, concurrency: int = 2) -> None:
        self.base_env = base_env
        self.log_dir = log_dir
        self.concurrency = concurrency
        self.spark: SandboxServer | None = None
        self.woo: SandboxServer | None = None
        self.worker: Worker | None = None
        self.listener: StoreListener | None = None

    def start(self) -> Environment:
        from ignite_bridge.celery import app

        self.spark = serve_in_thread(SparkLayerSandbox())
        self.woo = serve_in_thread(WooCommerceSandbox(products=0, customers=0, orders=0, seed=1))
        # The harness delivers webhooks itself (with faults): the store's own delivery is switched off.
        requests.put(
            f"{self.woo.url}/_sandbox/webhook-delivery", json={"enabled": False}, timeout=10
        ).raise_for_status()
        self.woo.app.store.listeners.append(self._store_event)
        app.control.purge()  # messages an earlier run left behind would run against this one's rows
        env = {**self.base_env, **TUNING, "SPARKLAYER_URL_TEST": self.spark.url, "LOG_LEVEL": "WARNING"}
        self.worker = Worker(env, self.log_dir / f"convergence-worker-{os.getpid()}.log", self.concurrency)
        self.worker.start()
        self.worker.wait_ready()
        return self

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        for server in (self.woo, self.spark):
            if server is not None:
                server.stop()

    def process_settings(self) -> dict[str, Any]:
        """Django settings this process needs (the Ignite endpoints and the intake run here)."""
        assert self.spark is not None
        tuned = {name: int(value) if value.isdigit() else float(value) for name, value in TUNING.items()}
        return {"SPARKLAYER_URL_TEST": self.spark.url, **tuned}

    def _store_event(self, topic: str, resource_id: int) -> None:
        if self.listener is not None:
            self.listener(topic, resource_id)
