"""Storefront single sign-on for WooCommerce: the store signs a short-lived JWT, the bridge checks it.

WooCommerce issues no customer token of its own (contract §1.5, [decision]). The store runs a few
lines of PHP (``docs/storefront-login.md``) that sign ``{"sub": <customer id>, "exp": ...}`` with
HS256 and the connection's storefront secret; SparkLayer's storefront script sends that token to
SparkLayer, which hands it to ``POST /authentication/verify``.

Only HS256 is accepted: the algorithm is pinned so a token claiming ``alg: none`` or an asymmetric
algorithm is refused whatever its header says.
"""

from __future__ import annotations

import jwt

from ignite_bridge.core.ids import positive_id
from platforms.base import CredentialInvalid

ALGORITHM = "HS256"
#: clock skew tolerated between the store's clock and the bridge's (seconds)
LEEWAY_SECONDS = 30
#: longest credential accepted; a JWT with a customer id is far shorter
MAX_TOKEN_LENGTH = 4096


def storefront_token_subject(token: str, *, secret: str) -> str:
    """The WooCommerce customer id a valid token names; ``CredentialInvalid`` for anything else."""
    if not secret:
        raise CredentialInvalid("This connection has no storefront secret: storefront login is not set up.")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise CredentialInvalid("The storefront credential is not a token.")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # "sub" may be a number (PHP json_encode of an int): checked below instead of by PyJWT.
            options={"require": ["exp", "sub"], "verify_sub": False},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise CredentialInvalid("The storefront credential has expired.") from exc
    except jwt.PyJWTError as exc:
        raise CredentialInvalid("The storefront credential is not valid.") from exc
    number = positive_id(str(claims.get("sub") or "").strip())
    if number is None:
        raise CredentialInvalid("The storefront credential does not name a WooCommerce customer.")
    return str(number)
