"""Serve a sandbox WSGI app over real HTTP on loopback, in a background thread or in the foreground.

Both sandboxes are plain WSGI apps holding their state in memory, so they must run in exactly one
process. werkzeug's threaded server (one thread per connection, no keep-alive) is enough for tests;
``serve_forever_keepalive`` (gunicorn, one process, many threads, keep-alive) is for load.
"""

from __future__ import annotations

import io
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
        self._server: BaseWSGIServer = make_server(host, port, body_read_first(app), threaded=True)
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


def body_read_first(app: WSGIApp) -> WSGIApp:
    """``app`` with the request body read off the connection before it runs.

    An answer sent without reading the body (an injected fault, a 401, an unknown route) would leave
    the body on a keep-alive connection, and the server would read it as the next request line and
    answer that with a 400. A real server does not do that to a client, so neither may a sandbox."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = environ.get("CONTENT_LENGTH")
        if length and length.isdigit() and not environ.get("wsgi.input_terminated"):
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))
        return app(environ, start_response)

    return wrapped


def serve_in_thread(app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    return SandboxServer(app, host, port).start()


def free_port(host: str = "127.0.0.1", port: int = 0) -> int:
    """``port`` itself, or a free one when it is 0 (so the URL can be printed before serving)."""
    if port:
        return port
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def serve_forever_keepalive(
    app_factory: Callable[[], WSGIApp],
    host: str = "127.0.0.1",
    port: int = 8801,
    threads: int = 16,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve in the foreground with gunicorn: one process (the state lives in it), many threads,
    HTTP/1.1 keep-alive. werkzeug's server closes every connection, which caps a sandbox at a few
    hundred requests a second; benchmarks and the demo need more. The app is built by
    ``app_factory`` inside the worker process, so threads it starts survive gunicorn's fork."""
    from gunicorn.app.base import BaseApplication

    class _Sandbox(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": 1,
                "worker_class": "gthread",
                "threads": threads,
                "keepalive": 30,
                "timeout": 120,
                "accesslog": None,
                "loglevel": "warning",
                "when_ready": lambda _server: on_ready() if on_ready else None,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return app_factory()

    _Sandbox().run()
