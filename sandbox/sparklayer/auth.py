"""Access tokens and per-site API credentials (docs/ignite-contract.md §2.1).

A token is valid only for the Site-Id it was issued for and only for ``lifetime`` seconds. A site
with registered credentials accepts only that pair; an unregistered site accepts any non-empty
pair, so tests and demos work without set-up while credential checks stay testable.
"""

from __future__ import annotations

import hmac
import secrets
import time

from sandbox.sparklayer.problems import ApiProblem


class TokenRegistry:
    def __init__(self, lifetime: int) -> None:
        self.lifetime = lifetime
        self._credentials: dict[str, tuple[str, str]] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (site_id, expires at, monotonic)

    def register(self, site_id: str, client_id: str, client_secret: str) -> None:
        self._credentials[site_id] = (client_id, client_secret)

    def issue(self, site_id: str, client_id: str, client_secret: str) -> str:
        expected = self._credentials.get(site_id)
        if expected is not None and not (
            hmac.compare_digest(expected[0], client_id) and hmac.compare_digest(expected[1], client_secret)
        ):
            raise ApiProblem(401, "The client credentials are not valid for this site.")
        now = time.monotonic()
        self._tokens = {token: entry for token, entry in self._tokens.items() if entry[1] > now}
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (site_id, now + self.lifetime)
        return token

    def check(self, site_id: str, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiProblem(401, "A Bearer access token is required.", headers={"WWW-Authenticate": "Bearer"})
        entry = self._tokens.get(token.strip())
        if entry is None or entry[0] != site_id:
            raise ApiProblem(
                401, "The access token is not valid for this site.", headers={"WWW-Authenticate": "Bearer"}
            )
        if entry[1] <= time.monotonic():
            raise ApiProblem(401, "The access token has expired.", headers={"WWW-Authenticate": "Bearer"})

    def expire_all(self) -> int:
        """Every issued token expires now; returns how many there were."""
        now = time.monotonic()
        count = len(self._tokens)
        self._tokens = {token: (site_id, now) for token, (site_id, _expires) in self._tokens.items()}
        return count

    def reset(self, site_id: str | None = None) -> None:
        if site_id is None:
            self._credentials.clear()
            self._tokens.clear()
            return
        self._credentials.pop(site_id, None)
        self._tokens = {token: entry for token, entry in self._tokens.items() if entry[0] != site_id}
