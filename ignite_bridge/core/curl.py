"""Plain outbound calls through libcurl (pycurl): the same request, a quarter of the CPU.

A full sync sends one SparkLayer write per product, thousands a minute from one process, and its
write threads share one GIL with everything else the sync does. Through requests each call cost
~0.32 ms of CPU, a quarter of it ``http.client`` parsing the answer's headers with the ``email``
package; through a reused libcurl handle the same call costs ~0.08 ms (``bench/http_transport.py``).

``curl_send`` is taken by ``ignite_bridge.core.http.session_send`` only where requests would add
nothing (``curl_usable``): an http(s) URL on a session whose adapter is requests' own
``HTTPAdapter`` or the store sessions' address guard (``AddressGuardAdapter``), both unchanged (tests
that patch the adapter with ``responses`` and OpenTelemetry's instrumentation keep requests' path),
with no proxy, no client certificate, no ``auth=`` but a (user, password) pair and no content
encoding libcurl cannot decode offered, and with ``settings.OUTBOUND_CURL`` on (the default).

What goes on the wire is what requests would send: the session's headers, then the call's (a
``None`` value removes one), a (user, password) ``auth=`` as requests' Basic ``Authorization``
header, the body as given, HTTP/1.1, keep-alive (one libcurl handle per
thread and process, its connections kept between calls); libcurl adds no ``Expect: 100-continue``
and no form content type. The answer comes back as a ``requests.Response`` (status, reason, headers
with repeated ones joined as urllib3 joins them, the body decoded from gzip/deflate as requests
decodes it). Certificates are checked against the session's bundle (certifi's, like requests, or
``REQUESTS_CA_BUNDLE``). Failures are requests' exceptions, so callers map them as before:
``ConnectTimeout``, ``ReadTimeout`` (nothing sent or received for the read timeout, as urllib3 counts
it: ``_perform``), ``SSLError``, ``ConnectionError``. Redirects are not followed here: the
caller follows them the way requests does (within the origin).

**The address guard** (``ignite_bridge/core/pinned.py``) holds on this path as on requests': a call
on a guarded session first gets the host's checked addresses (``outbound.checked_addresses``: a
non-public one refuses the call, ``OutboundUrlRefused``, before anything is sent), hands exactly those
to libcurl in place of its own name lookup (``CURLOPT_RESOLVE``), and opens each new connection
itself (``CURLOPT_OPENSOCKETFUNCTION``, through ``pinned.open_socket``), to an address only if it is
one of them; guarded calls keep their connections apart from plain ones (``curl_handle``). ``Host``,
TLS SNI and the certificate check keep the host name. A name's lookup is kept for ``LOOKUP_SECONDS``
(libcurl's own DNS cache keeps one a minute), so a call on a kept-alive connection makes none; what
is allowed is judged again on every call.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import certifi
import pycurl
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.auth import _basic_auth_str
from requests.exceptions import ConnectionError, ConnectTimeout, ReadTimeout, SSLError
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, get_encoding_from_headers

from ignite_bridge.core import outbound, pinned
from ignite_bridge.core.pinned import AddressGuardAdapter

#: ``HTTPAdapter.send`` (and the guard's) as defined here: anything else (``responses``, an
#: instrumentation) means someone watches requests' adapter, and the call goes through it
_ADAPTER_SEND = HTTPAdapter.send
_GUARD_SEND = AddressGuardAdapter.send
_ADAPTERS = (HTTPAdapter, AddressGuardAdapter)

#: seconds a store host's name lookup is used for new connections before it is made again
LOOKUP_SECONDS = 30.0
#: most names kept (a process talks to a store or a few; past this, every lookup starts again)
LOOKUPS_KEPT = 1024
_lookups: dict[tuple[str, int], tuple[float, list[tuple[Any, ...]]]] = {}
_lookups_lock = threading.Lock()
#: urllib3's own option on every connection it opens (the guarded connections are opened here)
_SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]

_TLS_ERRORS = frozenset(
    {
        pycurl.E_SSL_CONNECT_ERROR,
        pycurl.E_PEER_FAILED_VERIFICATION,
        pycurl.E_SSL_CACERT_BADFILE,
        pycurl.E_SSL_CERTPROBLEM,
        pycurl.E_SSL_CIPHER,
        pycurl.E_SSL_ENGINE_NOTFOUND,
        pycurl.E_SSL_ENGINE_SETFAILED,
        pycurl.E_SSL_SHUTDOWN_FAILED,
        pycurl.E_SSL_CRL_BADFILE,
        pycurl.E_SSL_ISSUER_ERROR,
    }
)

_local = threading.local()


def request_headers(session: requests.Session, call: Mapping[str, str | None] | None) -> CaseInsensitiveDict[str]:
    """The headers a call sends, as requests merges them: the session's, then the call's (``None`` removes one)."""
    merged: CaseInsensitiveDict[str] = CaseInsensitiveDict(session.headers)  # type: ignore[arg-type]
    for name, value in (call or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def curl_usable(
    session: requests.Session, adapter: Any, url: str, *, auth: Any, headers: CaseInsensitiveDict[str]
) -> bool:
    """Whether ``curl_send`` sends this call (``headers``: ``request_headers``) exactly as requests' adapter
    would (see the module)."""
    return (
        type(adapter) in _ADAPTERS
        and HTTPAdapter.send is _ADAPTER_SEND
        and AddressGuardAdapter.send is _GUARD_SEND
        and not session.proxies
        and not session.cert
        and (auth is None or _user_and_password(auth))
        and url.startswith(("http://", "https://"))
        and _decodable(headers.get("Accept-Encoding"))
        and _enabled()
    )


def _user_and_password(auth: Any) -> bool:
    """An ``auth=`` requests turns into a Basic ``Authorization`` header (``_basic_auth_str``)."""
    return type(auth) is tuple and len(auth) == 2 and all(type(part) is str for part in auth)


@functools.lru_cache(maxsize=16)
def _decodable(accept_encoding: str | bytes | None) -> bool:
    """Whether libcurl can decode every encoding the request offers (requests offers ``br`` and ``zstd``
    when their packages are installed; this libcurl may have been built without them)."""
    if not accept_encoding:
        return True
    offered = {part.split(";")[0].strip().lower() for part in str(accept_encoding).split(",")} - {""}
    features = pycurl.version_info()[4]
    known = {"gzip", "deflate", "identity"}
    if features & pycurl.VERSION_BROTLI:
        known.add("br")
    if features & getattr(pycurl, "VERSION_ZSTD", 0):
        known.add("zstd")
    return offered <= known


def _enabled() -> bool:
    return bool(getattr(settings, "OUTBOUND_CURL", True)) if settings.configured else True


def curl_handle(*, guarded: bool = False) -> tuple[pycurl.Curl, pycurl.CurlMulti]:
    """This thread's libcurl handle and the multi handle that drives it (its keep-alive connections
    live there); a forked child makes its own. Guarded calls have their own pair: a connection libcurl
    opened for a plain call is never one a store's call finds kept alive."""
    handles: dict[bool, tuple[pycurl.Curl, pycurl.CurlMulti]] | None = getattr(_local, "handles", None)
    if handles is None or _local.pid != os.getpid():
        handles = _local.handles = {}
        _local.pid = os.getpid()
    pair = handles.get(guarded)
    if pair is None:
        pair = handles[guarded] = (pycurl.Curl(), pycurl.CurlMulti())
    return pair


