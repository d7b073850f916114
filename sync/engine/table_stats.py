"""Planner statistics of the tables a full sync fills, refreshed when they are far behind.

The write path's per-page statements (``RecordState`` loads and compare-and-sets, issue lookups)
find rows through the unique (connection, data type, external id) index only when PostgreSQL knows
how many rows the connection has. A first sync creates most of those rows within minutes; until the
table is analysed again the planner believes the connection has none and may walk all of its rows
through another index on every page (measured: 25-30 ms a statement at 20k rows instead of 1.5 ms,
on a server with autovacuum off; with autovacuum on, its analyse can still lag a fast sync). So the
full sync asks, every few pages, whether a table changed a lot since its last analyse, and analyses
it then: a sampled read, a fraction of a second, blocking no reads or writes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection as db
from django.db import models

logger = logging.getLogger(__name__)

#: analyse once this many rows changed since the last analyse, and this share of the live rows
MIN_CHANGES = 2000
SHARE = 0.2


def tables_analyze_if_stale(tables: Sequence[type[models.Model]]) -> list[str]:
    """ANALYZE those of ``tables`` whose statistics are far behind; returns the tables analysed."""
    if db.vendor != "postgresql" or db.in_atomic_block:
        return []
    names = [model._meta.db_table for model in tables]
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND relname = ANY(%s)",
            [names],
        )
        stale = [
            str(name) for name, changed, live in cursor.fetchall() if changed >= MIN_CHANGES and changed >= SHARE * live
        ]
        for name in stale:
            cursor.execute(f"ANALYZE {db.ops.quote_name(name)}")
    if stale:
        logger.info("planner statistics refreshed", extra={"tables": stale})
    return stale
