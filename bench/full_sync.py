"""Benchmark the full sync against both sandboxes on loopback, each in its own process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sync CACHE_URL=redis://127.0.0.1:6379/8 \
    .venv/bin/python bench/full_sync.py --products 5000 20000 50000 --customers 100000

Per size: a fresh WooCommerce sandbox (``--products N``, about 3 variants each) and SparkLayer
sandbox; a full sync run in a child process (so peak RSS is per size; it freezes its start-up objects
first, as a worker process does: ``ignite_bridge/core/collector.py``);
then a re-sync with nothing changed, then one with 1% of products changed. Reports wall time,
records/s, SparkLayer calls (sandbox stats), the sync process's CPU seconds over the run (``cpu``:
its own work, which a 2-core machine shares with both sandboxes and PostgreSQL), its garbage
collections (``gc``: count and seconds per generation) and its peak RSS. The sync logs as a worker does
(``LOG_LEVEL``, ``FULL_SYNC_CALL_LOG_LEVEL``), into the captured stderr.

A store with a real store's latency, and how far the store's concurrency adapts (``PLATFORM_MAX_CONCURRENCY``):

    .venv/bin/python bench/full_sync.py --products 5000 --modes first --store-latency-ms 100 \
        --store-concurrency 4 8 [--store-max-concurrent 4]

``--store-concurrency`` runs each size once per maximum; ``--store-max-concurrent`` makes the store
answer 503 above that many requests at once. Each row reports the store concurrency the sync reached
(``store_concurrency``: its maximum, the peak and the last limit of the AIMD limiter).

A SparkLayer that refuses (503) above a number of writes at once, and how the writes settle:

    .venv/bin/python bench/full_sync.py --products 5000 --modes first --push-concurrency 8 \
        --spark-latency-ms 5 --spark-max-concurrent 3 2 0

``--spark-max-concurrent`` runs once per value (0: no limit); each row reports ``sparklayer_concurrency``
(maximum, lowest, last) and ``spark_503`` (the refusals SparkLayer answered).

Where the wall time goes: ``--timeline`` records every outbound call of the sync and reports, in
seconds from the start, when the store's page reads ended (``pages_read``), when the last SparkLayer
record write ended (``writes_end``), when the completeness phase's id listing ran (``id_listing``:
first call's start, last call's end) and the end (``end``); ``--timeline-calls FILE`` also writes
every call of the last sync run (JSON: start, end, client, method, URL, ``_fields``) for a closer look.

A store older than WooCommerce 10.3 (no cross-product ``GET /variations``: every variable product's
variations are a read of their own: ~80 reads a page of this catalogue instead of ~4):
``--store-without-variations-listing``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import connections_truncated, ensure_database  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(module: str, *args: str, ready: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}{ready}", timeout=2)
            return proc, url
        except requests.RequestException:
            time.sleep(0.5)
    raise RuntimeError(f"{module} did not start")


def spark_stats(url: str) -> dict[str, Any]:
    return requests.get(f"{url}/_sandbox/stats", timeout=30).json()["sites"].get("bench", {})


def run_child(
    data_type: str, woo: str, spark: str, mode: str, store_concurrency: int = 0, push_concurrency: int = 0,
    timeline: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """One sync in a child process (fresh RSS); ``mode``: first, unchanged, changed."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test", "SPARKLAYER_URL_TEST": spark}
    if timeline:
        env["BENCH_TIMELINE"] = "1"
    if store_concurrency:
        env["PLATFORM_MAX_CONCURRENCY"] = str(store_concurrency)
    if push_concurrency:
        env["BENCH_PUSH_CONCURRENCY"] = str(push_concurrency)
    out = subprocess.run(
        [sys.executable, __file__, "--child", data_type, woo, spark, mode],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"the {mode} sync of {data_type} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class CollectionClock:
    """A ``gc.callbacks`` entry: how many collections of each generation ran, and their seconds (the
    GIL is held throughout, so every thread of the sync waits them out)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.count[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self.started

    def report(self) -> dict[str, Any]:
        return {"collections": self.count, "seconds": [round(s, 3) for s in self.seconds]}


class CallTimeline:
    """Every outbound call of the sync: (start, end, client, method, url, ``_fields``), from the clock
    the wall time is measured by."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, float, str, str, str, str]] = []

    def install(self) -> None:
        from ignite_bridge.core import http

        transmit = http.HttpClientBase.transmit
        calls = self.calls

        def timed(client: Any, method: str, url: str, kwargs: dict[str, Any]) -> Any:
            started = time.monotonic()
            try:
                return transmit(client, method, url, kwargs)
            finally:
                params = kwargs.get("params")
                fields = str(params.get("_fields", "")) if isinstance(params, dict) else ""
                calls.append((started, time.monotonic(), type(client).__name__, method, url.split("?")[0], fields))

        http.HttpClientBase.transmit = timed  # type: ignore[method-assign]

    def report(self, started: float) -> dict[str, Any]:
        def at(value: float) -> float:
            return round(value - started, 2)

        store = [c for c in self.calls if c[2].startswith("WooCommerce")]
        pages = [c for c in store if c[5] not in ("", "id") and ("/products" in c[4] or "/variations" in c[4])]
        listed = ("/products", "/customers", "/orders")
        ids = [c for c in store if c[5] in ("id", "id,status") and c[4].endswith(listed)]
        writes = [c for c in self.calls if c[2].startswith("SparkLayer") and c[3] != "GET" and "sync-log" not in c[4]]
        dump = os.environ.get("BENCH_TIMELINE_DUMP")
        if dump:
            with open(dump, "w") as fh:
                json.dump([[at(c[0]), at(c[1]), *c[2:]] for c in self.calls], fh)
        return {
            "pages_read": at(max(c[1] for c in pages)) if pages else None,
            "writes_end": at(max(c[1] for c in writes)) if writes else None,
            "id_listing": [at(min(c[0] for c in ids)), at(max(c[1] for c in ids))] if ids else None,
            "end": at(max(c[1] for c in self.calls)) if self.calls else None,
        }


def child(data_type: str, woo: str, spark: str, mode: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    # logs as a worker logs (LOG_LEVEL, default INFO; the lines go to the captured stderr), so what they
    # cost is in the figures: ``FULL_SYNC_CALL_LOG_LEVEL=INFO`` logs every call, as before that setting
    django.setup()
    timeline = CallTimeline() if os.environ.get("BENCH_TIMELINE") else None
    if timeline is not None:
        timeline.install()
    from django.core.management import call_command

    from connections.models import Connection
    from sync.jobs.full_sync import sync_job_run
    from sync.jobs.jobs import sync_job_queue_full

    if mode == "first":
        call_command("migrate", verbosity=0)
        connections_truncated()  # a first sync starts from an empty database, not a bloated one
        Connection.objects.create(
            site_env="test", site_id="bench", platform="woocommerce", store_id="bench", store_url=woo,
            state="active", spark_client_id="id", spark_client_secret="secret",
            platform_credentials={"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}, push_concurrency=4,
        )  # fmt: skip
    connection = Connection.objects.get(site_id="bench")
    connection.store_url = woo
    connection.push_concurrency = int(os.environ.get("BENCH_PUSH_CONCURRENCY", "4"))
    connection.save()
    from django.core.cache import caches

    caches["default"].clear()
    from ignite_bridge.core.collector import gc_tune

    gc_tune("bench sync")  # as every worker process does before its first task
    job = sync_job_queue_full(connection=connection, data_type=data_type, trigger="command")
    collections = CollectionClock()
    gc.callbacks.append(collections)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    while (result := sync_job_run(job_id=job.pk)).state == "rescheduled":
        time.sleep(result.countdown)
    wall = time.monotonic() - started
    gc.callbacks.remove(collections)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    job.refresh_from_db()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "state": job.state,
                "wall": wall,
                "cpu": round(cpu, 2),  # the sync process's CPU seconds (all its threads) over ``wall``
                "gc": collections.report(),  # garbage collections during the sync, per generation
                "seen": job.seen,
                "pushed": job.pushed,
                "unchanged": job.unchanged,
                "issues": job.issues,
                "rss_mb": rss_mb,
                "store_concurrency": job.result.get("store_concurrency"),
                "sparklayer_concurrency": job.result.get("sparklayer_concurrency"),
                "error": job.error,
                **({"timeline": timeline.report(started)} if timeline is not None else {}),
            }
        )
    )


