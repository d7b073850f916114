"""A connection health check without a round trip while the connection is quiet.

With ``CONN_HEALTH_CHECKS`` (production), Django checks a reused connection before the first query
of every request and every Celery task: ``SELECT 1``, a round trip to PostgreSQL, on every webhook
delivery and every customer request. A PostgreSQL connection that is idle outside a transaction
receives nothing unasked: a server that ends it (restart, ``pg_terminate_backend``, an idle
timeout) sends its error and closes the socket, which makes the socket readable. So when the
connection is idle and its socket has nothing to read, it is as usable as a ``SELECT 1`` would
find it, and nothing is sent; in every other case (something to read, a transaction open or
failed, the connection closed) Django's own ``SELECT 1`` decides, as before.

What neither check can see is the same: a server that goes away without a word (a cut network)
is found by the query that follows, and the request's error closes the connection (Django checks
it again when the request ends with an error).
"""

from __future__ import annotations

import select
from typing import Any

from psycopg.pq import TransactionStatus

#: what makes a quiet connection worth the full check: data, an error, the peer's hang-up
_ANYTHING = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def connection_quiet(connection: Any) -> bool:
    """Whether the psycopg ``connection`` is open, idle outside a transaction, and has nothing to read."""
    if connection.closed or connection.info.transaction_status != TransactionStatus.IDLE:
        return False
    try:
        poller = select.poll()  # poll, not select: no limit on the descriptor's number
        poller.register(connection.fileno(), _ANYTHING)
        return not poller.poll(0)
    except (OSError, ValueError):  # no descriptor any more
        return False


class QuietHealthCheck:
    """Mixin for a PostgreSQL ``DatabaseWrapper``: ``is_usable`` without a round trip when the
    connection is quiet (module docstring), Django's ``SELECT 1`` otherwise."""

    connection: Any

    def is_usable(self) -> bool:
        if self.connection is not None and connection_quiet(self.connection):
            return True
        return bool(super().is_usable())  # type: ignore[misc]
