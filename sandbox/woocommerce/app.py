"""``WooCommerceSandbox``: a WSGI app that behaves like a WooCommerce store's REST API v3 on loopback.

Request flow for ``/wp-json/wc/v3/...`` (or ``?rest_route=/wc/v3/...``): fault injection, key
check (a wrong secret fails before routing, as in WooCommerce), route match (``rest_no_route``),
capability check (``woocommerce_rest_cannot_*`` without a valid key), then the handler under the
store lock. ``/wc-auth/v1/authorize`` and the ``/_sandbox/`` control API sit beside it.
"""

from __future__ import annotations

import json
import socket
import time
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.faults import FaultConfig, FaultInjector
from sandbox.woocommerce import auth, control, routes_catalogue, routes_people, routes_store, wc_auth
from sandbox.woocommerce.common import WooError, only_fields, php_json
from sandbox.woocommerce.delivery import WebhookDispatcher
from sandbox.woocommerce.listing import str_list
from sandbox.woocommerce.rest import Ctx, Reply
from sandbox.woocommerce.routing import Route, call
from sandbox.woocommerce.store import WooStore

ROUTES: list[Route] = [*routes_catalogue.ROUTES, *routes_people.ROUTES, *routes_store.ROUTES]
CALL_LOG_SIZE = 10_000
FAULT_BODIES = {
    500: ("internal_server_error", "There has been a critical error on this website."),
    429: ("too_many_requests", "Too many requests. Please slow down."),
    409: ("conflict", "The resource was changed by another request."),
    503: ("service_unavailable", "Briefly unavailable for scheduled maintenance. Check back in a minute."),
}


