"""The demo's process plumbing: a taken port is named with a way out, and readiness recognises our own servers
only (another program answering on the port is not taken for the bridge or a sandbox)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.management.processes import (
    Port,
    PortTaken,
    ensure_ports_free,
    is_bridge_health,
    is_sparklayer_sandbox_stats,
    is_woocommerce_sandbox_state,
    json_answer,
    port_is_free,
)
from sandbox.server import serve_in_thread


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        yield other_program.getsockname()[1]


def test_a_listening_port_is_taken_and_named_with_the_option_that_moves_it(listening: int) -> None:
    assert port_is_free(listening) is False
    with pytest.raises(PortTaken) as raised:
        ensure_ports_free([Port(listening, "--port", "the bridge's web server"), Port(0, "--sparklayer-port", "x")])
    message = str(raised.value)
    assert message.startswith(f"Port {listening} (the bridge's web server) is taken by another program.")
    assert "choose other ports: scripts/demo --port " in message
    assert f"--port {listening} " not in message  # the suggestion moves the taken port
    assert "--sparklayer-port 0" in message  # and keeps the others


def test_free_ports_pass() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ensure_ports_free([Port(port, "--port", "web")])


def _answering(body: bytes, status: str = "200 OK") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [body]

    return serve_in_thread(app)


@pytest.mark.parametrize(
    ("body", "recognise"),
    [
        (b"hello", is_bridge_health),
        (b'{"status": "ok", "server": "someone else"}', is_bridge_health),
        (b'{"total": 1}', is_sparklayer_sandbox_stats),
        (b'{"products": []}', is_woocommerce_sandbox_state),
    ],
)
def test_another_program_answering_200_is_not_taken_for_ours(body: bytes, recognise: Any) -> None:
    other = _answering(body)
    try:
        assert json_answer(f"{other.url}/healthz", recognise) is False
    finally:
        other.stop()


def test_our_servers_are_recognised() -> None:
    samples = [
        ({"status": "ok"}, is_bridge_health),
        ({"total": 0, "by_kind": {}, "by_route": {}, "by_method": {}}, is_sparklayer_sandbox_stats),
        ({"summary": {}, "webhooks": [], "api_keys": [], "delivery": {}}, is_woocommerce_sandbox_state),
    ]
    for body, recognise in samples:
        server = _answering(json.dumps(body).encode())
        try:
            assert json_answer(server.url, recognise) is True
        finally:
            server.stop()


def test_an_error_answer_is_not_ready() -> None:
    server = _answering(b'{"status": "ok"}', status="503 Service Unavailable")
    try:
        assert json_answer(server.url, is_bridge_health) is False
    finally:
        server.stop()
