"""The sandboxes' HTTP server (``sandbox/server.py``) as a client on a keep-alive connection sees it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests
from werkzeug.wrappers import Request, Response

from sandbox.server import SandboxServer


def refuse_or_echo(environ: dict, start_response: object) -> object:
    """Refuses ``/refuse`` without reading the body (as an injected fault does); echoes the body elsewhere."""
    request = Request(environ)
    if request.path == "/refuse":
        return Response("refused", status=503)(environ, start_response)
    return Response(request.get_data())(environ, start_response)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    running = SandboxServer(refuse_or_echo).start()
    yield running
    running.stop()


def test_a_body_sent_after_its_headers_is_not_read_as_the_next_request(server: SandboxServer) -> None:
    """A client on a busy machine may send the body a moment after the headers; an answer sent before
    it arrived must not leave it to be parsed as a request line (a 400 the client never asked for)."""
    body = b'[{"sku":"A-1","price_list_slug":"gbp"}]'
    head = f"POST /refuse HTTP/1.1\r\nHost: sandbox\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection((server.host, server.port), timeout=5) as connection:
        connection.sendall(head)
        time.sleep(0.2)
        connection.sendall(body)
        time.sleep(0.3)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 503")
    assert answer.count(b"HTTP/1.") == 1, answer


def test_an_answer_sent_without_reading_the_body_leaves_the_connection_usable(server: SandboxServer) -> None:
    with requests.Session() as session:
        body = b'[{"sku":"A-1","price_list_slug":"gbp"}]'
        first = session.post(f"{server.url}/refuse", data=body, timeout=5)
        assert first.status_code == 503
        second = session.post(f"{server.url}/echo", data=b"second body", timeout=5)
        assert (second.status_code, second.content) == (200, b"second body")


def test_the_app_still_reads_the_whole_body(server: SandboxServer) -> None:
    body = b"x" * 200_000
    answer = requests.post(f"{server.url}/echo", data=body, timeout=5)
    assert answer.content == body
