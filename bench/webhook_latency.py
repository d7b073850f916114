"""Event-to-SparkLayer latency of webhook-driven sync at a constant arrival rate, with a real worker.

Starts, each in its own process on loopback: the SparkLayer sandbox, the WooCommerce sandbox
(``--products N``), the bridge under gunicorn and a real Celery worker (``-Q webhooks,sync,realtime``),
on its own database (default ``bench_latency``, created and migrated here) and Redis DBs 9 (broker)
and 11 (cache). Creates an active connection, runs a full products sync inline so every product is
known, then, open loop at ``--rate`` events/s for ``--seconds``: renames a product through the
store's REST API and delivers a signed WooCommerce ``product.updated`` webhook whose body is the
product JSON the store answered (as WooCommerce would send it). Products are taken round-robin, so
one product changes at most every ``products / rate`` seconds.

Latency per event = the SparkLayer sandbox's call-log timestamp of the first accepted
``PATCH /api/v1/products/<id>`` for that product at or after the event's ``received_at`` (and no
later than the event's ``processed_at``), minus ``received_at``. Both clocks are this machine's.

    .venv/bin/python bench/webhook_latency.py --rate 20 --seconds 60
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

SITE_ID = "bench-latency"
WOO_AUTH = ("ck_sandbox", "cs_sandbox")
WEBHOOK_SECRET = "bench-latency-webhook-secret"  # a loopback benchmark's own value


class Processes:
    """Every child this benchmark starts, each in its own session so the whole group can be stopped."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
        self.children.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop on SIGTERM; killing it", file=sys.stderr)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.children.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode} while starting")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start within {timeout:.0f} s")


