"""Operator console for syncs: one module per model family, registered on import."""
