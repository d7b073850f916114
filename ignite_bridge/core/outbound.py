"""Outbound address safety: may the bridge call a URL or address someone handed it (SSRF guard)?

A store URL arrives in a request (the connect call's ``extra_config.store_url``). Before the
bridge sends anything there it must be sure the URL cannot point it at itself, at the private
network it runs in, or at a cloud metadata service. So a URL from a request must:

* use ``https`` (``file://``, ``gopher://``, plain ``http`` and every other scheme are refused);
* carry no user-info (``https://user:pass@host``: a classic way to disguise the real host);
* name a host whose *every* resolved address is public: not loopback, private, link-local
  (169.254.169.254, the metadata address of most clouds, is link-local), shared (100.64/10),
  reserved, multicast or unspecified. An IPv6 address that carries an IPv4 one (IPv4-mapped
  ``::ffff:0:0/96``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``) is judged as that IPv4 address.

Hosts listed in ``settings.IGNITE_ALLOWED_PLATFORM_HOSTS`` (the loopback sandbox, tests, a store
on a private network the operator vouches for) skip the address rules and may use plain ``http``.
An entry may name a port (``127.0.0.1:8802``, ``[::1]:8802``): then only that port is allowed. A
bare host (``127.0.0.1``) allows ports 80 and 443 and the port of the URL the client was created
for (``origin_port``), never another one.

``ensure_public_url`` is the early check a URL gets when it is handed over (connect, admin).
``checked_addresses`` is the check every platform call gets when it opens a connection
(``ignite_bridge/core/pinned.py``): the name is resolved once, the addresses are judged, and the
connection goes to one of exactly those addresses, so a DNS answer that changes between the
check and the connect (DNS rebinding) cannot slip a private address in.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

Resolver = Callable[..., list[tuple[Any, ...]]]

#: ports a bare allow-listed host may use besides the port of the URL its client was created for
DEFAULT_PORTS = frozenset({80, 443})
#: the well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 address it stands for
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: addresses that are "global" by the ipaddress module yet must never be called
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack (link-local anyway)
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6 metadata (unique-local anyway)
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud (shared address space anyway)
    }
)


class OutboundUrlRefused(ValueError):
    """The URL may not be called; the message says why without echoing anything secret."""


def allowed_platform_hosts() -> set[str]:
    """The allow-list entries as written (lower case), ports included (``127.0.0.1:8802``)."""
    return {host.strip().lower() for host in settings.IGNITE_ALLOWED_PLATFORM_HOSTS if host.strip()}


def parse_allowed_host(entry: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]``, ``[v6]:port`` or a bare IPv6 literal → (host, port or None)."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        host, port = entry, ""
    return host, (int(port) if port.isascii() and port.isdigit() else None)


def host_is_allowed(
    host: str, port: int, *, origin_port: int | None = None, allowed_hosts: Iterable[str] | None = None
) -> bool:
    """True when the allow-list lets the bridge call ``host:port`` although its address is not public.

    An entry with a port allows exactly that port; a bare entry allows 80, 443 and ``origin_port``
    (the port of the URL the client was created for). ``allowed_hosts`` defaults to the setting."""
    host = host.strip("[]").lower()
    entries = allowed_hosts if allowed_hosts is not None else allowed_platform_hosts()
    for entry in entries:
        allowed_host, allowed_port = parse_allowed_host(entry)
        if allowed_host != host:
            continue
        if allowed_port is not None:
            if allowed_port == port:
                return True
        elif port in DEFAULT_PORTS or port == origin_port:
            return True
    return False


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, 6to4, NAT64), else None."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses that are not a metadata service."""
    inner = embedded_ipv4(address)
    if inner is not None:
        address = inner
    if address in METADATA_ADDRESSES:
        return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def resolve_host(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
    """The one DNS lookup of the guard (``socket.getaddrinfo``); tests replace it to play DNS."""
    return socket.getaddrinfo(host, port, **kwargs)


def resolved_addresses(host: str, port: int, resolver: Resolver | None = None) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself, without DNS)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = (resolver or resolve_host)(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise OutboundUrlRefused(f"the host {host!r} does not resolve") from exc
    found: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        try:
            found.append(ipaddress.ip_address(raw))
        except ValueError:
            continue
    if not found:
        raise OutboundUrlRefused(f"the host {host!r} does not resolve")
    return found


def ensure_public_url(
    url: str,
    *,
    allowed_hosts: Iterable[str] | None = None,
    resolver: Resolver | None = None,
) -> str:
    """Return ``url`` (stripped, no trailing slash) if the bridge may call it; else ``OutboundUrlRefused``.

    ``allowed_hosts`` defaults to ``settings.IGNITE_ALLOWED_PLATFORM_HOSTS``. No connection is
    opened: the only network activity is the name lookup (none at all for IP literals).
    """
    candidate = (url or "").strip().rstrip("/")
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError as exc:
        raise OutboundUrlRefused("the URL is malformed") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundUrlRefused("the URL must start with https://")
    host = (parts.hostname or "").lower()
    if not host:
        raise OutboundUrlRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise OutboundUrlRefused("the URL must not contain a user name or password")
    effective_port = port or (443 if scheme == "https" else 80)
    # The URL being checked is the one a connection is created with, so its own port counts as
    # the origin port: a bare allow-listed host is allowed on it (see ``host_is_allowed``).
    if host_is_allowed(host, effective_port, origin_port=effective_port, allowed_hosts=allowed_hosts):
        return candidate
    if scheme != "https":
        raise OutboundUrlRefused("the URL must use https://")
    _judge(host, resolved_addresses(host, effective_port, resolver))
    return candidate


def checked_addresses(
    host: str, port: int, *, origin_port: int | None, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Resolve ``host`` once and return the addresses a connection to ``host:port`` may use.

    Allow-listed hosts (``host_is_allowed``) get every address they resolve to; any other host
    must resolve to public addresses only (one non-public address refuses the whole host, so a
    round-robin answer cannot smuggle one in). Raises ``OutboundUrlRefused``."""
    addresses = resolved_addresses(host, port, resolver)
    if not host_is_allowed(host, port, origin_port=origin_port):
        _judge(host, addresses)
    return addresses


def _judge(host: str, addresses: list[IPAddress]) -> None:
    refused = [address for address in addresses if not address_is_public(address)]
    if refused:
        raise OutboundUrlRefused(
            f"the host {host!r} resolves to a non-public address ({refused[0]}): loopback, private, "
            "link-local, shared, reserved, multicast, unspecified and metadata addresses are refused"
        )
