"""``session_send``: a call through libcurl or the session's adapter without the rest of ``Session.request`` must put
the same request on the wire, follow redirects as before, and step aside while requests is traced; request
bodies (``json_request_body``) are the document ``json.dumps(..., default=str)`` wrote."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite_bridge.core.http import json_request_body, session_send, url_with_params
from ignite_bridge.core.pinned import OriginLockedSession, RedirectRefused, guard_session, origin_of
from tests.support import LoopbackHandler, serving


class Recorder(LoopbackHandler):
    seen: list[dict[str, Any]]
    redirect_to: dict[str, str]

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        target = self.redirect_to.get(self.path)
        status, reply = (int(self.headers.get("X-Redirect-Status") or 307), b"") if target else (200, b'{"ok": true}')
        headers = [("Location", target)] if target else []
        self.reply(
            status, reply, [*headers, ("Content-Type", "application/json"), ("Set-Cookie", "session=abc; Path=/")]
        )


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]], dict[str, str]]]:
    seen: list[dict[str, Any]] = []
    redirects: dict[str, str] = {}
    with serving(type("Handler", (Recorder,), {"seen": seen, "redirect_to": redirects})) as url:
        yield url, seen, redirects


@pytest.fixture(params=["libcurl", "requests"])
def transport(request: pytest.FixtureRequest, settings: Any) -> str:
    """Each call test runs twice: plain calls through libcurl (the default) and through requests' adapter."""
    settings.OUTBOUND_CURL = request.param == "libcurl"
    return str(request.param)


def fresh_session() -> requests.Session:
    session = OriginLockedSession()
    session.trust_env = False
    return session


def session_of(kind: str, base: str) -> requests.Session:
    """``plain``, or ``guarded``: a store's kind, every connection through the address guard (127.0.0.1 is
    allow-listed in tests on the port the store's URL names)."""
    session = fresh_session()
    return session if kind == "plain" else guard_session(session, origin_port=origin_of(base)[2], pool_maxsize=1)


CALLS = [
    ("POST", "/api/v1/products", {"data": b'{"sku":"caf\xc3\xa9"}'}),
    ("PUT", "/api/v1/customers/c-1", {"data": b"{}"}),
    ("PATCH", "/api/v1/price-lists/wholesale/pricing", {"data": b"[]"}),
    ("DELETE", "/api/v1/products/7", {}),
    ("POST", "/api/v1/batch-delete-stock", {}),
    ("GET", "/api/v1/settings", {}),
    ("POST", "/wp-json/wc/v3/customers", {"data": b'{"email":"a@example.com"}', "auth": ("ck", "cs")}),
    ("GET", "/wp-json/wc/v3/products", {"params": {"per_page": 100, "status": "any"}, "auth": ("ck", "cs")}),
    (
        "GET",
        "/wp-json/wc/v3/variations?page=2",
        {"params": {"_fields": "id,parent_id,sku", "include": [7, 8], "search": "caf\u00e9 & co/+", "after": None}},
    ),
    ("GET", "/wp-json/wc/v3/products/caf\u00e9 1", {}),  # a path requests must quote: sent the usual way
]


@pytest.mark.usefixtures("transport")
@pytest.mark.parametrize("kind", ["plain", "guarded"])
@pytest.mark.parametrize(("method", "path", "extra"), CALLS)
def test_the_server_receives_what_session_request_would_have_sent(
    server: tuple[str, list[dict[str, Any]], dict[str, str]],
    method: str,
    path: str,
    extra: dict[str, Any],
    kind: str,
) -> None:
    base, seen, _ = server
    kwargs = {"headers": {"Authorization": "Bearer t", "Accept": "application/json", "X-Request-ID": "r1"},
              "timeout": (5, 10), **extra}  # fmt: skip
    usual = session_of(kind, base).request(method, base + path, **kwargs)
    lean = session_send(session_of(kind, base), method, base + path, dict(kwargs))
    assert (lean.status_code, lean.json()) == (usual.status_code, usual.json()) == (200, {"ok": True})
    first, second = seen
    assert second == first


