"""Re-encrypt every encrypted column under the first key of FIELD_ENCRYPTION_KEYS (key rotation)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from ignite_bridge.core import crypto
from ignite_bridge.core.fields import encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first FIELD_ENCRYPTION_KEYS key, so older keys can be dropped."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        quote = connection.ops.quote_name
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            # Work on the raw ciphertext: the ORM would hand back plaintext.
            table = quote(model._meta.db_table)
            pk_column = quote(model._meta.pk.column)
            columns = ", ".join(quote(f.column) for f in fields)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk_column}, {columns} FROM {table}")  # noqa: S608
                for pk, *values in cursor.fetchall():
                    updates = {
                        quote(field.column): crypto.rotate(raw)
                        for field, raw in zip(fields, values, strict=True)
                        if raw and raw.startswith(crypto.PREFIX)
                    }
                    if not updates:
                        continue
                    assignments = ", ".join(f"{column} = %s" for column in updates)
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608
                        [*updates.values(), pk],
                    )
                    total += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} row(s)."))
