"""From SparkLayer's connect call to every full sync done, through the web server and a real worker.

What a platform team sees on the day it connects a store, measured the way SparkLayer sees it: the
clock starts at ``POST /v1/test/{site}`` and stops when the last full sync the connect queued has
ended. Starts, each in its own process on loopback: the SparkLayer sandbox, the WooCommerce sandbox
(``--products N``, ``--customers N``, ``--orders N``), the bridge under gunicorn and a Celery worker
(``-Q realtime,webhooks,sync -c 4``, as ``docker-compose.yml`` runs it), on PostgreSQL (default
database ``bench_connect``, created and migrated here) and Redis (broker and cache: the slots that
cap a connection's full syncs at ``SYNC_MAX_JOBS_PER_CONNECTION`` live there). Then asks for a
products re-sync with nothing changed (``POST /v1/test/{site}/status/products``) and times it to its
end the same way.

Prints, per data type, when its job started and ended (seconds from the call that queued it) and how
long it waited for a slot of its connection (queued to started), then the totals.

    .venv/bin/python bench/connect_to_synced.py --products 5000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402
from bench.webhook_latency import (  # noqa: E402
    Processes,
    free_port,
    start_sandboxes,
    wait_http,
    wait_worker,
    worker_env,
)

SITE_ID = "bench-connect"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="connects, each from a disconnected store")
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes (prefork)")
    parser.add_argument("--timeout", type=float, default=900, help="most seconds to wait for the syncs")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_connect")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logs = Path(tempfile.mkdtemp(prefix="bench-connect-"))
    procs = Processes()
    try:
        run(args, procs, logs)
    finally:
        procs.stop_all()
    print(f"logs: {logs}", file=sys.stderr)


def run(args: argparse.Namespace, procs: Processes, logs: Path) -> None:
    spark_port, woo_port, web_port = free_port(), free_port(), free_port()
    spark, woo, web = (f"http://127.0.0.1:{p}" for p in (spark_port, woo_port, web_port))
    env = dict(os.environ)
    env.update({
        **worker_env(args.database, spark),
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.local",  # the test settings fix the public URL
        "DJANGO_DEBUG": "false",
        "IGNITE_PUBLIC_URL": web,
        "IGNITE_ALLOWED_PLATFORM_HOSTS": "127.0.0.1",
    })  # fmt: skip
    os.environ.update(env)
    py = sys.executable
    start_sandboxes(procs, env, logs, ports=(spark_port, woo_port), store=("--products", str(args.products),
                    "--customers", str(args.customers), "--orders", str(args.orders)))  # fmt: skip

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command

    fresh_database(args.database)
    call_command("migrate", verbosity=0)
    from bench.webhook_latency import _purge_broker

    _purge_broker(env["CELERY_BROKER_URL"])
    caches["default"].clear()

    web_proc = procs.start("gunicorn", [str(ROOT / ".venv/bin/gunicorn"), "ignite_bridge.wsgi", "-b",
                           f"127.0.0.1:{web_port}", "-w", "2", "--threads", "4", "--worker-class", "gthread",
                           "--log-level", "warning"], env, logs / "gunicorn.log")  # fmt: skip
    worker_name = f"bench-connect-{os.getpid()}@loopback"
    worker_proc = procs.start("celery worker", [py, "-m", "celery", "-A", "ignite_bridge", "worker",
                              "-Q", "realtime,webhooks,sync", "-c", str(args.concurrency), "-l", "INFO",
                              "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", worker_name],
                              env, logs / "worker.log")  # fmt: skip
    wait_http(f"{web}/healthz", web_proc, "gunicorn")
    wait_worker(worker_name, worker_proc, logs / "worker.log")
    headers = {"Authorization": f"Bearer {settings.IGNITE_API_TOKENS[0]}"}
    body = {"store_id": SITE_ID, "spark_api_client_id": "bench", "spark_api_client_secret": "bench-secret",
            "extra_config": {"platform": "woocommerce", "store_url": woo}}  # fmt: skip
    for round_number in range(1, args.rounds + 1):
        started = time.time()
        answer = requests.post(f"{web}/v1/test/{SITE_ID}", json=body, headers=headers, timeout=60)
        if answer.status_code == 201:  # the merchant approves the app; the store posts the keys to the callback
            approval = requests.get(answer.json()["redirect_url"], allow_redirects=False, timeout=60)
            if approval.status_code >= 400:
                raise SystemExit(f"app approval: {approval.status_code} {approval.text[:500]}")
        elif answer.status_code != 204:
            raise SystemExit(f"connect: {answer.status_code} {answer.text[:500]}")
        connect = report(wait_jobs(started, args.timeout, expect=None), started)
        connect.update({"round": round_number, "what": "connect", "products": args.products})
        print(json.dumps(connect), flush=True)

        started = time.time()
        answer = requests.post(f"{web}/v1/test/{SITE_ID}/status/products", headers=headers, timeout=60)
        if answer.status_code != 201:
            raise SystemExit(f"re-sync: {answer.status_code} {answer.text[:500]}")
        resync = report(wait_jobs(started, args.timeout, expect=1), started)
        resync.update({"round": round_number, "what": "unchanged products re-sync", "products": args.products,
                       "of_connect": round(resync["all_done"] / connect["products_done"], 2)})  # fmt: skip
        print(json.dumps(resync), flush=True)
        if round_number < args.rounds:
            requests.delete(f"{web}/v1/test/{SITE_ID}", headers=headers, timeout=60)
            wait_disconnected()


def fresh_database(url: str) -> None:
    """This benchmark's own database, dropped and made again: every run starts from nothing."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ensure_database(url)


def wait_jobs(since: float, timeout: float, *, expect: int | None) -> list[dict[str, Any]]:
    """The full syncs queued from ``since`` on, once every one has ended (``expect``: how many to wait for)."""
    from datetime import UTC, datetime

    from django.db import connection as db

    from sync.models import SyncJob

    after = datetime.fromtimestamp(since - 0.5, tz=UTC)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = list(
            SyncJob.objects.filter(created_at__gte=after, kind="full", connection__site_id=SITE_ID).values(
                "data_type", "state", "created_at", "started_at", "finished_at", "pushed", "unchanged", "attempts"
            )
        )
        if jobs and (expect is None or len(jobs) >= expect) and all(j["finished_at"] for j in jobs):
            db.close()
            return jobs
        time.sleep(0.25)  # one query a quarter second on a kept connection: next to nothing beside the sync
    raise SystemExit("the full syncs did not end in time")


def report(jobs: list[dict[str, Any]], started: float) -> dict[str, Any]:
    def at(value: Any) -> float:
        return round(value.timestamp() - started, 2)

    rows = {
        j["data_type"]: {"state": j["state"], "started": at(j["started_at"]), "ended": at(j["finished_at"]),
                         "waited_for_a_slot": round((j["started_at"] - j["created_at"]).total_seconds(), 2),
                         "pushed": j["pushed"], "unchanged": j["unchanged"]}
        for j in jobs
    }  # fmt: skip
    return {
        "all_done": max(row["ended"] for row in rows.values()),
        "products_done": rows.get("products", {}).get("ended"),
        "jobs": rows,
    }


def wait_disconnected() -> None:
    from django.db import connection as db

    from connections.models import Connection

    for _ in range(300):
        if not Connection.objects.filter(site_id=SITE_ID, state="active").exists():
            db.close()
            return
        time.sleep(0.1)
    raise SystemExit("the store did not disconnect")


if __name__ == "__main__":
    main()
