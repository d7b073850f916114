"""Storefront single sign-on tokens: a compact JWT the store signs, the bridge checks (docs/ignite-contract.md §1.5).

Every platform without a customer token of its own uses this scheme (``docs/storefront-login.md``):
the store signs ``{"sub": <customer id>, "exp": ...}`` with HS256 and the connection's storefront
secret. Only HS256 is accepted: the algorithm is pinned so a token claiming ``alg: none`` or an
asymmetric algorithm is refused whatever its header says. A ``crit`` header (extensions the verifier
must understand, RFC 7515 §4.1.11) is refused: the bridge understands none. ``exp`` may lie at most
``max_lifetime_seconds`` after the token's ``iat`` and after now, so a leaked token cannot be minted
to last for years. ``audience``/``issuer``, when the connection sets them, bind a token to one site:
a token made for site A is refused on site B even when both share a secret.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from platforms.base import CredentialInvalid

ALGORITHM = "HS256"
#: clock skew tolerated between the store's clock and the bridge's (seconds)
LEEWAY_SECONDS = 30
#: longest credential accepted; a JWT with a customer id is far shorter
MAX_TOKEN_LENGTH = 4096
#: default bound on a token's lifetime (``STOREFRONT_JWT_MAX_LIFETIME_SECONDS``)
MAX_LIFETIME_SECONDS = 3600


def storefront_token_claims(
    token: str,
    *,
    secret: str,
    audience: str = "",
    issuer: str = "",
    max_lifetime_seconds: int = MAX_LIFETIME_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a valid token (``sub`` present, not checked further); ``CredentialInvalid`` otherwise."""
    if not secret:
        raise CredentialInvalid("This connection has no storefront secret: storefront login is not set up.")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise CredentialInvalid("The storefront credential is not a token.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise CredentialInvalid("The storefront credential is not valid.") from exc
    if "crit" in header:
        raise CredentialInvalid("The storefront credential has critical header extensions the bridge does not support.")
    required = ["exp", "sub", *(["aud"] if audience else []), *(["iss"] if issuer else [])]
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # "sub" may be a number (PHP json_encode of an int): checked by the caller instead of by PyJWT.
            options={"require": required, "verify_sub": False},
            audience=audience or None,
            issuer=issuer or None,
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise CredentialInvalid("The storefront credential has expired.") from exc
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as exc:
        raise CredentialInvalid("The storefront credential was issued for another site.") from exc
    except jwt.PyJWTError as exc:
        raise CredentialInvalid("The storefront credential is not valid.") from exc
    _check_lifetime(claims, max_lifetime_seconds=max_lifetime_seconds, now=time.time() if now is None else now)
    return claims


def _check_lifetime(claims: dict[str, Any], *, max_lifetime_seconds: int, now: float) -> None:
    """``exp`` at most ``max_lifetime_seconds`` after now and after ``iat`` (when the token has one)."""
    expires = int(claims["exp"])  # PyJWT has checked it is an integer
    if expires - now > max_lifetime_seconds + LEEWAY_SECONDS:
        raise CredentialInvalid(
            f"The storefront credential is valid for longer than {max_lifetime_seconds} seconds; issue shorter tokens."
        )
    issued = claims.get("iat")
    if isinstance(issued, int | float) and expires - issued > max_lifetime_seconds:
        raise CredentialInvalid(
            f"The storefront credential is valid for longer than {max_lifetime_seconds} seconds; issue shorter tokens."
        )