def bench_size(
    data_type: str,
    count: int,
    changed_share: float,
    *,
    modes: tuple[str, ...] = ("first", "unchanged", "changed"),
    store_args: tuple[str, ...] = (),
    store_concurrency: int = 0,
    spark_args: tuple[str, ...] = (),
    push_concurrency: int = 0,
    timeline: bool = False,
) -> list[dict[str, Any]]:
    woo_args = ["--products", str(count), "--customers", "10", "--orders", "5", *store_args]
    if data_type == "customers":
        woo_args = ["--products", "10", "--customers", str(count), "--orders", "5", *store_args]
    woo_proc, woo = start("sandbox.woocommerce", *woo_args, ready="/_sandbox/stats")
    spark_proc, spark = start("sandbox.sparklayer", *spark_args, ready="/_sandbox/stats")
    rows = []
    try:
        for mode in modes:
            if mode == "changed":
                kinds = ["product_update", "product_stock"] if data_type == "products" else ["customer_update"]
                requests.post(f"{woo}/_sandbox/mutate", json={"count": int(count * changed_share), "seed": 1,
                                                             "kinds": kinds}, timeout=600)  # fmt: skip
            before = spark_stats(spark)
            result = run_child(data_type, woo, spark, mode, store_concurrency, push_concurrency, timeline)
            after = spark_stats(spark)
            for kind in ("read", "write", "token"):
                result[f"spark_{kind}"] = after.get("by_kind", {}).get(kind, 0) - before.get("by_kind", {}).get(kind, 0)
            refused = [stats.get("by_status", {}).get("503", 0) for stats in (after, before)]
            result["spark_503"] = refused[0] - refused[1]
            result.update({"data_type": data_type, "records": count, "mode": mode, "store_args": " ".join(store_args),
                           "platform_max_concurrency": store_concurrency or "default",
                           "spark_args": " ".join(spark_args)})  # fmt: skip
            rows.append(result)
            print(json.dumps(result), flush=True)
    finally:
        for proc in (woo_proc, spark_proc):
            proc.terminate()
            proc.wait(timeout=10)
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, nargs="*", default=[5000])
    parser.add_argument("--customers", type=int, nargs="*", default=[])
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--modes", nargs="+", choices=("first", "unchanged", "changed"),
                        default=["first", "unchanged", "changed"])  # fmt: skip
    parser.add_argument("--store-latency-ms", type=float, default=0.0, help="the store answers after this long")
    parser.add_argument("--store-max-concurrent", type=int, default=0, help="> 0: the store answers 503 above this")
    parser.add_argument("--store-concurrency", type=int, nargs="*", default=[0], help="PLATFORM_MAX_CONCURRENCY runs")
    parser.add_argument("--store-without-variations-listing", action="store_true",
                        help="a store before WooCommerce 10.3: each variable product's variations a read")  # fmt: skip
    parser.add_argument("--spark-latency-ms", type=float, default=0.0, help="SparkLayer answers after this long")
    parser.add_argument("--spark-max-concurrent", type=int, nargs="*", default=[0],
                        help="> 0: SparkLayer answers 503 above this many at once (one run per value)")  # fmt: skip
    parser.add_argument("--push-concurrency", type=int, default=0, help="the connection's push concurrency (4)")
    parser.add_argument("--timeline", action="store_true", help="report when reads, writes and the id listing ended")
    parser.add_argument("--timeline-calls", default="", help="with --timeline: write every call of the last sync here")
    args = parser.parse_args()
    if args.timeline_calls:
        os.environ["BENCH_TIMELINE_DUMP"] = os.path.abspath(args.timeline_calls)
    ensure_database(os.environ.get("DATABASE_URL", ""))
    store_args: tuple[str, ...] = ()
    if args.store_latency_ms:
        store_args += ("--latency-ms", str(args.store_latency_ms))
    if args.store_max_concurrent:
        store_args += ("--max-concurrent", str(args.store_max_concurrent))
    if args.store_without_variations_listing:
        store_args += ("--no-variations-listing",)
    for concurrency in args.store_concurrency:
        for spark_limit in args.spark_max_concurrent:
            spark_args = ("--latency-ms", str(args.spark_latency_ms)) if args.spark_latency_ms else ()
            if spark_limit:
                spark_args += ("--max-concurrent", str(spark_limit))
            options = {"modes": tuple(args.modes), "store_args": store_args, "store_concurrency": concurrency,
                       "spark_args": spark_args, "push_concurrency": args.push_concurrency,
                       "timeline": args.timeline}  # fmt: skip
            for count in args.products:
                bench_size("products", count, args.changed, **options)
            for count in args.customers:
                bench_size("customers", count, args.changed, **options)


if __name__ == "__main__":
    main()
