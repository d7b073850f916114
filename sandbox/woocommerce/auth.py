"""REST API key authentication, as ``WC_REST_Authentication`` does it over HTTPS.

Deviation: WooCommerce accepts Basic auth and ``consumer_key``/``consumer_secret`` query parameters
only when WordPress sees the request as SSL; the sandbox serves plain HTTP on loopback and accepts
them anyway (OAuth 1.0a is not implemented).
"""

from __future__ import annotations

import hmac
from typing import Any

from werkzeug.wrappers import Request

from sandbox.woocommerce.common import WooError
from sandbox.woocommerce.store import WooStore

READ_METHODS = ("GET", "HEAD", "OPTIONS")
CANNOT = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    "batch": ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."),
}


def credentials(request: Request) -> tuple[str, str] | None:
    """Query parameters win over the Authorization header, as in WooCommerce."""
    if request.args.get("consumer_key") is not None:
        return request.args.get("consumer_key", ""), request.args.get("consumer_secret", "")
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username or "", auth.password or ""
    return None


def identify(store: WooStore, request: Request, method: str) -> dict[str, Any] | None:
    """The key the request authenticates with; None when none (an unknown key is ignored, as WooCommerce does).

    A known key with the wrong secret, or without the permission the method needs, is a 401 at once.
    """
    given = credentials(request)
    if given is None:
        return None
    entry = store.api_keys.get(given[0])
    if entry is None:
        return None
    if not hmac.compare_digest(entry["consumer_secret"].encode(), given[1].encode()):
        raise WooError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
    needed = "read" if method in READ_METHODS else "write"
    if entry["permissions"] not in (needed, "read_write"):
        raise WooError(401, "woocommerce_rest_authentication_error",
                       f"The API key provided does not have {needed} permissions.")  # fmt: skip
    return entry


def cannot(action: str) -> WooError:
    code, message = CANNOT.get(action, CANNOT["view"])
    return WooError(401, code, message)
