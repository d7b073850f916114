"""The Platform API's published JSON Schemas, read from the repository, to check the bridge's requests.

The sandbox refuses a body that does not match ``requests.json`` with a ``400`` problem listing each
bad field, so a bridge that drifts from the documented API fails its tests against the sandbox.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "platforms" / "standard" / "schemas"
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
def validator(definition: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{BASE}requests.json#/$defs/{definition}"}, registry=registry())


def request_errors(definition: str, body: Any) -> list[dict[str, str]]:
    """``[{property, message}]`` for each way ``body`` breaks ``requests.json#/$defs/<definition>``."""
    found = []
    for error in sorted(validator(definition).iter_errors(body), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(part) for part in error.absolute_path)
        found.append({"property": path or "(body)", "message": error.message})
    return found
