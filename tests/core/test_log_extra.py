"""No log call passes an ``extra`` key that ``logging.LogRecord`` already has: ``logging`` raises
``KeyError`` for it, but only once the level is enabled, so the mistake hides until production logs
at INFO (a worker's signal handler then loses its line to an error instead)."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODE = ("ignite_bridge", "sparklayer", "platforms", "connections", "sync", "storefront", "endpoints", "sandbox")
RESERVED = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {"message", "asctime"}


def reserved_extra_keys(source: str) -> list[tuple[int, str]]:
    """(line, key) of every literal ``extra={...}`` key that a LogRecord attribute already uses."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                for key in keyword.value.keys:
                    if isinstance(key, ast.Constant) and key.value in RESERVED:
                        found.append((node.lineno, key.value))
    return found


def test_the_check_finds_a_reserved_key() -> None:
    source = 'log.info("x", extra={"process": 1, "role": 2})\nlog.info("y", extra={"role": 1})\n'
    assert reserved_extra_keys(source) == [(1, "process")]


def test_logging_itself_refuses_the_reserved_keys_the_check_looks_for() -> None:
    logger = logging.getLogger("tests.log_extra")
    logger.setLevel(logging.INFO)
    with pytest.raises(KeyError):
        logger.info("x", extra={"process": "web"})


def test_no_log_call_overwrites_a_log_record_attribute() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {key}"
        for package in CODE
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, key in reserved_extra_keys(path.read_text())
    ]
    assert not found
