"""Raw-SQL fast paths of the connections package: reads that the ORM's query compiler would make slower.

Every statement of this package that reads or writes rows with SQL text lives here, one function a
statement, each with a test that it returns what the ORM would (``tests/connections/test_connections_sql.py``).
The rule and its layout test: ``docs/architecture.md`` ("Raw SQL") and ``tests/test_layout.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection as db_connection

from connections.models import Connection


def connection_get_raw(
    *, where: Mapping[str, Any], exclude_state: str = "", defer: Iterable[str] = ()
) -> Connection | None:
    """One connection by equality on ``where``'s fields, read with a raw query; None if none matches.

    For the paths every request or delivery takes (webhook intake, customer requests): the ORM's
    query compiler costs more there than the query itself. Fields in ``defer`` are not read (for a
    secret, not decrypted either) and load on access. ``exclude_state`` leaves out one state."""
    skipped = frozenset(defer)
    quote = db_connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in Connection._meta.concrete_fields if f.name not in skipped)
    conditions: list[str] = []
    params: list[Any] = []
    for name, value in where.items():
        field: Any = Connection._meta.get_field(name)
        conditions.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_value(value, db_connection))
    if exclude_state:
        conditions.append(f"{quote('state')} <> %s")
        params.append(exclude_state)
    sql = f"SELECT {columns} FROM {quote(Connection._meta.db_table)} WHERE {' AND '.join(conditions)}"  # noqa: S608
    return next(iter(Connection.objects.raw(sql, params)), None)
