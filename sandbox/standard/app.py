"""``StandardSandbox``: an in-memory store that implements the bridge's Platform API (``docs/platform-api.md``).

Request flow for the API (every path outside ``/_sandbox/``): fault injection, bearer-token
check (``401`` problem), route match (``404``), the capability the route belongs to (``501``
when the sandbox was started without it), then the handler under the store lock. Bodies the
bridge sends are checked against the published ``requests.json`` schemas. ``/_sandbox/`` is the
control API (``control.py``). ``broken`` turns on deliberate faults a conformance checker must
catch: ``schema``, ``cursor``, ``ids``, ``signature``, ``checkout``.
"""

from __future__ import annotations

import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.faults import FaultConfig, FaultInjector
from sandbox.standard import control, routes_read, routes_webhooks, routes_write
from sandbox.standard.api import ApiError, Reply
from sandbox.standard.delivery import WebhookDispatcher
from sandbox.standard.store import DEFAULT_CAPABILITIES, PlatformStore

BROKEN_MODES = frozenset({"schema", "cursor", "ids", "signature", "checkout"})
CALL_LOG_SIZE = 10_000
Handler = Callable[..., Reply]
RESOURCE = "<any(products,customers,orders):resource>"

#: (path, methods, handler, capability or None for the mandatory reading API)
ROUTES: list[tuple[str, tuple[str, ...], Handler, str | None]] = [
    ("/", ("GET",), routes_read.discovery, None),
    ("/settings", ("GET",), routes_read.settings, None),
    (f"/{RESOURCE}", ("GET",), routes_read.listing, None),
    (f"/{RESOURCE}/ids", ("GET",), routes_read.ids, None),
    (f"/{RESOURCE}/<record_id>", ("GET",), routes_read.record, None),
    ("/customers", ("PUT",), routes_write.customer_upsert, "customers.write"),
    ("/sub-accounts", ("POST",), routes_write.sub_account_create, "sub_accounts"),
    ("/sub-accounts/<customer_id>", ("PATCH",), routes_write.sub_account_update, "sub_accounts"),
    ("/sub-accounts/<customer_id>", ("DELETE",), routes_write.sub_account_delete, "sub_accounts"),
    ("/customers/<customer_id>/addresses", ("POST",), routes_write.address_create, "addresses"),
    ("/customers/<customer_id>/addresses/<address_id>", ("PUT",), routes_write.address_update, "addresses"),
    ("/customers/<customer_id>/addresses/<address_id>", ("DELETE",), routes_write.address_delete, "addresses"),
    ("/checkout/calculate", ("POST",), routes_write.checkout_calculate, "checkout"),
    ("/checkout/complete", ("POST",), routes_write.checkout_complete, "checkout"),
    ("/metafields", ("GET",), routes_write.metafields, "metafields"),
    ("/metafields/<key>/enable", ("POST",), routes_write.metafield_enable, "metafields"),
    ("/storefront/verify", ("POST",), routes_write.storefront_verify, "storefront.verify"),
    ("/webhooks", ("GET",), routes_webhooks.webhooks_list, "webhooks"),
    ("/webhooks", ("POST",), routes_webhooks.webhook_create, "webhooks"),
    ("/webhooks/<subscription_id>", ("PUT",), routes_webhooks.webhook_replace, "webhooks"),
    ("/webhooks/<subscription_id>", ("DELETE",), routes_webhooks.webhook_delete, "webhooks"),
    ("/webhooks/<subscription_id>/test", ("POST",), routes_webhooks.webhook_test, "webhooks"),
    (f"/conformance/{RESOURCE}", ("POST",), routes_webhooks.conformance_create, "conformance"),
    (f"/conformance/{RESOURCE}/<record_id>", ("PATCH",), routes_webhooks.conformance_touch, "conformance"),
    (f"/conformance/{RESOURCE}/<record_id>", ("DELETE",), routes_webhooks.conformance_delete, "conformance"),
]  # fmt: skip


