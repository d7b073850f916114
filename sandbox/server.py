"""Serve a sandbox WSGI app over real HTTP on loopback, in a background thread or in the foreground.

Both sandboxes are plain WSGI apps holding their state in memory, so they must run in exactly one
process; werkzeug's threaded server gives HTTP/1.1 keep-alive and one thread per connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[..., Any]


class SandboxServer:
    """A running sandbox: ``url`` to reach it, ``stop()`` to end it."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        # werkzeug logs every request at INFO; the sandboxes keep their own call log instead.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.app = app
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def serve_in_thread(app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    return SandboxServer(app, host, port).start()
