"""The SSRF guard inside the outbound client: every platform call, every connection, every redirect.

Nothing here reaches a non-loopback address: the resolver is replaced to play DNS, and where a
"public" address is connected to, ``pinned.open_socket`` is replaced to record the address the
guard chose and connect to a loopback server instead. Each test runs through libcurl and through
requests' adapter (``transport``).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from ignite_bridge.core import outbound, pinned
from ignite_bridge.core.errors import PermanentError
from ignite_bridge.core.http import HttpClientBase
from platforms.woocommerce.client import WooCommerceClient
from sandbox.server import serve_in_thread
from sparklayer.client import SparkLayerClient
from sparklayer.token_cache import InMemoryTokenStore


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """``/redirect?to=URL`` answers 302 there; anything else echoes the Host header and path."""
    path = environ.get("PATH_INFO", "")
    if path == "/redirect":
        target = environ.get("QUERY_STRING", "").removeprefix("to=")
        start_response("302 Found", [("Location", target), ("Content-Length", "0")])
        return [b""]
    body = json.dumps({"host": environ.get("HTTP_HOST"), "path": path}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(autouse=True, params=["libcurl", "requests"])
def transport(request: pytest.FixtureRequest, settings: Any) -> str:
    """Every test runs on both paths a store call can take (``ignite_bridge/core/curl.py`` and requests'
    adapter): the guard must hold on each."""
    settings.OUTBOUND_CURL = request.param == "libcurl"
    return str(request.param)


@pytest.fixture
def echo_server() -> Iterator[Any]:
    server = serve_in_thread(echo_app)
    yield server
    server.stop()


class StoreClient(HttpClientBase):
    service_name = "store"


def dns(*answers: list[str]) -> Any:
    """A resolver answering ``answers[0]`` to the first lookup, ``answers[1]`` to the second..."""
    calls: list[str] = []

    def resolve(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
        answer = answers[min(len(calls), len(answers) - 1)]
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answer]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch, echo_server: Any) -> list[str]:
    """Addresses the guard connected to; every connection actually goes to the loopback echo server."""
    addresses: list[str] = []
    real = pinned.open_socket

    def open_socket(address: str, port: int, *args: Any) -> socket.socket:
        addresses.append(address)
        return real("127.0.0.1", echo_server.port, *args)

    monkeypatch.setattr(pinned, "open_socket", open_socket)
    return addresses


def client(url: str, **kwargs: Any) -> StoreClient:
    return StoreClient(url, max_attempts=1, sleep=lambda _s: None, session=None, **kwargs)


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "100.64.1.1", "0.0.0.0"])
def test_a_store_host_resolving_to_a_private_address_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, opened: list[str], address: str
) -> None:
    monkeypatch.setattr(outbound, "resolve_host", dns([address]))
    with pytest.raises(PermanentError, match="non-public address"):
        client("https://shop.example.com").request("GET", "/wp-json/wc/v3/products")
    assert opened == []


def test_a_woocommerce_call_goes_through_the_guard(monkeypatch: pytest.MonkeyPatch, opened: list[str]) -> None:
    monkeypatch.setattr(outbound, "resolve_host", dns(["192.168.1.20"]))
    woo = WooCommerceClient(
        "https://shop.example.com", consumer_key="ck_x", consumer_secret="cs_x", max_attempts=1, sleep=lambda _s: None
    )
    with pytest.raises(PermanentError, match="refused"):
        woo.get_json("products")
    assert opened == []


def test_dns_rebinding_the_address_checked_is_the_address_connected(
    monkeypatch: pytest.MonkeyPatch, opened: list[str], echo_server: Any
) -> None:
    """First answer public, every later one private: only one lookup may happen, and it is used."""
    resolver = dns(["93.184.216.34"], ["10.0.0.5"])
    monkeypatch.setattr(outbound, "resolve_host", resolver)
    # A real DNS lookup anywhere else (e.g. a second resolution inside urllib3) would be a bug here.
    monkeypatch.setattr(socket, "getaddrinfo", _numeric_only(socket.getaddrinfo))
    response = client(f"http://rebind.example.com:{echo_server.port}").request("GET", "/products")
    assert resolver.calls == ["rebind.example.com"]
    assert opened == ["93.184.216.34"]
    assert response.json() == {"host": f"rebind.example.com:{echo_server.port}", "path": "/products"}


def _numeric_only(real: Any) -> Any:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        ipaddress.ip_address(str(host).strip("[]"))  # ValueError for a name: no lookup may happen
        return real(host, *args, **kwargs)

    return getaddrinfo


def test_a_redirect_to_a_private_address_is_a_permanent_error(echo_server: Any, opened: list[str]) -> None:
    store = client(echo_server.url)  # 127.0.0.1 is allow-listed in the test settings
    with pytest.raises(PermanentError, match="redirecting to another origin") as caught:
        store.request("GET", "/redirect?to=http://10.0.0.5/internal")
    assert "10.0.0.5" in str(caught.value)
    assert all(address == "127.0.0.1" for address in opened)  # nothing was opened to 10.0.0.5


def test_a_redirect_to_another_port_of_the_same_host_is_refused(echo_server: Any) -> None:
    with pytest.raises(PermanentError, match="another origin"):
        client(echo_server.url).request("GET", "/redirect?to=http://127.0.0.1:1/")


def test_a_redirect_within_the_origin_is_followed(echo_server: Any) -> None:
    response = client(echo_server.url).request("GET", "/redirect?to=/landed")
    assert response.json()["path"] == "/landed"


def test_the_sparklayer_client_follows_no_redirect_to_another_origin(echo_server: Any) -> None:
    spark = SparkLayerClient(echo_server.url, "site", "id", "secret", token_store=InMemoryTokenStore(), max_attempts=1)
    with pytest.raises(PermanentError, match="another origin"):
        spark.request("GET", "/redirect?to=http://10.0.0.5/api/v1/products")


def test_a_bare_allow_listed_host_allows_only_its_origin_port_and_80_443(settings: Any, echo_server: Any) -> None:
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = ["127.0.0.1"]
    other = serve_in_thread(echo_app)
    try:
        store = client(echo_server.url)
        assert store.request("GET", "/ok").json()["path"] == "/ok"
        with pytest.raises(PermanentError, match="non-public address"):
            store.request("GET", f"{other.url}/elsewhere")  # same host, another port
    finally:
        other.stop()


def test_an_allow_list_entry_with_a_port_allows_that_port_only(settings: Any, echo_server: Any) -> None:
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = [f"127.0.0.1:{echo_server.port}"]
    assert client(echo_server.url).request("GET", "/ok").status_code == 200
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = ["127.0.0.1:1"]
    with pytest.raises(PermanentError, match="non-public address"):
        client(f"{echo_server.url}/v2").request("GET", "/ok")


@pytest.mark.parametrize(
    ("entry", "port", "origin_port", "allowed"),
    [
        ("127.0.0.1", 443, None, True),
        ("127.0.0.1", 80, None, True),
        ("127.0.0.1", 6379, None, False),
        ("127.0.0.1", 6379, 6379, True),
        ("127.0.0.1:8802", 8802, None, True),
        ("127.0.0.1:8802", 443, None, False),
        ("[::1]:8802", 8802, None, True),
        ("::1", 443, None, True),
    ],
)
def test_host_is_allowed(entry: str, port: int, origin_port: int | None, allowed: bool) -> None:
    host = outbound.parse_allowed_host(entry)[0]
    assert outbound.host_is_allowed(host, port, origin_port=origin_port, allowed_hosts=[entry]) is allowed


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "2002:a00:5::1",  # 6to4 wrapping 10.0.0.5
        "64:ff9b::a00:5",  # NAT64 wrapping 10.0.0.5
        "64:ff9b::a9fe:a9fe",  # NAT64 wrapping 169.254.169.254
        "::ffff:192.168.0.1",  # IPv4-mapped
        "64:ff9b:1::a00:5",  # local-use NAT64
    ],
)
def test_ipv6_addresses_wrapping_a_private_ipv4_are_not_public(address: str) -> None:
    assert not outbound.address_is_public(ipaddress.ip_address(address))


def test_ipv6_addresses_wrapping_a_public_ipv4_are_public() -> None:
    assert outbound.address_is_public(ipaddress.ip_address("2002:5db8:d822::1"))
    assert outbound.address_is_public(ipaddress.ip_address("64:ff9b::5db8:d822"))
