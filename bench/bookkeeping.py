"""The per-page bookkeeping of a full sync, one piece at a time: what a push-log digest and a page's
issues cost, without the sync around them.

* ``digest``: ``push_payload_digest`` of one product as the mapping makes it (four variants with
  options, prices and images; its stock and pricing rows), per write kind, in microseconds.
* ``issues``: ``issues_record`` of a page's issues (``--issues`` a call, the share a first sync of the
  sandbox catalogue finds: 593 in 5,000 products, 12 a page), in a transaction as the page commit runs
  it: first seen (opened), then seen again (refreshed), median and 10th percentile in milliseconds.
  With ``--backlog N`` the connection already has N issues of other records, a third of them resolved
  (a large store's history), so the lookups must find a page's rows among them.

Uses its own database (default ``bench_bookkeeping``, created and migrated here)::

    .venv/bin/python bench/bookkeeping.py --rounds 200
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402


def product_record() -> Any:
    from platforms.types import DataType, SyncRecord

    def variant(n: int) -> dict[str, Any]:
        return {
            "external_id": str(19195 + n), "sku": f"JKT-019195-{n}", "status": "pending", "position": n,
            "rrp": [{"price": "39.00", "currency_code": "gbp"}], "weight_in_grams": 1310,
            "cart_image_url": f"http://127.0.0.1:8001/wp-content/uploads/2024/05/variation-{19195 + n}-1.jpg",
            "options": [{"group": "Colour", "value": "Red"}, {"group": "Size", "value": "S"}],
        }  # fmt: skip

    skus = [f"JKT-019195-{n}" for n in range(1, 5)]
    return SyncRecord(
        data_type=DataType.PRODUCTS,
        external_id="19195",
        payload={
            "external_id": "19195",
            "title": "Organic Ceramic Tote Bag",
            "slug": "organic-ceramic-tote-bag-19195",
            "variants": [variant(n) for n in range(1, 5)],
        },
        platform_url="http://127.0.0.1:8001/wp-admin/post.php?post=19195&action=edit",
        visible_id="JKT-019195",
        stock=[{"sku": sku, "stock_location_external_id": "default", "stock_level": 4} for sku in skus],
        pricing=[
            {"sku": sku, "price_list_external_id": "trade", "prices": [{"quantity": 1, "price": "31.20"}]}
            for sku in skus
        ],
    )


def digest_figures(rounds: int) -> dict[str, float]:
    from sync.engine.push_payloads import push_payload_digest

    record = product_record()
    figures = {}
    for operation in ("upsert", "stock", "pricing"):
        calls = rounds * 50
        started = time.perf_counter()
        for _ in range(calls):
            push_payload_digest(record, operation)
        figures[f"{operation}_us"] = round((time.perf_counter() - started) / calls * 1e6, 1)
    return figures


def issues_figures(rounds: int, per_call: int, backlog: int) -> dict[str, float]:
    from django.db import connection as db
    from django.db import transaction

    from platforms.types import RecordIssue
    from sync.engine.issues import issues_record
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(site_id=f"bookkeeping-{time.time_ns()}")
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sync_syncissue (connection_id, data_type, external_id, visible_id, platform_url, code, "
            "message, state, first_seen_at, last_seen_at, occurrences, created_at, updated_at) "
            "SELECT %s, 'products', 'old-' || g, '', '', 'missing_sku', 'A variation has no SKU.', "
            "CASE WHEN mod(g, 3) = 0 THEN 'resolved' ELSE 'open' END, now(), now(), 1, now(), now() "
            "FROM generate_series(1, %s) AS g",
            [connection.pk, backlog],
        )
        cursor.execute("ANALYZE sync_syncissue")

    def page(n: int) -> list[RecordIssue]:
        return [
            RecordIssue(external_id=str(n * 100 + i), code="missing_sku", visible_id=f"JKT-{n}-{i}",
                        message=f"Variation {n * 100 + i} has no SKU: it cannot be priced or stocked.",
                        platform_url=f"http://127.0.0.1:8001/wp-admin/post.php?post={n * 100 + i}&action=edit")
            for i in range(per_call)
        ]  # fmt: skip

    figures = {}
    for name in ("opened", "seen_again"):
        times = []
        for n in range(rounds):
            issues = page(n)
            started = time.perf_counter()
            with transaction.atomic():
                issues_record(connection=connection, data_type="products", issues=issues)
            times.append(time.perf_counter() - started)
        figures[f"{name}_ms_median"] = round(statistics.median(times) * 1e3, 2)
        figures[f"{name}_ms_p10"] = round(statistics.quantiles(times, n=10)[0] * 1e3, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--issues", type=int, default=12, help="issues a call (a page)")
    parser.add_argument("--backlog", type=int, default=0, help="issues the connection has already")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_bookkeeping")
    args = parser.parse_args()
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test", "DATABASE_URL": args.database,
         "METRICS_ENABLED": "false"}
    )  # fmt: skip
    ensure_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        json.dumps(
            {
                "machine": platform.node(),
                "cpus": os.cpu_count(),
                "rounds": args.rounds,
                "issues_a_call": args.issues,
                "backlog": args.backlog,
                "digest": digest_figures(args.rounds),
                "issues": issues_figures(args.rounds, args.issues, args.backlog),
            }
        )
    )


if __name__ == "__main__":
    main()
