"""The test suite cannot reach the network by accident: only loopback and unix sockets connect."""

from __future__ import annotations

import socket

import pytest


def test_suite_is_configured_to_allow_loopback_only(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.getoption("--allow-hosts") == "127.0.0.0/8,::1"


def test_a_connection_to_a_non_loopback_address_fails_loudly(pytestconfig: pytest.Config) -> None:
    from pytest_socket import SocketConnectBlockedError

    # Checked first, so that without the plugin this test fails before it could open anything.
    assert pytestconfig.getoption("--allow-hosts") == "127.0.0.0/8,::1"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        with pytest.raises(SocketConnectBlockedError):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: blocked before any packet leaves


def test_loopback_still_connects() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_a_libcurl_call_to_a_non_loopback_address_fails_loudly() -> None:
    from pytest_socket import SocketConnectBlockedError

    from ignite_bridge.core.http import session_send, shared_session

    session = shared_session("http://192.0.2.1")  # a settings host's session: the call would go through libcurl
    with pytest.raises(SocketConnectBlockedError):
        session_send(session, "GET", "http://192.0.2.1/x", {"timeout": (0.5, 0.5)})
