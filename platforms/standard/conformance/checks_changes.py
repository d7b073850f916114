"""Checks that change the store: stable cursors while records come and go, and the signed test webhook.

Both need a test store. Cursor stability uses the ``conformance`` fixtures (records the checker
creates, changes and deletes between pages); the webhook check subscribes a local receiver with a
fresh ``whsec_`` secret, asks for a test delivery and, with the fixtures, for a real event.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Mapping
from typing import Any

from platforms.standard import signatures
from platforms.standard.capabilities import CONFORMANCE, WEBHOOKS
from platforms.standard.conformance import schema
from platforms.standard.conformance.checks_read import expect, valid
from platforms.standard.conformance.context import RESOURCES, Context
from platforms.standard.conformance.receiver import Delivery, Receiver
from platforms.standard.conformance.report import CheckResult
from platforms.standard.mapping.common import parse_timestamp
from platforms.standard.webhooks import EVENT_TYPES

#: records the cursor check creates before it starts listing, and the page size it lists them with
FIXTURES = 6
SMALL_PAGE = 2


def _create(ctx: Context, result: CheckResult, resource: str) -> dict[str, Any] | None:
    answer = ctx.call("POST", f"conformance/{resource}")
    if not expect(result, answer, f"POST /conformance/{resource}", status=201):
        return None
    if not valid(result, RESOURCES[resource], answer.body, where=f"POST /conformance/{resource}"):
        return None
    return dict(answer.body)


def _delete(ctx: Context, resource: str, record_id: str) -> None:
    ctx.call("DELETE", f"conformance/{resource}/{record_id}")


def cursor_stability(ctx: Context) -> None:
    """Walk a listing in pages of two while, between pages, a record already returned is deleted,
    a new one is created and one not yet returned is changed. Every record that existed for the
    whole walk must come back exactly once; none may come back twice (docs/platform-api.md,
    "Stable cursors")."""
    for resource in RESOURCES:
        with ctx.check(f"stable cursor: {resource} (records change between pages)") as result:
            if not ctx.needs(result, CONFORMANCE, writes=True):
                continue
            created = [record for _ in range(FIXTURES) if (record := _create(ctx, result, resource))]
            if len(created) < FIXTURES:
                continue
            stamps = [when for record in created if (when := parse_timestamp(record.get("updated_at")))]
            if not stamps:
                result.fail(f"POST /conformance/{resource}: the created records have no updated_at")
                continue
            bound = min(stamps).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            ours = [str(record["id"]) for record in created]
            extra: list[str] = []
            try:
                _walk_while_changing(ctx, result, resource, bound, ours, extra)
            finally:
                for record_id in ours + extra:
                    _delete(ctx, resource, record_id)


def _walk_while_changing(
    ctx: Context, result: CheckResult, resource: str, bound: str, ours: list[str], extra: list[str]
) -> None:
    seen: list[str] = []
    deleted: set[str] = set()
    cursor: str | None = None
    rounds = 0
    while True:
        query = {"updated_after": bound, "limit": SMALL_PAGE, **({"cursor": cursor} if cursor else {})}
        answer = ctx.call("GET", resource, params=query)
        where = f"GET /{resource}?updated_after=…&limit={SMALL_PAGE} page {rounds + 1}"
        if not expect(result, answer, where) or not valid(result, "common.json#/$defs/page", answer.body, where=where):
            return
        seen += [str(item.get("id")) for item in answer.body["data"] if isinstance(item, Mapping)]
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break
        if rounds < 2:  # change the store between the first pages
            returned = [record_id for record_id in ours if record_id in seen and record_id not in deleted]
            pending = [record_id for record_id in ours if record_id not in seen and record_id not in deleted]
            if returned:
                _delete(ctx, resource, returned[0])
                deleted.add(returned[0])
            if pending:
                ctx.call("PATCH", f"conformance/{resource}/{pending[-1]}")
            new = _create(ctx, result, resource)
            if new is not None:
                extra.append(str(new["id"]))
        rounds += 1
        if rounds > 10 * FIXTURES + len(ctx.listed.get(resource) or []):
            result.fail(f"GET /{resource}: the walk did not end")
            return
    counts = Counter(seen)
    twice = sorted(record_id for record_id, n in counts.items() if n > 1)
    if twice:
        result.fail(f"GET /{resource}: records returned twice during one walk: {', '.join(twice)}")
    never = [record_id for record_id in ours if record_id not in deleted and not counts[record_id]]
    if never:
        result.fail(
            f"GET /{resource}: {len(never)} records that existed for the whole walk were never returned "
            f"({', '.join(never)}) after records before the cursor were deleted: the cursor must name the last "
            "record returned (keyset paging), not an offset"
        )
    result.note(
        f"walked {rounds + 1} pages; deleted {len(deleted)}, created {len(extra)} and changed records meanwhile"
    )


# -- webhooks ---------------------------------------------------------------------------------------


def webhooks(ctx: Context) -> None:
    with ctx.check("webhooks (signed test delivery)") as result:
        vector = ctx.options.signature_vector
        if vector is not None:
            _check_vector(result, vector)
            return
        if not ctx.needs(result, WEBHOOKS, writes=True):
            result.note("pass --signature-vector FILE to check a recorded delivery instead")
            return
        secret = signatures.SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
        with Receiver(ctx.options.listen_host, ctx.options.listen_port) as receiver:
            url = ctx.options.receiver_url or receiver.url
            answer = ctx.call("POST", "webhooks", body={"url": url, "secret": secret, "events": list(EVENT_TYPES)})
            if not expect(result, answer, "POST /webhooks", status=201):
                return
            if not valid(result, "webhook-subscription.json", answer.body, where="POST /webhooks"):
                return
            subscription = str(answer.body["id"])
            try:
                _check_deliveries(ctx, result, receiver, subscription, secret, url)
            finally:
                gone = ctx.call("DELETE", f"webhooks/{subscription}")
                expect(result, gone, f"DELETE /webhooks/{subscription}", status=204)
                _check_gone(ctx, result, subscription)


def _check_gone(ctx: Context, result: CheckResult, subscription: str) -> None:
    listing = ctx.call("GET", "webhooks")
    reference = "answers.json#/$defs/webhook_subscriptions"
    if not expect(result, listing, "GET /webhooks") or not valid(
        result, reference, listing.body, where="GET /webhooks"
    ):
        return
    if any(str(item.get("id")) == subscription for item in listing.body["data"]):
        result.fail(f"GET /webhooks still lists {subscription} after it was deleted")


def _check_deliveries(
    ctx: Context, result: CheckResult, receiver: Receiver, subscription: str, secret: str, url: str
) -> None:
    test = ctx.call("POST", f"webhooks/{subscription}/test")
    if not expect(result, test, f"POST /webhooks/{subscription}/test", status=202):
        return
    ping = receiver.wait_for(lambda d: _event(d).get("type") == "ping", ctx.options.webhook_timeout)
    if ping is None:
        result.fail(
            f"no test delivery reached {url} within {ctx.options.webhook_timeout:.0f} s: is it reachable from the "
            "platform? (--receiver-url names a public URL for it; --signature-vector checks a recorded delivery)"
        )
        return
    _verify(ctx, result, ping, secret, "the test delivery")
    if not ctx.has(CONFORMANCE):
        result.note("announce 'conformance' to have a real product.created event checked too")
        return
    created = ctx.call("POST", "conformance/products")
    if not expect(result, created, "POST /conformance/products", status=201):
        return
    product_id = str(created.body.get("id"))
    try:
        event = receiver.wait_for(
            lambda d: _event(d).get("type") == "product.created"
            and str(_event(d).get("data", {}).get("id")) == product_id,
            ctx.options.webhook_timeout,
        )
        if event is None:
            result.fail(
                f"no product.created event for product {product_id} arrived within {ctx.options.webhook_timeout:.0f} s"
            )
        else:
            _verify(ctx, result, event, secret, f"the product.created event of {product_id}")
    finally:
        ctx.call("DELETE", f"conformance/products/{product_id}")


def _event(delivery: Delivery) -> dict[str, Any]:
    try:
        body = json.loads(delivery.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _verify(ctx: Context, result: CheckResult, delivery: Delivery, secret: str, what: str) -> None:
    keys = [ctx.options.webhook_public_key] if ctx.options.webhook_public_key else []
    try:
        signed = signatures.verify(delivery.body, delivery.headers, secrets=[secret], public_keys=keys)
    except signatures.SignatureError as exc:
        result.fail(f"{what} does not verify with the secret the checker subscribed with: {exc}")
        return
    versions = sorted({version for version, _ in signed.entries})
    result.note(f"{what}: webhook-id {signed.webhook_id}, signatures {', '.join(versions)}: verified")
    if "." in signed.webhook_id:
        result.fail(f"{what}: webhook-id {signed.webhook_id!r} contains '.', which makes the signed content ambiguous")
    for problem in schema.errors("event.json", _event(delivery) or delivery.body.decode(errors="replace"), where=what):
        result.fail(problem)


def _check_vector(result: CheckResult, vector: Mapping[str, Any]) -> None:
    body = str(vector.get("body") or "").encode()
    headers = {str(k): str(v) for k, v in (vector.get("headers") or {}).items()}
    secret, key = str(vector.get("secret") or ""), str(vector.get("public_key") or "")
    try:
        signed = signatures.verify(
            body, headers, secrets=[secret] if secret else [], public_keys=[key] if key else [], check_time=False
        )
    except signatures.SignatureError as exc:
        result.fail(f"the recorded delivery does not verify: {exc}")
        return
    result.note(f"recorded delivery {signed.webhook_id} verified (its timestamp was not checked: it is a recording)")
    try:
        event = json.loads(body)
    except ValueError:
        result.fail("the recorded delivery's body is not JSON")
        return
    for problem in schema.errors("event.json", event, where="the recorded delivery"):
        result.fail(problem)
