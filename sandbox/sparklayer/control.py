"""The control API under ``/_sandbox/`` (no auth): inspect state and calls, reset, set faults and credentials.

These routes are for tests, benchmarks and demos driving the sandbox; they bypass fault injection
and are not written to the call log, so asserting on the bridge's traffic stays exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.faults import FaultConfig
from sandbox.sparklayer.checker import Checker
from sandbox.sparklayer.control_edits import EDIT_ROUTES
from sandbox.sparklayer.problems import ApiProblem, FieldError, invalid, problem_response
from sandbox.sparklayer.state import SiteState

if TYPE_CHECKING:
    from sandbox.sparklayer.app import SparkLayerSandbox

PREFIX = "/_sandbox/"
STATE_SECTIONS = frozenset(
    {
        "products",
        "stock",
        "stock_locations",
        "price_lists",
        "pricing",
        "customers",
        "customer_groups",
        "purchases",
        "settings",
        "sync_logs",
    }
)
ControlHandler = Callable[["SparkLayerSandbox", Request, dict[str, Any]], tuple[int, Any]]


def _body(request: Request, allowed: set[str], *, optional: bool = False) -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if not raw and optional:
        return {}
    try:
        data = json.loads(raw or b"")
    except ValueError as error:
        raise ApiProblem(400, f"The body is not valid JSON: {error}.") from error
    if not isinstance(data, dict):
        raise invalid([FieldError("invalid_type", "The body must be a JSON object.", "body")])
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise invalid([FieldError("unknown_field", "Unknown field.", key) for key in unknown])
    return data


def _site_param(request: Request, *, required: bool) -> str | None:
    site_id = request.args.get("site_id") or None
    if required and site_id is None:
        raise invalid([FieldError("required", "The site_id query parameter is required.", "site_id")])
    return site_id


def state(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    """Everything stored for one site; ``include=products,customers`` limits the sections (big sites)."""
    site_id = _site_param(request, required=True)
    assert site_id is not None
    include = request.args.get("include")
    sections = None if not include else set(include.split(","))
    if sections is not None and sections - STATE_SECTIONS:
        raise invalid([FieldError("invalid_choice", f"Sections: {', '.join(sorted(STATE_SECTIONS))}.", "include")])
    with sandbox.lock:
        site = sandbox.sites.get(site_id)
        snapshot = (site or SiteState()).snapshot(sections)
    return 200, {"site_id": site_id, **snapshot}


def sites(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    with sandbox.lock:
        return 200, {site_id: site.counts() for site_id, site in sandbox.sites.items()}


def calls(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    raw_limit = request.args.get("limit", str(sandbox.calls.max_calls))
    if not raw_limit.isdigit():
        raise invalid([FieldError("invalid", "Must be an integer of 0 or more.", "limit")])
    with sandbox.lock:
        return 200, sandbox.calls.calls(_site_param(request, required=False), int(raw_limit))


def stats(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    with sandbox.lock:
        return 200, sandbox.calls.stats()


def reset(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    data = _body(request, {"site_id"}, optional=True)
    check = Checker()
    site_id = check.string(data, "site_id")
    check.raise_if_errors()
    sandbox.reset(site_id)
    return 204, None


def faults_get(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    return 200, sandbox.faults.config.as_dict()


def faults_put(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    """Replace the whole fault configuration; fields left out go back to "no fault"."""
    data = _body(request, {field for field in FaultConfig().as_dict()})
    try:
        config = FaultConfig.from_mapping(data)
    except (TypeError, ValueError) as error:
        raise ApiProblem(400, f"Invalid fault settings: {error}.") from error
    sandbox.faults.configure(config)
    return 200, config.as_dict()


def expire_tokens(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    with sandbox.lock:
        return 200, {"expired": sandbox.tokens.expire_all()}


def credentials(sandbox: SparkLayerSandbox, request: Request, values: dict[str, Any]) -> tuple[int, Any]:
    data = _body(request, {"client_id", "client_secret"})
    check = Checker()
    client_id = check.string(data, "client_id", required=True)
    client_secret = check.string(data, "client_secret", required=True)
    check.raise_if_errors()
    assert client_id is not None
    assert client_secret is not None
    with sandbox.lock:
        sandbox.tokens.register(values["site_id"], client_id, client_secret)
    return 204, None


CONTROL_ROUTES: list[tuple[str, str, ControlHandler]] = [
    ("GET", "/_sandbox/state", state),
    ("GET", "/_sandbox/sites", sites),
    ("GET", "/_sandbox/calls", calls),
    ("GET", "/_sandbox/stats", stats),
    ("POST", "/_sandbox/reset", reset),
    ("GET", "/_sandbox/faults", faults_get),
    ("PUT", "/_sandbox/faults", faults_put),
    ("POST", "/_sandbox/expire-tokens", expire_tokens),
    ("PUT", "/_sandbox/sites/<path:site_id>/credentials", credentials),
    *EDIT_ROUTES,
]


def control_map() -> Map:
    return Map([Rule(path, methods=[method], endpoint=handler) for method, path, handler in CONTROL_ROUTES])


def dispatch(sandbox: SparkLayerSandbox, routes: Map, request: Request) -> Response:
    try:
        try:
            handler, values = routes.bind_to_environ(request.environ).match()
        except MethodNotAllowed as error:
            raise ApiProblem(405, f"{request.method} is not allowed on {request.path}.") from error
        except NotFound as error:
            raise ApiProblem(404, f"No control route {request.path}.") from error
        status, payload = handler(sandbox, request, values)
    except ApiProblem as problem:
        return problem_response(problem)
    if status == 204:
        return Response(status=204)
    return Response(json.dumps(payload), status=status, mimetype="application/json")
