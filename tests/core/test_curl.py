"""Plain calls through libcurl (``ignite_bridge/core/curl.py``): taken only where requests adds nothing,
the same request on the wire and the same answer back, requests' failures, keep-alive, TLS checked, a
store's connections opened by the address guard to the addresses it checked.
Every server here is real, on loopback; the request-for-request comparison with requests' own path is
``tests/core/test_session_send.py`` (run with the transport on and off)."""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pycurl
import pytest
import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ignite_bridge.core import curl as curl_module
from ignite_bridge.core import http, outbound, pinned
from ignite_bridge.core.errors import TransientError
from ignite_bridge.core.http import HttpClientBase, session_send, shared_session
from ignite_bridge.core.pinned import OriginLockedSession, guard_session, origin_of
from tests.support import LoopbackHandler, serving


class Handler(LoopbackHandler):
    seen: list[dict[str, Any]]
    connections: set[int]

    def answer(self) -> None:
        self.connections.add(id(self.connection))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                          "body": body})  # fmt: skip
        if self.path.startswith("/hang"):
            time.sleep(3)
        if self.path.startswith("/slow"):  # 8 bytes, 0.2 s apart: 1.6 s in all
            self.send_response(200)
            self.send_header("Content-Length", "8")
            self.end_headers()
            for _ in range(8):
                time.sleep(0.2)
                self.wfile.write(b"x")
                self.wfile.flush()
            return
        common = [("Content-Type", "application/json; charset=utf-8"), ("X-Twice", "a"), ("X-Twice", "b")]
        if self.path.startswith("/gzip"):
            self.reply(200, gzip.compress(b'{"zipped": true}'), [("Content-Encoding", "gzip"), *common])
        elif self.path.startswith("/problem"):
            body = b'{"title": "Conflict", "detail": "taken"}'
            self.reply(409, body, [("Retry-After", "3"), *common], reason="Conflict Here")
        else:
            self.reply(200, b'{"ok": true, "caf\xc3\xa9": 1}', common)


class Server:
    """What a running test server saw (``url`` set once it listens)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.connections: set[int] = set()
        self.handler = type("H", (Handler,), {"seen": self.seen, "connections": self.connections})
        self.url = ""


@contextmanager
def running(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    server = Server()
    with serving(server.handler, tls=tls) as server.url:
        yield server


@pytest.fixture
def server() -> Iterator[Server]:
    with running() as started:
        yield started


@pytest.fixture
def sent_by_curl(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """URLs ``session_send`` handed to libcurl (the real function still sends them)."""
    urls: list[str] = []
    real = http.curl_send

    def counting(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        urls.append(url)
        return real(session, method, url, **kwargs)

    monkeypatch.setattr(http, "curl_send", counting)
    return urls


def usable(session: requests.Session, url: str, *, auth: Any = None, headers: dict[str, str] | None = None) -> bool:
    """``curl_usable`` for a call as ``session_send`` asks it."""
    merged = curl_module.request_headers(session, headers)
    return curl_module.curl_usable(session, session.get_adapter(url), url, auth=auth, headers=merged)


def plain_session() -> requests.Session:
    session = OriginLockedSession()
    session.trust_env = False
    return session


@pytest.fixture
def guard_opened(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(address, port) of every connection the address guard opened (``pinned.open_socket``, which still opens it)."""
    opened: list[tuple[str, int]] = []
    real = pinned.open_socket

    def recording(address: str, port: int, *args: Any) -> socket.socket:
        opened.append((address, port))
        return real(address, port, *args)

    monkeypatch.setattr(pinned, "open_socket", recording)
    return opened


