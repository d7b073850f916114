"""Webhook subscriptions and the conformance fixtures of the sandbox's Platform API."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from sandbox.standard.api import ApiError, Reply, json_body

if TYPE_CHECKING:
    from sandbox.standard.app import StandardSandbox


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    """A subscription as the API shows it: never its secret."""
    return {key: copy.deepcopy(value) for key, value in subscription.items() if key != "secret"}


def webhooks_list(app: StandardSandbox, request: Request) -> Reply:
    return Reply({"data": [_public(s) for s in app.store.subscriptions.values()]})


def webhook_create(app: StandardSandbox, request: Request) -> Reply:
    body = json_body(request, "webhook_subscription_write")
    subscription_id = f"wh_{app.store.new_id('webhooks')}"
    app.store.subscriptions[subscription_id] = {
        "id": subscription_id,
        "url": body["url"],
        "secret": body["secret"],
        "events": list(body["events"]),
        "status": body.get("status") or "active",
    }
    return Reply(_public(app.store.subscriptions[subscription_id]), 201)


def _subscription(app: StandardSandbox, subscription_id: str) -> dict[str, Any]:
    found = app.store.subscriptions.get(subscription_id)
    if found is None:
        raise ApiError(404, f"No webhook subscription {subscription_id}.", code="not_found")
    return found


def webhook_replace(app: StandardSandbox, request: Request, subscription_id: str) -> Reply:
    body = json_body(request, "webhook_subscription_write")
    subscription = _subscription(app, subscription_id)
    subscription.update(
        {
            "url": body["url"],
            "secret": body["secret"],
            "events": list(body["events"]),
            "status": body.get("status") or "active",
        }
    )
    return Reply(_public(subscription))


def webhook_delete(app: StandardSandbox, request: Request, subscription_id: str) -> Reply:
    _subscription(app, subscription_id)
    del app.store.subscriptions[subscription_id]
    return Reply(status=204)


def webhook_test(app: StandardSandbox, request: Request, subscription_id: str) -> Reply:
    app.dispatcher.ping(_subscription(app, subscription_id))
    return Reply(status=202)


# -- conformance fixtures (a test store lets the checker change records between pages) ------------


def conformance_create(app: StandardSandbox, request: Request, resource: str) -> Reply:
    record = app.store.conformance_record(resource)
    app.store.create(resource, record)
    return Reply(app.store.render(resource, record["id"]), 201)


def _existing(app: StandardSandbox, resource: str, record_id: str) -> dict[str, Any]:
    found = app.store.get(resource, record_id)
    if found is None:
        raise ApiError(404, f"No {resource[:-1]} {record_id}.", code="not_found")
    return found


def conformance_touch(app: StandardSandbox, request: Request, resource: str, record_id: str) -> Reply:
    record = _existing(app, resource, record_id)
    if resource == "products":
        record["title"] = f"{record['title']} (changed)"
    elif resource == "customers":
        record["last_name"] = f"{record.get('last_name') or ''} (changed)".strip()
    else:
        record["status"] = "completed"
    app.store.touch(resource, record_id)
    return Reply(app.store.render(resource, record_id))


def conformance_delete(app: StandardSandbox, request: Request, resource: str, record_id: str) -> Reply:
    _existing(app, resource, record_id)
    app.store.delete(resource, record_id)
    return Reply(status=204)
