"""Operator console for syncs: one module per model family, registered on import."""

from sync.admin import (  # noqa: F401
    connection_columns,
    dashboard,
    issues,
    jobs,
    site,
    webhooks,
)
