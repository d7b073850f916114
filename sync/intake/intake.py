"""The platform's inbound HTTP: ``POST /webhooks/<platform>/<connection uuid>/``.

A plain Django view on the raw body (the signature covers exactly those bytes; nothing may
re-parse or re-serialise it first). Order of the guards, each one rejecting with nothing stored:

1. size (``Content-Length`` and the bytes actually read) → 413;
2. the connection (unknown, removed, or another platform's) → 404;
3. the platform adapter's signature check → 401, counted per connection and hour for the
   dashboard (``sync/intake/verification_failures.py``); a ping/handshake → 200.

Then the event is stored and **committed** before the 2xx, and its processing task is sent after
the commit. A repeat of a delivery (same adapter-derived dedupe key, within
``WEBHOOK_DEDUPE_WINDOW_SECONDS``) answers 200 and is stored and processed once, unless the first
copy was read before the change the repeat may carry (``delivery_is_repeat``). The answer never
waits on SparkLayer or the platform.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connections.clients import connection_webhook_source
from connections.models import Connection, ConnectionState
from connections.sql import connection_get_raw
from ignite_bridge.core import metrics
from ignite_bridge.core.problems import problem_response
from ignite_bridge.core.process_cache import ProcessCache
from platforms.base import PlatformCapabilityMissing, WebhookPayloadInvalid, WebhookVerificationError
from platforms.types import WebhookDelivery
from sync.intake.enqueue import webhook_event_send_after_commit
from sync.intake.sql import webhook_event_insert
from sync.intake.verification_failures import webhook_verification_failure_record
from sync.models import EventState, WebhookEvent
from sync.models.webhooks import PENDING_EVENT_STATES

logger = logging.getLogger(__name__)

#: headers never stored: credentials and session cookies a proxy might forward
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"})


def headers_to_store(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers as evidence, without anything that authenticates a caller."""
    return {name: str(value) for name, value in headers.items() if name.lower() not in SECRET_HEADERS}


#: what the intake does not need of a connection: it reads the adapter's constructor arguments,
#: the signature secret and the ids an event row needs; the other secrets are not even decrypted
_UNUSED_FIELDS = frozenset({"spark_client_id", "spark_client_secret", "storefront_secret"})


def webhook_connection_for(*, platform: str, connection_uuid: Any, fresh: bool = False) -> Connection | None:
    """The connection a delivery URL names, or None (unknown, removed, or a different platform).

    One raw query on the unique ``uuid`` (``connections.sql.connection_get_raw``), as every delivery
    takes this path, without the secrets the intake does not use. A found connection is kept
    for ``WEBHOOK_CONNECTION_CACHE_SECONDS`` in this process (``fresh`` skips that); what can go
    stale is re-checked where it matters: the event's INSERT only happens while the connection
    exists and is not removed, and a signature that fails is checked again against a fresh secret."""
    key = (platform, str(connection_uuid))
    if not fresh:
        cached = _receivers.get(key)  # None when WEBHOOK_CONNECTION_CACHE_SECONDS is 0
        if cached is not None:
            return cached
    connection = connection_get_raw(
        where={"uuid": connection_uuid, "platform": platform},
        exclude_state=ConnectionState.REMOVED.value,
        defer=_UNUSED_FIELDS,
    )
    if connection is None:
        _receivers.pop(key)
    else:
        _receivers.set(key, connection)  # keeps nothing when WEBHOOK_CONNECTION_CACHE_SECONDS is 0
    return connection


#: (platform, uuid) -> connection for this process; read-only objects, so threads share them
_receivers: ProcessCache[tuple[str, str], Connection] = ProcessCache(
    name="webhook receivers", ttl=lambda: settings.WEBHOOK_CONNECTION_CACHE_SECONDS, max_entries=4096
)


#: a delivery equal to a stored one that was processed too early to have seen its change is
#: stored again under a key derived from the first one's; this bounds that chain
MAX_KEY_CHAIN = 8
#: how long after the second its delivery id names a read must start to have seen that second's changes
REPEAT_SAFETY = timedelta(seconds=2)


def delivery_is_repeat(existing: WebhookEvent, *, now: datetime, message_key: bool = False) -> bool:
    """Whether a delivery with ``existing``'s dedupe key, arriving ``now``, needs no processing of its own.

    The same key means the same delivery id and body, so the same second and the same state; but
    an A-B-A change inside that second sends the same bytes twice. The later one is only a repeat
    if ``existing`` is still waiting (its read will come after both) or its read started late
    enough to see everything of that second. Keys are remembered ``WEBHOOK_DEDUPE_WINDOW_SECONDS``:
    an older delivery with the same key is a new change. A repeat processed again costs a read and
    writes nothing (the content hash); a change taken for a repeat would be lost. A ``message_key``
    (the platform's id of one message) makes every repeat within the window a retry."""
    if existing.received_at < now - timedelta(seconds=settings.WEBHOOK_DEDUPE_WINDOW_SECONDS):
        return False
    if message_key or existing.state in PENDING_EVENT_STATES:
        return True  # a retry of one message, or its first copy is still to be read
    started = existing.processing_started_at or existing.processed_at
    return started is not None and started >= existing.received_at + REPEAT_SAFETY


def _chained_key(key: str, existing_id: int) -> str:
    return hashlib.sha256(f"{key}:{existing_id}".encode()).hexdigest()


