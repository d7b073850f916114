"""Standard Webhooks verification by the standard adapter (``verify_webhook`` on the raw body).

Signatures are made with the ``standardwebhooks`` package's own signing (v1) and with ``cryptography``
(v1a), as a platform would make them; the subject is the adapter, as the webhook intake calls it."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from platforms.base import WebhookVerificationError
from platforms.standard import signatures
from platforms.standard.adapter import StandardAdapter
from platforms.types import DataType, WebhookAction

BRIDGE_SECRET = "bridge-webhook-secret-0123456789abcdefghijklmn"  # connection.webhook_secret (plain)
PLATFORM_SECRET = "whsec_" + base64.b64encode(b"a secret the platform issued itself!").decode()
PRIVATE_KEY, PUBLIC_KEY = signatures.new_key_pair()
BODY = b'{"type":"product.updated","timestamp":"2025-03-04T05:06:07Z","data":{"id":"p-17"}}'


def adapter(**credentials: str) -> StandardAdapter:
    return StandardAdapter(store_url="https://shop.example/ignite", credentials={"api_token": "t", **credentials})


def signed(
    body: bytes = BODY, *, entries: list[str] | None = None, webhook_id: str = "msg_1", age: int = 0
) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    if entries is None:
        entries = [signatures.sign_v1(signatures.secret_for(BRIDGE_SECRET), webhook_id, timestamp, body)]
    return {"webhook-id": webhook_id, "webhook-timestamp": timestamp, "webhook-signature": " ".join(entries)}


def v1(secret: str, headers: dict[str, str], body: bytes = BODY) -> str:
    return signatures.sign_v1(secret, headers["webhook-id"], headers["webhook-timestamp"], body)


def test_a_v1_delivery_says_which_record_to_fetch_keyed_by_its_webhook_id() -> None:
    delivery = adapter().verify_webhook(BODY, signed(), BRIDGE_SECRET)
    assert delivery is not None
    assert (delivery.data_type, delivery.record_id, delivery.action) == (
        DataType.PRODUCTS,
        "p-17",
        WebhookAction.UPDATED,
    )
    assert (delivery.topic, delivery.dedupe_key, delivery.delivery_id) == ("product.updated", "msg_1", "msg_1")
    assert delivery.occurred_at is not None
    assert delivery.occurred_at.isoformat() == "2025-03-04T05:06:07+00:00"


@pytest.mark.parametrize(
    ("event_type", "data_type", "action"),
    [
        ("customer.created", DataType.CUSTOMERS, WebhookAction.CREATED),
        ("order.deleted", DataType.PURCHASES, WebhookAction.DELETED),
    ],
)
def test_every_event_type_maps_to_its_data_type(event_type: str, data_type: DataType, action: WebhookAction) -> None:
    body = json.dumps({"type": event_type, "data": {"id": "9"}}).encode()
    headers = signed(body)
    delivery = adapter().verify_webhook(body, headers, BRIDGE_SECRET)
    assert delivery is not None
    assert (delivery.data_type, delivery.action, delivery.record_id) == (data_type, action, "9")


def test_v1a_is_verified_with_the_connections_public_key_only() -> None:
    headers = signed(entries=[])
    headers["webhook-signature"] = signatures.sign_v1a(PRIVATE_KEY, "msg_1", headers["webhook-timestamp"], BODY)
    assert adapter(webhook_public_key=PUBLIC_KEY).verify_webhook(BODY, headers, BRIDGE_SECRET) is not None
    _, other_key = signatures.new_key_pair()
    with pytest.raises(WebhookVerificationError, match="no webhook-signature entry matches"):
        adapter(webhook_public_key=other_key).verify_webhook(BODY, headers, BRIDGE_SECRET)
    with pytest.raises(
        WebhookVerificationError, match=r"no entry this connection can check \(sent: v1a; trusted: v1\)"
    ):
        adapter().verify_webhook(BODY, headers, BRIDGE_SECRET)


def test_rotation_several_signatures_one_valid_is_enough_and_junk_entries_are_ignored() -> None:
    headers = signed(entries=[])
    old = v1("whsec_" + base64.b64encode(b"the secret before the rotation!!").decode(), headers)
    headers["webhook-signature"] = (
        f"garbage v2,abc {old} v1,not-base64!! {v1(signatures.secret_for(BRIDGE_SECRET), headers)}"
    )
    assert adapter().verify_webhook(BODY, headers, BRIDGE_SECRET) is not None


def test_a_secret_the_platform_issued_is_trusted_besides_the_bridges_own() -> None:
    headers = signed(entries=[])
    headers["webhook-signature"] = v1(PLATFORM_SECRET, headers)
    assert adapter(webhook_secret=PLATFORM_SECRET).verify_webhook(BODY, headers, BRIDGE_SECRET) is not None
    with pytest.raises(WebhookVerificationError):
        adapter().verify_webhook(BODY, headers, BRIDGE_SECRET)


def reserialised(body: bytes) -> bytes:
    return json.dumps(json.loads(body), indent=1).encode()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b, h: (b.replace(b"p-17", b"p-18"), h), "no webhook-signature entry matches"),
        (lambda b, h: (reserialised(b), h), "no webhook-signature entry matches"),
        (lambda b, h: (b, {**h, "webhook-id": "msg_2"}), "no webhook-signature entry matches"),
        (lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-id"}), "missing webhook-id header"),
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-timestamp"}),
            "missing webhook-timestamp header",
        ),
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-signature"}),
            "missing webhook-signature header",
        ),
        (lambda b, h: (b, {**h, "webhook-timestamp": "soon"}), "is not a unix timestamp"),
    ],
)
def test_forged_or_incomplete_deliveries_are_refused(change: Any, reason: str) -> None:
    body, headers = change(BODY, signed())
    with pytest.raises(WebhookVerificationError, match=reason):
        adapter().verify_webhook(body, headers, BRIDGE_SECRET)


def test_a_wrong_secret_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="no webhook-signature entry matches"):
        adapter().verify_webhook(BODY, signed(), "another-connections-secret-0123456789abcdefgh")


@pytest.mark.parametrize(("age", "accepted"), [(290, True), (-290, True), (310, False), (-310, False)])
def test_the_timestamp_must_be_within_five_minutes_either_way(age: int, accepted: bool) -> None:
    headers = signed(age=age)
    if accepted:
        assert adapter().verify_webhook(BODY, headers, BRIDGE_SECRET) is not None
    else:
        with pytest.raises(WebhookVerificationError, match="more than 300 s"):
            adapter().verify_webhook(BODY, headers, BRIDGE_SECRET)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "ping", "data": {"id": "wh_1"}},
        {"type": "invoice.paid", "data": {"id": "1"}},
        {"type": "product.updated", "data": {}},
    ],
)
def test_verified_events_with_nothing_to_sync_are_none(event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    assert adapter().verify_webhook(body, signed(body), BRIDGE_SECRET) is None


def test_a_long_webhook_id_becomes_a_fixed_length_dedupe_key() -> None:
    long_id = "msg_" + "x" * 200
    delivery = adapter().verify_webhook(BODY, signed(webhook_id=long_id), BRIDGE_SECRET)
    assert delivery is not None
    assert len(delivery.dedupe_key) == 64
    assert (
        delivery.dedupe_key
        != adapter().verify_webhook(BODY, signed(webhook_id=long_id + "y"), BRIDGE_SECRET).dedupe_key
    )  # type: ignore[union-attr]


def test_the_bridge_secret_is_handed_over_as_whsec() -> None:
    secret = signatures.secret_for(BRIDGE_SECRET)
    assert secret.startswith("whsec_")
    assert signatures.secret_bytes(secret) == BRIDGE_SECRET.encode()
    assert signatures.secret_for(PLATFORM_SECRET) == PLATFORM_SECRET
