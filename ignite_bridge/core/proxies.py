"""Which address a request came from, given how many reverse proxies the deployment trusts.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are plain request headers: anyone can send them. They
mean something only when a proxy the deployment runs sets them, so they are read only when
``TRUSTED_PROXY_HOPS`` (default 0: gunicorn faces the callers itself) says how many proxies stand
in front of the bridge. Each proxy appends the address it received the request from to
``X-Forwarded-For``, so with N trusted proxies the caller is the N-th entry from the right; the
entries left of it were written by the caller and are ignored. A request carrying fewer entries
than N did not pass all the proxies: its caller is unknown (None), which the IP allow-list refuses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.conf import settings


def client_address(meta: Mapping[str, Any]) -> str | None:
    """The caller's IP address as the deployment can vouch for it (see the module docstring)."""
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    if hops <= 0:
        return meta.get("REMOTE_ADDR") or None
    entries = [entry.strip() for entry in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if entry.strip()]
    if len(entries) < hops:
        return None
    return _address_only(entries[-hops])


def _address_only(entry: str) -> str | None:
    """An ``X-Forwarded-For`` entry without a port (``203.0.113.7:5123``, ``[2001:db8::1]:443``)."""
    candidate = entry
    if candidate.startswith("["):
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
