"""X-Forwarded-For / X-Forwarded-Proto are trusted only behind TRUSTED_PROXY_HOPS proxies of ours."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ignite_bridge.core.proxies import client_address
from tests.core.settings_support import PRODUCTION_ENV, run_settings

pytestmark = pytest.mark.urls("tests.core.urls")


def test_the_default_is_no_trusted_proxy(settings: Any) -> None:
    assert settings.TRUSTED_PROXY_HOPS == 0


def test_without_a_trusted_proxy_a_forged_forwarded_for_cannot_pass_the_allow_list(
    api_client: Any, settings: Any
) -> None:
    settings.IGNITE_ALLOWED_IPS = ["10.20.0.0/16"]
    response = api_client.get("/v1/test/probe", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert response.status_code == 403


def test_behind_one_proxy_the_caller_is_the_address_the_proxy_appended(api_client: Any, settings: Any) -> None:
    settings.IGNITE_ALLOWED_IPS = ["10.20.0.0/16"]
    settings.TRUSTED_PROXY_HOPS = 1
    proxy = "172.18.0.5"
    # The real caller is 10.20.3.4; the proxy appended it after whatever the caller sent.
    allowed = api_client.get("/v1/test/probe", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.99, 10.20.3.4")
    assert allowed.status_code == 200
    # A caller outside the list cannot get in by writing an allowed address first.
    refused = api_client.get("/v1/test/probe", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="10.20.3.4, 192.0.2.10")
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("hops", "remote", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.1", "192.0.2.1"),
        (1, "172.18.0.5", "198.51.100.7", "198.51.100.7"),
        (1, "172.18.0.5", "10.0.0.1, 198.51.100.7:5123", "198.51.100.7"),
        (2, "172.18.0.5", "forged, 198.51.100.7, 172.18.0.9", "198.51.100.7"),
        (2, "172.18.0.5", "198.51.100.7", None),  # fewer entries than proxies: unknown caller
        (1, "172.18.0.5", "", None),
        (1, "172.18.0.5", "[2001:db8::7]:443", "2001:db8::7"),
        (1, "172.18.0.5", "not-an-address", None),
    ],
)
def test_client_address(settings: Any, hops: int, remote: str, forwarded: str, expected: str | None) -> None:
    settings.TRUSTED_PROXY_HOPS = hops
    assert client_address({"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}) == expected


PRINT_PROXY_HEADER = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'header': getattr(s, 'SECURE_PROXY_SSL_HEADER', None)}))"
)


@pytest.mark.parametrize(("hops", "expected"), [(None, None), ("0", None), ("1", ["HTTP_X_FORWARDED_PROTO", "https"])])
def test_production_trusts_x_forwarded_proto_only_behind_a_proxy(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, hops: str | None, expected: Any
) -> None:
    from tests.core import settings_support

    monkeypatch.setattr(settings_support, "PRINT_SETTINGS", PRINT_PROXY_HEADER)
    env = {**PRODUCTION_ENV, **({"TRUSTED_PROXY_HOPS": hops} if hops is not None else {})}
    result = run_settings("ignite_bridge.settings.production", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"header": expected}
