"""Change notifications from a Platform API store: verifying deliveries, and the bridge's subscription.

Deliveries follow the Standard Webhooks specification (``signatures``). The body is a trigger
only, ``{"type": "product.updated", "data": {"id": "..."}}``: the sync engine fetches the record
fresh, so nothing else in the body is trusted or needed. ``webhook-id`` identifies the message and
is the same on every retry of it: it is the delivery's dedupe key (the bridge's idempotency key).

Keys this connection trusts: the bridge's own webhook secret (given to the platform with the
subscription, as ``whsec_``), a ``whsec_`` secret the platform issued (``extra_config.webhook_secret``)
and an Ed25519 public key (``extra_config.webhook_public_key``) for ``v1a``.

Subscriptions (capability ``webhooks``): one per delivery URL, for every event type, kept by
``register_webhooks`` / ``repair_webhooks``. A platform without the capability is set up by hand
with the secret, and these calls do nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from ignite_bridge.core.errors import PermanentError
from platforms.base import WebhookVerificationError
from platforms.standard import signatures
from platforms.standard.client import StandardClient, path_id
from platforms.standard.mapping.common import parse_timestamp
from platforms.types import DataType, RegisteredWebhook, WebhookAction, WebhookDelivery

logger = logging.getLogger(__name__)

#: every event type a platform sends; a subscription asks for all of them
EVENT_TYPES = tuple(
    f"{resource}.{action}"
    for resource in ("product", "customer", "order")
    for action in ("created", "updated", "deleted")
)
RESOURCE_DATA_TYPES = {"product": DataType.PRODUCTS, "customer": DataType.CUSTOMERS, "order": DataType.PURCHASES}
PING = "ping"
#: the ``topic`` of the one subscription (it covers every event type)
SUBSCRIPTION_TOPIC = "*"
#: longest dedupe key the bridge stores as is; a longer ``webhook-id`` is hashed to this length
DEDUPE_KEY_LENGTH = 64


def dedupe_key(webhook_id: str) -> str:
    if len(webhook_id) <= DEDUPE_KEY_LENGTH:
        return webhook_id
    return hashlib.sha256(webhook_id.encode()).hexdigest()


def verify_webhook(
    body: bytes, headers: Mapping[str, str], *, secrets: list[str], public_keys: list[str]
) -> WebhookDelivery | None:
    """Check the signature on the raw body and say which record to fetch.

    Returns None for a ``ping`` and for verified events that carry nothing to sync (an unknown
    type, no ``data.id``); raises ``WebhookVerificationError`` when the delivery is not signed by a
    trusted key or its timestamp is outside the tolerance.
    """
    try:
        signed = signatures.verify(body, headers, secrets=secrets, public_keys=public_keys)
    except signatures.SignatureError as exc:
        raise WebhookVerificationError(str(exc)) from exc
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise WebhookVerificationError("signed body is not JSON") from exc
    event_type = str(event.get("type") or "") if isinstance(event, Mapping) else ""
    resource, _, action_name = event_type.partition(".")
    data_type = RESOURCE_DATA_TYPES.get(resource)
    action = WebhookAction(action_name) if action_name in ("created", "updated", "deleted") else None
    data = event.get("data") if isinstance(event, Mapping) else None
    record_id = str(data.get("id") or "").strip() if isinstance(data, Mapping) else ""
    if data_type is None or action is None or not record_id:
        if event_type != PING:
            logger.info("platform webhook ignored", extra={"type": event_type[:64], "webhook_id": signed.webhook_id})
        return None
    return WebhookDelivery(
        data_type=data_type,
        record_id=record_id,
        action=action,
        topic=event_type,
        dedupe_key=dedupe_key(signed.webhook_id),
        delivery_id=signed.webhook_id[:128],
        occurred_at=parse_timestamp(event.get("timestamp")),
        message_key=True,
    )


# -- the subscription ----------------------------------------------------------------------------


def list_subscriptions(client: StandardClient, *, delivery_url: str) -> list[dict[str, Any]]:
    body = client.get_json("webhooks")
    items = body.get("data") if isinstance(body, Mapping) else None
    return [dict(item) for item in items or [] if isinstance(item, Mapping) and item.get("url") == delivery_url]


def _write_body(delivery_url: str, secret: str) -> dict[str, Any]:
    return {
        "url": delivery_url,
        "secret": signatures.secret_for(secret),
        "events": list(EVENT_TYPES),
        "status": "active",
    }


def _registered(hook: Mapping[str, Any], delivery_url: str) -> RegisteredWebhook:
    return RegisteredWebhook(
        id=str(hook.get("id")),
        topic=SUBSCRIPTION_TOPIC,
        delivery_url=str(hook.get("url") or delivery_url),
        status=str(hook.get("status") or "active"),
    )


def _delete(client: StandardClient, hook_id: Any) -> bool:
    try:
        client.send_json("DELETE", f"webhooks/{path_id(hook_id)}")
    except PermanentError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def register_webhooks(client: StandardClient, *, delivery_url: str, secret: str) -> list[RegisteredWebhook]:
    """Exactly one active subscription for ``delivery_url``, keyed with ``secret``. Idempotent:
    an existing one is replaced in place (re-keyed, re-activated, every event type), extras deleted."""
    existing = list_subscriptions(client, delivery_url=delivery_url)
    for extra in existing[1:]:
        _delete(client, extra["id"])
    body = _write_body(delivery_url, secret)
    if existing:
        hook = client.send_json("PUT", f"webhooks/{path_id(existing[0]['id'])}", body=body)
    else:
        hook = client.send_json("POST", "webhooks", body=body)
    return [_registered(hook if isinstance(hook, Mapping) else {}, delivery_url)]


def unregister_webhooks(client: StandardClient, *, delivery_url: str) -> int:
    return sum(1 for hook in list_subscriptions(client, delivery_url=delivery_url) if _delete(client, hook["id"]))


def repair_webhooks(client: StandardClient, *, delivery_url: str, secret: str) -> list[str]:
    """Re-create a missing subscription or re-activate a disabled one (a platform may disable a
    URL after failed deliveries); returns ``[SUBSCRIPTION_TOPIC]`` when it had to fix something."""
    existing = list_subscriptions(client, delivery_url=delivery_url)
    healthy = [
        hook
        for hook in existing
        if hook.get("status") == "active" and set(EVENT_TYPES) <= set(hook.get("events") or [])
    ]
    if healthy and len(existing) == 1:
        return []
    register_webhooks(client, delivery_url=delivery_url, secret=secret)
    return [SUBSCRIPTION_TOPIC]
