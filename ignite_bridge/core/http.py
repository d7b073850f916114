"""One base for every outbound HTTP client (SparkLayer, platform APIs).

It gives each subclass, for free:

* a connect and read timeout on every request (never a hang);
* retries with capped exponential backoff and equal jitter (``ignite_bridge/core/backoff.py``) for
  what can recover (connection errors, timeouts, and the statuses ``is_retryable_status`` names);
* ``Retry-After`` in seconds or HTTP-date form; a wait longer than ``retry_after_ceiling`` is not
  slept inside the request but raised as ``TransientError(retry_after=...)`` so a Celery task can
  reschedule instead of holding a worker;
* one structured log line per attempt (method, path, status, duration, attempt), never a header
  or body, so secrets cannot leak into logs;
* the mapping of failures to ``TransientError`` / ``PermanentError`` with a parsed problem;
* the SSRF guard (``ignite_bridge/core/pinned.py``): no redirect is followed to another origin
  (a ``PermanentError`` saying so), and, unless a client sets ``guard_addresses = False`` (the
  SparkLayer client, whose hosts come from settings), every connection is opened to an address
  that was resolved once and checked (``ignite_bridge/core/outbound.py``). A refused address is a
  ``PermanentError`` too: the same URL will be refused again.

Subclasses override ``auth_headers``, ``parse_problem`` and ``is_retryable_status`` as needed. One call
can also pass ``retry_statuses`` to ``request`` when the same status means different things on
different endpoints (SparkLayer's 409 is a concurrent update to retry on pricing, but a permanent
conflict on a customer upsert).
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

from ignite_bridge.core import correlation, metrics
from ignite_bridge.core.backoff import backoff_delay
from ignite_bridge.core.curl import curl_send, curl_usable, request_headers
from ignite_bridge.core.errors import PermanentError, ProblemDetail, TransientError
from ignite_bridge.core.outbound import OutboundUrlRefused
from ignite_bridge.core.pinned import OriginLockedSession, RedirectRefused, guard_session, origin_of

logger = logging.getLogger(__name__)

USER_AGENT = "IgniteBridge/0.1 (+https://github.com/ignite-bridge/ignite-bridge)"

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Answers that say a service is asked too much at once, which a concurrency limiter cuts on: a refusal
#: (429, 503), or the gateway in front of it finding every worker busy (502) or too slow (504); a 500 does not.
OVERLOAD_STATUSES = frozenset({429, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def json_body(response: requests.Response) -> Any:
    """The body decoded as JSON, like ``response.json()`` but with orjson (a 700 KB store listing page
    several times faster). Where orjson refuses the body (NaN, a charset other than UTF-8, not JSON at all)
    requests decodes it as before, errors and all. The one difference: an integer beyond 64
    bits comes back as a float; no store or SparkLayer field holds one."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


_ORJSON_REQUEST = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_request_body(value: Any) -> bytes:
    """``value`` as a compact JSON request body, UTF-8. What orjson does not take as ``json.dumps(...,
    default=str)`` would (dates, dataclasses) goes to ``str`` the same way, so the same document is sent
    as before, only without ``\\u`` escapes; what orjson refuses (an integer beyond 64 bits) goes to
    ``json``."""
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_REQUEST)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), default=str).encode()


#: a URL sent as it is, without requests' re-quoting: only characters that need none
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*")


def url_with_params(url: str, params: Any) -> str:
    """``url`` with ``params`` added as ``requests.PreparedRequest.prepare_url`` adds them: requests' own
    encoding (``None`` values left out, lists repeated), after the URL's own query. For a ``url`` that
    ``_PLAIN_URL`` accepts, with no fragment: requests' re-quoting then changes nothing, since
    ``urlencode`` escapes every character that is not unreserved and unescapes none."""
    # requests' own encoder (the stubs leave it out); a property test holds the result to requests'
    query = requests.models.RequestEncodingMixin._encode_params(params)  # type: ignore[attr-defined]
    if not query:
        return url
    return f"{url}&{query}" if "?" in url else f"{url}?{query}"