def webhook_event_store(
    *, connection: Connection, delivery: WebhookDelivery, body: bytes, headers: Mapping[str, str]
) -> tuple[WebhookEvent, bool] | None:
    """Store a verified delivery; returns ``(event, created)``, or None when the connection is
    gone or removed (nothing stored). A repeat of a stored delivery (same ``(connection,
    dedupe_key)``, a database constraint) is not stored again and not enqueued again.

    The processing task is sent after the commit; if that send never happens (crash, broker down)
    the sweeper sends it."""
    now = timezone.now()
    event = WebhookEvent(
        connection=connection,
        platform=connection.platform,
        topic=delivery.topic[:64],
        data_type=str(delivery.data_type),
        record_id=delivery.record_id[:255],
        action=str(delivery.action),
        dedupe_key=delivery.dedupe_key[:64],
        delivery_id=delivery.delivery_id[:128],
        headers=headers_to_store(headers),
        body=body,
        occurred_at=delivery.occurred_at,
        received_at=now,
        # Queued in the same INSERT (one commit per delivery, not two): the send follows the
        # commit, and if it never happens the row's queued_at goes stale and the sweeper sends it.
        state=EventState.QUEUED,
        queued_at=now,
    )
    event_id = None
    for _ in range(MAX_KEY_CHAIN):
        event_id = webhook_event_insert(event=event)
        if event_id is not None:
            break
        if webhook_connection_for(platform=connection.platform, connection_uuid=connection.uuid, fresh=True) is None:
            return None
        existing = WebhookEvent.objects.filter(connection=connection, dedupe_key=event.dedupe_key).first()
        if existing is None:  # pruned meanwhile: insert again
            continue
        if delivery_is_repeat(existing, now=now, message_key=delivery.message_key):
            return existing, False
        event.dedupe_key = _chained_key(event.dedupe_key, existing.pk)
    if event_id is None:
        raise RuntimeError("webhook delivery could not be stored: dedupe key chain exhausted")
    event.pk = event_id
    event._state.adding = False
    # Runs at once in autocommit mode (the INSERT is committed), or after the caller's transaction.
    connection_id = connection.pk
    transaction.on_commit(lambda: webhook_event_send_after_commit(event_id=event_id, connection_id=connection_id))
    return event, True


def _verify(connection: Connection, body: bytes, request: HttpRequest) -> WebhookDelivery | None:
    """The adapter's signature check; a failure is checked once more against the stored secret,
    which may have changed since this process cached the connection. Raises
    ``Connection.DoesNotExist`` when the connection is gone by then."""
    try:
        adapter = connection_webhook_source(connection)
        return adapter.verify_webhook(body, request.headers, connection.webhook_secret or "")
    except WebhookVerificationError:
        current = webhook_connection_for(platform=connection.platform, connection_uuid=connection.uuid, fresh=True)
        if current is None:
            raise Connection.DoesNotExist from None
        if current.webhook_secret == connection.webhook_secret:
            raise
        return connection_webhook_source(current).verify_webhook(body, request.headers, current.webhook_secret or "")


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _too_large(limit: int) -> HttpResponse:
    return problem_response(413, detail=f"The webhook body is larger than {limit} bytes.")


@csrf_exempt
@require_POST
def webhook_receive_view(request: HttpRequest, platform: str, connection_uuid: Any) -> HttpResponse:
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    if _declared_length(request) > limit:
        metrics.webhook_received(platform=platform, result="rejected_size")
        return _too_large(limit)
    # Read the stream ourselves: ``request.body`` would apply DATA_UPLOAD_MAX_MEMORY_SIZE instead,
    # and a declared length is not proof of the bytes that follow.
    body = request.read(limit + 1)
    if len(body) > limit:
        metrics.webhook_received(platform=platform, result="rejected_size")
        return _too_large(limit)

    connection = webhook_connection_for(platform=platform, connection_uuid=connection_uuid)
    if connection is None:
        metrics.webhook_received(platform=platform, result="unknown_connection")
        return problem_response(404, detail="No connection receives webhooks at this address.")

    try:
        delivery = _verify(connection, body, request)
    except WebhookVerificationError as exc:
        logger.warning(
            "webhook signature rejected", extra={"connection": connection.pk, "platform": platform, "reason": str(exc)}
        )
        webhook_verification_failure_record(connection_id=connection.pk, reason=str(exc))
        metrics.webhook_received(platform=platform, result="rejected_signature")
        return problem_response(401, detail="The webhook signature is missing or does not match the body.")
    except WebhookPayloadInvalid as exc:
        return problem_response(400, detail=f"The webhook body cannot be read: {exc}")
    except (Connection.DoesNotExist, PlatformCapabilityMissing):  # gone, or a platform that sends no webhooks
        metrics.webhook_received(platform=platform, result="unknown_connection")
        return problem_response(404, detail="No connection receives webhooks at this address.")
    if delivery is None:  # a ping/handshake, or a verified topic that carries nothing to sync
        metrics.webhook_received(platform=platform, result="not_stored")
        return JsonResponse({"received": True, "stored": False})

    stored = webhook_event_store(connection=connection, delivery=delivery, body=body, headers=request.headers)
    if stored is None:  # removed (or deleted) since this process cached it
        metrics.webhook_received(platform=platform, result="unknown_connection")
        return problem_response(404, detail="No connection receives webhooks at this address.")
    event, created = stored
    metrics.webhook_received(
        platform=platform, data_type=str(delivery.data_type), result="stored" if created else "duplicate"
    )
    logger.info(
        "webhook stored" if created else "webhook duplicate",
        extra={"connection": connection.pk, "event": event.pk, "topic": delivery.topic, "record": delivery.record_id},
    )
    return JsonResponse({"received": True, "stored": created, "event": event.pk})
