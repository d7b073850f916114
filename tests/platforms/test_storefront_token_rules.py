"""Storefront login tokens: bounded lifetime, no ``crit`` extensions, optional aud/iss binding."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from platforms.base import CredentialInvalid
from platforms.woocommerce.storefront_auth import storefront_token_subject

SECRET = "storefront-secret-for-tests-0123456789abcdef"
TIME_CLAIMS = ("exp", "iat")


def make(claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
    """A token whose ``exp``/``iat`` are given as seconds from now (PyJWT checks the real clock)."""
    now = int(time.time())
    timed = {name: now + value if name in TIME_CLAIMS else value for name, value in claims.items()}
    return jwt.encode({"sub": "42", **timed}, SECRET, algorithm="HS256", headers=headers)


def subject(token: str, **kwargs: Any) -> str:
    return storefront_token_subject(token, secret=SECRET, **kwargs)


def test_a_short_lived_token_is_accepted() -> None:
    assert subject(make({"iat": 0, "exp": 300})) == "42"


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 2 * 3600},  # no iat: judged from now
        {"exp": 10 * 365 * 86400, "iat": 0},  # ten years
        {"exp": 600, "iat": -3600},  # 70 minutes from iat, though only 10 left
    ],
)
def test_a_token_valid_for_longer_than_the_maximum_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(CredentialInvalid, match="longer than 3600 seconds"):
        subject(make(claims))


def test_the_maximum_lifetime_is_a_parameter() -> None:
    token = make({"iat": 0, "exp": 600})
    assert subject(token, max_lifetime_seconds=900) == "42"
    with pytest.raises(CredentialInvalid):
        subject(token, max_lifetime_seconds=300)


def test_a_token_with_a_crit_header_is_refused() -> None:
    token = make({"exp": 300}, headers={"crit": ["exp"], "b64": True})
    with pytest.raises(CredentialInvalid, match="critical header"):
        subject(token)


def test_audience_binds_a_token_to_one_site() -> None:
    token = make({"exp": 300, "aud": "https://shop-a.example"})
    assert subject(token, audience="https://shop-a.example") == "42"
    with pytest.raises(CredentialInvalid, match="another site"):
        subject(token, audience="https://shop-b.example")
    with pytest.raises(CredentialInvalid):
        subject(make({"exp": 300}), audience="https://shop-a.example")  # aud required once configured


def test_issuer_binds_a_token_to_one_store() -> None:
    token = make({"exp": 300, "iss": "shop-a"})
    assert subject(token, issuer="shop-a") == "42"
    with pytest.raises(CredentialInvalid, match="another site"):
        subject(token, issuer="shop-b")
    with pytest.raises(CredentialInvalid):
        subject(make({"exp": 300}), issuer="shop-a")


def test_now_can_be_given() -> None:
    assert storefront_token_subject(make({"exp": 60}), secret=SECRET, now=time.time()) == "42"
