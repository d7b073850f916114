"""Calls and bodies the SparkLayer sandbox's tests share: a token, an authorised call, minimal records.

Plain functions over HTTP, with no Django (the sandbox tests run with ``-p no:django``)."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT = 5
SITE = "bobs-store"
CLIENT_SECRET = "secret"


def get_token(
    url: str, site: str = SITE, client_id: str = "id", client_secret: str = CLIENT_SECRET
) -> requests.Response:
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    return requests.post(f"{url}/api/auth/token", headers={"Site-Id": site}, json=body, timeout=TIMEOUT)


def auth(url: str, site: str = SITE) -> dict[str, str]:
    return {"Site-Id": site, "Authorization": f"Bearer {get_token(url, site).json()['access_token']}"}


def call(method: str, url: str, path: str, site: str = SITE, **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", None) or auth(url, site)
    return requests.request(method, f"{url}{path}", headers=headers, timeout=TIMEOUT, **kwargs)


def product(external_id: str = "101", *skus: str) -> dict[str, Any]:
    variants = [{"external_id": f"{external_id}-{sku}", "sku": sku} for sku in skus or ("SKU-1",)]
    return {"external_id": external_id, "title": "Striped Jumper", "slug": "striped-jumper", "variants": variants}


def customer(external_id: str = "7", email: str = "jane@example.com", **extra: Any) -> dict[str, Any]:
    return {"external_id": external_id, "email": email, "first_name": "Jane", "last_name": "Doe", **extra}


def address(external_id: str, line1: str = "1 High Street") -> dict[str, Any]:
    return {"external_id": external_id, "address_line1": line1, "city": "London", "country_code": "GB"}


def state(url: str, site: str = SITE) -> dict[str, Any]:
    return requests.get(f"{url}/_sandbox/state", params={"site_id": site}, timeout=TIMEOUT).json()
