"""Operator console for syncs: one module per model family, registered on import."""

from sync.admin import (  # noqa: F401
    audits,
    connection_columns,
    dashboard,
    issues,
    jobs,
    repush,
    site,
    webhooks,
)
