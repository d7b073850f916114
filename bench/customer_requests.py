"""The bridge's own overhead on customer requests (checkout/calculate, PUT /customers), open loop.

Three processes on loopback: the WooCommerce sandbox (0 ms added latency), the bridge under
gunicorn on the production settings (2 workers x 8 threads, gthread; each worker pushes its
timings to a Redis list), and this load generator (``bench/loadgen.py``, one asyncio loop), which
fires requests at fixed times t0 + i/rate whatever the answers (no coordinated omission).

How the overhead is measured (no product code changes): the gunicorn worker loads
``application`` from this module, which wraps Django's WSGI app and patches
``WooCommerceClient.request`` in that process only, so each request's thread accumulates the
wall time spent inside platform calls (connect, send, the sandbox's work, read). For every request
the wrapper records ``server`` = time inside the WSGI app (routing, auth, DB lookup, validation,
serialisation, platform calls) and ``platform`` = the accumulated platform time; **overhead =
server - platform**. Gunicorn's HTTP parsing and the client's network time are outside both,
reported separately as the client-observed latency.

    createdb h8bench   # or let the script create it
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h8bench .venv/bin/python bench/customer_requests.py \\
        --rate 100 --seconds 30 [--append-results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform as platform_module
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, production_server_env, wait_up  # noqa: E402

SITE_ID = "bench-customer-requests"
RECORDS_KEY = "bench:customer-requests:records"
BENCH_TOKEN = "bench-token-0123456789"


# -- the instrumented app the gunicorn worker serves ---------------------------------------------


def _instrumented_app() -> Callable[..., Iterable[bytes]]:
    import django
    import redis

    django.setup()
    from django.core.wsgi import get_wsgi_application

    from platforms.woocommerce.client import WooCommerceClient

    local = threading.local()
    # Every gunicorn worker appends its records to one Redis list, read and emptied by the driver.
    records = redis.Redis.from_url(os.environ["BENCH_RECORDS_URL"])
    original = WooCommerceClient.request

    def timed_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            local.platform = getattr(local, "platform", 0.0) + time.perf_counter() - started
            local.calls = getattr(local, "calls", 0) + 1

    WooCommerceClient.request = timed_request  # type: ignore[method-assign]
    django_app = get_wsgi_application()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        local.platform, local.calls = 0.0, 0
        started = time.perf_counter()
        chunks = list(django_app(environ, start_response))
        elapsed = time.perf_counter() - started
        # recorded after the clock stopped: the bookkeeping is not charged to the bridge
        records.rpush(RECORDS_KEY, json.dumps([environ.get("PATH_INFO", ""), elapsed, local.platform, local.calls]))
        return chunks

    return app


if os.environ.get("BENCH_CUSTOMER_REQUESTS_SERVE") == "1":
    application = _instrumented_app()


# -- the driver ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, nargs="+", default=[100.0], help="one run per rate")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--database", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/h8bench")
    )
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--store-port", type=int, default=8782)
    parser.add_argument("--append-results", action="store_true", help="append a section to bench/RESULTS.md")
    args = parser.parse_args()

    env = dict(os.environ)
    env.update({
        "BENCH_RECORDS_URL": env.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14"),
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
        "DATABASE_URL": args.database,
        "CACHE_URL": env.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14"),
        "CELERY_BROKER_URL": env.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
        "LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "600",
    })  # fmt: skip
    os.environ.update(env)
    ensure_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db

    from connections.models import Connection, ConnectionState

    call_command("migrate", verbosity=0)
    store_url = f"http://127.0.0.1:{args.store_port}"
    Connection.objects.update_or_create(
        site_env="test",
        site_id=SITE_ID,
        defaults={"platform": "woocommerce", "store_id": "bench", "store_url": store_url,
                  "state": ConnectionState.ACTIVE, "storefront_secret": "bench-storefront-secret-0123456789",
                  "platform_credentials": {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}},
    )  # fmt: skip
    db.close()

    server_env = {**production_server_env(env, port=args.port, api_token=BENCH_TOKEN),
                  "BENCH_CUSTOMER_REQUESTS_SERVE": "1"}  # fmt: skip
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "sandbox.woocommerce", "--port", str(args.store_port), "--products", "200",
             "--customers", "100", "--orders", "10", "--latency-ms", "0"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True,
        ),
        subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "bench.customer_requests:application", "-b", f"127.0.0.1:{args.port}",
             "-w", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
             "--log-level", "warning", "--keep-alive", "30"],
            cwd=ROOT, env=server_env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip
    try:
        base = f"http://127.0.0.1:{args.port}/v1/test/{SITE_ID}"
        wait_up(f"{store_url}/wp-json/wc/v3/products?per_page=1", auth=("ck_sandbox", "cs_sandbox"))
        wait_up(f"http://127.0.0.1:{args.port}/healthz")
        sku = _sku(store_url)
        token = BENCH_TOKEN
        records = redis.Redis.from_url(env["BENCH_RECORDS_URL"])
        results = {}
        for rate in args.rate:
            for name, make in (("checkout/calculate", _calculate(base, sku)), ("customers", _customers(base))):
                _run(make, token, rate, args.warmup, args.port)  # warm connections and caches
                time.sleep(1)  # let the warm-up's queue drain before measuring
                records.delete(RECORDS_KEY)
                client = _run(make, token, rate, args.seconds, args.port)
                server = [json.loads(row) for row in records.lrange(RECORDS_KEY, 0, -1)]
                records.delete(RECORDS_KEY)
                results[f"{name} @ {rate:g}/s"] = _summary(client, server)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    report = {
        "rates_per_second": args.rate,
        "seconds": args.seconds,
        "machine": _machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "results": results,
    }
    print(json.dumps(report, indent=2))
    if args.append_results:
        _append_results(report, args)


def _calculate(base: str, sku: str) -> Callable[[int], tuple[str, str, dict[str, Any]]]:
    address = {"address_line1": "1 Crag Road", "city": "London", "postal_code": "EC1A 1BB", "country_code": "GB"}

    def make(i: int) -> tuple[str, str, dict[str, Any]]:
        body = {
            "cart_id": str(uuid.uuid4()),
            "customer": {"id": "cu_1", "email": "bench@example.com"},
            "currency_code": "gbp",
            "billing_address": address,
            "shipping_address": address,
            "line_items": [{"sku": sku, "quantity": 1 + i % 3, "unit_price": {"number": "12.50", "currency": "gbp"}}],
        }
        return "POST", f"{base}/checkout/calculate", body

    return make


def _customers(base: str) -> Callable[[int], tuple[str, str, dict[str, Any]]]:
    def make(i: int) -> tuple[str, str, dict[str, Any]]:
        body = {"email": f"bench-{i % 500}@example.com", "first_name": "Bench", "last_name": f"Buyer {i}",
                "price_lists": ["trade"], "customer_discount_percentage": 10, "role": "main"}  # fmt: skip
        return "PUT", f"{base}/customers", body

    return make


def _run(make: Callable[[int], tuple[str, str, dict[str, Any]]], token: str, rate: float, seconds: float,
         port: int) -> list[tuple[float, int]]:  # fmt: skip
    """Open loop (``bench/loadgen.py``): request i is sent at t0 + i/rate whatever the answers."""
    from urllib.parse import urlsplit

    from bench.loadgen import build_request, open_loop

    def raw(i: int) -> bytes:
        method, url, body = make(i)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "X-Forwarded-Proto": "https"}  # fmt: skip
        return build_request(method, urlsplit(url).path, f"127.0.0.1:{port}", json.dumps(body).encode(), headers)

    result = open_loop("127.0.0.1", port, raw, rate=rate, seconds=seconds, timeout=60)
    return [(sample.latency, sample.status) for sample in result.samples]


def _pct(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] * 1000


def _summary(client: list[tuple[float, int]], server: list[list[Any]]) -> dict[str, Any]:
    latencies = [latency for latency, _ in client]
    statuses = [status for _, status in client]
    totals = [row[1] for row in server]
    platform_times = [row[2] for row in server]
    overheads = [row[1] - row[2] for row in server]
    return {
        "requests": len(client),
        "ok": sum(1 for s in statuses if 200 <= s < 300),
        "errors": sorted({s for s in statuses if not 200 <= s < 300}),
        "platform_calls_per_request": statistics.mean(row[3] for row in server) if server else 0,
        "client_ms": {"p50": _pct(latencies, 50), "p99": _pct(latencies, 99)},
        "server_ms": {"p50": _pct(totals, 50), "p99": _pct(totals, 99)},
        "platform_ms": {"p50": _pct(platform_times, 50), "p99": _pct(platform_times, 99)},
        "overhead_ms": {"p50": _pct(overheads, 50), "p99": _pct(overheads, 99)},
    }


def _sku(store_url: str) -> str:
    products = requests.get(f"{store_url}/wp-json/wc/v3/products", params={"per_page": 100, "type": "simple"},
                            auth=("ck_sandbox", "cs_sandbox"), timeout=10).json()  # fmt: skip
    return next(p["sku"] for p in products if p["sku"] and p["status"] == "publish")


def _machine() -> str:
    return (f"{platform_module.node()} {platform_module.machine()}, {os.cpu_count()} CPU, "
            f"Python {platform_module.python_version()}")  # fmt: skip


def _append_results(report: dict[str, Any], args: argparse.Namespace) -> None:
    lines = [
        "",
        "## Customer requests: bridge overhead (bench/customer_requests.py)",
        "",
        f"Machine: {report['machine']}, PostgreSQL and Redis on loopback. Date: {report['date']}. Open loop at "
        f"{', '.join(f'{r:g}' for r in args.rate)} req/s for {args.seconds:g} s per endpoint and rate "
        f"(after a {args.warmup:g} s warm-up); the "
        "WooCommerce sandbox in its own process at 0 ms added latency; the bridge under gunicorn on the "
        f"production settings ({args.workers} workers, gthread, {args.threads} threads). "
        "Overhead = time inside the bridge's WSGI app minus time inside "
        "WooCommerce API calls (timed around `WooCommerceClient.request` in the benchmark's gunicorn workers only); "
        "client = latency seen by the load generator from each request's scheduled send time.",
        "",
        "| endpoint @ rate | requests | 2xx | platform calls/request | overhead p50 | overhead p99 | platform p50 | "
        "client p50 | client p99 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in report["results"].items():
        lines.append(
            f"| {name} | {result['requests']} | {result['ok']} | {result['platform_calls_per_request']:.1f} | "
            f"{result['overhead_ms']['p50']:.1f} ms | **{result['overhead_ms']['p99']:.1f} ms** | "
            f"{result['platform_ms']['p50']:.1f} ms | {result['client_ms']['p50']:.1f} ms | "
            f"{result['client_ms']['p99']:.1f} ms |"
        )
    lines += ["", "Target: overhead p99 < 25 ms.", "", ""]
    with (ROOT / "bench" / "RESULTS.md").open("a") as results:
        results.write("\n".join(lines))


if __name__ == "__main__":
    main()
