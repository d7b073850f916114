"""Webhook subscriptions: create (always active, pinged), read (secret never shown), update, force-only delete."""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from sandbox.woocommerce.common import WooError, date_fields, invalid_id, now_ts
from sandbox.woocommerce.listing import ListQuery
from sandbox.woocommerce.records import require_enum, touch
from sandbox.woocommerce.store import WooStore

RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
HOOKS = {
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
}
PRIVATE_FIELDS = ("secret", "failure_count", "pending_delivery", "api_version", "user_id")


def valid_topic(topic: str) -> bool:
    if topic.startswith(("action.woocommerce_", "action.wc_")):
        return True
    resource, _, event = topic.partition(".")
    return resource in RESOURCES and event in EVENTS


def stored(store: WooStore, webhook_id: int) -> dict[str, Any]:
    webhook = store.webhooks.get(webhook_id)
    if webhook is None:
        raise invalid_id("webhook")
    return webhook


def render(store: WooStore, webhook_id: int) -> dict[str, Any]:
    webhook = {k: v for k, v in copy.deepcopy(stored(store, webhook_id)).items() if k not in PRIVATE_FIELDS}
    base = f"{store.base_url}/wp-json/wc/v3"
    webhook["_links"] = {
        "self": [{"href": f"{base}/webhooks/{webhook_id}"}],
        "collection": [{"href": f"{base}/webhooks"}],
    }
    return webhook


def list_ids(store: WooStore, query: ListQuery, *, status: str) -> list[int]:
    ids = [i for i, w in store.webhooks.items() if status == "all" or w["status"] == status]
    keys = {"id": lambda i: i, "date": lambda i: store.webhooks[i]["date_created_gmt"]}
    return query.sort(ids, keys)


def _set_topic(webhook: dict[str, Any], topic: str) -> None:
    resource, _, event = topic.partition(".")
    webhook.update({"topic": topic, "resource": resource, "event": event, "hooks": HOOKS.get(topic, [event])})


def create(store: WooStore, data: dict[str, Any]) -> dict[str, Any]:
    topic = str(data.get("topic") or "").lower()
    if not topic or not valid_topic(topic):
        raise WooError(
            400, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid."
        )
    url = str(data.get("delivery_url") or "")
    if not url.startswith(("http://", "https://")):
        raise WooError(
            400,
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        )
    webhook_id = store.next_webhook_id
    store.next_webhook_id += 1
    moment = now_ts()
    alphabet = string.ascii_letters + string.digits
    webhook: dict[str, Any] = {
        "id": webhook_id,
        "name": str(data.get("name") or f"Webhook created on {moment}"),
        "status": "active",  # the requested status takes effect only on update, as in WooCommerce
        "delivery_url": url,
        **date_fields("date_created", moment),
        **date_fields("date_modified", moment),
        "secret": str(data.get("secret") or "".join(secrets.choice(alphabet) for _ in range(50))),
        "failure_count": 0,
        "pending_delivery": True,
        "api_version": "wp_api_v3",
    }
    _set_topic(webhook, topic)
    store.webhooks[webhook_id] = webhook
    store.emit("webhook.ping", webhook_id)
    return render(store, webhook_id)


def update(store: WooStore, webhook_id: int, data: dict[str, Any]) -> dict[str, Any]:
    if webhook_id not in store.webhooks:
        raise invalid_id("webhook", 400)
    webhook = stored(store, webhook_id)
    require_enum(data, "status", ("active", "paused", "disabled"))
    if "topic" in data:
        if not valid_topic(str(data["topic"])):
            raise WooError(400, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.")
        _set_topic(webhook, str(data["topic"]).lower())
    url_changed = "delivery_url" in data and data["delivery_url"] != webhook["delivery_url"]
    for name in ("name", "status", "delivery_url", "secret"):
        if name in data:
            webhook[name] = str(data[name])
    touch(webhook)
    if webhook["status"] == "active" and (url_changed or webhook["pending_delivery"]):
        store.emit("webhook.ping", webhook_id)  # WooCommerce pings again until one ping gets exactly 200
    return render(store, webhook_id)


def delete(store: WooStore, webhook_id: int, *, force: bool) -> dict[str, Any]:
    before = render(store, webhook_id)
    if not force:
        raise WooError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
    del store.webhooks[webhook_id]
    return before
