"""The unauthenticated control API under ``/_sandbox/``: inspect, reset, inject faults, mutate, flush webhooks.

Tests and benchmarks use it to set up and observe the store without going through the REST API
(and without being counted in the call log or hit by injected faults).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.faults import FaultConfig
from sandbox.woocommerce import customers, mutate, orders, products

if TYPE_CHECKING:
    from sandbox.woocommerce.app import WooCommerceSandbox

RECORD_RENDERERS = {"products": products.render, "customers": customers.render, "orders": orders.render}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")


def _body(request: Request) -> dict[str, Any]:
    if not request.get_data():
        return {}
    data = json.loads(request.get_data())
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def handle(sandbox: WooCommerceSandbox, request: Request) -> Response:
    try:
        return _route(sandbox, request)
    except (ValueError, TypeError) as error:
        return _json({"error": str(error)}, 400)


def _route(sandbox: WooCommerceSandbox, request: Request) -> Response:
    store = sandbox.store
    path, method = request.path.rstrip("/"), request.method
    if path == "/_sandbox/state" and method == "GET":
        with store.lock:
            state: dict[str, Any] = {
                "summary": store.summary(),
                "webhooks": [dict(w) for w in store.webhooks.values()],
                "api_keys": list(store.api_keys.values()),
                "delivery": {"enabled": sandbox.dispatcher.enabled, "pending": sandbox.dispatcher.pending()},
            }
            limit = int(request.args.get("limit", "100"))
            for kind in (request.args.get("records") or "").split(","):
                if kind in RECORD_RENDERERS:
                    ids = list(getattr(store, kind))[:limit]
                    state[kind] = [RECORD_RENDERERS[kind](store, record_id) for record_id in ids]
        return _json(state)
    if path == "/_sandbox/calls" and method == "GET":
        return _json(list(sandbox.calls))
    if path == "/_sandbox/stats" and method == "GET":
        return _json({"by_route": dict(sandbox.stats), "total": sum(sandbox.stats.values())})
    if path == "/_sandbox/reset" and method == "POST":
        sandbox.reset()
        return _json({"reset": True, "summary": store.summary()})
    if path == "/_sandbox/faults":
        if method in ("PUT", "POST"):
            sandbox.faults.configure(FaultConfig.from_mapping(_body(request)))
        return _json(sandbox.faults.config.as_dict())
    if path == "/_sandbox/mutate" and method == "POST":
        data = _body(request)
        with store.lock:
            changes = mutate.mutate(
                store, count=int(data.get("count", 1)), seed=int(data.get("seed", 0)), kinds=data.get("kinds")
            )
        return _json({"changes": changes})
    if path == "/_sandbox/webhook-delivery":
        if method in ("PUT", "POST"):
            data = _body(request)
            if set(data) - {"enabled", "timeout"}:
                raise ValueError("known keys: enabled, timeout")
            sandbox.dispatcher.enabled = bool(data.get("enabled", sandbox.dispatcher.enabled))
            sandbox.dispatcher.timeout = float(data.get("timeout", sandbox.dispatcher.timeout))
        return _json({"enabled": sandbox.dispatcher.enabled, "timeout": sandbox.dispatcher.timeout})
    if path == "/_sandbox/deliveries" and method == "GET":
        return _json(list(sandbox.dispatcher.log))
    if path == "/_sandbox/webhooks/flush" and method == "POST":
        timeout = float(request.args.get("timeout", "30"))
        return _json({"flushed": sandbox.dispatcher.flush(timeout), "pending": sandbox.dispatcher.pending()})
    return _json({"error": f"no control route {method} {path}"}, 404)
