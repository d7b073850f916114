"""Code run in child processes by the multi-process token test (``spawn`` needs an importable module).

Each process builds its own client on a Redis-backed token store, as a Celery worker process
would, and runs its share of calls from several threads that all start together on a barrier
shared with the other process, to make the token stampede as likely as it can be.
"""

from __future__ import annotations

import threading
from typing import Any

from sparklayer.client import SparkLayerClient
from tests.sparklayer.helpers import RedisTokenStore


def run_calls(
    url: str, site_id: str, prefix: str, barrier: Any, process_index: int, threads: int, calls_per_thread: int
) -> None:
    """Upsert ``threads * calls_per_thread`` distinct products; raise (exit code 1) on any failure."""
    client = SparkLayerClient(url, site_id, "client-1", "secret-1", token_store=RedisTokenStore(prefix=prefix))
    failures: list[BaseException] = []

    def worker(thread_index: int) -> None:
        try:
            barrier.wait(timeout=60)
            for call in range(calls_per_thread):
                external_id = f"p-{process_index}-{thread_index}-{call}"
                client.upsert_product(
                    {"external_id": external_id, "title": external_id, "slug": external_id}, known=False
                )
        except BaseException as exc:  # noqa: BLE001 - reported to the parent through the exit code
            failures.append(exc)

    pool = [threading.Thread(target=worker, args=(index,)) for index in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if failures:
        raise failures[0]
