"""The WooCommerce app-authorisation ("key generation") flow and where credentials come from.

The merchant approves the app at ``{store}/wc-auth/v1/authorize``; WooCommerce then POSTs the new
keys as JSON to our ``callback_url`` (which must be https) before redirecting the browser to
``return_url``. ``user_id`` is echoed back as sent, so it carries our one-time state token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ignite_bridge.core.jsonlimits import JsonTooDeep, json_loads_bounded
from platforms.types import AuthorizationResult

APP_NAME = "SparkLayer Ignite Bridge"
SCOPE = "read_write"

#: accepted ``extra_config`` key pairs, in order of preference (docs/ignite-contract.md §1.1)
CREDENTIAL_KEY_PAIRS = (
    ("woocommerce_api_key", "woocommerce_api_secret"),
    ("woocommerce_basic_user", "woocommerce_basic_pass"),
)


def authorization_url(
    store_url: str, *, callback_url: str, return_url: str, state: str, app_name: str = APP_NAME
) -> str:
    query = urlencode(
        {
            "app_name": app_name,
            "scope": SCOPE,
            "user_id": state,
            "return_url": return_url,
            "callback_url": callback_url,
        }
    )
    return f"{store_url.rstrip('/')}/wc-auth/v1/authorize?{query}"


def parse_authorization_callback(body: bytes) -> AuthorizationResult:
    """Read ``{key_id, user_id, consumer_key, consumer_secret, key_permissions}``; ValueError if malformed."""
    try:
        data = json_loads_bounded(body or b"")
    except JsonTooDeep as exc:
        raise ValueError(f"authorization callback body is refused: {exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("authorization callback body is not JSON") from exc
    if not isinstance(data, Mapping):
        raise ValueError("authorization callback body is not a JSON object")
    state = data.get("user_id")
    if isinstance(state, bool) or not isinstance(state, str | int) or not str(state).strip():
        raise ValueError("authorization callback has no user_id (state)")
    key, secret = data.get("consumer_key"), data.get("consumer_secret")
    if not isinstance(key, str) or not key.startswith("ck_"):
        raise ValueError("authorization callback has no valid consumer_key")
    if not isinstance(secret, str) or not secret.startswith("cs_"):
        raise ValueError("authorization callback has no valid consumer_secret")
    permissions = data.get("key_permissions")
    if permissions is not None and permissions != SCOPE:
        raise ValueError(f"authorization callback granted {permissions!r}; the bridge needs {SCOPE!r}")
    return AuthorizationResult(
        state=str(state).strip(), credentials={"consumer_key": key.strip(), "consumer_secret": secret.strip()}
    )


def credentials_from_extra_config(extra_config: Mapping[str, Any]) -> dict[str, str]:
    """``{consumer_key, consumer_secret}`` from the connect call's ``extra_config``; {} when absent.

    Half a pair (a key without its secret) is a mistake worth a clear 400, not an install flow.
    """
    pairs = [
        (key_name, secret_name, _value(extra_config, key_name), _value(extra_config, secret_name))
        for key_name, secret_name in CREDENTIAL_KEY_PAIRS
    ]
    for _, _, key, secret in pairs:
        if key and secret:
            return {"consumer_key": key, "consumer_secret": secret}
    for key_name, secret_name, key, secret in pairs:
        if key or secret:
            missing = secret_name if key else key_name
            raise ValueError(f"extra_config.{missing} is missing: WooCommerce credentials come in pairs")
    return {}


def _value(extra_config: Mapping[str, Any], name: str) -> str:
    return str(extra_config.get(name) or "").strip()
