"""An index over issues by record and code in every state (see ``SyncIssue.Meta``): a page's issues read
their live rows and their resolved ones in one statement (``sync/engine/issues.py``), which the partial
unique index cannot serve for resolved rows.

Built with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL, as ``0008`` is, so syncs go on while it is built."""

from django.db import migrations, models

from sync.migrations._concurrent import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sync", "0008_webhook_event_pending_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="syncissue",
            index=models.Index(fields=["connection", "data_type", "external_id", "code"], name="issue_record_code"),
        ),
    ]
