"""The app-authorisation flow, ``GET /wc-auth/v1/authorize``, auto-approved as if a merchant clicked *Approve*.

Like WooCommerce it creates a key pair, POSTs it synchronously to ``callback_url`` and keeps it only
if the callback answers exactly 200; then it redirects to ``return_url?success=1&user_id=...``.
Deviation: WooCommerce requires an ``https://`` callback; the sandbox also accepts ``http://`` on a
loopback host (or anywhere, when started with ``allow_http_callbacks``). ``deny=1`` simulates *Deny*.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from urllib.parse import urlencode, urlsplit

import requests
from werkzeug.wrappers import Request, Response

from sandbox.woocommerce.common import php_json
from sandbox.woocommerce.store import WooStore

SCOPES = ("read", "write", "read_write")
CALLBACK_TIMEOUT = 60.0


def _denied(message: str) -> Response:
    html = f"<!DOCTYPE html><html><head><title>Access denied</title></head><body><p>Error: {message}.</p></body></html>"
    return Response(html, status=401, content_type="text/html; charset=UTF-8")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def authorize(store: WooStore, request: Request, *, allow_http_callbacks: bool, timeout: float) -> Response:
    args = request.args
    for name in ("app_name", "scope", "user_id", "return_url", "callback_url"):
        if not args.get(name):
            return _denied(f"Missing parameter {name}")
    scope = args["scope"]
    if scope not in SCOPES:
        return _denied(f"Invalid scope {scope}")
    callback_url = args["callback_url"]
    if "://" not in callback_url:
        callback_url = f"https://{callback_url}"
    if not callback_url.startswith("https://") and not (allow_http_callbacks or _is_loopback(callback_url)):
        return _denied("The callback_url needs to be over SSL")
    user_id, return_url = args["user_id"], args["return_url"]
    if args.get("deny") == "1":
        return Response(status=302, headers={"Location": _with_query(return_url, success="0", user_id=user_id)})
    with store.lock:
        description = f"{args['app_name']} - API ({time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())})"
        key = store.add_api_key(f"ck_{secrets.token_hex(20)}", f"cs_{secrets.token_hex(20)}", permissions=scope,
                                description=description)  # fmt: skip
    body = php_json({"key_id": key["key_id"], "user_id": user_id, "consumer_key": key["consumer_key"],
                     "consumer_secret": key["consumer_secret"], "key_permissions": scope})  # fmt: skip
    try:  # outside the lock: the receiver may call the store with the new key before answering
        reply = requests.post(callback_url, data=body, timeout=timeout, allow_redirects=False,
                              headers={"Content-Type": "application/json;charset=UTF-8"})  # fmt: skip
        status = reply.status_code
    except requests.RequestException:
        status = 0
    if status != 200:
        with store.lock:
            store.api_keys.pop(key["consumer_key"], None)
        return _denied("An error occurred in the request and at the time were unable to send the consumer data")
    return Response(status=302, headers={"Location": _with_query(return_url, success="1", user_id=user_id)})