def curl_send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: CaseInsensitiveDict[str],
    body: bytes | None,
    timeout: Any,
    adapter: Any = None,
    auth: tuple[str, str] | None = None,
) -> requests.Response:
    """One request (``headers``: ``request_headers``) over this thread's handle; the answer as requests
    would have returned it. On ``adapter``, the session's, an ``AddressGuardAdapter`` pins the call's
    connections to checked addresses (the module's last part): ``OutboundUrlRefused`` when there are none."""
    method = method.upper()
    if auth is not None:
        headers = CaseInsensitiveDict(headers)
        headers["Authorization"] = _basic_auth_str(*auth)  # as requests' ``prepare_auth`` sets it
    guarded = isinstance(adapter, AddressGuardAdapter)
    handle, multi = curl_handle(guarded=guarded)
    handle.reset()  # options only: the open connections stay with the multi handle
    _set_request(handle, method, url, headers, body)
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    _set_limits(handle, url, connect, session.verify)
    refused: list[requests.RequestException] = []
    if guarded:
        _pin(handle, url, adapter.origin_port, connect, refused)
    chunks: list[bytes] = []
    header_lines: list[bytes] = []
    handle.setopt(pycurl.WRITEFUNCTION, chunks.append)
    handle.setopt(pycurl.HEADERFUNCTION, lambda line: _header_line(header_lines, line))
    try:
        _perform(handle, multi, url, connect, read)
    except ConnectionError as exc:
        if refused:  # what opening the connection met, as requests' guarded path raises it
            raise refused[-1] from exc
        raise
    return _response(handle, method, url, headers, body, header_lines, b"".join(chunks))


