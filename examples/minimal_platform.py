#!/usr/bin/env python3
"""A minimal store that implements the Ignite Bridge Platform API, in one file of standard-library Python.

Copy it as the starting point of your own implementation: replace the in-memory ``STORE`` with
your database and keep the rules this file shows (they are what ``manage.py platform_check``
checks, see docs/platform-api.md):

* every answer is JSON; every error is problem JSON with a ``code``; no token, no data (401);
* listings are ordered by a key that never changes (here the numeric id) and the cursor names the
  last record returned, never an offset: records added or deleted meanwhile cannot make a walk
  skip or repeat one ("stable cursors");
* each change is announced as a Standard Webhooks delivery (``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature: v1,<HMAC-SHA256>``) whose body only names the record: a trigger;
* ``POST /checkout/complete`` creates one order per ``Idempotency-Key``.

It announces the ``webhooks``, ``checkout`` and ``conformance`` capabilities only; the bridge
refuses the customer requests it leaves out with a clear answer.

Run: ``python examples/minimal_platform.py --port 8900 --token my-token``
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CAPABILITIES = ["webhooks", "checkout", "conformance"]
LOCK = threading.RLock()


def now():
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(value):
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


# -- the store (replace with your database) ------------------------------------------------------

STORE = {"products": {}, "customers": {}, "orders": {}}
NEXT_ID = {"products": 1, "customers": 1, "orders": 1, "webhooks": 1}
WEBHOOKS = {}
CHECKOUTS = {}


def new_id(kind):
    value = NEXT_ID[kind]
    NEXT_ID[kind] += 1
    return str(value)


def make_product(n=None):
    product_id = new_id("products")
    price = money(Decimal(5 + int(product_id) * 3) + Decimal("0.99"))
    return {
        "id": product_id,
        "title": f"Widget {product_id}",
        "slug": f"widget-{product_id}",
        "status": "active",
        "updated_at": now(),
        "variants": [
            {
                "id": f"{product_id}-1",
                "sku": f"W-{product_id}",
                "status": "active",
                "options": [],
                "price": price,
                "rrp": None,
                "weight": "0.5",
                "image_url": None,
                "stock": 10,
            }
        ],
    }


def make_customer():
    customer_id = new_id("customers")
    return {
        "id": customer_id,
        "email": f"buyer{customer_id}@example.com",
        "first_name": "Buyer",
        "last_name": customer_id,
        "company_name": None,
        "updated_at": now(),
        "addresses": [
            {
                "id": f"{customer_id}-1",
                "address_line1": "1 Main Street",
                "city": "Leeds",
                "postal_code": "LS1 1AA",
                "country_code": "GB",
                "is_default_billing": True,
                "is_default_shipping": True,
            }
        ],
    }


def make_order(lines=None, cart_id=None, customer_id=None, payment_type=None):
    order_id = new_id("orders")
    if lines is None:
        first = next(iter(STORE["products"].values()))["variants"][0]
        lines = [{"sku": first["sku"], "quantity": 1, "unit_price": first["price"]}]
    priced = [
        {
            "id": f"{order_id}-{n}",
            "sku": line["sku"],
            "title": line["sku"],
            "quantity": line["quantity"],
            "unit_price": money(line["unit_price"]),
            "total": money(Decimal(line["unit_price"]) * line["quantity"]),
        }
        for n, line in enumerate(lines, start=1)
    ]
    total = sum(Decimal(line["total"]) for line in priced)
    stamp = now()
    return {
        "id": order_id,
        "number": f"#{1000 + int(order_id)}",
        "status": "processing",
        "currency": "GBP",
        "created_at": stamp,
        "updated_at": stamp,
        "customer_id": customer_id,
        "cart_id": cart_id,
        "payment_type": payment_type,
        "lines": priced,
        "shipping": None,
        "total": money(total),
    }


def seed():
    for _ in range(12):
        put("products", make_product(), notify=False)
    for _ in range(5):
        put("customers", make_customer(), notify=False)
    for _ in range(3):
        put("orders", make_order(), notify=False)


def put(kind, record, *, notify=True, action="created"):
    STORE[kind][record["id"]] = record
    if notify:
        emit(f"{kind[:-1]}.{action}", record["id"])


def delete(kind, record_id):
    del STORE[kind][record_id]
    emit(f"{kind[:-1]}.deleted", record_id)


# -- webhooks (Standard Webhooks, v1 = HMAC-SHA256) -------------------------------------------------


def sign(secret, webhook_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def deliver(subscription, body):
    webhook_id = f"msg_{uuid.uuid4().hex}"  # the same id on every retry: the receiver's idempotency key
    for attempt in range(3):
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked on subscribe
            subscription["url"],
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": timestamp,
                "webhook-signature": sign(subscription["secret"], webhook_id, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http(s) only, checked on subscribe
                if 200 <= response.status < 300:
                    return
        except OSError:
            pass
        time.sleep(0.5 * (attempt + 1))


def emit(event_type, record_id):
    body = json.dumps({"type": event_type, "timestamp": now(), "data": {"id": record_id}}).encode()
    for subscription in list(WEBHOOKS.values()):
        if subscription["status"] == "active" and (event_type == "ping" or event_type in subscription["events"]):
            threading.Thread(target=deliver, args=(subscription, body), daemon=True).start()


# -- the HTTP API -------------------------------------------------------------------------------------


class Problem(Exception):
    def __init__(self, status, code, detail):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def listing(kind, query):
    limit = int(query.get("limit", ["100"])[0])
    if not 1 <= limit <= 250:
        raise Problem(400, "invalid_parameter", "limit must be between 1 and 250")
    after = decode_cursor(query.get("cursor", [""])[0])
    since = query.get("updated_after", [""])[0]
    ids = sorted(int(i) for i in STORE[kind] if int(i) > after)  # keyset: the id never changes
    records = [STORE[kind][str(i)] for i in ids]
    if since:
        records = [r for r in records if parse_time(r["updated_at"]) >= parse_time(since)]
    page = records[:limit]
    following = encode_cursor(int(page[-1]["id"])) if len(records) > limit else None
    return {"data": page, "next_cursor": following}


def id_listing(kind, query):
    limit = int(query.get("limit", ["1000"])[0])
    after = decode_cursor(query.get("cursor", [""])[0])
    ids = sorted(int(i) for i in STORE[kind] if int(i) > after)
    page = [str(i) for i in ids[:limit]]
    return {"data": page, "next_cursor": encode_cursor(int(page[-1])) if len(ids) > limit else None}


def encode_cursor(last_id):
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode()


def decode_cursor(value):
    if not value:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
        if kind != "after":
            raise ValueError(kind)
        return int(number)
    except ValueError:
        raise Problem(400, "invalid_cursor", "not a cursor this store handed out") from None


def parse_time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def checkout(body, *, complete, key=None):
    lines = body.get("lines") or []
    if not lines:
        raise Problem(400, "invalid_body", "lines is required")
    skus = {v["sku"] for p in STORE["products"].values() for v in p["variants"]}
    for line in lines:
        if line["sku"] not in skus:
            raise Problem(422, "unknown_sku", f"no variant has SKU {line['sku']}")
    subtotal = sum(Decimal(line["unit_price"]) * line["quantity"] for line in lines)
    totals = {
        "subtotal": money(subtotal),
        "shipping": "5.00",
        "tax": money((subtotal + 5) * Decimal("0.2")),
        "total": money((subtotal + 5) * Decimal("1.2")),
    }
    if not complete:
        return 200, {
            "currency": body["currency"],
            "shipping_method_id": "flat",
            "shipping_methods": [{"id": "flat", "name": "Flat rate", "price": "5.00"}],
            "totals": totals,
        }
    if not key:
        raise Problem(400, "idempotency_key_missing", "the Idempotency-Key header is required")
    if key in CHECKOUTS:  # a retry: the first order, never a second one
        return 200, CHECKOUTS[key]
    order = make_order(
        lines, cart_id=body["cart_id"], customer_id=body.get("customer_id"), payment_type=body.get("payment_type")
    )
    put("orders", order)
    CHECKOUTS[key] = {"order_id": order["id"], "payment_url": None}
    return 201, CHECKOUTS[key]


def webhooks_route(method, parts, body):
    """The webhook subscriptions: list, create, replace, delete, and a test delivery."""
    if parts == ["webhooks"] and method == "GET":
        return 200, {"data": [{k: v for k, v in s.items() if k != "secret"} for s in WEBHOOKS.values()]}
    if parts == ["webhooks"] and method == "POST":
        if not str(body.get("url", "")).startswith(("http://", "https://")):
            raise Problem(400, "invalid_body", "url must be an http(s) URL")
        subscription = {
            "id": f"wh{new_id('webhooks')}",
            "url": body["url"],
            "secret": body["secret"],
            "events": body["events"],
            "status": body.get("status", "active"),
        }
        WEBHOOKS[subscription["id"]] = subscription
        return 201, {k: v for k, v in subscription.items() if k != "secret"}
    if len(parts) >= 2:
        if parts[1] not in WEBHOOKS:
            raise Problem(404, "not_found", "no such webhook subscription")
        subscription = WEBHOOKS[parts[1]]
        if len(parts) == 3 and parts[2] == "test" and method == "POST":
            body = json.dumps({"type": "ping", "timestamp": now(), "data": {"id": parts[1]}}).encode()
            threading.Thread(target=deliver, args=(subscription, body), daemon=True).start()
            return 202, None
        if method == "PUT":
            subscription.update(
                {
                    "url": body["url"],
                    "secret": body["secret"],
                    "events": body["events"],
                    "status": body.get("status", "active"),
                }
            )
            return 200, {k: v for k, v in subscription.items() if k != "secret"}
        if method == "DELETE":
            del WEBHOOKS[parts[1]]
            return 204, None
    raise Problem(404, "not_found", "no such route")


def conformance_route(method, parts):
    """What a test store lets ``platform_check`` do to records: create, touch (an update webhook), delete."""
    kind = parts[1]
    if method == "POST" and len(parts) == 2:
        record = {"products": make_product, "customers": make_customer, "orders": make_order}[kind]()
        put(kind, record)
        return 201, record
    if len(parts) == 3 and parts[2] in STORE[kind]:
        if method == "PATCH":
            STORE[kind][parts[2]]["updated_at"] = now()
            emit(f"{kind[:-1]}.updated", parts[2])
            return 200, STORE[kind][parts[2]]
        if method == "DELETE":
            delete(kind, parts[2])
            return 204, None
    raise Problem(404, "not_found", "no such record")


def route(method, path, query, body, headers):
    parts = [p for p in path.split("/") if p]
    kinds = ("products", "customers", "orders")
    if method == "GET" and not parts:
        return 200, {"api_version": "1", "name": "Minimal Platform", "capabilities": CAPABILITIES}
    if method == "GET" and parts == ["settings"]:
        return 200, {"currency": "GBP", "prices_include_tax": False, "weight_unit": "kg"}
    if method == "GET" and len(parts) == 1 and parts[0] in kinds:
        return 200, listing(parts[0], query)
    if method == "GET" and len(parts) == 2 and parts[0] in kinds and parts[1] == "ids":
        return 200, id_listing(parts[0], query)
    if method == "GET" and len(parts) == 2 and parts[0] in kinds:
        if parts[1] not in STORE[parts[0]]:
            raise Problem(404, "not_found", f"no such {parts[0][:-1]}")
        return 200, STORE[parts[0]][parts[1]]
    if parts == ["checkout", "calculate"] and method == "POST":
        return checkout(body, complete=False)
    if parts == ["checkout", "complete"] and method == "POST":
        return checkout(body, complete=True, key=headers.get("Idempotency-Key"))
    if parts[:1] == ["webhooks"]:
        return webhooks_route(method, parts, body)
    if parts[:1] == ["conformance"] and len(parts) >= 2 and parts[1] in kinds:  # test stores only
        return conformance_route(method, parts)
    raise Problem(404, "not_found", "no such route")


def make_handler(token):
    class Handler(BaseHTTPRequestHandler):
        def handle_any(self):
            url = urlsplit(self.path)
            if self.headers.get("Authorization") != f"Bearer {token}":
                return self.answer(
                    401,
                    {
                        "status": 401,
                        "code": "unauthorized",
                        "title": "Unauthorized",
                        "detail": "missing or wrong bearer token",
                    },
                    problem=True,
                )
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length)) if length else {}
                with LOCK:
                    status, answer = route(self.command, url.path, parse_qs(url.query), body, self.headers)
            except Problem as problem:
                return self.answer(
                    problem.status,
                    {"status": problem.status, "code": problem.code, "title": problem.code, "detail": problem.detail},
                    problem=True,
                )
            except (ValueError, KeyError, TypeError) as exc:
                return self.answer(
                    400,
                    {"status": 400, "code": "invalid_body", "title": "Bad Request", "detail": f"bad request: {exc}"},
                    problem=True,
                )
            return self.answer(status, answer)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        def answer(self, status, body, problem=False):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/problem+json" if problem else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            return

    return Handler


def main():
    parser = argparse.ArgumentParser(description="A minimal Ignite Bridge Platform API store.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--token", required=True, help="the bearer token the bridge must send")
    args = parser.parse_args()
    seed()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.token))
    print(f"Minimal platform at http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
