"""Correlation ids: one id follows a request or a webhook through tasks to the outbound calls it causes.

* A request gets the id its caller sent in ``X-Request-ID`` (a proxy's, SparkLayer's), or a new one
  (``CorrelationIdMiddleware``). The id is written back into the request's headers, so a stored
  webhook event keeps it with its other headers, and it is answered in ``X-Request-ID``.
* Every log line carries it as ``correlation_id`` (``log_processor``, in ``core/logging.py``).
* A task published while an id is bound carries it in a message header and runs with it bound
  (``ignite_bridge/core/celery_signals.py``); a task published by beat starts one of its own.
* Processing a webhook event binds the id stored with the event for the time of that event, so the
  lines of a processing task that goes on with other events name each event's own delivery.
* Outbound HTTP calls send it as ``X-Request-ID`` (``HttpClientBase.before_send``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
#: message header of a Celery task (``correlation_id`` is Celery's own name for the task id)
TASK_HEADER = "ignite_correlation_id"
#: an id from outside is used only if it looks like one (no log injection, bounded length)
VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_current: ContextVar[str] = ContextVar("ignite_correlation_id", default="")


def current() -> str:
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex


def valid(value: Any) -> str:
    """``value`` if it is an acceptable correlation id, else an empty string."""
    text = str(value or "").strip()
    return text if VALID_ID.match(text) else ""


@contextmanager
def bound(correlation_id: str) -> Iterator[str]:
    """Bind ``correlation_id`` (or a new one when empty) for the block."""
    value = valid(correlation_id) or new_id()
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def bind(correlation_id: str) -> Any:
    """Bind without a block; returns the token for ``unbind`` (Celery's prerun/postrun pair)."""
    return _current.set(valid(correlation_id) or new_id())


def unbind(token: Any) -> None:
    try:
        _current.reset(token)
    except (ValueError, RuntimeError):  # a token from another context: clear instead
        _current.set("")


def from_headers(headers: Mapping[str, Any] | None) -> str:
    """The id in stored request headers (case-insensitive ``X-Request-ID``), or an empty string."""
    for name, value in (headers or {}).items():
        if str(name).lower() == HEADER.lower():
            return valid(value)
    return ""


def add_to_headers(headers: MutableMapping[str, str]) -> None:
    value = current()
    if value:
        headers.setdefault(HEADER, value)


def log_processor(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    value = current()
    if value:
        event_dict.setdefault("correlation_id", value)
    return event_dict


class CorrelationIdMiddleware:
    """Bind the request's correlation id for the whole request and answer it in ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bound(request.META.get(META_KEY, "")) as value:
            # written back so that everything reading the request's headers (the stored webhook
            # event among them) sees the id actually used
            request.META[META_KEY] = value
            response = self.get_response(request)
            response[HEADER] = value
            return response
