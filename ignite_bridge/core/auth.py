"""Bearer-token authentication for the endpoints SparkLayer calls (docs/ignite-contract.md §1, [decision]).

The token must equal one of ``IGNITE_API_TOKENS`` (several at once, so a token rotates without
downtime), compared in constant time against every configured token so timing tells nothing about
which one nearly matched. ``IGNITE_ALLOWED_IPS`` optionally restricts callers to CIDR ranges; the
caller's address is the peer's, or behind ``TRUSTED_PROXY_HOPS`` proxies the one they vouch for
(``ignite_bridge/core/proxies.py``).
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ignite_bridge.core.proxies import client_address


@dataclass(frozen=True)
class IgniteCaller:
    """The authenticated caller: SparkLayer (or whoever holds a deployment token)."""

    token_index: int
    is_authenticated: bool = True


def token_matches(candidate: str, tokens: list[str]) -> int | None:
    """Index of the configured token equal to ``candidate``; every token is compared."""
    found: int | None = None
    for index, token in enumerate(tokens):
        if token and hmac.compare_digest(candidate.encode(), token.encode()) and found is None:
            found = index
    return found


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def ip_allowed(remote_addr: str | None, cidrs: list[str]) -> bool:
    if not cidrs:
        return True
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(cidrs)))


class IgniteTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[IgniteCaller, str] | None:
        if not ip_allowed(client_address(request.META), list(settings.IGNITE_ALLOWED_IPS)):
            raise exceptions.PermissionDenied("Calls from this address are not allowed.")
        header = get_authorization_header(request).split()
        if not header:
            raise exceptions.NotAuthenticated("Send Authorization: Bearer <token>.")
        if header[0].lower() != self.keyword.lower().encode() or len(header) != 2:
            raise exceptions.AuthenticationFailed("Send Authorization: Bearer <token>.")
        try:
            candidate = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        index = token_matches(candidate, list(settings.IGNITE_API_TOKENS))
        if index is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return IgniteCaller(token_index=index), candidate

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="ignite"'


class IsIgniteCaller(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.user, IgniteCaller)
