"""Many rows in one plain statement, without building model instances.

The bookkeeping of a full sync writes thousands of ``RecordState`` and ``PushLog`` rows a minute.
Django's ``bulk_create`` builds a model instance per row and, on PostgreSQL, sends each column as an
array (``UNNEST``), escaping every JSON value once more into the array's text form; a multi-row
``VALUES`` list instead costs a client-side parse of thousands of placeholders per statement. Here
the rows are serialised once, as one JSON document (the C encoder), and PostgreSQL unpacks it:
``INSERT ... SELECT ... FROM jsonb_to_recordset(%s)``, optionally ``ON CONFLICT ... DO UPDATE`` the
named columns. One parameter, one statement per call. PostgreSQL only: callers keep ``bulk_create``
for the embedded SQLite mode.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection as db
from django.db import models


@functools.cache
def _columns(model: type[models.Model], names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(column, SQL type) per field name (``connection_id`` or ``connection`` alike)."""
    out = []
    for name in names:
        field = model._meta.get_field(name)
        out.append((str(field.column), str(field.db_type(db))))  # type: ignore[union-attr]
    return out


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (values in the order of ``names``); with ``conflict``, update ``update`` instead.

    Values go through ``json.dumps`` (datetimes as their ISO text): what JSON cannot say exactly
    (a float's last digit aside) must not be passed."""
    if not rows:
        return
    columns = _columns(model, tuple(names))
    quote = db.ops.quote_name
    keys = [f"c{index}" for index in range(len(columns))]
    record_type = ", ".join(f"{key} {sql_type}" for key, (_column, sql_type) in zip(keys, columns, strict=True))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(column) for column, _ in columns)}) "  # noqa: S608
        f"SELECT {', '.join(keys)} FROM jsonb_to_recordset(%s::jsonb) AS v({record_type})"
    )
    if conflict:
        target = ", ".join(quote(column) for column, _ in _columns(model, tuple(conflict)))
        sets = ", ".join(f"{quote(column)} = EXCLUDED.{quote(column)}" for column, _ in _columns(model, tuple(update)))
        sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}" if sets else f" ON CONFLICT ({target}) DO NOTHING"
    document = json.dumps([dict(zip(keys, row, strict=True)) for row in rows], ensure_ascii=False, default=str)
    with db.cursor() as cursor:
        cursor.execute(sql, [document])
