"""The standard platform sandbox's control API (``/_sandbox/...``: no auth, not faulted, not logged)."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.faults import FaultConfig
from sandbox.standard.store import PlatformStore

if TYPE_CHECKING:
    from sandbox.standard.app import StandardSandbox

MUTATION_KINDS = (
    "product_update",
    "product_stock",
    "product_create",
    "product_delete",
    "customer_update",
    "customer_create",
    "customer_delete",
    "order_create",
    "order_update",
)
DEFAULT_KINDS = ("product_update", "product_stock", "product_create", "customer_update", "order_update")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")


def handle(app: StandardSandbox, request: Request) -> Response:
    route = request.path.removeprefix("/_sandbox/").rstrip("/")
    body = request.get_json(silent=True) or {}
    if route == "state":
        return _json(state(app))
    if route == "calls":
        return _json(list(app.calls))
    if route == "stats":
        return _json(dict(app.stats))
    if route == "deliveries":
        return _json(list(app.dispatcher.log))
    if route == "reset" and request.method == "POST":
        app.reset()
        return _json({"reset": True})
    if route == "faults":
        if request.method == "PUT":
            try:
                app.faults.configure(FaultConfig.from_mapping(body))
            except ValueError as exc:
                return _json({"detail": str(exc)}, 400)
        return _json(app.faults.config.as_dict())
    if route == "webhook-delivery":
        if request.method == "PUT":
            app.dispatcher.enabled = bool(body.get("enabled", True))
            app.dispatcher.timeout = float(body.get("timeout", app.dispatcher.timeout))
        return _json({"enabled": app.dispatcher.enabled, "timeout": app.dispatcher.timeout})
    if route == "webhooks/flush" and request.method == "POST":
        return _json({"flushed": app.dispatcher.flush(float(request.args.get("timeout", 30)))})
    if route == "mutate" and request.method == "POST":
        kinds = list(body.get("kinds") or DEFAULT_KINDS)
        unknown = set(kinds) - set(MUTATION_KINDS)
        if unknown:
            return _json({"detail": f"unknown kinds: {', '.join(sorted(unknown))}"}, 400)
        with app.store.lock:
            changes = mutate(app.store, int(body.get("count", 1)), random.Random(body.get("seed", 0)), kinds)
        return _json({"changes": changes})
    return _json({"detail": "no such control route"}, 404)


def state(app: StandardSandbox) -> dict[str, Any]:
    with app.store.lock:
        return {
            "counts": {name: len(table.records) for name, table in app.store.tables.items()},
            "capabilities": list(app.store.capabilities),
            "broken": sorted(app.broken),
            "public_key": app.public_key,
            "subscriptions": [dict(s) for s in app.store.subscriptions.values()],
            "checkouts": dict(app.store.checkouts),
        }


def mutate(store: PlatformStore, count: int, rng: random.Random, kinds: list[str]) -> list[dict[str, Any]]:
    """``count`` merchant-like changes through the store's own methods, so the events fire."""
    changes = []
    for _ in range(count):
        kind = rng.choice(kinds)
        resource = {"product": "products", "customer": "customers", "order": "orders"}[kind.partition("_")[0]]
        table = store.tables[resource]
        live = list(table.records)
        if kind.endswith("_create"):
            record = store.conformance_record(resource)
            store.create(resource, record)
            changes.append({"kind": kind, "resource": resource, "id": record["id"]})
            continue
        if not live:
            continue
        record_id = rng.choice(live)
        record = table.records[record_id]
        if kind == "product_update":
            record["title"] = f"{record['title'].split(' (')[0]} ({rng.randrange(10**6)})"
            store.touch(resource, record_id)
        elif kind == "product_stock":
            tracked = [v for v in record["variants"] if v.get("sku")]
            if not tracked:
                continue
            variant = rng.choice(tracked)
            variant["stock"] = rng.randrange(0, 100)
            store.touch(resource, record_id)
        elif kind == "customer_update":
            record["company_name"] = f"Company {rng.randrange(10**6)}"
            store.touch(resource, record_id)
        elif kind == "order_update":
            record["status"] = rng.choice(("completed", "processing", "on-hold"))
            store.touch(resource, record_id)
        else:  # *_delete
            store.delete(resource, record_id)
        changes.append({"kind": kind, "resource": resource, "id": record_id})
    return changes
