"""The one-time token that ties a platform's install callback to the connection that started it.

The token travels in the callback URL (and, on WooCommerce, as ``user_id``); only its SHA-256
is stored (``install_state_hash``) with an expiry. SparkLayer may repeat the connect call while the
merchant has not approved yet, and a repeat must give the same answer, so the token is not a fresh
random value per call: it is ``HMAC(SECRET_KEY, connection uuid + expiry instant)``. The expiry
instant is set (to now + TTL, microsecond precision) when a new token is needed, so each new
token differs, a repeat within the TTL reproduces the same one, and nobody without the
deployment's ``SECRET_KEY`` can compute it. Using it (or letting it expire) clears the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from connections.models import Connection

SALT = "connections.install_state"
SECRET_ALPHABET = string.ascii_letters + string.digits


def generate_secret(length: int = 48) -> str:
    """An alphanumeric secret from the ``secrets`` module (webhook and storefront signing secrets)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(length))


def state_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_for(connection: Connection, expires_at: datetime) -> str:
    return salted_hmac(SALT, f"{connection.uuid}:{expires_at.isoformat()}", algorithm="sha256").hexdigest()


def install_state_is_live(connection: Connection, *, now: datetime | None = None) -> bool:
    expires_at = connection.install_state_expires_at
    return bool(connection.install_state_hash) and expires_at is not None and expires_at > (now or timezone.now())


def install_state_token(connection: Connection) -> str:
    """The connection's current token, issuing a new one (and storing its hash) when none is live.

    The caller saves the connection; a reused token leaves the row unchanged."""
    if not install_state_is_live(connection):
        ttl = timedelta(seconds=settings.IGNITE_INSTALL_STATE_TTL_SECONDS)
        connection.install_state_expires_at = timezone.now() + ttl
        connection.install_state_hash = state_hash(_token_for(connection, connection.install_state_expires_at))
    assert connection.install_state_expires_at is not None
    return _token_for(connection, connection.install_state_expires_at)


def install_state_matches(connection: Connection, token: str) -> bool:
    """Constant-time check of a presented token against the stored hash; expired or used → False."""
    if not token or not install_state_is_live(connection):
        return False
    return hmac.compare_digest(state_hash(token), connection.install_state_hash)


def install_state_clear(connection: Connection) -> None:
    connection.install_state_hash = ""
    connection.install_state_expires_at = None
