"""Tasks of the core: a round-trip probe used by operators and the Celery smoke test."""

from celery import shared_task


@shared_task(name="ignite_bridge.core.tasks.ping_task", time_limit=30, soft_time_limit=20)
def ping_task(value: str) -> str:
    """Echo ``value``: proves a worker takes tasks from the broker and answers."""
    return f"pong:{value}"
