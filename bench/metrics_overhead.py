"""Metrics overhead on the webhook intake: p99 at a constant rate with metrics on vs off, side by side.

Runs ``bench/webhook_intake.py`` (gunicorn on the production settings, open-loop load, its own
database) alternately with ``--metrics off`` and ``--metrics on`` (multiprocess mode, as deployed:
django-prometheus request and database metrics plus the product counters), ``--rounds`` times each,
so drifting machine load hits both alike. Reports every run and the median p50/p99 per mode.

Open-loop p99 on a shared 2-core machine mostly measures the neighbours, so ``--cost N`` also measures
what metrics cost one delivery directly: N deliveries through the intake view in one process (Django's
test client, no HTTP server, no enqueue), CPU time per delivery, alternately off and on.

    .venv/bin/python bench/metrics_overhead.py --rate 300 --seconds 30 --rounds 2 --cost 3000
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_webhooks")
    parser.add_argument("--cost", type=int, default=0, help="also: CPU per delivery over this many, in-process")
    parser.add_argument("--cost-run", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cost_run:
        cost_run(args.cost_run, args.cost, args.database)
        return
    runs = []
    for round_number in range(args.rounds):
        for mode in ("off", "on"):
            command = [sys.executable, str(ROOT / "bench/webhook_intake.py"), "--rate", str(args.rate),
                       "--seconds", str(args.seconds), "--metrics", mode, "--port", str(free_port()),
                       "--database", args.database]  # fmt: skip
            output = subprocess.run(command, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=True)
            result = json.loads(output.stdout[output.stdout.index("{") :])
            result["round"] = round_number + 1
            result["load_after"] = round(os.getloadavg()[0], 1)
            runs.append(result)
            print(json.dumps({k: result[k] for k in ("round", "metrics", "sent", "stored", "non_2xx", "p50_ms",
                                                      "p99_ms", "max_ms", "load_after")}), flush=True)  # fmt: skip
    summary = {}
    for mode in ("off", "on"):
        mine = [r for r in runs if r["metrics"] == mode]
        summary[mode] = {
            "p50_ms_median": statistics.median(r["p50_ms"] for r in mine),
            "p99_ms_median": statistics.median(r["p99_ms"] for r in mine),
            "p99_ms_runs": [r["p99_ms"] for r in mine],
        }
    summary["p99_difference"] = round(summary["on"]["p99_ms_median"] / summary["off"]["p99_ms_median"] - 1, 3)
    if args.cost:
        costs = []
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                command = [sys.executable, str(ROOT / "bench/metrics_overhead.py"), "--cost-run", mode, "--cost",
                           str(args.cost), "--database", args.database]  # fmt: skip
                output = subprocess.run(command, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                                        check=True)  # fmt: skip
                costs.append(json.loads(output.stdout.strip().splitlines()[-1]))
                print(json.dumps(costs[-1]), flush=True)
        for mode in ("off", "on"):
            summary[f"cpu_per_delivery_ms_{mode}"] = statistics.median(c["cpu_ms"] for c in costs if c["mode"] == mode)
        summary["cpu_difference"] = round(summary["cpu_per_delivery_ms_on"] / summary["cpu_per_delivery_ms_off"] - 1, 3)
    print(json.dumps(summary, indent=2))


def cost_run(mode: str, count: int, database: str) -> None:
    """In this process: ``count`` signed deliveries through the intake view; CPU time per delivery."""
    import time

    sys.path.insert(0, str(ROOT))
    from bench.common import metrics_dir

    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test", "DATABASE_URL": database, "LOG_LEVEL": "WARNING",
        "METRICS_ENABLED": "true" if mode == "on" else "false", "WEBHOOK_SKIP_ENQUEUE": "true",
    })  # fmt: skip
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if mode == "on":
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir(prefix="bench-metrics-cost-")
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.test import Client

    from platforms.woocommerce.webhooks import signature_for
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(site_id=f"cost-{os.getpid()}")
    client, url = Client(), f"/webhooks/woocommerce/{connection.uuid}/"
    warmup = min(200, count // 5)
    cpu_started = 0.0
    for i in range(count + warmup):
        if i == warmup:
            cpu_started = time.process_time()
        body = json.dumps({"id": 1000 + i, "type": "simple", "seq": i}).encode()
        headers = {"HTTP_X_WC_WEBHOOK_TOPIC": "product.updated", "HTTP_X_WC_WEBHOOK_ID": "1",
                   "HTTP_X_WC_WEBHOOK_DELIVERY_ID": f"d{i}",
                   "HTTP_X_WC_WEBHOOK_SIGNATURE": signature_for(body, connection.webhook_secret)}  # fmt: skip
        assert client.post(url, data=body, content_type="application/json", **headers).status_code == 200
    cpu = time.process_time() - cpu_started
    print(json.dumps({"mode": mode, "deliveries": count, "cpu_ms": round(cpu / count * 1000, 3)}))


if __name__ == "__main__":
    main()
