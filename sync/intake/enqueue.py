"""Sending stored webhook events to the ``webhooks`` queue.

The event row is the source of truth and the broker message only a nudge: a message that is lost
(crash between commit and send, broker down, worker killed) is made good by the sweeper, and a
duplicate message is harmless because processing claims the row before doing anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sync.dispatch import webhook_process_send
from sync.intake.nudge import webhook_nudge_claim
from sync.models import EventState, WebhookEvent

logger = logging.getLogger(__name__)


def webhook_event_send(*, event_id: int, countdown: float | None = None, connection_id: int | None = None) -> bool:
    """Publish one processing task now; False (logged) when the broker refused it.

    ``connection_id``: the event's connection, when the sender knows it (the task then need not look
    it up). Never raises: the event is already committed and the sweeper sends it again later."""
    try:
        webhook_process_send(event_id=event_id, countdown=countdown, connection_id=connection_id)
    except Exception:  # noqa: BLE001 - any broker failure: the sweeper re-sends from the database
        logger.warning("webhook event not enqueued; the sweeper will send it", extra={"event": event_id}, exc_info=True)
        return False
    return True


def _skip_enqueue() -> bool:
    """``WEBHOOK_SKIP_ENQUEUE``: a switch of the test settings only (absent elsewhere, so never on)."""
    return bool(getattr(settings, "WEBHOOK_SKIP_ENQUEUE", False))


def webhook_event_send_after_commit(*, event_id: int, connection_id: int) -> bool:
    """The intake's after-commit send of a row it stored already ``queued``; False when not sent.

    Within a connection's nudge window (``sync.intake.nudge``) nothing is sent: the task sent
    for an earlier event of the window goes on with this one. ``WEBHOOK_SKIP_ENQUEUE`` (tests
    only) skips the send, as a crash between commit and send would."""
    if _skip_enqueue():
        return False
    if not webhook_nudge_claim(connection_id=connection_id):
        return False
    return webhook_event_send(event_id=event_id, connection_id=connection_id)


def webhook_events_enqueue(*, event_ids: Iterable[int]) -> int:
    """Send the events' processing tasks and mark received ones ``queued``; returns how many were sent.

    ``WEBHOOK_SKIP_ENQUEUE`` (tests only) skips the send, leaving the events as a crash between
    commit and enqueue would."""
    ids = list(event_ids)
    if not ids or _skip_enqueue():
        return 0
    # Mark first: once the message lands a worker may claim the row at any moment. A send that
    # then fails leaves a "queued" row whose queued_at goes stale, which the sweeper re-sends.
    WebhookEvent.objects.filter(pk__in=ids, state=EventState.RECEIVED).update(
        state=EventState.QUEUED, queued_at=timezone.now()
    )
    return sum(1 for event_id in ids if webhook_event_send(event_id=event_id))


def webhook_events_enqueue_on_commit(*, event_ids: Iterable[int]) -> None:
    """Enqueue once the surrounding transaction commits (never from inside it)."""
    ids = list(event_ids)
    transaction.on_commit(lambda: webhook_events_enqueue(event_ids=ids))
