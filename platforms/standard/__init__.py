"""The standard platform: any store that implements the bridge's own Platform API (docs/platform-api.md)."""
