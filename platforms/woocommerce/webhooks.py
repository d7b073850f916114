"""WooCommerce webhooks: verifying deliveries, and keeping the bridge's subscriptions on a store.

Verification works on the raw body only: WooCommerce signs exactly the bytes of
``wp_json_encode(payload)`` (``/`` escaped, non-ASCII as ``\\uXXXX``), so re-serialising the JSON
would change them.

A delivery is identified by its delivery id header *together with* the body: the id alone is not
unique (``wp_hash(webhook id . unix time)``: two deliveries of one webhook in the same second share
it), and the body alone is not either (stock 5 → 4 → 5 with an unchanged ``date_modified`` sends
the same bytes twice, and the second is a real change). Same id and same body means the same
second and the same state: a repeat. The intake keeps keys for a bounded window only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Collection, Mapping
from typing import Any

from ignite_bridge.core.errors import PermanentError
from ignite_bridge.core.jsonlimits import JsonTooDeep, json_loads_bounded
from platforms.base import WebhookPayloadInvalid, WebhookVerificationError
from platforms.types import DataType, RegisteredWebhook, WebhookAction, WebhookDelivery
from platforms.woocommerce.client import WooCommerceClient
from platforms.woocommerce.mapping.common import parse_gmt

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
WEBHOOK_ID_HEADER = "X-WC-Webhook-ID"
DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"

#: the topics the bridge subscribes to; each resource's four events (customers have no "restored")
WEBHOOK_TOPICS = (
    "product.created",
    "product.updated",
    "product.deleted",
    "product.restored",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "order.created",
    "order.updated",
    "order.deleted",
    "order.restored",
)
RESOURCE_DATA_TYPES = {
    "product": DataType.PRODUCTS,
    "customer": DataType.CUSTOMERS,
    "order": DataType.PURCHASES,
}
WEBHOOK_NAME_PREFIX = "Ignite Bridge"


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup (Django's ``request.headers`` is; a plain dict is not)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return str(value).strip() if value is not None else ""


def signature_for(body: bytes, secret: str) -> str:
    """``base64(HMAC-SHA256(raw body, secret))``, exactly as WooCommerce computes it."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_ping(body: bytes, headers: Mapping[str, str]) -> bool:
    """The creation ping: form body ``webhook_id=<id>``, no JSON, no signature header."""
    return not header(headers, SIGNATURE_HEADER) and body.strip().startswith(b"webhook_id=")


def verify_webhook(body: bytes, headers: Mapping[str, str], secret: str) -> WebhookDelivery | None:
    """Check the signature on the raw body and say what changed.

    Returns None for the creation ping and for verified deliveries that carry nothing to sync (a
    topic outside ``WEBHOOK_TOPICS`` or an error body without an id); raises
    ``WebhookVerificationError`` when the signature is missing or wrong.
    """
    if is_ping(body, headers):
        return None
    signature = header(headers, SIGNATURE_HEADER)
    if not signature:
        raise WebhookVerificationError("missing X-WC-Webhook-Signature header")
    if not secret or not hmac.compare_digest(signature.encode(), signature_for(body, secret).encode()):
        raise WebhookVerificationError("X-WC-Webhook-Signature does not match the body")

    topic = header(headers, TOPIC_HEADER)
    resource, _, event = topic.partition(".")
    data_type = RESOURCE_DATA_TYPES.get(resource)
    try:
        action = WebhookAction(event)
    except ValueError:
        action = None
    if data_type is None or action is None:
        logger.info("woocommerce webhook ignored", extra={"topic": topic})
        return None
    try:
        payload = json_loads_bounded(body)
    except JsonTooDeep as exc:
        raise WebhookPayloadInvalid(str(exc)) from exc
    except ValueError as exc:
        raise WebhookVerificationError("signed body is not JSON") from exc
    if not isinstance(payload, Mapping) or not payload.get("id"):
        logger.info("woocommerce webhook without a record id", extra={"topic": topic})
        return None

    record_id = payload["id"]
    if payload.get("type") == "variation" and payload.get("parent_id"):
        record_id = payload["parent_id"]  # a variation changed: its product is the record to sync
    webhook_id = header(headers, WEBHOOK_ID_HEADER)
    delivery_id = header(headers, DELIVERY_ID_HEADER)
    dedupe = hashlib.sha256(
        b"\n".join([webhook_id.encode(), topic.encode(), delivery_id.encode(), hashlib.sha256(body).digest()])
    ).hexdigest()
    return WebhookDelivery(
        data_type=data_type,
        record_id=str(record_id),
        action=action,
        topic=topic,
        dedupe_key=dedupe,
        delivery_id=delivery_id,
        occurred_at=parse_gmt(payload.get("date_modified_gmt")),
    )


