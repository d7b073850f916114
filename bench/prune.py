"""Retention at volume: prune 1,000,000 webhook events, and how long any lock is held meanwhile.

Fills its own database (default ``bench_prune``, created and migrated here) with ``--events`` finished
webhook events spread over 120 days (500-byte bodies, one attempt each), a share of them not final,
push logs over 60 days, open issues on some records, and finished jobs; then runs
``sync.scheduled.retention.retention_prune`` with the default settings (bodies 14 days, events 90,
push logs 30, 200 jobs) and reports the time per step, rows changed, and the longest single statement
(each statement is its own transaction: the longest any row lock is held). Meanwhile a probe thread
does what the intake and the workers do to the same table every 20 ms (insert an event, update a
recent one) and reports its slowest round, which would show any blocking.

    .venv/bin/python bench/prune.py --events 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402


def fill(events: int, connections: int) -> dict[str, float]:
    """Bulk rows with SQL (generate_series): what months of deliveries leave behind."""
    from django.db import connection as db

    from tests.factories import ConnectionFactory

    conns = [ConnectionFactory(site_id=f"prune-{i}").pk for i in range(connections)]
    timings: dict[str, float] = {}
    with db.cursor() as cursor:
        started = time.monotonic()
        # received_at spread evenly over 120 days; 2% not final (queued/received); record ids repeat
        cursor.execute(
            """
            INSERT INTO sync_webhookevent (connection_id, platform, topic, data_type, record_id, action, dedupe_key,
                delivery_id, headers, body, received_at, state, outcome, attempts, processed_at, last_error,
                traceback, created_at, updated_at)
            SELECT (%s::bigint[])[1 + (g %% %s)], 'woocommerce', 'product.updated', 'products',
                   (g %% 50000)::text, 'updated', md5(g::text), 'd' || g, '{"X-Request-Id": "r"}'::jsonb,
                   convert_to(repeat('x', 500), 'UTF8'),
                   now() - (g::float / %s * interval '120 days'),
                   CASE WHEN g %% 50 = 0 THEN 'queued' ELSE 'succeeded' END,
                   CASE WHEN g %% 50 = 0 THEN '' ELSE 'pushed' END, 1,
                   now() - (g::float / %s * interval '120 days'), '', '',
                   now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [conns, connections, events, events, events],
        )
        cursor.execute(
            """
            INSERT INTO sync_webhookeventattempt (event_id, number, started_at, finished_at, outcome, error,
                traceback, worker)
            SELECT id, 1, received_at, received_at, 'pushed', '', '', 'bench' FROM sync_webhookevent
            """
        )
        timings["fill_events_seconds"] = time.monotonic() - started
        started = time.monotonic()
        cursor.execute(
            """
            INSERT INTO sync_pushlog (connection_id, data_type, external_id, operation, content_hash, status, error, at)
            SELECT (%s::bigint[])[1 + (g %% %s)], 'products', (g %% 50000)::text, 'upsert', md5(g::text), 200, '',
                   now() - (g::float / %s * interval '60 days')
            FROM generate_series(1, %s) AS g
            """,
            [conns, connections, events // 4, events // 4],
        )
        # open issues on 1% of records: their events and push logs are kept whatever their age
        cursor.execute(
            """
            INSERT INTO sync_syncissue (connection_id, data_type, external_id, visible_id, platform_url, code, message,
                state, first_seen_at, last_seen_at, occurrences, created_at, updated_at)
            SELECT c, 'products', (g * 100)::text, '', '', 'missing_sku', 'no SKU', 'open', now(), now(), 1,
                   now(), now()
            FROM unnest(%s::bigint[]) AS c, generate_series(0, 499) AS g
            """,
            [conns],
        )
        cursor.execute(
            """
            INSERT INTO sync_syncjob (connection_id, data_type, kind, state, trigger, requested_by, seen, pushed,
                unchanged, issues, deleted, pages_done, checkpoint_cursor, phase, celery_task_id, claim_token,
                attempts, error, result, created_at, updated_at)
            SELECT c, 'products', 'catch_up', 'succeeded', 'schedule', '', 0, 0, 0, 0, 0, 0, '', 'pages', '', '',
                   1, '', '{}'::jsonb, now() - g * interval '15 minutes', now()
            FROM unnest(%s::bigint[]) AS c, generate_series(1, 1000) AS g
            """,
            [conns],
        )
        cursor.execute("ANALYZE")
        timings["fill_rest_seconds"] = time.monotonic() - started
    return timings


class Probe(threading.Thread):
    """The intake and a worker touching the same table meanwhile: one insert and one update a round."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.rounds: list[float] = []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as pg:
            connection_id = pg.execute("SELECT min(id) FROM connections_connection").fetchone()[0]  # type: ignore[index]
            n = 0
            while not self.stop.is_set():
                n += 1
                started = time.monotonic()
                row = pg.execute(
                    """INSERT INTO sync_webhookevent (connection_id, platform, topic, data_type, record_id, action,
                       dedupe_key, delivery_id, headers, body, received_at, state, outcome, attempts, last_error,
                       traceback, created_at, updated_at)
                       VALUES (%s, 'woocommerce', 'product.updated', 'products', '1', 'updated', %s, '', '{}', '\\x00',
                       now(), 'queued', '', 0, '', '', now(), now()) RETURNING id""",
                    [connection_id, f"probe-{time.time_ns()}-{n}"],
                ).fetchone()
                pg.execute("UPDATE sync_webhookevent SET state = 'succeeded' WHERE id = %s", [row[0]])  # type: ignore[index]
                self.rounds.append(time.monotonic() - started)
                time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_prune")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
            "DATABASE_URL": args.database,
            "RETENTION_BATCH_SIZE": str(args.batch),
            "METRICS_ENABLED": "false",
        }
    )
    ensure_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db

    call_command("flush", interactive=False, verbosity=0) if _migrated() else None
    call_command("migrate", verbosity=0)
    timings = fill(args.events, args.connections)
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('sync_webhookevent'))")
        size_before = cursor.fetchone()[0]  # type: ignore[index]

    from sync.scheduled.retention import retention_prune

    dry_started = time.monotonic()
    dry = retention_prune(dry_run=True)
    dry_seconds = time.monotonic() - dry_started
    probe = Probe()
    probe.start()
    started = time.monotonic()
    result = retention_prune()
    seconds = time.monotonic() - started
    probe.stop.set()
    probe.join()
    with db.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM sync_webhookevent GROUP BY state ORDER BY state")
        left = dict(cursor.fetchall())
    statements = sorted(result.timings)
    report = {
        "events": args.events,
        "batch": args.batch,
        **{k: round(v, 1) for k, v in timings.items()},
        "table_size_before": size_before,
        "dry_run_seconds": round(dry_seconds, 1),
        "dry_run": dry.as_dict(),
        "prune_seconds": round(seconds, 1),
        "prune": result.as_dict(),
        "statements": len(statements),
        "statement_p50_ms": round(statistics.median(statements) * 1000, 1) if statements else 0,
        "statement_p99_ms": round(statements[int(len(statements) * 0.99) - 1] * 1000, 1) if statements else 0,
        "longest_statement_ms": round(result.longest_statement * 1000, 1),
        "probe_rounds": len(probe.rounds),
        "probe_p50_ms": round(statistics.median(probe.rounds) * 1000, 2) if probe.rounds else 0,
        "probe_max_ms": round(max(probe.rounds) * 1000, 1) if probe.rounds else 0,
        "events_left_by_state": left,
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpu, load {os.getloadavg()[0]:.1f}",
    }
    print(json.dumps(report, indent=2))


def _migrated() -> bool:
    from django.db import connection as db

    return "sync_webhookevent" in db.introspection.table_names()


if __name__ == "__main__":
    main()
