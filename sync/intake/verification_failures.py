"""Count a webhook delivery whose signature did not verify (see ``sync/models/security.py``)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from sync.models import WebhookVerificationFailure

logger = logging.getLogger(__name__)


def webhook_verification_failure_record(*, connection_id: int, reason: str, at: datetime | None = None) -> None:
    """Add one to the connection's counter of the current hour (one upsert, never raises).

    The answer to the delivery (401) must not depend on this bookkeeping: a database error is
    logged and swallowed."""
    now = at or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    table = db_connection.ops.quote_name(WebhookVerificationFailure._meta.db_table)
    sql = (
        f"INSERT INTO {table} (connection_id, hour, count, last_at, last_reason) "  # noqa: S608
        "VALUES (%s, %s, 1, %s, %s) ON CONFLICT (connection_id, hour) DO UPDATE SET "
        "count = " + table + ".count + 1, last_at = EXCLUDED.last_at, last_reason = EXCLUDED.last_reason"
    )
    try:
        # A savepoint when the caller is in a transaction: a failure here must not poison it.
        with transaction.atomic(), db_connection.cursor() as cursor:
            cursor.execute(sql, [connection_id, hour, now, reason[:200]])
    except DatabaseError:
        logger.exception("could not count a webhook verification failure", extra={"connection": connection_id})
