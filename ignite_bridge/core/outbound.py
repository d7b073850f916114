"""Outbound URL safety: may the bridge call a URL someone handed it (SSRF guard)?

A store URL arrives in a request (the connect call's ``extra_config.store_url``). Before the
bridge sends anything there it must be sure the URL cannot point it at itself, at the private
network it runs in, or at a cloud metadata service. So a URL from a request must:

* use ``https`` (``file://``, ``gopher://``, plain ``http`` and every other scheme are refused);
* carry no user-info (``https://user:pass@host``: a classic way to disguise the real host);
* name a host whose *every* resolved address is public: not loopback, private, link-local
  (169.254.169.254, the metadata address of most clouds, is link-local), shared (100.64/10),
  reserved, multicast or unspecified; IPv4-mapped IPv6 addresses are judged as the IPv4 address.

Hosts listed in ``settings.IGNITE_ALLOWED_PLATFORM_HOSTS`` (the loopback sandbox, tests, a store
on a private network the operator vouches for) skip the address rules and may use plain ``http``.

Known limit: the check resolves the name, and the HTTP client resolves it again when it connects,
so a DNS server that answers differently the second time (DNS rebinding) is not covered here.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

Resolver = Callable[..., list[tuple[Any, ...]]]

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
    return {host.strip().lower() for host in settings.IGNITE_ALLOWED_PLATFORM_HOSTS if host.strip()}


def address_is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses that are not a metadata service."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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


def resolved_addresses(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself, without DNS)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = resolver(host, port, proto=socket.IPPROTO_TCP)
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
    allowed = {h.lower() for h in allowed_hosts} if allowed_hosts is not None else allowed_platform_hosts()
    if host in allowed:
        return candidate
    if scheme != "https":
        raise OutboundUrlRefused("the URL must use https://")
    addresses = resolved_addresses(host, port or 443, resolver or socket.getaddrinfo)
    refused = [address for address in addresses if not address_is_public(address)]
    if refused:
        raise OutboundUrlRefused(
            f"the host {host!r} resolves to a non-public address ({refused[0]}): "
            "loopback, private, link-local, reserved, multicast and metadata addresses are refused"
        )
    return candidate