class WooCommerceSandbox:
    """A seeded, in-memory WooCommerce store; thread-safe; see ``sandbox/README.md``."""

    def __init__(
        self,
        *,
        products: int = 200,
        customers: int = 100,
        orders: int = 50,
        seed: int = 1,
        consumer_key: str = "ck_sandbox",
        consumer_secret: str = "cs_sandbox",  # noqa: S107 - the sandbox's well-known test key
        currency: str = "GBP",
        weight_unit: str = "kg",
        faults: FaultConfig | None = None,
        base_url: str | None = None,
        prices_include_tax: bool = False,
        webhook_timeout: float = 10.0,
        allow_http_callbacks: bool = False,
        variations_listing: bool = True,
    ) -> None:
        self.store = WooStore(
            seed=seed, products=products, customers=customers, orders=orders, currency=currency,
            weight_unit=weight_unit, prices_include_tax=prices_include_tax, consumer_key=consumer_key,
            consumer_secret=consumer_secret, base_url=base_url,
        )  # fmt: skip
        self.dispatcher = WebhookDispatcher(self.store, timeout=webhook_timeout)
        self.faults = FaultInjector(faults)
        self.allow_http_callbacks = allow_http_callbacks
        self.calls: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_SIZE)
        self.stats: Counter[str] = Counter()
        self.variations_listing = variations_listing

    @property
    def variations_listing(self) -> bool:
        """False: a store older than WooCommerce 10.3, with no cross-product ``GET /variations`` (it
        answers ``rest_no_route``, so variations are read per product). Can be switched at any time."""
        return self._variations_listing

    @variations_listing.setter
    def variations_listing(self, value: bool) -> None:
        routes = [route for route in ROUTES if value or route.path != "/variations"]
        self._variations_listing = value
        self.url_map = Map(  # one assignment: a request binds either map, never half of one
            [Rule(f"/wc/v3{route.path}", methods=list(route.methods), endpoint=route) for route in routes],
            strict_slashes=False,
        )

    @property
    def consumer_key(self) -> str:
        return self.store.initial_key[0]

    @property
    def consumer_secret(self) -> str:
        return self.store.initial_key[1]

    def reset(self) -> None:
        self.dispatcher.flush(5)
        with self.store.lock:
            self.store.reset()
            self.calls.clear()
            self.stats.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        with self.store.lock:
            self.store.effective_base_url(request.host_url)
        if request.path.startswith("/_sandbox/"):
            return control.handle(self, request)(environ, start_response)
        started = time.monotonic()
        route_name, response = self._dispatch(request, environ)
        if response is None:  # a "drop" fault: the socket is shut down, so werkzeug's write fails quietly
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return []
        self._log(request, route_name, response.status_code, started)
        return response(environ, start_response)

    def _dispatch(self, request: Request, environ: dict[str, Any]) -> tuple[str, Response | None]:
        rest_route = self._rest_route(request)
        if request.path.startswith("/wc-auth/v1/authorize"):
            return "wc-auth", wc_auth.authorize(self.store, request, allow_http_callbacks=self.allow_http_callbacks,
                                                timeout=wc_auth.CALLBACK_TIMEOUT)  # fmt: skip
        if rest_route is None:
            return "not-found", Response("<html><body><h1>Not Found</h1></body></html>", 404, content_type="text/html")
        fault = self.faults.before_request(
            request.path if request.path.startswith("/wp-json") else "/wp-json" + rest_route
        )
        if fault is not None:
            kind, status, headers = fault
            if kind == "drop":
                sock = environ.get("werkzeug.socket")
                if isinstance(sock, socket.socket):
                    sock.shutdown(socket.SHUT_RDWR)
                return "fault", None
            code, message = FAULT_BODIES.get(status, ("error", "Error."))
            return "fault", self._reply(
                Reply({"code": code, "message": message, "data": {"status": status}}, status, headers)
            )
        method = request.method
        override = request.headers.get("X-HTTP-Method-Override") or request.args.get("_method")
        if method == "POST" and override:
            method = override.upper()
        name = f"{method} {rest_route}"
        try:
            return self._api(request, rest_route, method)
        except WooError as error:
            reply = Reply(error.as_json(), error.status)
            if error.status == 401 and request.authorization is not None:
                reply.headers["WWW-Authenticate"] = 'Basic realm="WooCommerce REST API"'
            return name, self._reply(reply)

    def _api(self, request: Request, rest_route: str, method: str) -> tuple[str, Response]:
        with self.store.lock:
            key = auth.identify(self.store, request, method)
            adapter = self.url_map.bind("sandbox", path_info=rest_route)
            try:
                route, params = adapter.match(rest_route, method=method)
            except HTTPException:
                raise WooError(
                    404, "rest_no_route", "No route was found matching the URL and request method."
                ) from None
            assert isinstance(route, Route)
            name = f"{method} /wc/v3{route.path}"
            if key is None:
                raise auth.cannot(route.action)
            ctx = Ctx(store=self.store, request=request, body=self._body(request), path=rest_route)
            try:
                reply = call(route, ctx, params)
                fields = str_list(ctx.args, "_fields")
                if fields and reply.status < 300 and isinstance(reply.body, dict):  # lists apply it per item
                    reply.body = only_fields(reply.body, fields)
                return name, self._reply(reply)
            except WooError as error:
                return name, self._reply(Reply(error.as_json(), error.status))

    @staticmethod
    def _rest_route(request: Request) -> str | None:
        if request.path.startswith("/wp-json/"):
            return request.path[len("/wp-json") :]
        if request.path in ("/", "/index.php") and request.args.get("rest_route"):
            return request.args["rest_route"]
        return None

    @staticmethod
    def _body(request: Request) -> Any:
        raw = request.get_data()
        if not raw.strip():
            return {}
        if request.mimetype == "application/json" or raw.lstrip()[:1] in (b"{", b"["):
            try:
                return json.loads(raw)
            except ValueError:
                raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
        return request.form.to_dict()

    @staticmethod
    def _reply(reply: Reply) -> Response:
        response = Response(php_json(reply.body), status=reply.status, content_type="application/json; charset=UTF-8")
        for key, value in reply.headers.items():
            response.headers[key] = value
        return response

    def _log(self, request: Request, route_name: str, status: int, started: float) -> None:
        with self.store.lock:
            query = "&".join(f"{k}={v}" for k, v in request.args.items(multi=True) if k != "consumer_secret")
            path = f"{request.path}?{query}" if query else request.path
            self.calls.append({"method": request.method, "path": path, "route": route_name,
                               "status": status, "time": time.time(),
                               "duration_ms": round((time.monotonic() - started) * 1000, 2)})  # fmt: skip
            self.stats[f"{route_name} {status}"] += 1
