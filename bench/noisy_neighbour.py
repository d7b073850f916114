"""Noisy neighbour: quiet stores' webhook lag while one store sends a burst, with real workers.

Starts the SparkLayer sandbox, the WooCommerce sandbox (``--products``) and one Celery worker
(``-Q webhooks``, prefork ``--concurrency``) on its own database (``bench_noisy``) and Redis databases
14/15 of ``BENCH_REDIS`` (default this machine's 6379). Creates ``--quiet`` connections plus one burst
connection, all reading the same store, each its own SparkLayer site. Events are stored and sent the
way the intake does after its signature check (``webhook_event_store``: the INSERT, then the nudge
and the task), from this process, so the two cores go to processing rather than HTTP.

Phase 1 (baseline): every quiet connection gets 1 change/s for ``--seconds``. Phase 2: the same, and
``--burst-after`` seconds in, the burst connection gets ``--burst`` changes as fast as they can be
stored. Every change names a product that connection has not pushed yet, so each event is a real read
from the store and a real SparkLayer write (a product create, its stock and prices, a sync-log report).

Lag per event = ``processed_at - received_at`` (the worker stamps ``processed_at`` right after
SparkLayer accepted the writes and the partial sync-log report). Reported: quiet p50/p95/p99 in the
baseline and, in phase 2, for quiet events received while the burst was being worked on; the burst's
drain time and rate; and the fairness counters (hand-overs). ``--unfair`` lifts the per-connection cap
and the hand-overs (``WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION`` and ``WEBHOOK_HANDOVER_*`` set huge) for
a comparison run.

    .venv/bin/python bench/noisy_neighbour.py --quiet 50 --burst 5000 --seconds 60
"""

from __future__ import annotations

import argparse
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