@pytest.mark.usefixtures("transport")
@pytest.mark.parametrize(("status", "then"), [(307, "POST"), (308, "POST"), (303, "GET"), (302, "GET")])
def test_a_redirect_is_followed_as_session_request_follows_it_and_the_first_request_is_sent_once(
    server: tuple[str, list[dict[str, Any]], dict[str, str]], status: int, then: str
) -> None:
    base, seen, redirects = server
    redirects["/api/v1/old"] = "/api/v1/new"
    kwargs = {"data": b"{}", "timeout": (5, 10), "headers": {"X-Redirect-Status": str(status)}}
    usual = fresh_session().request("POST", f"{base}/api/v1/old", **kwargs)
    sent_usual = [(call["method"], call["path"]) for call in seen]
    del seen[:]
    lean = session_send(fresh_session(), "POST", f"{base}/api/v1/old", dict(kwargs))
    assert (
        [(call["method"], call["path"]) for call in seen]
        == sent_usual
        == [("POST", "/api/v1/old"), (then, "/api/v1/new")]
    )
    assert (lean.status_code, [r.status_code for r in lean.history]) == (usual.status_code, [status]) == (200, [status])


@pytest.mark.usefixtures("transport")
def test_a_redirect_to_another_origin_is_refused(server: tuple[str, list[dict[str, Any]], dict[str, str]]) -> None:
    base, seen, redirects = server
    session = fresh_session()
    redirects["/api/v1/away"] = "http://198.51.100.7/elsewhere"
    with pytest.raises(RedirectRefused):
        session_send(session, "POST", f"{base}/api/v1/away", {"data": b"{}", "timeout": (5, 10)})
    assert all(call["path"] != "/elsewhere" for call in seen)


@pytest.mark.usefixtures("transport")
def test_the_session_keeps_no_cookie_either_way(server: tuple[str, list[dict[str, Any]], dict[str, str]]) -> None:
    base, seen, _ = server
    session = fresh_session()
    for _ in range(2):
        session_send(session, "GET", f"{base}/api/v1/settings", {"timeout": (5, 10)})
    assert "Cookie" not in seen[-1]["headers"]
    assert not session.cookies


@pytest.mark.usefixtures("transport")
def test_while_requests_is_traced_every_call_goes_through_session_send(
    server: tuple[str, list[dict[str, Any]], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _, _ = server
    traced: list[str] = []
    original = requests.Session.send

    @functools.wraps(original)
    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        traced.append(request.url or "")
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", send)  # what an instrumentation's wrapper looks like
    session_send(fresh_session(), "POST", f"{base}/api/v1/products", {"data": b"{}", "timeout": (5, 10)})
    assert traced == [f"{base}/api/v1/products"]


_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False), st.text(), st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.just(UTC)), st.dates(), st.uuids(),
)  # fmt: skip
_document = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), inner, max_size=4)
    ),
    max_leaves=25,
)


@given(document=_document)
@settings(max_examples=300, deadline=None)
def test_a_request_body_is_the_document_json_dumps_wrote(document: Any) -> None:
    assert json.loads(json_request_body(document)) == json.loads(json.dumps(document, default=str))


def test_a_request_body_is_utf8_and_compact() -> None:
    at = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    body = json_request_body(
        {"title": "Caf\u00e9", "at": at, "on": date(2026, 12, 4), "price": Decimal("10.50"), "id": uuid.UUID(int=1)}
    )
    assert (
        body
        == (
            '{"title":"Caf\u00e9","at":"2026-12-04 09:00:00+00:00","on":"2026-12-04","price":"10.50",'
            '"id":"00000000-0000-0000-0000-000000000001"}'
        ).encode()
    )


_TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_VALUES = st.one_of(_TEXTS, st.integers(), st.none(), st.lists(st.one_of(_TEXTS, st.integers()), max_size=3))


@given(
    base=st.sampled_from(["http://store.example/wp-json/wc/v3/products", "https://s.example:8443/a/b?page=2&x=y"]),
    params=st.dictionaries(_TEXTS, _VALUES, max_size=5),
)
@settings(max_examples=300, deadline=None)
def test_parameters_are_added_to_the_url_exactly_as_requests_adds_them(base: str, params: dict[str, Any]) -> None:
    assert url_with_params(base, params) == requests.Request("GET", base, params=params).prepare().url
