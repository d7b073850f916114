"""Path converters for the Ignite routes: ``{siteEnv}`` is ``live`` or ``test``; ``{siteId}`` a SparkLayer site id.

An environment other than ``live``/``test`` matches no route, so the caller gets the 404 problem
of an unknown path ([decision]: 404 rather than 400, the same answer as any other wrong path).
"""

from __future__ import annotations


class SiteEnvConverter:
    regex = "(?:live|test)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SiteIdConverter:
    """A site id as SparkLayer issues them (e.g. ``bobs-store``): at most 128 URL-safe characters."""

    regex = r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class PlatformConverter:
    regex = "[a-z][a-z0-9_-]{0,31}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
