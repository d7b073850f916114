"""Webhook intake under a constant arrival rate (open loop): gunicorn + PostgreSQL on this machine.

Sends signed WooCommerce-format deliveries at fixed times t0 + i/rate, whatever the answers
(``bench/loadgen.py``: one asyncio loop on keep-alive sockets fires each at its slot, so a slow
server cannot slow the arrivals: no coordinated omission). A warm-up at the same rate (default
5 s) runs first and is reported apart: a fresh server's first second includes lazy imports and
its first database connections. Reports p50/p99 latency measured from each request's *scheduled*
time, non-2xx count, events stored vs sent, and the CPU each delivery cost over the measured run: the
server's (gunicorn's processes) and the whole machine's (with PostgreSQL, Redis and the load
generator). Uses its own database (default ``bench_webhooks``), migrated here.

    .venv/bin/python bench/webhook_intake.py --rate 300 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ensure_database,
    group_cpu_seconds,
    machine_busy_seconds,
    metrics_dir,
    production_server_env,
    wait_up,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5, help="seconds at the same rate first, reported apart")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_webhooks")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--metrics", choices=("on", "off"), default="on", help="METRICS_ENABLED (on: multiprocess mode, as deployed)"
    )
    args = parser.parse_args()

    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": env.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
        "CACHE_URL": env.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"),
        "DATABASE_CONN_MAX_AGE": "600",
    })  # fmt: skip
    os.environ.update(env)
    import django

    django.setup()
    # The server runs the production settings (health-checked persistent connections, HTTPS
    # behind a proxy, INFO logs discarded here); the benchmark process uses the test settings
    # only to create its connection row.
    server_env = production_server_env(env, port=args.port, api_token="bench-token")
    server_env["METRICS_ENABLED"] = "true" if args.metrics == "on" else "false"
    server_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if args.metrics == "on":
        server_env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir(prefix="bench-metrics-")
    from django.core.management import call_command
    from django.db import connection as db

    ensure_database(args.database)
    call_command("migrate", verbosity=0, run_syncdb=True)
    from sync.models import WebhookEvent
    from tests.factories import ConnectionFactory

    WebhookEvent.objects.all().delete()
    conn = ConnectionFactory(site_id=f"bench-{int(time.time())}")
    db.close()

    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "python:ignite_bridge.gunicorn_conf", "ignite_bridge.wsgi",
         "-b", f"127.0.0.1:{args.port}",
         "-w", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning", "--keep-alive", "30"],
        cwd=ROOT, env=server_env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{args.port}/webhooks/woocommerce/{conn.uuid}/"
        wait_up(f"http://127.0.0.1:{args.port}/healthz")
        warmup = _run(url, conn.webhook_secret, args.rate, args.warmup, offset=10**6) if args.warmup else None
        stored_before = WebhookEvent.objects.filter(connection=conn).count()
        db.close()
        server_cpu, machine_busy = group_cpu_seconds(server.pid), machine_busy_seconds()
        result = _run(url, conn.webhook_secret, args.rate, args.seconds)
        server_cpu, machine_busy = group_cpu_seconds(server.pid) - server_cpu, machine_busy_seconds() - machine_busy
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stored = WebhookEvent.objects.filter(connection=conn).count()
    _purge_queue(env["CELERY_BROKER_URL"])
    result.update({"stored": stored, "workers": args.workers, "threads": args.threads, "metrics": args.metrics})
    if warmup is not None:  # a fresh server's first seconds: lazy imports, first database connections
        result["warmup"] = warmup
        warmup["stored"] = stored_before
    result["stored"] = stored - stored_before
    sent = max(1, int(result.get("sent") or 0))  # type: ignore[call-overload]
    result["server_cpu_ms_per_delivery"] = round(1000 * server_cpu / sent, 2)
    result["machine_cpu_ms_per_delivery"] = round(1000 * machine_busy / sent, 2)
    result["machine"] = f"{platform.node()} {platform.machine()} {os.cpu_count()} cpu, {platform.python_version()}"
    print(json.dumps(result, indent=2))


def _purge_queue(broker_url: str) -> None:
    """No worker runs during the benchmark: drop the processing messages it queued."""
    import redis

    redis.Redis.from_url(broker_url).delete("webhooks")


def _run(url: str, secret: str, rate: float, seconds: float, offset: int = 0) -> dict[str, object]:
    from urllib.parse import urlsplit

    from bench.loadgen import build_request, open_loop
    from platforms.woocommerce.webhooks import signature_for

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    def make(i: int) -> bytes:
        i += offset  # warm-up deliveries are distinct from the measured ones
        modified = f"2025-01-01T00:00:{i % 60:02d}"
        payload = {"id": 1000 + i % 5000, "type": "simple", "date_modified_gmt": modified, "seq": i}
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-WC-Webhook-Topic": "product.updated",
                   "X-WC-Webhook-ID": "1", "X-WC-Webhook-Delivery-ID": "same-second",
                   "X-WC-Webhook-Signature": signature_for(body, secret),
                   "X-Forwarded-Proto": "https"}  # fmt: skip
        return build_request("POST", parts.path, f"{host}:{port}", body, headers)

    result = open_loop(host, port, make, rate=rate, seconds=seconds, timeout=120)
    return {"rate": rate, "seconds": seconds, **result.summary()}


if __name__ == "__main__":
    main()
