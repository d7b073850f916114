"""A partial index over the pending webhook events (see ``WebhookEvent.Meta``).

Built with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so a deployment with a large event table keeps
taking webhooks while it is built (the migration is not atomic for that); a plain index elsewhere."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, ``AddIndex`` on the embedded SQLite database."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


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
