"""Count a webhook delivery whose signature did not verify (see ``sync/models/security.py``)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from sync.intake.sql import webhook_verification_failure_upsert

logger = logging.getLogger(__name__)


def webhook_verification_failure_record(*, connection_id: int, reason: str, at: datetime | None = None) -> None:
    """Add one to the connection's counter of the current hour (one upsert, never raises).

    The answer to the delivery (401) must not depend on this bookkeeping: a database error is
    logged and swallowed."""
    now = at or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    try:
        # A savepoint when the caller is in a transaction: a failure here must not poison it.
        with transaction.atomic():
            webhook_verification_failure_upsert(connection_id=connection_id, hour=hour, at=now, reason=reason[:200])
    except DatabaseError:
        logger.exception("could not count a webhook verification failure", extra={"connection": connection_id})
