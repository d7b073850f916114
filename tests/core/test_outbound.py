"""The SSRF guard: which store URLs the bridge may call, decided before any connection is opened."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from ignite_bridge.core.outbound import OutboundUrlRefused, address_is_public, ensure_public_url


def fake_resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/",
        "example.com",
        "https://",
        "http://203.0.113.10",  # public-looking but plain http
        "https://user:pass@shop.example.com",
        "https://127.0.0.1",
        "https://10.0.0.1",
        "https://172.16.5.4",
        "https://192.168.1.1",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.100.100.200",
        "https://100.64.0.1",
        "https://0.0.0.0",
        "https://224.0.0.1",
        "https://240.0.0.1",
        "https://[::1]",
        "https://[::ffff:127.0.0.1]",
        "https://[fd00:ec2::254]",
        "https://[fe80::1]",
        "https://shop.example.com:99999",
    ],
)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(OutboundUrlRefused):
        ensure_public_url(url, allowed_hosts=[], resolver=fake_resolver("93.184.216.34"))


def test_public_https_host_is_accepted_and_normalised() -> None:
    assert ensure_public_url(
        " https://Shop.Example.com/ ", allowed_hosts=[], resolver=fake_resolver("93.184.216.34")
    ) == ("https://Shop.Example.com")


def test_hostname_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(OutboundUrlRefused, match="non-public address"):
        ensure_public_url("https://shop.example.com", allowed_hosts=[], resolver=fake_resolver("10.1.2.3"))


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    resolver = fake_resolver("93.184.216.34", "127.0.0.1")
    with pytest.raises(OutboundUrlRefused):
        ensure_public_url("https://shop.example.com", allowed_hosts=[], resolver=resolver)


def test_localhost_is_refused_with_the_real_resolver() -> None:
    with pytest.raises(OutboundUrlRefused):
        ensure_public_url("https://localhost", allowed_hosts=[])


def test_unresolvable_host_is_refused() -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror("no such host")

    with pytest.raises(OutboundUrlRefused, match="does not resolve"):
        ensure_public_url("https://nowhere.invalid", allowed_hosts=[], resolver=fail)


def test_allow_listed_host_may_use_http_and_loopback() -> None:
    assert ensure_public_url("http://127.0.0.1:8123/", allowed_hosts=["127.0.0.1"]) == "http://127.0.0.1:8123"


def test_allow_list_defaults_to_settings(settings: Any) -> None:
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = ["127.0.0.1"]
    assert ensure_public_url("http://127.0.0.1:1") == "http://127.0.0.1:1"
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = []
    with pytest.raises(OutboundUrlRefused):
        ensure_public_url("http://127.0.0.1:1")


def test_allow_list_does_not_allow_other_schemes() -> None:
    with pytest.raises(OutboundUrlRefused):
        ensure_public_url("file://127.0.0.1/etc/passwd", allowed_hosts=["127.0.0.1"])


def test_address_classification() -> None:
    import ipaddress

    assert address_is_public(ipaddress.ip_address("93.184.216.34"))
    assert address_is_public(ipaddress.ip_address("2606:2800:220:1::1"))
    assert not address_is_public(ipaddress.ip_address("169.254.169.254"))
    assert not address_is_public(ipaddress.ip_address("::ffff:10.0.0.1"))


# -- the process-wide keep-alive sessions --------------------------------------------------------


def test_one_session_per_origin_reads_the_environment_once_and_keeps_no_cookies(monkeypatch) -> None:
    import responses

    from ignite_bridge.core import http

    monkeypatch.setattr(http, "_sessions", {})
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example.com")
    a = http.shared_session("https://shop.example.com/wp-json/wc/v3")
    assert http.shared_session("https://shop.example.com/other") is a
    assert http.shared_session("https://shop.example.com:8443/wp-json") is not a
    assert a.trust_env is False
    assert a.proxies.get("https") == "http://proxy.internal:3128"
    assert not http.shared_session("https://direct.example.com/").proxies  # NO_PROXY honoured

    with responses.RequestsMock() as mocked:
        mocked.get("https://shop.example.com/set", headers={"Set-Cookie": "wp_session=abc; Path=/"})
        mocked.get("https://shop.example.com/next")
        a.get("https://shop.example.com/set")
        a.get("https://shop.example.com/next")
        assert "Cookie" not in mocked.calls[1].request.headers  # one tenant's cookie never reaches another
    assert len(a.cookies) == 0
