"""A partial index over the pending webhook events (see ``WebhookEvent.Meta``).

Built with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so a deployment with a large event table keeps
taking webhooks while it is built (the migration is not atomic for that); a plain index elsewhere."""

from django.db import migrations, models

from sync.migrations._concurrent import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sync", "0007_record_state_raw_hash"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(("state__in", ["received", "queued"])),
                fields=["connection", "id"],
                name="webhook_event_pending",
            ),
        ),
    ]
