"""Plain helpers shared by test packages (fixtures built on them live in ``tests/conftest.py``)."""

from __future__ import annotations


def shared_gates_clear() -> None:
    """Forget every SparkLayer back-off, request budget and concurrency slot kept in the cache's Redis
    (they outlive a test: a 429 in one test would pause the next test's site)."""
    from ignite_bridge.core.shared_redis import cache_redis
    from sparklayer.budget import site_budgets_forget

    site_budgets_forget()
    client = cache_redis()
    if client is None:
        return
    keys = [
        key
        for pattern in ("*sparklayer-pause:*", "*sparklayer-budget:*", "*slots:*")
        for key in client.scan_iter(match=pattern, count=500)
    ]
    if keys:
        client.delete(*keys)
