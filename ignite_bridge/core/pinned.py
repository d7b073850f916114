"""Guarded HTTP sessions: every connection goes to an address that was checked, redirects stay home.

Two guards, used by ``ignite_bridge/core/http.py`` for every outbound client:

* ``OriginLockedSession`` follows a redirect only within the origin (scheme, host, port) that
  answered it. A redirect to another origin raises ``RedirectRefused`` before anything is sent
  there: a store answering ``302 Location: http://10.0.0.5/`` cannot make the bridge read an
  internal service, and a ``Location`` on another host cannot collect the credentials either.
  Every client gets this, SparkLayer's included.
* ``AddressGuardAdapter`` (platform clients) opens each new TCP connection itself: it resolves
  the host once (``outbound.checked_addresses``), refuses non-public addresses unless the host is
  allow-listed, and connects to one of exactly the addresses it checked. There is no second
  lookup for a rebinding DNS server to answer differently. The ``Host`` header, TLS SNI and
  certificate verification still use the host name, since only the socket is opened by address.

When an outbound proxy applies to a URL (``HTTPS_PROXY``), the proxy opens the connection and
resolves the name itself: the adapter then checks the host's addresses before the request is
sent, and the proxy must refuse private destinations for rebinding to be covered as well.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from ignite_bridge.core import outbound

#: most same-origin redirects followed for one request
MAX_REDIRECTS = 5


class RedirectRefused(requests.RequestException):
    """A response redirected to another origin; nothing was sent there."""


def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


class OriginLockedSession(requests.Session):
    """A ``requests.Session`` that follows redirects only within the origin that answered."""

    def __init__(self) -> None:
        super().__init__()
        self.max_redirects = MAX_REDIRECTS

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        location = super().get_redirect_target(resp)
        if location is None:
            return None
        target = urljoin(resp.url, location)
        if origin_of(target) != origin_of(resp.url):
            source = origin_of(resp.url)
            raise RedirectRefused(
                f"{source[0]}://{source[1]}:{source[2]} answered HTTP {resp.status_code} redirecting to another "
                f"origin ({urlsplit(target).scheme}://{urlsplit(target).netloc}); the bridge follows no redirect "
                "away from the host it was given. Fix the store URL (scheme, host and port) so it is not redirected.",
                response=resp,
            )
        return location


def open_socket(address: str, port: int, timeout: Any, source_address: Any, socket_options: Any) -> socket.socket:
    """Open a TCP connection to an IP literal (no name lookup happens here)."""
    return urllib3_connection.create_connection(
        (address, port), timeout, source_address=source_address, socket_options=socket_options
    )


class _PinnedConnectionMixin:
    """``_new_conn`` that connects to an address ``outbound.checked_addresses`` approved."""

    origin_port: int | None = None
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        host = self.host
        addresses = outbound.checked_addresses(host, self.port, origin_port=self.origin_port)
        last_error: OSError | None = None
        for address in addresses:
            try:
                sock = open_socket(str(address), self.port, self.timeout, self.source_address, self.socket_options)
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                last_error = exc
                continue
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")  # type: ignore[arg-type]


def _pool_classes(origin_port: int | None) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes whose connections are pinned, bound to the origin port of one session."""
    bound = {"origin_port": origin_port}
    http_connection = type("PinnedHTTPConnection", (_PinnedConnectionMixin, HTTPConnection), bound)
    https_connection = type("PinnedHTTPSConnection", (_PinnedConnectionMixin, HTTPSConnection), bound)
    return {
        "http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
        "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection}),
    }


class AddressGuardAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections pass the SSRF address guard (see the module docstring)."""

    __attrs__ = [*HTTPAdapter.__attrs__, "origin_port"]

    def __init__(self, *, origin_port: int | None, **kwargs: Any) -> None:
        self.origin_port = origin_port
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.origin_port)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        proxies = kwargs.get("proxies") or (args[4] if len(args) > 4 else None) or {}
        if select_proxy(str(request.url), proxies):
            # The proxy connects and resolves: judge the destination's addresses before handing it over.
            scheme, host, port = origin_of(str(request.url))
            outbound.checked_addresses(host, port, origin_port=self.origin_port)
        return super().send(request, *args, **kwargs)


def guard_session(session: requests.Session, *, origin_port: int | None, pool_maxsize: int) -> requests.Session:
    """Mount the address guard on ``session`` for both schemes."""
    adapter = AddressGuardAdapter(origin_port=origin_port, pool_connections=1, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
