"""Where a standard platform connection's credentials come from: the connect call's ``extra_config``.

The Platform API has no app-authorisation flow: the platform team issues an API token and puts it
in ``extra_config`` with the connection's optional webhook keys and storefront-login choice:

===========================  ======================================================================
``api_token``                required: the bearer token the bridge calls ``{base}`` with
``webhook_public_key``       optional ``whpk_...``: verify ``v1a`` (Ed25519) signatures with it
``webhook_secret``           optional ``whsec_...``: a secret the platform issued for ``v1`` signatures
                             (besides the bridge's own, which it hands over with the subscription)
``storefront_login``         ``jwt`` (default: HS256 tokens the bridge verifies) or ``platform``
                             (``POST {base}/storefront/verify``)
===========================  ======================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.standard import signatures
from platforms.standard.customer_requests import STOREFRONT_JWT, STOREFRONT_PLATFORM


def credentials_from_extra_config(extra_config: Mapping[str, Any]) -> dict[str, str]:
    """The stored credentials; ``ValueError`` naming the field that is missing or malformed."""
    token = _value(extra_config, "api_token")
    if not token:
        raise ValueError(
            "extra_config.api_token is required for the standard platform (it has no app-authorisation flow)"
        )
    credentials = {"api_token": token}
    public_key = _value(extra_config, "webhook_public_key")
    if public_key:
        try:
            signatures.public_key(public_key)
        except ValueError as exc:
            raise ValueError(f"extra_config.webhook_public_key: {exc}") from exc
        credentials["webhook_public_key"] = public_key
    secret = _value(extra_config, "webhook_secret")
    if secret:
        try:
            signatures.secret_bytes(secret)
        except ValueError as exc:
            raise ValueError(f"extra_config.webhook_secret: {exc}") from exc
        credentials["webhook_secret"] = secret
    login = _value(extra_config, "storefront_login") or STOREFRONT_JWT
    if login not in (STOREFRONT_JWT, STOREFRONT_PLATFORM):
        raise ValueError(f"extra_config.storefront_login must be {STOREFRONT_JWT!r} or {STOREFRONT_PLATFORM!r}")
    credentials["storefront_login"] = login
    return credentials


def _value(extra_config: Mapping[str, Any], name: str) -> str:
    return str(extra_config.get(name) or "").strip()
