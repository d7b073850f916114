"""One SparkLayer budget per site: a full sync, webhooks and calls a buyer waits for, all at once.

Starts the SparkLayer sandbox limited to ``--limit`` calls per rolling second per site (beyond it: 429
with ``Retry-After: 1``, like a rate-limited API), the WooCommerce sandbox (``--products``) and one
Celery worker (``-Q sync,webhooks``, prefork ``--concurrency``), on its own database (``bench_budget``)
and Redis databases 12/13 of ``BENCH_REDIS`` (default this machine's 6379). Then, for ``--seconds``:

* a full products sync of the store (the ``sync`` queue, push concurrency 4);
* webhook events at ``--webhook-rate``/s (stored and sent as the intake does, without its HTTP);
* interactive SparkLayer calls at ``--interactive-rate``/s from this process (``GET /api/v1/products/{id}``
  through the site's gate with interactive priority): their time waiting for the gate and in all.

Run once with the bridge's budget at ``--limit`` (``SPARKLAYER_MAX_RPS_PER_SITE``) and once without
(``--compare``: budget 0, only the shared 429 back-off), reporting per run: calls SparkLayer saw, the most
in any one second (from the sandbox's own call log), 429s, what got written, and the interactive calls'
wait and latency percentiles.

    .venv/bin/python bench/shared_budget.py --limit 20 --seconds 60 --compare
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402
from bench.webhook_latency import Processes, free_port, wait_http, wait_worker  # noqa: E402

SITE_ID = "bench-budget"
WOO_AUTH = ("ck_sandbox", "cs_sandbox")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def run_once(args: argparse.Namespace, budget: float, logs: Path) -> dict[str, Any]:
    procs = Processes()
    try:
        return _run(args, budget, procs, logs)
    finally:
        procs.stop_all()


def _run(args: argparse.Namespace, budget: float, procs: Processes, logs: Path) -> dict[str, Any]:
    spark_port, woo_port = free_port(), free_port()
    spark, woo = f"http://127.0.0.1:{spark_port}", f"http://127.0.0.1:{woo_port}"
    redis_base = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": f"{redis_base}/12",
        "CELERY_RESULT_BACKEND": "",
        "CACHE_URL": f"{redis_base}/13",
        "SPARKLAYER_URL_TEST": spark,
        "SPARKLAYER_MAX_RPS_PER_SITE": str(budget),
        "LOG_LEVEL": "WARNING",
        "METRICS_ENABLED": "false",
    })  # fmt: skip
    os.environ.update(env)
    py = sys.executable
    spark_proc = procs.start("sparklayer", [py, "-m", "sandbox.sparklayer", "--port", str(spark_port), "--rate-limit",
                             str(args.limit)], env, logs / f"sparklayer-{budget}.log")  # fmt: skip
    woo_proc = procs.start("woocommerce", [py, "-m", "sandbox.woocommerce", "--port", str(woo_port), "--products",
                           str(args.products), "--customers", "5", "--orders", "2"], env,
                           logs / f"woocommerce-{budget}.log")  # fmt: skip
    wait_http(f"{spark}/_sandbox/stats", spark_proc, "SparkLayer sandbox")
    wait_http(f"{woo}/_sandbox/stats", woo_proc, "WooCommerce sandbox")

    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection as db

    settings.SPARKLAYER_URL_TEST = spark
    settings.SPARKLAYER_MAX_RPS_PER_SITE = budget
    ensure_database(args.database)
    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    caches["default"].clear()

    from connections.clients import sparklayer_client_for
    from connections.models import Connection
    from ignite_bridge.core.errors import PermanentError
    from platforms.types import DataType, WebhookAction, WebhookDelivery
    from sparklayer.budget import INTERACTIVE
    from sync.intake.intake import webhook_event_store
    from sync.jobs.jobs import sync_job_queue_full, sync_jobs_cancel
    from sync.models import SyncJob, WebhookEvent

    Connection.objects.all().delete()
    conn = Connection.objects.create(
        site_env="test", site_id=SITE_ID, platform="woocommerce", store_id="bench-budget", store_url=woo,
        state="active", spark_client_id="id", spark_client_secret="secret", webhook_secret="s", push_concurrency=4,
    )  # fmt: skip
    conn.platform_credentials = {"consumer_key": WOO_AUTH[0], "consumer_secret": WOO_AUTH[1]}
    conn.save(update_fields=["platform_credentials"])
    db.close()
    product_ids: list[int] = []
    for page in range(1, 4):  # the webhooks name real products (the store's ids do not start at 1)
        rows = requests.get(f"{woo}/wp-json/wc/v3/products", params={"per_page": 100, "page": page}, auth=WOO_AUTH,
                            timeout=60).json()  # fmt: skip
        product_ids += [row["id"] for row in rows]

    worker_name = f"bench-budget-{os.getpid()}-{int(budget)}@loopback"
    worker_log = logs / f"worker-{budget}.log"
    worker = procs.start("worker", [py, "-m", "celery", "-A", "ignite_bridge", "worker", "-Q", "sync,webhooks",
                         "-c", str(args.concurrency), "-l", "WARNING", "--without-gossip", "--without-mingle",
                         "--without-heartbeat", "-n", worker_name], env, worker_log)  # fmt: skip
    wait_worker(worker_name, worker, worker_log)

    client = sparklayer_client_for(site_env="test", site_id=SITE_ID, client_id="id", client_secret="secret",
                                   interactive=True)  # fmt: skip
    gate, client.budget = client.budget, None  # this process times the gate itself, then sends
    client.tokens.get()  # the token is cached before the measured calls
    started = time.time()
    job = sync_job_queue_full(connection=conn, data_type="products", trigger="command")
    stop = threading.Event()
    interactive: list[tuple[float, float]] = []  # (wait, total) seconds

    def buyer() -> None:
        n = 0
        next_at = time.monotonic()
        while not stop.is_set():
            next_at += 1 / args.interactive_rate
            time.sleep(max(0.0, next_at - time.monotonic()))
            n += 1
            began = time.monotonic()
            assert gate is not None
            gate.wait_turn(priority=INTERACTIVE)
            waited = time.monotonic() - began
            with contextlib.suppress(PermanentError):
                client.get_product(str(n))
            interactive.append((waited, time.monotonic() - began))

    buyers = threading.Thread(target=buyer, daemon=True)
    buyers.start()
    sent = 0
    next_at = time.monotonic()
    deadline = next_at + args.seconds
    while time.monotonic() < deadline:
        next_at += 1 / args.webhook_rate
        time.sleep(max(0.0, next_at - time.monotonic()))
        sent += 1
        delivery = WebhookDelivery(
            topic="product.updated", data_type=DataType.PRODUCTS, record_id=str(product_ids[sent % len(product_ids)]),
            action=WebhookAction.UPDATED, dedupe_key=f"budget-{budget}-{sent}", delivery_id=str(sent),
        )  # fmt: skip
        webhook_event_store(connection=conn, delivery=delivery, body=b"{}", headers={})
    stop.set()
    buyers.join(timeout=10)
    ended = time.time()
    sync_jobs_cancel(connection=conn, reason="benchmark over")
    job.refresh_from_db()

    calls = [
        c
        for c in requests.get(f"{spark}/_sandbox/calls", params={"site_id": SITE_ID}, timeout=60).json()
        if started <= c["timestamp"] <= ended
    ]
    events = WebhookEvent.objects.filter(connection=conn)
    waits = [w for w, _ in interactive]
    totals = [t for _, t in interactive]
    return {
        "budget_rps": budget,
        "sandbox_limit_rps": args.limit,
        "seconds": args.seconds,
        "calls_seen": len(calls),
        "calls_per_second": round(len(calls) / args.seconds, 1),
        "busiest_second": busiest_second([c["timestamp"] for c in calls]),
        "answered_429": sum(1 for c in calls if c["status"] == 429),
        "accepted_writes": sum(1 for c in calls if c["status"] < 400 and c["method"] != "GET"),
        "full_sync": {"seen": job.seen, "pushed": job.pushed, "state": job.state},
        "webhooks": {
            "sent": sent,
            "finished": events.filter(state__in=("succeeded", "superseded", "ignored")).count(),
            "failed": events.filter(state="failed").count(),
        },
        "interactive": {
            "calls": len(interactive),
            "wait_p50_ms": round(percentile(waits, 50) * 1000, 1),
            "wait_p99_ms": round(percentile(waits, 99) * 1000, 1),
            "latency_p50_ms": round(percentile(totals, 50) * 1000, 1),
            "latency_p99_ms": round(percentile(totals, 99) * 1000, 1),
            "latency_max_ms": round(max(totals, default=0) * 1000, 1),
        },
        "full_sync_job": SyncJob.objects.filter(pk=job.pk).values_list("state", flat=True).first(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=20, help="SparkLayer's (the sandbox's) calls/s per site")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--products", type=int, default=800)
    parser.add_argument("--webhook-rate", type=float, default=4)
    parser.add_argument("--interactive-rate", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--compare", action="store_true", help="also run without the bridge's budget")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_budget")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logs = Path(tempfile.mkdtemp(prefix="bench-budget-"))
    results = [run_once(args, args.limit, logs)]
    if args.compare:
        results.append(run_once(args, 0.0, logs))
    print(json.dumps({"runs": results, "load": round(os.getloadavg()[0], 1)}, indent=2))
    print(f"logs: {logs}", file=sys.stderr)


if __name__ == "__main__":
    main()
