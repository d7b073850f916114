"""Asking for one record to be read fresh and pushed in full, through the webhook machinery.

Some writes learn that another record's SparkLayer rows may be wrong (its stock was removed just as
it claimed the SKU). Such a record is refreshed like a webhook for it: a synthetic event is stored
(topic ``bridge.refresh``) and processed by the webhook workers, with their claim, retries,
coalescing and sweeper, but written with ``force`` (every part sent, whatever the hashes say).
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.utils import timezone

from connections.models import Connection
from sync.intake.enqueue import webhook_events_enqueue_on_commit
from sync.models import EventState, WebhookEvent

logger = logging.getLogger(__name__)

REFRESH_TOPIC = "bridge.refresh"


def record_refresh_request(*, connection: Connection, data_type: str, external_id: str, reason: str) -> WebhookEvent:
    """Store a refresh event for the record and enqueue it after the surrounding commit."""
    now = timezone.now()
    key = hashlib.sha256(f"{REFRESH_TOPIC}\n{data_type}\n{external_id}\n{time.time_ns()}".encode()).hexdigest()
    event = WebhookEvent.objects.create(
        connection=connection,
        platform=connection.platform,
        topic=REFRESH_TOPIC,
        data_type=data_type,
        record_id=external_id[:255],
        action="updated",
        dedupe_key=key,
        headers={"reason": reason[:500]},
        body=b"",
        received_at=now,
        state=EventState.RECEIVED,
    )
    webhook_events_enqueue_on_commit(event_ids=[event.pk])
    logger.info(
        "record refresh requested",
        extra={"connection": connection.pk, "data_type": data_type, "external_id": external_id, "reason": reason},
    )
    return event