def worker_env(database: str, spark: str) -> dict[str, str]:
    """What a benchmark's bridge processes share: its own database, the broker and cache Redis
    (``BENCH_BROKER_URL``, ``BENCH_CACHE_URL``), the SparkLayer sandbox, a real worker."""
    return {
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
        "CELERY_RESULT_BACKEND": "",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"),
        "SPARKLAYER_URL_TEST": spark,
        "LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "600",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


def start_sandboxes(
    procs: Processes, env: dict[str, str], logs: Path, *, ports: tuple[int, int], store: tuple[str, ...]
) -> None:
    """The SparkLayer and WooCommerce sandboxes (``store``: the latter's catalogue arguments) on
    ``ports``, each in its own process; returns once both answer."""
    py = sys.executable
    spark_port, woo_port = ports
    spark = procs.start("sparklayer sandbox", [py, "-m", "sandbox.sparklayer", "--port", str(spark_port)], env,
                        logs / "sparklayer.log")  # fmt: skip
    woo = procs.start("woocommerce sandbox", [py, "-m", "sandbox.woocommerce", "--port", str(woo_port), *store], env,
                      logs / "woocommerce.log")  # fmt: skip
    wait_http(f"http://127.0.0.1:{spark_port}/_sandbox/stats", spark, "SparkLayer sandbox")
    wait_http(f"http://127.0.0.1:{woo_port}/_sandbox/stats", woo, "WooCommerce sandbox")


def wait_worker(name: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Until the worker answers a broadcast ping (it consumes its queues from then on)."""
    from ignite_bridge.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"celery worker exited with {proc.returncode} while starting; see {log}")
        if app.control.ping(destination=[name], timeout=1.0):
            return
    raise SystemExit(f"celery worker not ready within {timeout:.0f} s; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes (prefork)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of unmeasured sends first (0: none)")
    parser.add_argument("--drain", type=float, default=120, help="max seconds to wait for the backlog after sending")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_latency")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.seconds > 1800 or args.rate > 200:
        raise SystemExit("--rate must be in (0, 200] and --seconds in (0, 1800]")

    # SIGTERM becomes SystemExit, so the finally below stops the children as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    logs = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    procs = Processes()
    try:
        result = run(args, procs, logs)
    finally:
        procs.stop_all()
    print(json.dumps(result, indent=2))
    print(f"logs: {logs}", file=sys.stderr)


def run(args: argparse.Namespace, procs: Processes, logs: Path) -> dict[str, Any]:
    spark_port, woo_port, web_port = free_port(), free_port(), free_port()
    spark, woo, web = (f"http://127.0.0.1:{p}" for p in (spark_port, woo_port, web_port))
    env = dict(os.environ)
    env.update({**worker_env(args.database, spark), "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
                "WEBHOOK_SKIP_ENQUEUE": "false"})  # fmt: skip
    os.environ.update(env)
    py = sys.executable
    start_sandboxes(procs, env, logs, ports=(spark_port, woo_port), store=("--products", str(args.products),
                    "--customers", "5", "--orders", "2"))  # fmt: skip

    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection as db

    ensure_database(args.database)
    call_command("migrate", verbosity=0)
    _purge_broker(env["CELERY_BROKER_URL"])
    caches["default"].clear()  # tokens of an earlier sandbox run are worthless now

    from connections.models import Connection
    from sync.jobs.full_sync import sync_job_run
    from sync.jobs.jobs import sync_job_queue_full
    from sync.models import WebhookEvent

    Connection.objects.all().delete()  # this benchmark's own database: start from nothing
    conn = Connection.objects.create(
        site_env="test", site_id=SITE_ID, platform="woocommerce", store_id="bench-latency", store_url=woo,
        state="active", spark_client_id="id", spark_client_secret="secret", webhook_secret=WEBHOOK_SECRET,
        push_concurrency=4,
    )  # fmt: skip
    conn.platform_credentials = {"consumer_key": WOO_AUTH[0], "consumer_secret": WOO_AUTH[1]}
    conn.save(update_fields=["platform_credentials"])
    started = time.monotonic()
    job = sync_job_queue_full(connection=conn, data_type="products", trigger="command")
    while (outcome := sync_job_run(job_id=job.pk)).state == "rescheduled":
        time.sleep(outcome.countdown)
    job.refresh_from_db()
    initial = {"state": job.state, "seconds": round(time.monotonic() - started, 1), "pushed": job.pushed,
               "issues": job.issues}  # fmt: skip
    state = requests.get(f"{spark}/_sandbox/state", params={"site_id": SITE_ID, "include": "products"}, timeout=60)
    product_ids = sorted({str(p["external_id"]) for p in state.json()["products"]}, key=int)
    if not product_ids:
        raise SystemExit(f"the initial sync put no product into SparkLayer: {initial}")
    db.close()

    web_proc = procs.start("gunicorn", [str(ROOT / ".venv/bin/gunicorn"), "ignite_bridge.wsgi", "-b",
                           f"127.0.0.1:{web_port}", "-w", str(args.web_workers), "--threads", str(args.web_threads),
                           "--worker-class", "gthread", "--log-level", "warning", "--keep-alive", "30"], env,
                           logs / "gunicorn.log")  # fmt: skip
    worker_log = logs / "worker.log"
    worker_name = f"bench-latency-{os.getpid()}@loopback"
    worker_proc = procs.start("celery worker", [py, "-m", "celery", "-A", "ignite_bridge", "worker",
                              "-Q", "webhooks,sync,realtime", "-c", str(args.concurrency), "-l", "INFO",
                              "--without-gossip", "--without-mingle", "--without-heartbeat",
                              "-n", worker_name], env, worker_log)  # fmt: skip
    wait_http(f"{web}/healthz", web_proc, "gunicorn")
    wait_worker(worker_name, worker_proc, worker_log)

    url = f"{web}/webhooks/woocommerce/{conn.uuid}/"
    # Warm-up at the same rate (worker children import lazily and read the store's settings once),
    # drained, then the measured phase: its events are those received from t_start on.
    warm_sends = send_open_loop(url, woo, product_ids, args.rate, args.warmup, first=0) if args.warmup > 0 else []
    warm_drained = drain(conn.pk, args.drain)
    t_start = time.time()
    sends = send_open_loop(url, woo, product_ids, args.rate, args.seconds, first=len(warm_sends))
    t_sent = time.time()
    drained = drain(conn.pk, args.drain)
    for name, proc in (("gunicorn", web_proc), ("celery worker", worker_proc)):
        if proc.poll() is not None:
            print(f"warning: {name} exited early ({proc.returncode})", file=sys.stderr)

    calls = requests.get(f"{spark}/_sandbox/calls", params={"site_id": SITE_ID}, timeout=60).json()
    (logs / "sparklayer-calls.json").write_text(json.dumps(calls))
    events: list[dict[str, Any]] = [
        dict(row)
        for row in WebhookEvent.objects.filter(connection=conn).values(
            "pk", "record_id", "received_at", "processed_at", "processing_started_at", "state", "outcome",
            "attempts", "superseded_by_id",
        )
    ]  # fmt: skip
    warm = measure([e for e in events if e["received_at"].timestamp() < t_start], calls, warm_sends, 0.0)
    result = measure([e for e in events if e["received_at"].timestamp() >= t_start], calls, sends, t_start)
    result.update({
        "rate": args.rate, "seconds": args.seconds, "products": args.products, "products_in_sparklayer":
        len(product_ids), "worker_concurrency": args.concurrency, "web": f"{args.web_workers}x{args.web_threads}",
        "initial_sync": initial, "send_wall_s": round(t_sent - t_start, 1), "drained": drained,
        "warmup": {"seconds": args.warmup, "drained": warm_drained, **{k: warm[k] for k in (
            "sent", "events_stored", "matched", "latency_p50_ms", "latency_p95_ms", "latency_max_ms")}},
    })  # fmt: skip
    return result


def send_open_loop(
    url: str, woo: str, product_ids: list[str], rate: float, seconds: float, *, first: int
) -> list[dict[str, Any]]:
    """Rename product i and deliver its ``product.updated`` at t0 + i/rate, whatever earlier sends do.

    ``first`` continues the round-robin (and the unique names) of an earlier phase."""
    from platforms.woocommerce.webhooks import signature_for

    total = int(rate * seconds)
    local = threading.local()
    sends: list[dict[str, Any]] = []
    lock = threading.Lock()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def fire(i: int, scheduled: float) -> None:
        product_id = product_ids[i % len(product_ids)]
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        row: dict[str, Any] = {"i": i, "product": product_id, "event": None, "status": 0, "lag": 0.0}
        try:
            renamed = session().put(f"{woo}/wp-json/wc/v3/products/{product_id}", auth=WOO_AUTH,
                                    json={"name": f"Latency bench {i}"}, timeout=30)  # fmt: skip
            renamed.raise_for_status()
            body = renamed.content  # the store's own JSON bytes, as its webhook would carry them
            headers = {
                "Content-Type": "application/json", "X-WC-Webhook-Source": f"{woo}/",
                "X-WC-Webhook-Topic": "product.updated", "X-WC-Webhook-Resource": "product",
                "X-WC-Webhook-Event": "updated", "X-WC-Webhook-ID": "1",
                "X-WC-Webhook-Delivery-ID": f"bench-{i}", "X-WC-Webhook-Signature": signature_for(body, WEBHOOK_SECRET),
            }  # fmt: skip
            row["sent_at"] = time.time()
            answer = session().post(url, data=body, headers=headers, timeout=30)
            row["status"] = answer.status_code
            if answer.ok:
                row["event"] = answer.json().get("event")
        except requests.RequestException as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"[:200]
        row["lag"] = time.perf_counter() - scheduled
        with lock:
            sends.append(row)

    t0 = time.perf_counter() + 0.5
    with ThreadPoolExecutor(max_workers=64) as pool:  # enough that a slow answer never delays a send
        for i in range(total):
            scheduled = t0 + i / rate
            while time.perf_counter() < scheduled - 0.05:  # submit just ahead of each slot
                time.sleep(0.005)
            pool.submit(fire, first + i, scheduled)
    return sends


def drain(connection_id: int, timeout: float) -> bool:
    """Wait until no event of the connection is pending (received, queued or processing)."""
    from django.db import connection as db

    from sync.models import WebhookEvent
    from sync.models.webhooks import PENDING_EVENT_STATES

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = WebhookEvent.objects.filter(connection_id=connection_id, state__in=PENDING_EVENT_STATES).count()
        db.close()
        if pending == 0:
            return True
        time.sleep(0.5)
    return False


def measure(events: list[dict[str, Any]], calls: list[dict[str, Any]], sends: list[dict[str, Any]],
            t_start: float) -> dict[str, Any]:  # fmt: skip
    """Match each event to the first accepted product PATCH in [received_at, processed_at]."""
    patches: dict[str, list[float]] = {}
    for call in calls:
        accepted = 200 <= call["status"] < 300
        if accepted and call["method"] == "PATCH" and call["route"] == "/api/v1/products/{product_id}":
            patches.setdefault(call["path"].rsplit("/", 1)[1], []).append(float(call["timestamp"]))
    for stamps in patches.values():
        stamps.sort()
    by_pk = {e["pk"]: e for e in events}
    latencies: list[float] = []
    queue_waits: list[float] = []
    unmatched: dict[str, int] = {}
    for event in events:
        received = event["received_at"].timestamp()
        finisher = by_pk.get(event["superseded_by_id"]) if event["superseded_by_id"] else event
        end = finisher["processed_at"].timestamp() if finisher and finisher["processed_at"] else None
        stamps = patches.get(event["record_id"], [])
        k = bisect_left(stamps, received)
        if k < len(stamps) and (end is None or stamps[k] <= end + 0.001):
            latencies.append(stamps[k] - received)
        else:
            key = f"{event['state']}/{event['outcome'] or '-'}"
            unmatched[key] = unmatched.get(key, 0) + 1
        if event["processing_started_at"] is not None and event["attempts"] == 1:
            queue_waits.append(event["processing_started_at"].timestamp() - received)
    states: dict[str, int] = {}
    for event in events:
        key = f"{event['state']}/{event['outcome'] or '-'}"
        states[key] = states.get(key, 0) + 1
    latencies.sort()
    send_lags = sorted(s["lag"] for s in sends)
    return {
        "sent": len(sends),
        "webhook_non_2xx": sum(1 for s in sends if not 200 <= s["status"] < 300),
        "send_errors": sorted({s["error"] for s in sends if "error" in s})[:5],
        "events_stored": len(events),
        "events_failed": sum(1 for e in events if e["state"] == "failed"),
        "event_states": states,
        "matched": len(latencies),
        "unmatched_by_state": unmatched,
        "latency_p50_ms": _pct(latencies, 0.50),
        "latency_p95_ms": _pct(latencies, 0.95),
        "latency_p99_ms": _pct(latencies, 0.99),
        "latency_max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "latency_mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "queue_wait_p50_ms": _pct(sorted(queue_waits), 0.50),
        "queue_wait_p95_ms": _pct(sorted(queue_waits), 0.95),
        "rename_plus_delivery_p95_ms": _pct(send_lags, 0.95),
        "sparklayer_calls_logged": len(calls),
        "call_log_may_be_truncated": len(calls) >= 10_000 and float(calls[0]["timestamp"]) > t_start,
    }


def _pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values, in ms."""
    if not values:
        return None
    rank = max(1, min(len(values), int(-(-q * len(values) // 1))))
    return round(values[rank - 1] * 1000, 1)


def _purge_broker(broker_url: str) -> None:
    """Drop messages an earlier (interrupted) benchmark left on this broker DB: they name other rows."""
    import redis

    client = redis.Redis.from_url(broker_url)
    client.delete("webhooks", "sync", "realtime", "unacked", "unacked_index")


if __name__ == "__main__":
    main()
