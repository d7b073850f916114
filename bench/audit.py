"""Benchmark the drift audit against both sandboxes on loopback, each in its own process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_audit CACHE_URL=redis://127.0.0.1:6379/8 \
    .venv/bin/python bench/audit.py --products 20000 --drift 200 --sample 200

A fresh WooCommerce sandbox (``--products N``, about 3 variants each) and SparkLayer sandbox; a full
sync fills SparkLayer; ``--drift`` product titles are then changed in SparkLayer behind the bridge's
back (the sandbox's control API); then, each in a child process (so peak RSS is per run), an audit of
every product (``sync_audit --all``, the same service, inline) and a sampled audit (the scheduled
one's cost). Reports wall time, records/s, the audit's SparkLayer reads by route (sandbox stats),
its writes (must be 0), findings, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402
from bench.full_sync import run_child as sync_child  # noqa: E402
from bench.full_sync import spark_stats, start  # noqa: E402


def peak_rss_mb() -> float:
    """This process's own peak RSS (``VmHWM``: ``ru_maxrss`` would carry the parent's peak across the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def audit_child(scope: str, sample: int) -> None:
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.core.cache import caches

    from connections.models import Connection
    from sync.models import AuditFinding
    from sync.scheduled.audits import audit_run_execute, audit_run_queue

    caches["default"].clear()
    connection = Connection.objects.get(site_id="bench")
    run = audit_run_queue(
        connection=connection, data_type="products", scope=scope, sample_size=sample or None, trigger="command"
    )
    started = time.monotonic()
    while (outcome := audit_run_execute(run_id=run.pk)).state in ("paused", "busy"):
        time.sleep(outcome.countdown)
    wall = time.monotonic() - started
    run.refresh_from_db()
    print(
        json.dumps(
            {
                "state": run.state,
                "error": run.error,
                "wall": wall,
                "checked": run.checked,
                "equal": run.equal,
                "differing": run.differing,
                "missing": run.missing,
                "extra": run.extra,
                "unmappable": run.unmappable,
                "findings": AuditFinding.objects.filter(run=run).count(),
                "reads_counted": run.reads,
                "pauses": run.pauses,
                "rss_mb": peak_rss_mb(),
            }
        )
    )


def run_audit(spark: str, scope: str, sample: int) -> dict[str, Any]:
    import subprocess

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test", "SPARKLAYER_URL_TEST": spark}
    before = spark_stats(spark)
    out = subprocess.run(
        [sys.executable, __file__, "--child", scope, str(sample)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"the {scope} audit failed:\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    after = spark_stats(spark)
    for kind in ("read", "write", "token"):
        result[f"spark_{kind}"] = after.get("by_kind", {}).get(kind, 0) - before.get("by_kind", {}).get(kind, 0)
    routes = after.get("by_route", {})
    result["reads_by_route"] = {
        route: count - before.get("by_route", {}).get(route, 0)
        for route, count in routes.items()
        if count - before.get("by_route", {}).get(route, 0) and not route.startswith(("PUT", "PATCH", "DELETE"))
    }
    result["scope"] = scope
    return result


def drift(spark: str, count: int) -> list[str]:
    """Change ``count`` product titles in SparkLayer directly; returns their external ids."""
    state = requests.get(f"{spark}/_sandbox/state", params={"site_id": "bench", "include": "products"}, timeout=600)
    ids = sorted((p["external_id"] for p in state.json()["products"]), key=int)
    step = max(1, len(ids) // max(count, 1))
    chosen = ids[::step][:count]
    for external_id in chosen:
        requests.patch(
            f"{spark}/_sandbox/sites/bench/products/{external_id}", json={"title": "Changed in SparkLayer"}, timeout=30
        ).raise_for_status()
    return chosen


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        audit_child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--drift", type=int, default=200, help="product titles changed in SparkLayer")
    parser.add_argument("--sample", type=int, default=200, help="records of the sampled audit")
    args = parser.parse_args()
    ensure_database(os.environ.get("DATABASE_URL", ""))
    woo_args = ["--products", str(args.products), "--customers", "10", "--orders", "5"]
    woo_proc, woo = start("sandbox.woocommerce", *woo_args, ready="/_sandbox/stats")
    spark_proc, spark = start("sandbox.sparklayer", ready="/_sandbox/stats")
    try:
        synced = sync_child("products", woo, spark, "first")
        print(json.dumps({"full_sync": synced}), flush=True)
        changed = drift(spark, args.drift)
        print(json.dumps({"drift": len(changed)}), flush=True)
        for scope, sample in (("all", 0), ("sample", args.sample)):
            result = run_audit(spark, scope, sample)
            print(json.dumps(result), flush=True)
    finally:
        for proc in (woo_proc, spark_proc):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
