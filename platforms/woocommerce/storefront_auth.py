"""Storefront single sign-on for WooCommerce: the store signs a short-lived JWT, the bridge checks it.

WooCommerce issues no customer token of its own (docs/ignite-contract.md §1.5, [decision]). The store runs a few
lines of PHP (``docs/storefront-login.md``) that sign ``{"sub": <customer id>, "exp": ...}`` with
HS256 and the connection's storefront secret; SparkLayer's storefront script sends that token to
SparkLayer, which hands it to ``POST /authentication/verify``. The token rules every platform shares
are in ``platforms/storefront_tokens.py``; WooCommerce adds that the subject is a customer number.
"""

from __future__ import annotations

from ignite_bridge.core.ids import positive_id
from platforms.base import CredentialInvalid
from platforms.storefront_tokens import MAX_LIFETIME_SECONDS, storefront_token_claims


def storefront_token_subject(
    token: str,
    *,
    secret: str,
    audience: str = "",
    issuer: str = "",
    max_lifetime_seconds: int = MAX_LIFETIME_SECONDS,
    now: float | None = None,
) -> str:
    """The WooCommerce customer id a valid token names; ``CredentialInvalid`` for anything else."""
    claims = storefront_token_claims(
        token, secret=secret, audience=audience, issuer=issuer, max_lifetime_seconds=max_lifetime_seconds, now=now
    )
    number = positive_id(str(claims.get("sub") or "").strip())
    if number is None:
        raise CredentialInvalid("The storefront credential does not name a WooCommerce customer.")
    return str(number)
