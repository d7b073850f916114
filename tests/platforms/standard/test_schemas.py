"""The published Platform API documents are sound and describe what the sandbox serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from platforms.standard.conformance import schema
from sandbox.standard.app import ROUTES

SCHEMAS = Path(schema.SCHEMA_DIR)
OPENAPI = json.loads((SCHEMAS / "openapi.json").read_text())


@pytest.mark.parametrize("path", sorted(p.name for p in SCHEMAS.glob("*.json") if p.name != "openapi.json"))
def test_every_schema_is_valid_draft_2020_12(path: str) -> None:
    Draft202012Validator.check_schema(json.loads((SCHEMAS / path).read_text()))


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_every_reference_of_the_openapi_file_resolves() -> None:
    external = sorted({r for r in refs(OPENAPI) if not r.startswith("#")})
    assert external
    for reference in external:
        schema.validator(reference).is_valid({})  # resolving a missing file or definition raises


def openapi_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in OPENAPI["paths"].items() for method in item}


def sandbox_operations() -> set[tuple[str, str]]:
    found = set()
    for path, methods, _handler, _capability in ROUTES:
        for method in methods:
            for resource in ("products", "customers", "orders"):
                concrete = path.replace("<any(products,customers,orders):resource>", resource)
                found.add((method, re.sub(r"<([a-z_]+)>", r"{\1}", concrete)))
    return found


def normalised(operations: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(method, re.sub(r"\{[a-z_]+\}", "{}", path)) for method, path in operations}


def test_the_openapi_file_and_the_sandbox_serve_the_same_operations() -> None:
    documented, served = normalised(openapi_operations()), normalised(sandbox_operations())
    assert documented - served == set()
    assert served - documented == set()
