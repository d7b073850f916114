"""Webhook intake under a constant arrival rate (open loop): gunicorn + PostgreSQL on this machine.

Sends signed WooCommerce-format deliveries at fixed times t0 + i/rate, whatever the answers (a
thread pool fires each at its slot, so a slow server cannot slow the arrivals: no coordinated
omission). Reports p50/p99 latency measured from each request's *scheduled* time, non-2xx count,
and events stored vs sent. Uses its own database (default ``bench_webhooks``), migrated here.

    .venv/bin/python bench/webhook_intake.py --rate 300 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_webhooks")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": env.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
        "CACHE_URL": env.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"),
        "LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "600",
    })  # fmt: skip
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db

    _ensure_database(args.database)
    call_command("migrate", verbosity=0, run_syncdb=True)
    from sync.models import WebhookEvent
    from tests.factories import ConnectionFactory

    WebhookEvent.objects.all().delete()
    conn = ConnectionFactory(site_id=f"bench-{int(time.time())}")
    db.close()

    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "ignite_bridge.wsgi", "-b", f"127.0.0.1:{args.port}",
         "-w", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning", "--keep-alive", "30"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{args.port}/webhooks/woocommerce/{conn.uuid}/"
        _wait_up(f"http://127.0.0.1:{args.port}/healthz")
        result = _run(url, conn.webhook_secret, args.rate, args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stored = WebhookEvent.objects.filter(connection=conn).count()
    _purge_queue(env["CELERY_BROKER_URL"])
    result.update({"stored": stored, "workers": args.workers, "threads": args.threads})
    result["machine"] = f"{platform.node()} {platform.machine()} {os.cpu_count()} cpu, {platform.python_version()}"
    print(json.dumps(result, indent=2))


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as pg:
        if not pg.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            pg.execute(f'CREATE DATABASE "{name}"')


def _purge_queue(broker_url: str) -> None:
    """No worker runs during the benchmark: drop the processing messages it queued."""
    import redis

    redis.Redis.from_url(broker_url).delete("webhooks")


def _wait_up(url: str) -> None:
    for _ in range(100):
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _run(url: str, secret: str, rate: float, seconds: float) -> dict[str, object]:
    from platforms.woocommerce.webhooks import signature_for

    total = int(rate * seconds)
    local = threading.local()
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def fire(i: int, scheduled: float) -> None:
        modified = f"2025-01-01T00:00:{i % 60:02d}"
        payload = {"id": 1000 + i % 5000, "type": "simple", "date_modified_gmt": modified, "seq": i}
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-WC-Webhook-Topic": "product.updated",
                   "X-WC-Webhook-ID": "1", "X-WC-Webhook-Delivery-ID": "same-second",
                   "X-WC-Webhook-Signature": signature_for(body, secret)}  # fmt: skip
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            status = session().post(url, data=body, headers=headers, timeout=30).status_code
        except requests.RequestException:
            status = 0
        elapsed = time.perf_counter() - scheduled  # from the scheduled send time: queueing counts
        with lock:
            latencies.append(elapsed)
            if not 200 <= status < 300:
                failures.append(status)

    t0 = time.perf_counter() + 0.5
    with ThreadPoolExecutor(max_workers=256) as pool:  # enough that slow answers never delay a send
        for i in range(total):
            scheduled = t0 + i / rate
            while time.perf_counter() < scheduled - 0.05:  # submit just ahead of each slot
                time.sleep(0.005)
            pool.submit(fire, i, scheduled)
    latencies.sort()
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": total,
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "non_2xx": len(failures),
        "non_2xx_statuses": sorted(set(failures)),
    }


if __name__ == "__main__":
    main()
