"""Webhook verification on the raw body: valid accepted, anything tampered or unsigned rejected, ping ignored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from platforms.base import WebhookVerificationError
from platforms.types import DataType, WebhookAction
from platforms.woocommerce.webhooks import verify_webhook
from tests.platforms.woocommerce.support import FIXTURES

SECRET = "k3Yw8pQzT1vN6mRr0sXa2bLc9dEf4gHj5"  # alphanumeric, ≥ 32 characters, as we register them
BODY = (FIXTURES / "webhook_product_updated.body").read_bytes()


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers(body: bytes, *, topic: str = "product.updated", signature: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.8.5 Hookshot (WordPress/6.8.1)",
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": sign(body) if signature is None else signature,
        "X-WC-Webhook-ID": "17",
        "X-WC-Webhook-Delivery-ID": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    }


def test_valid_delivery_is_accepted() -> None:
    delivery = verify_webhook(BODY, headers(BODY), SECRET)

    assert delivery is not None
    assert delivery.data_type == DataType.PRODUCTS
    assert delivery.record_id == "40"
    assert delivery.action == WebhookAction.UPDATED
    assert delivery.topic == "product.updated"
    assert delivery.delivery_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert delivery.occurred_at == datetime(2024, 3, 20, 15, 30, tzinfo=UTC)
    body_hash = hashlib.sha256(BODY).digest()
    expected = b"\n".join([b"17", b"product.updated", b"a1b2c3d4e5f60718293a4b5c6d7e8f90", body_hash])
    assert delivery.dedupe_key == hashlib.sha256(expected).hexdigest()


def test_header_names_are_case_insensitive() -> None:
    lowered = {k.lower(): v for k, v in headers(BODY).items()}
    assert verify_webhook(BODY, lowered, SECRET) is not None


def test_same_body_twice_has_the_same_dedupe_key_and_a_new_body_another() -> None:
    other = BODY.replace(b"15:30:00", b"15:31:00")
    first = verify_webhook(BODY, headers(BODY), SECRET)
    again = verify_webhook(BODY, headers(BODY), SECRET)
    changed = verify_webhook(other, headers(other), SECRET)
    assert first is not None
    assert again is not None
    assert changed is not None
    assert first.dedupe_key == again.dedupe_key != changed.dedupe_key


def test_the_same_body_in_another_second_is_another_delivery() -> None:
    """Stock 5 -> 4 -> 5 with an unchanged date_modified sends the same bytes twice: the second
    delivery (another second, so another delivery id) must not be taken for a repeat."""
    later = {**headers(BODY), "X-WC-Webhook-Delivery-ID": "ffffffffffffffffffffffffffffffff"}
    first = verify_webhook(BODY, headers(BODY), SECRET)
    again = verify_webhook(BODY, later, SECRET)
    assert first is not None
    assert again is not None
    assert first.dedupe_key != again.dedupe_key


def test_tampered_body_is_rejected() -> None:
    tampered = BODY.replace(b'"status":"publish"', b'"status":"draft"')
    with pytest.raises(WebhookVerificationError):
        verify_webhook(tampered, headers(BODY), SECRET)


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, headers(BODY), "not-the-secret-we-registered-000000")


def test_api_consumer_secret_instead_of_webhook_secret_is_rejected() -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, headers(BODY, signature=sign(BODY, "cs_" + "0" * 40)), SECRET)


def test_missing_signature_header_is_rejected() -> None:
    unsigned = headers(BODY)
    del unsigned["X-WC-Webhook-Signature"]
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, unsigned, SECRET)


def test_signature_over_reserialised_json_is_rejected() -> None:
    # What a receiver gets wrong when it hashes json.dumps(json.loads(body)): "\/" and "\u00e9" change.
    reserialised = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert reserialised != BODY
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, headers(BODY, signature=sign(reserialised)), SECRET)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(reserialised, headers(BODY), SECRET)


def test_ping_returns_none() -> None:
    ping_headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "WooCommerce/9.8.5 Hookshot"}
    assert verify_webhook(b"webhook_id=17", ping_headers, SECRET) is None


def test_variation_delivery_names_its_parent_product() -> None:
    body = b'{"id":42,"parent_id":40,"type":"variation","sku":"TEE-BLUE-M","date_modified_gmt":"2024-03-20T15:30:00"}'
    delivery = verify_webhook(body, headers(body), SECRET)
    assert delivery is not None
    assert (delivery.data_type, delivery.record_id) == (DataType.PRODUCTS, "40")


@pytest.mark.parametrize(
    ("topic", "data_type", "action"),
    [
        ("customer.created", DataType.CUSTOMERS, WebhookAction.CREATED),
        ("customer.deleted", DataType.CUSTOMERS, WebhookAction.DELETED),
        ("order.restored", DataType.PURCHASES, WebhookAction.RESTORED),
        ("product.deleted", DataType.PRODUCTS, WebhookAction.DELETED),
    ],
)
def test_topics_map_to_data_type_and_action(topic: str, data_type: DataType, action: WebhookAction) -> None:
    body = b'{"id":25}'  # deleted bodies carry the id only
    delivery = verify_webhook(body, headers(body, topic=topic), SECRET)
    assert delivery is not None
    assert (delivery.data_type, delivery.action, delivery.record_id, delivery.occurred_at) == (
        data_type,
        action,
        "25",
        None,
    )


def test_signed_delivery_for_an_unsubscribed_topic_is_ignored() -> None:
    body = b'{"id":5,"code":"SPRING10"}'
    assert verify_webhook(body, headers(body, topic="coupon.created"), SECRET) is None


def test_signed_error_body_without_id_is_ignored() -> None:
    body = b'{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":404}}'
    assert verify_webhook(body, headers(body), SECRET) is None
