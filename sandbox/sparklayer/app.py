"""The SparkLayer sandbox: a WSGI app serving the SparkLayer API (docs/ignite-contract.md §2) from memory.

Every API call passes, in order: fault injection, routing, the Site-Id header, the bearer token,
the JSON body, and finally one handler under the sandbox lock. Every call, faulted or not, lands
in the call log and the counters, so tests and benchmarks can assert on what the bridge sent.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from sandbox.faults import FaultConfig, FaultInjector
from sandbox.sparklayer import api, control, validation
from sandbox.sparklayer.auth import TokenRegistry
from sandbox.sparklayer.calls import CallLog
from sandbox.sparklayer.problems import ApiProblem, problem_response
from sandbox.sparklayer.state import SiteState

logger = logging.getLogger(__name__)
UNMATCHED = "<unmatched>"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ConnectionDropped(ConnectionAbortedError):
    """Raised after the socket is shut down, so werkzeug treats the request as a dropped connection."""


def json_response(status: int, payload: Any) -> Response:
    if status == 204 or payload is None:
        return Response(status=status)
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def read_json(request: Request, *, wrong_type_status: int) -> Any:
    """The decoded JSON body; form-encoded or other bodies are refused, as SparkLayer refuses them."""
    if request.mimetype != "application/json":
        raise ApiProblem(wrong_type_status, f"Content-Type must be application/json, got {request.mimetype or 'none'}.")
    try:
        return json.loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiProblem(400, f"The body is not valid JSON: {error}.") from error


class SparkLayerSandbox:
    """In-memory, multi-tenant (by ``Site-Id``) stand-in for the SparkLayer API."""

    def __init__(
        self, *, token_lifetime: int = 3600, faults: FaultConfig | None = None, max_sync_log_errors: int = 5000
    ) -> None:
        self.lock = threading.RLock()
        self.initial_faults = replace(faults) if faults else FaultConfig()
        self.faults = FaultInjector(replace(self.initial_faults))
        self.tokens = TokenRegistry(token_lifetime)
        self.calls = CallLog()
        self.sites: dict[str, SiteState] = {}
        self.max_sync_log_errors = max_sync_log_errors
        self._api_map = api.api_map()
        self._control_map = control.control_map()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(control.PREFIX):
            response = control.dispatch(self, self._control_map, request)
        else:
            response = self._api(request)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def site(self, site_id: str) -> SiteState:
        state = self.sites.get(site_id)
        if state is None:
            state = self.sites[site_id] = SiteState()
        return state

    def reset(self, site_id: str | None = None) -> None:
        """Forget one site (data, tokens, credentials, its calls), or everything including faults."""
        with self.lock:
            self.tokens.reset(site_id)
            self.calls.reset(site_id)
            if site_id is None:
                self.sites.clear()
                self.faults.configure(replace(self.initial_faults))
            else:
                self.sites.pop(site_id, None)

    def _api(self, request: Request) -> Response:
        site_id = request.headers.get("Site-Id", "")
        adapter = self._api_map.bind_to_environ(request.environ)
        values: Mapping[str, Any] = {}
        route, handler, missing = UNMATCHED, None, 404
        try:
            rule, values = adapter.match(return_rule=True)
            route, handler = api.route_template(rule.rule), rule.endpoint
        except MethodNotAllowed:
            missing = 405
        except NotFound:
            pass
        fault = self.faults.before_request(request.path, key=site_id)
        if fault is not None and fault[0] == "drop":
            self._record(request, route, 0, site_id, "drop")
            self._drop(request)
        if fault is not None:
            status, headers = fault[1], fault[2]
            response = problem_response(ApiProblem(status, f"Injected fault: {status}.", headers=dict(headers)))
        else:
            response = self._answer(request, site_id, route, handler, values, missing)
        self._record(request, route, response.status_code, site_id, "status" if fault else None)
        return response

    def _answer(
        self, request: Request, site_id: str, route: str, handler: Any, values: Mapping[str, Any], missing: int
    ) -> Response:
        try:
            if handler is None:
                raise ApiProblem(missing, f"No route for {request.method} {request.path}.")
            if not site_id:
                raise ApiProblem(400, "The Site-Id header is required.")
            if route == api.TOKEN_ROUTE:
                return self._token(request, site_id)
            with self.lock:
                self.tokens.check(site_id, request.headers.get("Authorization"))
            body = read_json(request, wrong_type_status=415) if request.method in BODY_METHODS else None
            with self.lock:
                call = api.ApiCall(self.site(site_id), dict(values), request.args, body, self.max_sync_log_errors)
                status, payload = handler(call)
            return json_response(status, payload)
        except ApiProblem as problem:
            return problem_response(problem)
        except Exception:  # the sandbox must answer a problem, never a stack trace page
            logger.exception("sparklayer sandbox handler failed", extra={"path": request.path})
            return problem_response(ApiProblem(500, "The sandbox failed to handle this request."))

    def _token(self, request: Request, site_id: str) -> Response:
        client_id, client_secret = validation.token_request(read_json(request, wrong_type_status=400))
        with self.lock:
            token = self.tokens.issue(site_id, client_id, client_secret)
            lifetime = self.tokens.lifetime
        return json_response(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime})

    def _record(self, request: Request, route: str, status: int, site_id: str, fault: str | None) -> None:
        with self.lock:
            self.calls.record(
                method=request.method, path=request.path, route=route, status=status, site_id=site_id, fault=fault
            )

    @staticmethod
    def _drop(request: Request) -> None:
        """Close the socket without an answer; the client sees a connection error (RemoteDisconnected)."""
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionDropped("fault injection dropped the connection")
