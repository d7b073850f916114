"""Standard Webhooks signatures: verifying ``v1`` (HMAC-SHA256) and ``v1a`` (Ed25519) on the raw body.

The scheme (Standard Webhooks specification, summarised in ``docs/platform-api.md``): the sender
signs ``{webhook-id}.{webhook-timestamp}.{body}`` and sends, space-separated in
``webhook-signature``, one or more ``<version>,<base64 signature>`` entries, so a key can be
rotated without downtime (old and new signatures side by side; one valid entry is enough).

* ``v1``: HMAC-SHA256 with the base64-decoded bytes after ``whsec_``. Verified by the maintained
  ``standardwebhooks`` package (constant-time comparison and the ±5 minute timestamp tolerance).
* ``v1a``: Ed25519 with the platform's public key ``whpk_<base64 of the 32 raw key bytes>``. The
  package skips ``v1a``, so it is verified here with ``cryptography``, with the same tolerance.

Entries of any other version, and malformed entries, are ignored (a later version may be sent
beside ``v1`` during an upgrade); a delivery is accepted when at least one entry verifies.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import standardwebhooks
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
PUBLIC_KEY_PREFIX = "whpk_"
PRIVATE_KEY_PREFIX = "whsk_"
#: how far ``webhook-timestamp`` may be from the receiver's clock, either way (the specification's 5 minutes)
TOLERANCE_SECONDS = 5 * 60


class SignatureError(Exception):
    """The delivery is not signed by a key this connection trusts; the message says why."""


@dataclass(frozen=True)
class SignedHeaders:
    webhook_id: str
    timestamp: str
    entries: tuple[tuple[str, str], ...]  # (version, base64 signature)


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive lookup (Django's ``request.headers`` is; a plain dict may not be)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return str(value).strip() if value is not None else ""


def signed_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """The three headers, or ``SignatureError`` naming the first one missing."""
    found = {name: header(headers, name) for name in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)}
    for name, value in found.items():
        if not value:
            raise SignatureError(f"missing {name} header")
    entries = []
    for item in found[SIGNATURE_HEADER].split():
        version, comma, signature = item.partition(",")
        if comma and version and signature:
            entries.append((version, signature))
    return SignedHeaders(found[ID_HEADER], found[TIMESTAMP_HEADER], tuple(entries))


def check_timestamp(timestamp: str, *, now: float | None = None) -> None:
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} {timestamp[:32]!r} is not a unix timestamp") from None
    skew = (time.time() if now is None else now) - sent
    if skew > TOLERANCE_SECONDS:
        raise SignatureError(f"{TIMESTAMP_HEADER} is {int(skew)} s old (more than {TOLERANCE_SECONDS} s): a replay?")
    if skew < -TOLERANCE_SECONDS:
        raise SignatureError(f"{TIMESTAMP_HEADER} is {int(-skew)} s in the future (more than {TOLERANCE_SECONDS} s)")


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; ``ValueError`` when it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("the whsec_ secret is not base64") from exc
    if not key:
        raise ValueError("the whsec_ secret is empty")
    return key


def public_key(value: str) -> Ed25519PublicKey:
    """An Ed25519 public key from ``whpk_<base64>``; ``ValueError`` when it is not one."""
    if not value.startswith(PUBLIC_KEY_PREFIX):
        raise ValueError("a Standard Webhooks public key starts with whpk_")
    try:
        raw = base64.b64decode(value[len(PUBLIC_KEY_PREFIX) :], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the whpk_ key is not base64 of 32 Ed25519 public key bytes") from exc


def secret_for(value: str) -> str:
    """A ``whsec_`` secret for the bridge's own webhook secret: its UTF-8 bytes are the HMAC key.

    A value that already is a ``whsec_`` secret is returned unchanged."""
    if value.startswith(SECRET_PREFIX):
        return value
    return SECRET_PREFIX + base64.b64encode(value.encode()).decode()


def signed_content(webhook_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{webhook_id}.{timestamp}.".encode() + body


def verify(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secrets: Sequence[str] = (),
    public_keys: Sequence[str] = (),
    check_time: bool = True,
) -> SignedHeaders:
    """Check the delivery against every trusted key; the parsed headers when one entry verifies.

    Raises ``SignatureError`` with the reason otherwise (missing header, stale timestamp, no entry
    of a version this connection has a key for, or no entry that verifies). ``check_time=False``
    is for recorded test vectors only, whose timestamp is old by nature."""
    signed = signed_headers(headers)
    if check_time:
        check_timestamp(signed.timestamp)
    versions = {version for version, _ in signed.entries}
    usable = ({"v1"} if secrets else set()) | ({"v1a"} if public_keys else set())
    if not versions & usable:
        offered = ", ".join(sorted(versions)) or "none"
        trusted = ", ".join(sorted(usable)) or "none (no secret or public key is configured)"
        raise SignatureError(
            f"{SIGNATURE_HEADER} has no entry this connection can check (sent: {offered}; trusted: {trusted})"
        )
    if "v1" in versions and _v1_verifies(body, signed, secrets, check_time=check_time):
        return signed
    if "v1a" in versions and _v1a_verifies(body, signed, public_keys):
        return signed
    raise SignatureError(f"no {SIGNATURE_HEADER} entry matches the body with a trusted key")


def _v1_verifies(body: bytes, signed: SignedHeaders, secrets: Sequence[str], *, check_time: bool) -> bool:
    """``standardwebhooks`` verifies the v1 entries. Entries that are not base64 are left out of what
    it is given: it stops at the first one it cannot decode, before trying the valid ones. Without
    the time check (test vectors) its ``sign`` computes the expected entry and the comparison is
    constant-time here."""
    v1 = [signature for version, signature in signed.entries if version == "v1" and _is_base64(signature)]
    if not v1:
        return False
    headers = {ID_HEADER: signed.webhook_id, TIMESTAMP_HEADER: signed.timestamp, SIGNATURE_HEADER: ""}
    headers[SIGNATURE_HEADER] = " ".join(f"v1,{signature}" for signature in v1)
    for secret in secrets:
        try:
            webhook = standardwebhooks.Webhook(secret_bytes(secret))
            if check_time:
                webhook.verify(body, headers, json_parse=False)
                return True
            expected = sign_v1(secret, signed.webhook_id, signed.timestamp, body).encode()
            if any(hmac.compare_digest(expected, f"v1,{signature}".encode()) for signature in v1):
                return True
        except (standardwebhooks.WebhookVerificationError, ValueError, UnicodeDecodeError, binascii.Error):
            continue
    return False


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _v1a_verifies(body: bytes, signed: SignedHeaders, keys: Sequence[str]) -> bool:
    content = signed_content(signed.webhook_id, signed.timestamp, body)
    for encoded in keys:
        try:
            key = public_key(encoded)
        except ValueError:
            continue
        for version, signature in signed.entries:
            if version != "v1a":
                continue
            try:
                key.verify(base64.b64decode(signature, validate=True), content)
            except (InvalidSignature, binascii.Error, ValueError):
                continue
            return True
    return False


# -- signing (the sandbox, tests and the conformance checker's test vectors) -------------------


def sign_v1(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """One ``v1,<base64>`` entry, computed by ``standardwebhooks`` itself."""
    when = datetime.fromtimestamp(int(timestamp), tz=UTC)
    return standardwebhooks.Webhook(secret_bytes(secret)).sign(webhook_id, when, body.decode())


def sign_v1a(private_key: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """One ``v1a,<base64>`` entry with a ``whsk_<base64 of the 32-byte seed>`` private key."""
    seed = base64.b64decode(private_key[len(PRIVATE_KEY_PREFIX) :])
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(signed_content(webhook_id, timestamp, body))
    return "v1a," + base64.b64encode(signature).decode()


def new_key_pair() -> tuple[str, str]:
    """A fresh Ed25519 pair as (``whsk_...``, ``whpk_...``)."""
    from cryptography.hazmat.primitives import serialization

    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PRIVATE_KEY_PREFIX + base64.b64encode(seed).decode(), PUBLIC_KEY_PREFIX + base64.b64encode(
        raw_public
    ).decode()