def session_send(session: requests.Session, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
    """One request through ``session``'s adapter (its pool, its address guard), without the rest of
    ``Session.request``: the sessions keep no cookies and have no hooks, so merging those, re-quoting a
    URL built here and parsing every answer's cookies twice cost ~0.15 ms of CPU a call for nothing,
    which a full sync's thousands of writes and store reads pay under one GIL. Query parameters (a
    mapping of texts, numbers and lists of them) are encoded as requests encodes them
    (``url_with_params``). Anything else goes the usual way: parameters of another shape, a URL
    requests would re-quote, and every call while OpenTelemetry traces requests (its
    instrumentation wraps ``Session.send``). Where requests would add nothing at all (no proxy, no
    test double on its adapter; ``ignite_bridge/core/curl.py``) the call goes through libcurl, a quarter
    of the CPU again, a store's through the same address guard. A redirect is followed the way
    ``Session.send`` follows it (within the origin), without sending the first request again: a 303
    may answer a POST it carried out."""
    body = kwargs.get("data")
    params = kwargs.get("params")
    if (
        (params and (not isinstance(params, Mapping) or session.params))
        or not isinstance(body, bytes | None)
        or not _PLAIN_URL.fullmatch(url)
        or "#" in url
        or _instrumented()
        or session.hooks.get("response")
    ):
        return session.request(method, url, **kwargs)
    if params:
        url = url_with_params(url, params)
        kwargs = {key: value for key, value in kwargs.items() if key != "params"}
    adapter = session.get_adapter(url)
    headers = request_headers(session, kwargs.get("headers"))
    if curl_usable(session, adapter, url, auth=kwargs.get("auth"), headers=headers):
        response = curl_send(
            session, method, url, headers=headers, body=body, timeout=kwargs.get("timeout"), adapter=adapter,
            auth=kwargs.get("auth"),
        )  # fmt: skip
        if not response.is_redirect:
            return response
        return _follow_redirects(session, response, response.request, kwargs)  # type: ignore[arg-type]
    prepared = requests.PreparedRequest()
    prepared.method = method.upper()
    prepared.url = url
    prepared.headers = headers
    prepared.body = body
    if body is not None or prepared.method not in ("GET", "HEAD"):  # as requests sets it
        prepared.headers["Content-Length"] = str(len(body or b""))
    prepared.hooks = {"response": []}
    auth = kwargs.get("auth")
    if auth is not None:
        prepared.prepare_auth(auth, url)
    verify = True if session.verify is None else session.verify
    response = adapter.send(
        prepared, stream=False, timeout=kwargs.get("timeout"), verify=verify, cert=session.cert, proxies=session.proxies
    )
    _ = response.content  # read the body now: the connection goes back to the pool
    if response.is_redirect:
        return _follow_redirects(session, response, prepared, kwargs)
    return response


def _follow_redirects(
    session: requests.Session, response: requests.Response, prepared: requests.PreparedRequest, kwargs: dict[str, Any]
) -> requests.Response:
    """A redirect followed as ``Session.send`` follows it (within the origin), the first request never sent again."""
    verify = True if session.verify is None else session.verify
    prepared._cookies = requests.cookies.RequestsCookieJar()  # type: ignore[attr-defined]
    hops = list(
        session.resolve_redirects(  # a CA bundle path is a ``verify`` too (the stubs say bool only)
            response, prepared, stream=False, timeout=kwargs.get("timeout"), verify=verify,  # type: ignore[arg-type]
            cert=session.cert, proxies=session.proxies,
        )
    )  # fmt: skip
    history = [response, *hops]
    response = history.pop()
    response.history = history
    return response


def _instrumented() -> bool:
    """Whether ``requests`` is traced (the instrumentation marks the ``Session.send`` it wraps)."""
    return hasattr(requests.Session.send, "__wrapped__") or getattr(
        requests.Session.send, "_is_instrumented_by_opentelemetry", False
    )


def parse_json_problem(response: requests.Response) -> ProblemDetail:
    """Parse an RFC 7807 body; tolerate empty or non-JSON bodies (some errors have none)."""
    problem = ProblemDetail(status=response.status_code, title=response.reason or "")
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        if text:
            problem.detail = text[:500]
        return problem
    if isinstance(body, Mapping):
        problem.title = str(body.get("title") or problem.title)
        problem.detail = str(body.get("detail") or body.get("message") or "")
        problem.type = str(body.get("type") or problem.type)
        problem.code = str(body.get("code") or body.get("error_code") or "")
        errors = body.get("errors")
        if isinstance(errors, list):
            problem.errors = [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
        if isinstance(body.get("status"), int):
            problem.status = body["status"]
    return problem


_sessions: dict[tuple[str, bool], requests.Session] = {}
_sessions_lock = threading.Lock()
#: keep-alive connections kept per origin and process (web threads, push concurrency)
SESSION_POOL_SIZE = 32


def shared_session(base_url: str, *, guarded: bool = False) -> requests.Session:
    """The process's keep-alive session for ``base_url``'s origin (scheme, host and port).

    ``guarded`` sessions open every connection through the SSRF address guard; all sessions
    refuse redirects to another origin.

    A client is built per request or task, but its connections are not: a storefront request
    reuses the TCP (and TLS) connection the previous one opened to the same store. The session
    carries nothing of a tenant's: credentials go on each request, and it keeps no cookies.
    The environment (``HTTPS_PROXY``/``NO_PROXY``, ``REQUESTS_CA_BUNDLE``) is read once here:
    with ``trust_env`` on, requests re-reads all of ``os.environ`` twice per call."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    key = (origin, guarded)
    session = _sessions.get(key)
    if session is None:
        with _sessions_lock:
            session = _sessions.get(key)
            if session is None:
                session = _sessions[key] = _new_session(origin, guarded=guarded)
    return session


def _new_session(origin: str, *, guarded: bool) -> requests.Session:
    session = OriginLockedSession()
    session.trust_env = False
    session.proxies = dict(requests.utils.get_environ_proxies(origin))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    if guarded:
        return guard_session(session, origin_port=origin_of(origin)[2], pool_maxsize=SESSION_POOL_SIZE)
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=SESSION_POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class HttpClientBase:
    """Timeouts, retries, error mapping and logging for one remote API."""

    #: name used in log lines and error messages
    service_name = "http"
    #: open connections only to checked public (or allow-listed) addresses: every platform call.
    #: Off only for clients whose hosts come from the deployment's settings (SparkLayer).
    guard_addresses = True
    #: the level a call answered below 400 is logged at; others always log at INFO. A full sync lowers
    #: it on its own clients (``FULL_SYNC_CALL_LOG_LEVEL``).
    success_log_level = logging.INFO

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        retry_after_ceiling: float = 60.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_ceiling = retry_after_ceiling
        if session is not None and self.guard_addresses:
            # A session handed in (tests, scripts) gets the same guard as the shared ones.
            guard_session(session, origin_port=origin_of(self.base_url)[2], pool_maxsize=SESSION_POOL_SIZE)
        self.session = session or shared_session(self.base_url, guarded=self.guard_addresses)
        self.sleep = sleep
        self.user_agent = user_agent

    # -- hooks -------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {}

    def default_headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent, "Accept": "application/json"}

    def is_retryable_status(self, response: requests.Response) -> bool:
        return response.status_code in RETRYABLE_STATUSES

    def parse_problem(self, response: requests.Response) -> ProblemDetail:
        return parse_json_problem(response)

    def prepare_auth(self, kwargs: dict[str, Any]) -> None:
        """Add auth to the request kwargs (headers, ``auth=``, params)."""

    def before_send(self, method: str, path: str, headers: dict[str, str]) -> None:
        """Called before every attempt: the correlation id goes along (``X-Request-ID``). The SparkLayer
        client also waits here for its site's shared request budget (``sparklayer/budget.py``)."""
        correlation.add_to_headers(headers)

    def after_answer(self, response: requests.Response) -> None:
        """Called after every answer, before it is judged (the SparkLayer client shares a 429's back-off)."""

    def transmit(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        """Send one attempt (the SparkLayer client passes its writes through a concurrency limiter)."""
        return session_send(self.session, method, url, kwargs)

    def transmit_in_slot(
        self,
        slot: AbstractContextManager[Any],
        method: str,
        url: str,
        kwargs: dict[str, Any],
        *,
        overload_errors: tuple[type[Exception], ...] = (requests.Timeout,),
    ) -> requests.Response:
        """One attempt inside a concurrency limiter's ``slot`` (``platforms/concurrency.py``), which is
        given back before the client waits to retry: an answer in ``OVERLOAD_STATUSES`` or one of
        ``overload_errors`` sets its ``overloaded``, so the limit is cut the moment it comes."""
        with slot as call:
            try:
                response = HttpClientBase.transmit(self, method, url, kwargs)
            except overload_errors:
                call.overloaded = True
                raise
            call.overloaded = response.status_code in OVERLOAD_STATUSES
            return response

    def endpoint_template(self, path: str) -> str:
        """``path`` with its ids replaced, for metrics labels (bounded cardinality)."""
        return metrics_endpoint_template(path)

    # -- machinery ---------------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def backoff(self, attempt: int) -> float:
        """The wait before the next attempt of a request: the shared formula, attempts counted from 1."""
        return backoff_delay(attempt=attempt, base=self.backoff_base, cap=self.backoff_cap)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
        max_attempts: int | None = None,
        retry_statuses: Collection[int] | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying what can recover. Returns a 2xx/3xx response.

        ``retry_statuses``, when given, replaces ``is_retryable_status`` for this call only: exactly
        those error statuses are retried (connection errors and timeouts always are).
        """
        url = self.url_for(path)
        attempts = max_attempts or self.max_attempts
        log_path = urlsplit(url).path
        attempt = 0
        while True:
            attempt += 1
            kwargs: dict[str, Any] = {
                "headers": {**self.default_headers(), **self.auth_headers(), **(headers or {})},
                "params": dict(params) if params else None,
                "timeout": timeout or self.timeout,
            }
            if json_body is not None:
                kwargs["data"] = json_request_body(json_body)
                kwargs["headers"]["Content-Type"] = "application/json"
            self.prepare_auth(kwargs)
            self.before_send(method, log_path, kwargs["headers"])
            started = time.monotonic()
            try:
                response = self.transmit(method, url, kwargs)
            except (RedirectRefused, OutboundUrlRefused) as exc:
                duration = time.monotonic() - started
                self._log(method, log_path, None, duration, attempt, error=type(exc).__name__)
                raise PermanentError(
                    f"{self.service_name} {method} {log_path}: refused: {exc}", method=method, url=log_path
                ) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                duration = time.monotonic() - started
                self._log(method, log_path, None, duration, attempt, error=type(exc).__name__)
                if attempt >= attempts:
                    raise TransientError(
                        f"{self.service_name} {method} {log_path}: {type(exc).__name__}",
                        method=method,
                        url=log_path,
                    ) from exc
                self.sleep(self.backoff(attempt))
                continue
            duration = time.monotonic() - started
            self._log(method, log_path, response.status_code, duration, attempt)
            self.after_answer(response)
            # The override is passed only when given, so subclasses overriding handle_response with
            # the original signature keep working.
            override: dict[str, Any] = {} if retry_statuses is None else {"retry_statuses": retry_statuses}
            outcome = self.handle_response(
                response, attempt=attempt, attempts=attempts, method=method, path=log_path, **override
            )
            if outcome is None:
                return response
            # outcome is the number of seconds to wait before the next attempt
            reason = "retry_after" if response.headers.get("Retry-After") else "backoff"
            metrics.outbound_retry_wait(service=self.service_name, reason=reason, seconds=outcome)
            self.sleep(outcome)

    def handle_response(
        self,
        response: requests.Response,
        *,
        attempt: int,
        attempts: int,
        method: str,
        path: str,
        retry_statuses: Collection[int] | None = None,
    ) -> float | None:
        """Return None for success, a delay to retry, or raise."""
        if response.status_code < 400:
            return None
        problem = self.parse_problem(response)
        message = f"{self.service_name} {method} {path}: {response.status_code} {problem.summary()}"
        if retry_statuses is not None:
            retryable = response.status_code in retry_statuses
        else:
            retryable = self.is_retryable_status(response)
        if retryable:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.retry_after_ceiling:
                raise TransientError(
                    message,
                    retry_after=retry_after,
                    status=response.status_code,
                    problem=problem,
                    method=method,
                    url=path,
                )
            if attempt >= attempts:
                raise TransientError(
                    message,
                    retry_after=retry_after,
                    status=response.status_code,
                    problem=problem,
                    method=method,
                    url=path,
                )
            return retry_after if retry_after is not None else self.backoff(attempt)
        raise PermanentError(message, status=response.status_code, problem=problem, method=method, url=path)

    def _log(self, method: str, path: str, status: int | None, duration: float, attempt: int, error: str = "") -> None:
        metrics.outbound_request(
            service=self.service_name,
            endpoint=self.endpoint_template(path),
            method=method,
            status=status,
            duration=duration,
        )
        level = self.success_log_level if status is not None and status < 400 and not error else logging.INFO
        if not logger.isEnabledFor(level):
            return
        logger.log(
            level,
            "%s request",
            self.service_name,
            extra={
                "service": self.service_name,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(duration * 1000, 1),
                "attempt": attempt,
                "error": error,
            },
        )


_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$")


def metrics_endpoint_template(path: str) -> str:
    """Numeric and UUID path segments become ``{id}`` (``/wp-json/wc/v3/products/12/variations``
    → ``/wp-json/wc/v3/products/{id}/variations``). Clients whose ids are free text (SparkLayer's
    external ids) override ``endpoint_template`` with their own table."""
    return "/".join("{id}" if _ID_SEGMENT.match(segment) else segment for segment in path.split("/"))


def utcnow() -> datetime:
    return datetime.now(UTC)