def dns_answering(monkeypatch: pytest.MonkeyPatch, address: str) -> list[str]:
    """Play DNS: every name resolves to ``address``; the names looked up, in order."""
    looked_up: list[str] = []

    def resolve(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(outbound, "resolve_host", resolve)
    return looked_up


def test_a_settings_host_and_a_store_go_through_libcurl_the_stores_connection_opened_by_the_guard(
    server: Server, sent_by_curl: list[str], guard_opened: list[tuple[str, int]]
) -> None:
    spark = shared_session(server.url)  # SparkLayer's kind: hosts from settings
    store = shared_session(server.url, guarded=True)  # a store's: through the address guard
    assert session_send(spark, "POST", f"{server.url}/api/v1/products", {"data": b"{}"}).json()["ok"]
    assert guard_opened == []
    for _ in range(3):
        assert session_send(store, "GET", f"{server.url}/wp-json/wc/v3/products", {}).json()["ok"]
    assert sent_by_curl == [f"{server.url}/api/v1/products"] + [f"{server.url}/wp-json/wc/v3/products"] * 3
    port = int(server.url.rsplit(":", 1)[1])
    assert guard_opened == [("127.0.0.1", port)]  # one connection, kept alive for the next two
    assert len(server.seen) == 4
    assert len(server.connections) == 2


def test_a_store_name_goes_to_the_address_checked_keeps_its_name_and_is_looked_up_again_after_a_while(
    server: Server,
    sent_by_curl: list[str],
    guard_opened: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = ["shop.example.test"]  # a store on a private network
    looked_up = dns_answering(monkeypatch, "127.0.0.1")
    port = int(server.url.rsplit(":", 1)[1])
    url = f"http://shop.example.test:{port}/wp-json/wc/v3/products"
    store = shared_session(url, guarded=True)
    session_send(store, "GET", url, {})
    session_send(store, "GET", url, {})
    assert looked_up == ["shop.example.test"]  # the second call's connection was kept: no lookup
    assert guard_opened == [("127.0.0.1", port)]
    assert [seen["headers"]["Host"] for seen in server.seen] == [f"shop.example.test:{port}"] * 2
    monkeypatch.setattr(curl_module, "LOOKUP_SECONDS", 0.0)
    session_send(store, "GET", url, {})
    assert looked_up == ["shop.example.test"] * 2  # looked up and judged again, the kept connection used
    assert sent_by_curl == [url] * 3
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = []  # off the allow-list, 127.0.0.1 is refused at once
    monkeypatch.setattr(curl_module, "LOOKUP_SECONDS", 30.0)
    with pytest.raises(outbound.OutboundUrlRefused, match="non-public address"):
        session_send(store, "GET", url, {})
    assert len(server.seen) == 3


def test_a_store_connection_the_guard_cannot_open_is_requests_connect_failure(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = shared_session(server.url, guarded=True)
    url = f"{server.url}/wp-json/wc/v3/products"
    failures = ((TimeoutError("slow"), requests.ConnectTimeout), (OSError("reset"), requests.ConnectionError))
    for raised, expected in failures:

        def failing(*_args: Any, raised: Exception = raised) -> socket.socket:
            raise raised

        monkeypatch.setattr(pinned, "open_socket", failing)
        with pytest.raises(expected) as caught:
            session_send(store, "GET", url, {"timeout": (1, 1)})
        assert caught.type is expected
    assert server.seen == []


def test_an_address_the_guard_did_not_check_is_never_connected(
    server: Server, guard_opened: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The guard hands libcurl the checked addresses for the name; should libcurl still pick another (its DNS
    cache, a lookup of its own), the connection is refused before it is opened."""
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = ["shop.example.test"]
    dns_answering(monkeypatch, "127.0.0.2")
    port = int(server.url.rsplit(":", 1)[1])
    real_pin = curl_module._pin

    def pin_then_resolve_elsewhere(handle: pycurl.Curl, *args: Any) -> None:
        real_pin(handle, *args)
        handle.setopt(pycurl.RESOLVE, [f"shop.example.test:{port}:127.0.0.1"])  # what the guard did not check

    monkeypatch.setattr(curl_module, "_pin", pin_then_resolve_elsewhere)
    store = shared_session(f"http://shop.example.test:{port}", guarded=True)
    with pytest.raises(requests.ConnectionError, match="not an address the guard checked"):
        session_send(store, "GET", f"http://shop.example.test:{port}/x", {})
    assert guard_opened == []
    assert server.seen == []


def test_requests_path_whenever_something_watches_or_changes_what_requests_sends(
    server: Server, sent_by_curl: list[str], settings: Any
) -> None:
    url = f"{server.url}/api/v1/settings"
    proxied = plain_session()
    proxied.proxies = {"http": "http://127.0.0.1:9"}
    assert not usable(proxied, url)
    session = plain_session()
    assert usable(session, url, auth=("ck", "cs"))  # requests' Basic header, which libcurl sends as well
    assert not usable(session, url, auth=requests.auth.HTTPDigestAuth("ck", "cs"))
    assert not usable(session, url, auth=(b"ck", b"cs"))
    assert usable(shared_session(url, guarded=True), url)  # a store's session, through the guard
    guarded_proxied = guard_session(plain_session(), origin_port=None, pool_maxsize=1)
    guarded_proxied.proxies = {"http": "http://127.0.0.1:9"}
    assert not usable(guarded_proxied, url)
    certified = plain_session()
    certified.cert = "/nonexistent/client.pem"
    assert not usable(certified, url)
    assert not usable(session, url, headers={"accept-encoding": "gzip, x-new"})  # an encoding libcurl cannot decode
    settings.OUTBOUND_CURL = False
    assert session_send(session, "GET", url, {}).json()["ok"]
    assert sent_by_curl == []
    settings.OUTBOUND_CURL = True
    with responses.RequestsMock() as mocked:  # a test double on requests' adapter sees every call
        mocked.get(url, json={"mocked": True})
        assert session_send(session, "GET", url, {}).json() == {"mocked": True}
        assert session_send(shared_session(url, guarded=True), "GET", url, {}).json() == {"mocked": True}
    assert sent_by_curl == []
    assert session_send(session, "GET", url, {}).json()["ok"]
    assert sent_by_curl == [url]


def test_the_answer_is_what_requests_returns(server: Server, sent_by_curl: list[str], settings: Any) -> None:
    answers = {}
    for curl in (True, False):
        settings.OUTBOUND_CURL = curl
        answers[curl] = session_send(plain_session(), "PUT", f"{server.url}/problem/1", {"data": b"{}"})
    lean, usual = answers[True], answers[False]
    assert len(sent_by_curl) == 1
    assert (lean.status_code, lean.reason, lean.encoding, lean.content, lean.json(), lean.url) == (
        usual.status_code, usual.reason, usual.encoding, usual.content, usual.json(), usual.url,
    ) == (409, "Conflict Here", "utf-8", b'{"title": "Conflict", "detail": "taken"}',
          {"title": "Conflict", "detail": "taken"}, f"{server.url}/problem/1")  # fmt: skip
    assert dict(lean.headers) == {**dict(usual.headers), "Date": lean.headers["Date"]}
    assert lean.headers["x-twice"] == usual.headers["X-Twice"] == "a, b"
    assert lean.headers["retry-after"] == "3"
    assert (lean.request.method, lean.request.url) == ("PUT", f"{server.url}/problem/1")
    assert lean.elapsed.total_seconds() > 0


def test_a_gzip_answer_is_decoded_and_a_large_body_arrives_whole_without_expect(
    server: Server, sent_by_curl: list[str]
) -> None:
    zipped = session_send(plain_session(), "GET", f"{server.url}/gzip", {})
    assert zipped.json() == {"zipped": True}
    body = b'{"blob":"' + b"x" * (3 * 1024 * 1024) + b'"}'
    kwargs = {"data": body, "headers": {"Content-Type": "application/json"}}
    session_send(plain_session(), "POST", f"{server.url}/big", kwargs)
    assert len(sent_by_curl) == 2
    big = server.seen[-1]
    assert big["body"] == body
    assert "Expect" not in big["headers"]
    assert big["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", " leading"])
def test_a_header_value_requests_refuses_is_refused_and_nothing_is_sent(
    server: Server, sent_by_curl: list[str], value: str
) -> None:
    with pytest.raises(requests.exceptions.InvalidHeader):
        session_send(plain_session(), "POST", f"{server.url}/x", {"data": b"{}", "headers": {"X-Request-ID": value}})
    assert server.seen == []


def test_one_thread_keeps_one_connection_open(server: Server, sent_by_curl: list[str]) -> None:
    session = plain_session()
    for n in range(20):
        session_send(session, "POST", f"{server.url}/api/v1/products/{n}", {"data": b"{}"})
    assert len(sent_by_curl) == 20
    assert len(server.seen) == 20
    assert len(server.connections) == 1


def test_a_forked_process_opens_its_own_handle(monkeypatch: pytest.MonkeyPatch) -> None:
    first, multi = curl_module.curl_handle()
    assert curl_module.curl_handle() == (first, multi)
    monkeypatch.setattr(curl_module.os, "getpid", lambda: -1)
    again, other = curl_module.curl_handle()
    assert again is not first
    assert other is not multi


def test_no_answer_within_the_read_timeout_is_requests_read_timeout(server: Server, sent_by_curl: list[str]) -> None:
    session = plain_session()
    for connect in (5, 0.5):  # a new connection, then the kept one: the read timeout alone either way
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            session_send(session, "POST", f"{server.url}/hang", {"data": b"{}", "timeout": (connect, 0.5)})
        assert time.monotonic() - started < 1.5  # the server answers after 3 s
    assert sent_by_curl == [f"{server.url}/hang"] * 2


def test_an_answer_that_keeps_flowing_is_not_cut_by_the_read_timeout(server: Server) -> None:
    """The read timeout bounds each wait, not the whole answer (urllib3 counts it per socket read)."""
    answer = session_send(plain_session(), "GET", f"{server.url}/slow", {"timeout": (5, 0.5)})
    assert answer.content == b"x" * 8


def test_nobody_listening_is_a_connection_error_and_the_client_retries_then_gives_up() -> None:
    with socket_closed_port() as port:

        class Client(HttpClientBase):
            service_name = "probe"
            guard_addresses = False

        client = Client(f"http://127.0.0.1:{port}", max_attempts=2, sleep=lambda _: None)
        with pytest.raises(requests.ConnectionError):
            session_send(client.session, "GET", f"http://127.0.0.1:{port}/x", {"timeout": (2, 2)})
        with pytest.raises(TransientError, match="probe GET /x: ConnectionError"):
            client.request("GET", "/x")


def test_a_timeout_before_anything_was_sent_is_a_connect_timeout() -> None:
    handle = pycurl.Curl()  # never performed: pre-transfer was not reached
    failure = curl_module._failure(handle, pycurl.error(pycurl.E_OPERATION_TIMEDOUT, "timed out"), "http://h/x")
    assert isinstance(failure, requests.ConnectTimeout)


def test_tls_is_checked_against_the_sessions_bundle(tmp_path: Path, sent_by_curl: list[str]) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with running(tls=context) as secure:
        trusting = plain_session()
        trusting.verify = str(cert)
        assert session_send(trusting, "POST", f"{secure.url}/api/v1/products", {"data": b"{}"}).json()["ok"]
        with pytest.raises(requests.exceptions.SSLError):  # certifi's bundle does not know this certificate
            session_send(plain_session(), "POST", f"{secure.url}/api/v1/products", {"data": b"{}"})
        assert len(sent_by_curl) == 2
        assert len(secure.seen) == 1


def test_tls_on_a_connection_the_guard_opened_is_checked_against_the_sessions_bundle(
    tmp_path: Path, sent_by_curl: list[str], guard_opened: list[tuple[str, int]]
) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with running(tls=context) as secure:
        url = f"{secure.url}/wp-json/wc/v3/products"
        trusting = guard_session(plain_session(), origin_port=origin_of(url)[2], pool_maxsize=1)
        trusting.verify = str(cert)
        assert session_send(trusting, "GET", url, {"auth": ("ck", "cs")}).json()["ok"]
        untrusting = guard_session(plain_session(), origin_port=origin_of(url)[2], pool_maxsize=1)
        with pytest.raises(requests.exceptions.SSLError):  # certifi's bundle does not know this certificate
            session_send(untrusting, "GET", url, {})
        assert sent_by_curl == [url, url]
        assert len(guard_opened) == 2  # the second session's call could not reuse the first's verified connection
        assert len(secure.seen) == 1
        assert secure.seen[0]["headers"]["Authorization"] == requests.auth._basic_auth_str("ck", "cs")


class socket_closed_port:
    """A loopback port nobody listens on."""

    def __enter__(self) -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