WOO_AUTH = ("ck_sandbox", "cs_sandbox")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def lag_stats(lags: list[float]) -> dict[str, Any]:
    return {
        "events": len(lags),
        "p50_ms": round(percentile(lags, 50) * 1000, 1),
        "p95_ms": round(percentile(lags, 95) * 1000, 1),
        "p99_ms": round(percentile(lags, 99) * 1000, 1),
        "max_ms": round(max(lags, default=0) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quiet", type=int, default=50, help="quiet connections, 1 change/s each")
    parser.add_argument("--burst", type=int, default=5000, help="changes sent at once to the burst connection")
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase's quiet load")
    parser.add_argument("--burst-after", type=float, default=5)
    parser.add_argument("--products", type=int, default=5200)
    parser.add_argument("--concurrency", type=int, default=6, help="Celery worker processes (prefork)")
    parser.add_argument("--unfair", action="store_true", help="no per-connection cap and no hand-overs")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--drain", type=float, default=600, help="max seconds to wait for the backlog")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_noisy")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logs = Path(tempfile.mkdtemp(prefix="bench-noisy-"))
    procs = Processes()
    try:
        result = run(args, procs, logs)
    finally:
        procs.stop_all()
    print(json.dumps(result, indent=2))
    print(f"logs: {logs}", file=sys.stderr)


def run(args: argparse.Namespace, procs: Processes, logs: Path) -> dict[str, Any]:
    spark_port, woo_port = free_port(), free_port()
    spark, woo = f"http://127.0.0.1:{spark_port}", f"http://127.0.0.1:{woo_port}"
    redis_base = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": f"{redis_base}/14",
        "CELERY_RESULT_BACKEND": "",
        "CACHE_URL": f"{redis_base}/15",
        "SPARKLAYER_URL_TEST": spark,
        "LOG_LEVEL": "WARNING",
        "METRICS_ENABLED": "false",
        "DATABASE_CONN_MAX_AGE": "600",
    })  # fmt: skip
    if args.unfair:
        env.update({"WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION": "100000", "WEBHOOK_HANDOVER_EVENTS": "1000000000",
                    "WEBHOOK_HANDOVER_SECONDS": "1000000"})  # fmt: skip
    os.environ.update(env)
    py = sys.executable
    spark_proc = procs.start("sparklayer", [py, "-m", "sandbox.sparklayer", "--port", str(spark_port)], env,
                             logs / "sparklayer.log")  # fmt: skip
    woo_argv = [py, "-m", "sandbox.woocommerce", "--port", str(woo_port), "--products", str(args.products),
                "--customers", "5", "--orders", "2"]  # fmt: skip
    woo_proc = procs.start("woocommerce", woo_argv, env, logs / "woocommerce.log")
    wait_http(f"{spark}/_sandbox/stats", spark_proc, "SparkLayer sandbox")
    wait_http(f"{woo}/_sandbox/stats", woo_proc, "WooCommerce sandbox")

    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection as db

    ensure_database(args.database)
    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    caches["default"].clear()

    from connections.models import Connection

    Connection.objects.all().delete()

    def connection(site_id: str) -> Connection:
        conn = Connection.objects.create(
            site_env="test", site_id=site_id, platform="woocommerce", store_id=site_id, store_url=woo,
            state="active", spark_client_id="id", spark_client_secret="secret", webhook_secret="s",
            push_concurrency=2,
        )  # fmt: skip
        conn.platform_credentials = {"consumer_key": WOO_AUTH[0], "consumer_secret": WOO_AUTH[1]}
        conn.save(update_fields=["platform_credentials"])
        return conn

    quiet = [connection(f"quiet-{i}") for i in range(args.quiet)]
    burst = connection("burst")
    listing = requests.get(f"{woo}/wp-json/wc/v3/products", params={"per_page": 100, "type": "simple"}, auth=WOO_AUTH,
                           timeout=30)  # fmt: skip
    simple = _simple_ids(woo, int(listing.headers.get("X-WP-TotalPages", "1")))
    per_phase = int(args.seconds) + 1
    if len(simple) < 2 * per_phase:
        raise SystemExit(f"the store has {len(simple)} simple products; need {2 * per_phase}: raise --products")
    db.close()

    worker_name = f"bench-noisy-{os.getpid()}@loopback"
    worker_log = logs / "worker.log"
    worker = procs.start("worker", [py, "-m", "celery", "-A", "ignite_bridge", "worker", "-Q", "webhooks", "-c",
                         str(args.concurrency), "-l", "WARNING", "--without-gossip", "--without-mingle",
                         "--without-heartbeat", "-n", worker_name], env, worker_log)  # fmt: skip
    wait_worker(worker_name, worker, worker_log)
    # warm the worker's processes (imports, store settings per connection) without measuring
    _quiet_load(quiet, simple[-5:], seconds=3, phase="warm")
    _drain(args.drain)

    result: dict[str, Any] = {
        "quiet_connections": args.quiet, "burst_changes": args.burst, "seconds": args.seconds,
        "worker_concurrency": args.concurrency, "fair": not args.unfair,
    }  # fmt: skip
    if not args.skip_baseline:
        t0 = time.time()
        _quiet_load(quiet, simple[:per_phase], seconds=args.seconds, phase="base")
        _drain(args.drain)
        result["baseline_quiet_lag"] = lag_stats(_lags(quiet_ids=[c.pk for c in quiet], since=t0))
    t1 = time.time()
    marks: dict[str, float] = {}
    burster = threading.Thread(target=_burst, args=(burst, args.burst, args.burst_after, marks), daemon=True)
    burster.start()
    _quiet_load(quiet, simple[per_phase : 2 * per_phase], seconds=args.seconds, phase="burst")
    burster.join()
    drained = _drain(args.drain)
    burst_events = _events(connection_ids=[burst.pk], since=t1)
    burst_end = max((e["processed_at"].timestamp() for e in burst_events if e["processed_at"]), default=t1)
    burst_start = min((e["received_at"].timestamp() for e in burst_events), default=t1)
    during = [e for e in _events(connection_ids=[c.pk for c in quiet], since=t1)
              if burst_start <= e["received_at"].timestamp() <= burst_end]  # fmt: skip
    result.update({
        "burst_phase_quiet_lag_during_burst": lag_stats([_lag(e) for e in during if _lag(e) is not None]),
        "burst_phase_quiet_lag_all": lag_stats(_lags(quiet_ids=[c.pk for c in quiet], since=t1)),
        "burst": {
            "stored_seconds": round(marks.get("stored", 0) - marks.get("started", 0), 1),
            "drain_seconds": round(burst_end - burst_start, 1),
            "events_per_second": round(len(burst_events) / max(0.001, burst_end - burst_start), 1),
            "finished": sum(1 for e in burst_events if e["state"] in ("succeeded", "superseded", "ignored")),
            "failed": sum(1 for e in burst_events if e["state"] == "failed"),
            "lag": lag_stats([_lag(e) for e in burst_events if _lag(e) is not None]),
        },
        "drained": drained,
        "load_average_1m_end": round(os.getloadavg()[0], 1),
    })  # fmt: skip
    return result


