"""A local store that implements the bridge's Platform API (``docs/platform-api.md``): ``StandardSandbox``."""

from sandbox.standard.app import StandardSandbox

__all__ = ["StandardSandbox"]
