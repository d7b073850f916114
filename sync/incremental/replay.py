"""Replay: put events back in the queue on an operator's request (admin actions, management command).

A replayed event is processed like a new one: the record is fetched fresh from the platform, so
the stored (possibly stale) body is never pushed. Replaying is idempotent: an unchanged record
is not written again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from connections.models import Connection
from sync.intake.enqueue import webhook_events_enqueue_on_commit
from sync.models import EventState, WebhookEvent

logger = logging.getLogger(__name__)

#: events an operator may replay: finished ones, and ones waiting for a retry
REPLAYABLE_STATES = (EventState.FAILED, EventState.SUCCEEDED, EventState.SUPERSEDED, EventState.IGNORED,
                     EventState.QUEUED, EventState.RECEIVED)  # fmt: skip


def webhook_events_selection(
    *, connection: Connection, failed: bool = False, since: datetime | None = None
) -> QuerySet[WebhookEvent]:
    """The connection's events a replay would take: failed ones and/or those received since ``since``."""
    events = WebhookEvent.objects.filter(connection=connection, state__in=REPLAYABLE_STATES)
    if failed:
        events = events.filter(state=EventState.FAILED)
    if since is not None:
        events = events.filter(received_at__gte=since)
    return events.order_by("received_at")


def webhook_events_reprocess(
    *, events: Iterable[WebhookEvent] | QuerySet[WebhookEvent], requested_by: str = ""
) -> list[int]:
    """Reset the events to ``received`` (a new run of attempts) and queue them after commit.

    Events being processed right now are skipped (their worker owns them). Returns the ids queued."""
    ids = [event.pk for event in events]
    now = timezone.now()
    with transaction.atomic():
        queued = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, state__in=REPLAYABLE_STATES)
            .values_list("pk", flat=True)
        )
        WebhookEvent.objects.filter(pk__in=queued).update(
            state=EventState.RECEIVED,
            attempts=0,
            outcome="",
            next_attempt_at=None,
            queued_at=None,
            processed_at=None,
            superseded_by=None,
            last_error="",
            traceback="",
            updated_at=now,
        )
        webhook_events_enqueue_on_commit(event_ids=queued)
    logger.info("webhook events reprocess", extra={"count": len(queued), "requested_by": requested_by[:150]})
    return queued


def webhook_events_reprocess_failed(*, connection: Connection, requested_by: str = "") -> list[int]:
    """Every failed event of the connection (after an outage or a credentials fix)."""
    return webhook_events_reprocess(
        events=webhook_events_selection(connection=connection, failed=True), requested_by=requested_by
    )