def _simple_ids(woo: str, pages: int) -> list[int]:
    ids: list[int] = []
    for page in range(1, pages + 1):
        rows = requests.get(f"{woo}/wp-json/wc/v3/products", params={"per_page": 100, "type": "simple", "page": page,
                            "status": "publish"}, auth=WOO_AUTH, timeout=60).json()  # fmt: skip
        ids += [row["id"] for row in rows if row.get("sku")]
    return ids


def _store(conn: Any, record_id: int, key: str) -> None:
    from platforms.types import DataType, WebhookAction, WebhookDelivery
    from sync.intake.intake import webhook_event_store

    delivery = WebhookDelivery(topic="product.updated", data_type=DataType.PRODUCTS, record_id=str(record_id),
                               action=WebhookAction.UPDATED, dedupe_key=key, delivery_id=key)  # fmt: skip
    webhook_event_store(connection=conn, delivery=delivery, body=b"{}", headers={})


def _quiet_load(quiet: list[Any], products: list[int], *, seconds: float, phase: str) -> None:
    """Open loop: connection i gets product k at t0 + k + i / len(quiet) (1 change/s each, spread evenly)."""
    t0 = time.monotonic()
    total = int(seconds) * len(quiet)
    for n in range(total):
        second, index = divmod(n, len(quiet))
        due = t0 + second + index / len(quiet)
        time.sleep(max(0.0, due - time.monotonic()))
        _store(quiet[index], products[second % len(products)], f"{phase}-{second}-{index}")


def _burst(conn: Any, count: int, after: float, marks: dict[str, float]) -> None:
    time.sleep(after)
    marks["started"] = time.time()
    for n in range(count):
        _store(conn, 1 + n, f"burst-{n}")
    marks["stored"] = time.time()


def _drain(limit: float) -> bool:
    from sync.models import WebhookEvent
    from sync.models.webhooks import PENDING_EVENT_STATES

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not WebhookEvent.objects.filter(state__in=[*PENDING_EVENT_STATES, "processing"]).exists():
            return True
        time.sleep(0.5)
    return False


def _events(*, connection_ids: list[int], since: float) -> list[dict[str, Any]]:
    from datetime import UTC, datetime

    from sync.models import WebhookEvent

    after = datetime.fromtimestamp(since, UTC)
    rows = WebhookEvent.objects.filter(connection_id__in=connection_ids, received_at__gte=after)
    return list(rows.values("received_at", "processed_at", "state"))


def _lag(event: dict[str, Any]) -> float | None:
    if event["state"] != "succeeded" or event["processed_at"] is None:
        return None
    return float((event["processed_at"] - event["received_at"]).total_seconds())


def _lags(*, quiet_ids: list[int], since: float) -> list[float]:
    return [lag for e in _events(connection_ids=quiet_ids, since=since) if (lag := _lag(e)) is not None]


if __name__ == "__main__":
    main()