def forget_lookups() -> None:
    """Drop every kept name lookup (``LOOKUP_SECONDS``)."""
    with _lookups_lock:
        _lookups.clear()


def _kept_lookup(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
    """``outbound.resolve_host``'s answer, kept ``LOOKUP_SECONDS`` (a failed lookup is not kept)."""
    key = (host, port)
    now = time.monotonic()
    kept = _lookups.get(key)
    if kept is not None and now - kept[0] < LOOKUP_SECONDS:
        return kept[1]
    infos = outbound.resolve_host(host, port, **kwargs)
    with _lookups_lock:
        if len(_lookups) >= LOOKUPS_KEPT:
            _lookups.clear()
        _lookups[key] = (now, infos)
    return infos


def _pin(
    handle: pycurl.Curl,
    url: str,
    origin_port: int | None,
    connect: float | None,
    refused: list[requests.RequestException],
) -> None:
    """The address guard on this call: its host's checked addresses (``OutboundUrlRefused`` if any is not
    allowed) become libcurl's answer for the name, and a new connection is opened here, by
    ``pinned.open_socket``, to one of them only; what that meets goes to ``refused``."""
    _scheme, host, port = pinned.origin_of(url)
    addresses = outbound.checked_addresses(host, port, origin_port=origin_port, resolver=_kept_lookup)
    try:
        ipaddress.ip_address(host)
    except ValueError:  # a name: libcurl looks up nothing, it takes these
        listed = ",".join(f"[{address}]" if address.version == 6 else str(address) for address in addresses)
        handle.setopt(pycurl.RESOLVE, [f"{host}:{port}:{listed}"])
    allowed = frozenset(addresses)

    def open_checked(_purpose: int, address: Any) -> Any:
        try:
            chosen = ipaddress.ip_address(str(address.addr[0]).split("%", 1)[0])
            if chosen not in allowed:
                refused.append(ConnectionError(f"{host}:{port}: {chosen} is not an address the guard checked"))
                return pycurl.SOCKET_BAD
            return pinned.open_socket(str(chosen), address.addr[1], connect, None, _SOCKET_OPTIONS)
        except TimeoutError:
            refused.append(ConnectTimeout(f"Connection to {host} timed out. (connect timeout={connect})"))
        except OSError as exc:
            refused.append(ConnectionError(f"{host}:{port}: failed to establish a new connection: {exc}"))
        return pycurl.SOCKET_BAD

    handle.setopt(pycurl.OPENSOCKETFUNCTION, open_checked)
    handle.setopt(pycurl.SOCKOPTFUNCTION, _already_connected)


def _already_connected(_fd: int, _purpose: int) -> int:
    return int(pycurl.SOCKOPT_ALREADY_CONNECTED)


def _perform(handle: pycurl.Curl, multi: pycurl.CurlMulti, url: str, connect: float | None, read: float | None) -> None:
    """Run the transfer with requests' timeouts: ``connect`` to open the connection (libcurl's own
    connect timeout), then ``read`` for each wait with nothing sent or received, as urllib3's socket
    timeout counts it (libcurl has no such limit: its whole-call timeout would cut a slow answer that
    still flows, its speed floor counts the request's own bytes). Raises requests' exceptions."""
    multi.add_handle(handle)
    try:
        moved_at = time.monotonic()
        moved = -1
        while True:
            code, active = multi.perform()
            while code == pycurl.E_CALL_MULTI_PERFORM:
                code, active = multi.perform()
            if not active:
                break
            now = time.monotonic()
            deadline = None  # while connecting, libcurl's connect timeout holds
            if float(handle.getinfo(pycurl.PRETRANSFER_TIME)) > 0 and read is not None:
                progress = handle.getinfo(pycurl.SIZE_UPLOAD_T) + handle.getinfo(pycurl.SIZE_DOWNLOAD_T)
                progress += handle.getinfo(pycurl.HEADER_SIZE)
                if progress != moved:
                    moved, moved_at = progress, now
                deadline = moved_at + read
                if now >= deadline:
                    raise ReadTimeout(f"{urlsplit(url).netloc}: nothing received for the read timeout ({read} s)")
            multi.select(1.0 if deadline is None else min(1.0, deadline - now))
        _queued, _done, failed = multi.info_read()
        if failed:
            _handle, number, message = failed[0]
            raise _failure(handle, pycurl.error(number, message), url)
    finally:
        multi.remove_handle(handle)


def _set_request(
    handle: pycurl.Curl, method: str, url: str, headers: CaseInsensitiveDict[str], body: bytes | None
) -> None:
    handle.setopt(pycurl.URL, url)
    handle.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)
    handle.setopt(pycurl.PROXY, "")  # the environment's proxies were decided when the session was made
    handle.setopt(pycurl.NOSIGNAL, 1)
    handle.setopt(pycurl.FOLLOWLOCATION, 0)
    lines = ["Expect:"]  # no 100-continue round trip before a large body
    for name, value in headers.items():
        check_header_validity((name, value))  # requests' own refusal (InvalidHeader): never a split header
        lowered = name.lower()
        if lowered == "content-length":
            continue  # libcurl sends the body's own
        if lowered == "accept-encoding":
            handle.setopt(pycurl.ACCEPT_ENCODING, value)  # sent as given; libcurl decodes the answer
            continue
        lines.append(f"{name}: {value}" if value != "" else f"{name};")
    sends_body = method not in ("GET", "HEAD") or body is not None
    if sends_body and "content-type" not in headers:
        lines.append("Content-Type:")  # libcurl would add a form type requests does not send
    handle.setopt(pycurl.HTTPHEADER, lines)
    if method == "GET" and body is None:
        handle.setopt(pycurl.HTTPGET, 1)
    elif method == "HEAD":
        handle.setopt(pycurl.NOBODY, 1)
    else:
        if method != "POST":
            handle.setopt(pycurl.CUSTOMREQUEST, method)
        if sends_body:  # requests sends Content-Length: 0 on a bodiless write
            handle.setopt(pycurl.POSTFIELDSIZE, len(body or b""))
            handle.setopt(pycurl.COPYPOSTFIELDS, body or b"")


