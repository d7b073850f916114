"""The platform's inbound HTTP: ``POST /webhooks/<platform>/<connection uuid>/``.

A plain Django view on the raw body (the signature covers exactly those bytes; nothing may
re-parse or re-serialise it first). Order of the guards, each one rejecting with nothing stored:

1. size (``Content-Length`` and the bytes actually read) → 413;
2. the connection (unknown, removed, or another platform's) → 404;
3. the platform adapter's signature check → 401; a ping/handshake → 200.

Then the event is stored and **committed** before the 2xx, and its processing task is sent after
the commit. An exact repeat of a delivery (same adapter-derived dedupe key) answers 200 and is
stored and processed once. The answer never waits on SparkLayer or the platform.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connections.clients import connection_platform_adapter
from connections.models import Connection, ConnectionState
from ignite_bridge.core.problems import problem_response
from platforms.base import WebhookVerificationError
from platforms.types import WebhookDelivery
from sync.models import EventState, WebhookEvent
from sync.webhooks.enqueue import webhook_event_send_after_commit

logger = logging.getLogger(__name__)

#: headers never stored: credentials and session cookies a proxy might forward
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"})


def headers_to_store(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers as evidence, without anything that authenticates a caller."""
    return {name: str(value) for name, value in headers.items() if name.lower() not in SECRET_HEADERS}


def webhook_connection_for(*, platform: str, connection_uuid: Any) -> Connection | None:
    """The connection a delivery URL names, or None (unknown, removed, or a different platform)."""
    return (
        Connection.objects.filter(uuid=connection_uuid, platform=platform)
        .exclude(state=ConnectionState.REMOVED)
        .first()
    )


def webhook_event_store(
    *, connection: Connection, delivery: WebhookDelivery, body: bytes, headers: Mapping[str, str]
) -> tuple[WebhookEvent, bool]:
    """Store a verified delivery; returns ``(event, created)``. A repeat of a stored delivery (same
    ``(connection, dedupe_key)``, a database constraint) is not stored again and not enqueued again.

    The processing task is sent after the commit; if that send never happens (crash, broker down)
    the sweeper sends it."""
    now = timezone.now()
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
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
            transaction.on_commit(lambda: webhook_event_send_after_commit(event_id=event.pk))
    except IntegrityError:
        existing = WebhookEvent.objects.get(connection=connection, dedupe_key=delivery.dedupe_key[:64])
        return existing, False
    return event, True


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
        return _too_large(limit)
    # Read the stream ourselves: ``request.body`` would apply DATA_UPLOAD_MAX_MEMORY_SIZE instead,
    # and a declared length is not proof of the bytes that follow.
    body = request.read(limit + 1)
    if len(body) > limit:
        return _too_large(limit)

    connection = webhook_connection_for(platform=platform, connection_uuid=connection_uuid)
    if connection is None:
        return problem_response(404, detail="No connection receives webhooks at this address.")

    adapter = connection_platform_adapter(connection)
    try:
        delivery = adapter.verify_webhook(body, request.headers, connection.webhook_secret or "")
    except WebhookVerificationError as exc:
        logger.warning(
            "webhook signature rejected", extra={"connection": connection.pk, "platform": platform, "reason": str(exc)}
        )
        return problem_response(401, detail="The webhook signature is missing or does not match the body.")
    if delivery is None:  # a ping/handshake, or a verified topic that carries nothing to sync
        return JsonResponse({"received": True, "stored": False})

    event, created = webhook_event_store(connection=connection, delivery=delivery, body=body, headers=request.headers)
    logger.info(
        "webhook stored" if created else "webhook duplicate",
        extra={"connection": connection.pk, "event": event.pk, "topic": delivery.topic, "record": delivery.record_id},
    )
    return JsonResponse({"received": True, "stored": created, "event": event.pk})
