"""Operator console for syncs: one module per model family, registered on import."""

from sync.admin import (  # noqa: F401
    audits,
    dashboard,
    issues,
    jobs,
    repush,
    webhooks,
)
