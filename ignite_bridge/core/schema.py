"""OpenAPI description of the core's bearer-token authentication (drf-spectacular extension)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IgniteTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[misc]
    target_class = "ignite_bridge.core.auth.IgniteTokenAuthentication"
    name = "IgniteBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "One of the deployment's IGNITE_API_TOKENS.",
        }
