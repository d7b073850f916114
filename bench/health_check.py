"""The database health check a request or task runs before its first query: the quiet check against
Django's ``SELECT 1`` (``ignite_bridge/core/db/health.py``), on one reused PostgreSQL connection.

    .venv/bin/python bench/health_check.py [--checks 20000] [--database postgres://...]

Reports per check: the wall time, this process's CPU and the PostgreSQL backend's CPU (read from
/proc: the server must run on this machine), and whether a check sent a statement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, process_cpu_seconds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=20000)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_webhooks")
    args = parser.parse_args()
    os.environ.update({"DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test", "DATABASE_URL": args.database})
    ensure_database(args.database)
    import django

    django.setup()
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    checks = {"quiet": lambda: connection.is_usable(), "select_1": lambda: DatabaseWrapper.is_usable(connection)}
    results = {}
    for _round in range(2):  # the second round is reported: the first warms both up
        for name, check in checks.items():
            wall, cpu, server = time.perf_counter(), time.process_time(), process_cpu_seconds(backend)
            for _ in range(args.checks):
                assert check()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            server = process_cpu_seconds(backend) - server
            results[name] = {
                "wall_us": round(1e6 * wall / args.checks, 2),
                "cpu_us": round(1e6 * cpu / args.checks, 2),
                "server_cpu_us": round(1e6 * server / args.checks, 2),
            }
    print(json.dumps({"checks": args.checks, **results}))


if __name__ == "__main__":
    main()