class StandardSandbox:
    """A seeded Platform API store; thread-safe; see ``sandbox/README.md``."""

    def __init__(
        self,
        *,
        products: int = 60,
        customers: int = 30,
        orders: int = 15,
        seed: int = 1,
        api_token: str = "sandbox-token",  # noqa: S107 - the sandbox's well-known test token
        currency: str = "GBP",
        prices_include_tax: bool = False,
        capabilities: Iterable[str] = DEFAULT_CAPABILITIES,
        sign_v1a: bool = False,
        broken: Iterable[str] = (),
        faults: FaultConfig | None = None,
        base_url: str | None = None,
        webhook_timeout: float = 10.0,
        webhook_retries: int = 2,
        name: str = "Sandbox Platform",
    ) -> None:
        self.broken = frozenset(broken)
        unknown = self.broken - BROKEN_MODES
        if unknown:
            raise ValueError(f"unknown broken modes: {', '.join(sorted(unknown))}")
        self.api_token = api_token
        self.name = name
        self.prices_include_tax = prices_include_tax
        self.store = PlatformStore(
            products=products, customers=customers, orders=orders, seed_value=seed, currency=currency,
            base_url=base_url or "http://127.0.0.1", capabilities=tuple(capabilities),
        )  # fmt: skip
        self.signing_key = Ed25519PrivateKey.generate() if sign_v1a else None
        self.dispatcher = WebhookDispatcher(
            self.store,
            timeout=webhook_timeout,
            retries=webhook_retries,
            signing_key=self.signing_key,
            bad_signatures="signature" in self.broken,
        )
        self.faults = FaultInjector(faults)
        self._base_url_fixed = base_url is not None
        self.calls: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_SIZE)
        self.stats: Counter[str] = Counter()
        self.url_map = Map(
            [
                Rule(path, methods=list(methods), endpoint=(handler, capability))
                for path, methods, handler, capability in ROUTES
            ],
            strict_slashes=False,
        )

    @property
    def public_key(self) -> str | None:
        """``whpk_...`` of the ``v1a`` signing key, when the sandbox signs ``v1a`` too."""
        if self.signing_key is None:
            return None
        import base64

        from cryptography.hazmat.primitives import serialization

        raw = self.signing_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "whpk_" + base64.b64encode(raw).decode()

    def set_base_url(self, url: str) -> None:
        with self.store.lock:
            self.store.base_url = url.rstrip("/")
            self._base_url_fixed = True

    def reset(self) -> None:
        self.dispatcher.flush(5)
        with self.store.lock:
            self.store.reset()
            self.calls.clear()
            self.stats.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if not self._base_url_fixed:  # links (admin pages, images) name the host the first caller used
            self.set_base_url(request.host_url)
        if request.path.startswith("/_sandbox/"):
            return control.handle(self, request)(environ, start_response)
        started = time.monotonic()
        route_name, response = self._dispatch(request, environ)
        if response is None:  # a "drop" fault: the socket is shut down, nothing can be answered
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return []
        self._log(request, route_name, response.status_code, started)
        return response(environ, start_response)

    def _dispatch(self, request: Request, environ: dict[str, Any]) -> tuple[str, Response | None]:
        fault = self.faults.before_request(request.path)
        if fault is not None:
            kind, status, headers = fault
            if kind == "drop":
                sock = environ.get("werkzeug.socket")
                if isinstance(sock, socket.socket):
                    sock.shutdown(socket.SHUT_RDWR)
                return "fault", None
            response = ApiError(status, "Injected fault.", code="fault").response()
            response.headers.extend(headers)
            return "fault", response
        if request.headers.get("Authorization", "") != f"Bearer {self.api_token}":
            return "unauthorized", ApiError(401, "Missing or wrong bearer token.", code="unauthorized").response()
        adapter = self.url_map.bind("sandbox", path_info=request.path)
        try:
            (handler, capability), params = adapter.match(request.path, method=request.method)
        except MethodNotAllowed:
            return "no-route", ApiError(405, "Method not allowed.", code="method_not_allowed").response()
        except HTTPException:
            return "no-route", ApiError(404, "No such route.", code="not_found").response()
        name = f"{request.method} {handler.__name__}"
        with self.store.lock:
            if capability is not None and capability not in self.store.capabilities:
                return name, ApiError(
                    501, f"This platform does not offer {capability}.", code="not_implemented"
                ).response()
            try:
                return name, handler(self, request, **params).response()
            except ApiError as error:
                return name, error.response()

    def _log(self, request: Request, route_name: str, status: int, started: float) -> None:
        with self.store.lock:
            query = request.query_string.decode(errors="replace")
            self.calls.append(
                {
                    "method": request.method,
                    "path": f"{request.path}?{query}" if query else request.path,
                    "route": route_name,
                    "status": status,
                    "time": time.time(),
                    "duration_ms": round((time.monotonic() - started) * 1000, 2),
                }
            )
            self.stats[f"{route_name} {status}"] += 1
