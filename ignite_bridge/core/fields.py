"""Model fields whose values are encrypted in the database (see ``ignite_bridge.core.crypto``)."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from ignite_bridge.core import crypto


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token; Python code only ever sees the plaintext.

    Empty strings are stored as empty (nothing to hide) so "erased" is visible in the database.
    Not searchable or orderable by content, by design.
    """

    description = "Encrypted text"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            return crypto.decrypt(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))


class EncryptedJSONField(EncryptedTextField):
    """A JSON object stored encrypted (e.g. a platform's credential set)."""

    description = "Encrypted JSON"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        plaintext = super().from_db_value(value, expression, connection)
        return json.loads(plaintext) if plaintext else {}

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        plaintext = super().to_python(value)
        if isinstance(plaintext, str):
            return json.loads(plaintext) if plaintext else {}
        return plaintext or {}

    def get_prep_value(self, value: Any) -> Any:
        if not value:
            return ""
        return crypto.encrypt(json.dumps(value, sort_keys=True))


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