# -- subscriptions ------------------------------------------------------------------------------


def list_webhooks(client: WooCommerceClient, *, delivery_url: str) -> list[dict[str, Any]]:
    """The store's webhooks pointing at ``delivery_url`` (any status), oldest first."""
    hooks = client.iter_list("webhooks", params={"status": "all"})
    return sorted((h for h in hooks if h.get("delivery_url") == delivery_url), key=lambda h: int(h.get("id") or 0))


def _registered(hook: Mapping[str, Any]) -> RegisteredWebhook:
    return RegisteredWebhook(
        id=str(hook.get("id")),
        topic=str(hook.get("topic")),
        delivery_url=str(hook.get("delivery_url")),
        status=str(hook.get("status") or "active"),
    )


def _create(client: WooCommerceClient, topic: str, delivery_url: str, secret: str) -> dict[str, Any]:
    body = {"name": f"{WEBHOOK_NAME_PREFIX}: {topic}", "topic": topic, "delivery_url": delivery_url, "secret": secret}
    return dict(client.send_json("POST", "webhooks", body=body))


def _activate(client: WooCommerceClient, hook: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """Re-activate and re-key: WooCommerce never returns a secret, so we always send ours."""
    return dict(client.send_json("PUT", f"webhooks/{hook['id']}", body={"status": "active", "secret": secret}))


def _delete(client: WooCommerceClient, hook_id: Any) -> bool:
    try:
        client.send_json("DELETE", f"webhooks/{hook_id}", params={"force": "true"})
    except PermanentError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def topics_for(data_types: Collection[DataType] | None) -> tuple[str, ...]:
    """The topics of the data types a connection syncs (None: all of them)."""
    if data_types is None:
        return WEBHOOK_TOPICS
    wanted = {str(t) for t in data_types}
    return tuple(t for t in WEBHOOK_TOPICS if str(RESOURCE_DATA_TYPES[t.partition(".")[0]]) in wanted)


def register_webhooks(
    client: WooCommerceClient, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
) -> list[RegisteredWebhook]:
    """Make sure exactly one active webhook per topic of ``data_types`` points at ``delivery_url``,
    signed with ``secret``, and none of the other topics does.

    Idempotent: existing ones are reused (re-activated and re-keyed), extras for the same topic
    are deleted so no event is delivered twice.
    """
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for hook in list_webhooks(client, delivery_url=delivery_url):
        by_topic.setdefault(str(hook.get("topic")), []).append(hook)
    topics = topics_for(data_types)
    for topic, hooks in by_topic.items():
        if topic not in topics:  # a data type the connection no longer syncs (customer_sync_scope)
            for hook in hooks:
                _delete(client, hook["id"])
    result = []
    for topic in topics:
        existing = by_topic.get(topic, [])
        for extra in existing[1:]:
            _delete(client, extra["id"])
        hook = _activate(client, existing[0], secret) if existing else _create(client, topic, delivery_url, secret)
        result.append(_registered(hook))
    return result


def unregister_webhooks(client: WooCommerceClient, *, delivery_url: str) -> int:
    """Delete (``force=true``: webhooks cannot be trashed) every webhook pointing at ``delivery_url``."""
    return sum(1 for hook in list_webhooks(client, delivery_url=delivery_url) if _delete(client, hook["id"]))


def repair_webhooks(
    client: WooCommerceClient, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
) -> list[str]:
    """Re-enable disabled/paused webhooks and re-create missing ones; returns the topics fixed.

    WooCommerce disables a webhook after repeated failed deliveries and never retries, so this
    runs periodically. Note: re-enabling does not reset WooCommerce's failure count.
    """
    by_topic: dict[str, dict[str, Any]] = {}
    for hook in list_webhooks(client, delivery_url=delivery_url):
        topic = str(hook.get("topic"))
        if topic not in by_topic or (hook.get("status") == "active" and by_topic[topic].get("status") != "active"):
            by_topic[topic] = hook
    fixed = []
    for topic in topics_for(data_types):
        current = by_topic.get(topic)
        if current is None:
            _create(client, topic, delivery_url, secret)
        elif current.get("status") != "active":
            _activate(client, current, secret)
        else:
            continue
        fixed.append(topic)
    return fixed
