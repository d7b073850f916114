"""The Platform API's JSON Schemas (``platforms/standard/schemas``) and field-level error messages."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
BASE = "https://ignite-bridge.invalid/platform-api/v1/"


@cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        if "$id" in contents:
            resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def validator(reference: str) -> Draft202012Validator:
    """A validator for ``product.json`` or ``answers.json#/$defs/checkout_complete``."""
    return Draft202012Validator(
        {"$ref": BASE + reference}, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def json_path(prefix: str, error: ValidationError) -> str:
    path = prefix
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(error: ValidationError) -> str:
    """The most useful sentence: for "one of these shapes" errors, the branch that was meant (not "or null")."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        meant = [e for e in error.context if e.schema != {"type": "null"}]
        if meant:
            return _message(min(meant, key=lambda e: len(list(e.relative_path))))
    return error.message


_INDEX = re.compile(r"\[\d+\]")


def violations(reference: str, instance: Any, *, where: str, path: str = "", group: str = "") -> list[tuple[str, str]]:
    """``(kind, "<where>: <json path>: message")`` per violation, in document order. ``kind`` is the
    path with indices left out plus the rule broken, so one mistake repeated in every record of a
    page can be reported once with a count (``group`` names the call, default ``where``)."""
    found = sorted(validator(reference).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    result = []
    for error in found:
        located = json_path(path, error)
        kind = "|".join((group or where, _INDEX.sub("[]", located), str(error.validator)))
        result.append((kind, f"{where}: {located}: {_message(error)}" if located else f"{where}: {_message(error)}"))
    return result


def errors(reference: str, instance: Any, *, where: str, path: str = "") -> list[str]:
    return [text for _, text in violations(reference, instance, where=where, path=path)]