def _set_limits(handle: pycurl.Curl, url: str, connect: float | None, verify: Any) -> None:
    """The connect timeout (the read timeout is ``_perform``'s) and the certificate checks."""
    if connect is not None:
        handle.setopt(pycurl.CONNECTTIMEOUT_MS, max(1, int(connect * 1000)))
    if not url.startswith("https://"):
        return
    if verify is False:
        handle.setopt(pycurl.SSL_VERIFYPEER, 0)
        handle.setopt(pycurl.SSL_VERIFYHOST, 0)
    elif isinstance(verify, str) and os.path.isdir(verify):
        handle.setopt(pycurl.CAPATH, verify)
    else:
        handle.setopt(pycurl.CAINFO, verify if isinstance(verify, str) else certifi.where())


def _header_line(lines: list[bytes], line: bytes) -> None:
    if line.startswith(b"HTTP/"):
        lines.clear()  # a new answer (after a 100 Continue): only the last one's headers count
    lines.append(line)


def _response(
    handle: pycurl.Curl,
    method: str,
    url: str,
    headers: CaseInsensitiveDict[str],
    body: bytes | None,
    header_lines: list[bytes],
    content: bytes,
) -> requests.Response:
    response = requests.Response()
    response.status_code = int(handle.getinfo(pycurl.RESPONSE_CODE))
    status_line = header_lines[0].decode("latin-1").strip() if header_lines else ""
    response.reason = status_line.split(" ", 2)[2] if status_line.count(" ") >= 2 else ""
    answer: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for raw in header_lines[1:]:
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            continue
        name, value = name.strip(), value.strip()
        answer[name] = f"{answer[name]}, {value}" if name in answer else value
    response.headers = answer
    response.encoding = get_encoding_from_headers(answer)
    response._content = content
    response._content_consumed = True  # type: ignore[attr-defined]
    response.url = url
    response.elapsed = timedelta(seconds=float(handle.getinfo(pycurl.TOTAL_TIME)))
    request = requests.PreparedRequest()
    request.method, request.url, request.headers, request.body = method, url, headers, body
    response.request = request
    return response


def _failure(handle: pycurl.Curl, exc: pycurl.error, url: str) -> requests.RequestException:
    code = exc.args[0] if exc.args else 0
    message = f"{urlsplit(url).netloc}: {exc.args[1] if len(exc.args) > 1 else exc}"
    if code == pycurl.E_OPERATION_TIMEDOUT:
        # the request was on its way (a new connection made, or a kept one taken) once pre-transfer was reached
        sent = float(handle.getinfo(pycurl.PRETRANSFER_TIME)) > 0
        return ReadTimeout(message) if sent else ConnectTimeout(message)
    if code in _TLS_ERRORS:
        return SSLError(message)
    return ConnectionError(message)
