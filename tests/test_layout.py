"""Test modules stand alone: none imports another test module (shared helpers live in support modules),
and no conftest imports another (fixtures shared across packages live in ``tests/conftest.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_test_modules(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [name for name in names if name.startswith("tests.") and name.rpartition(".")[2].startswith("test_")]
    return found


def test_the_check_sees_both_import_forms() -> None:
    source = (
        "from tests.sync.test_a import run\nimport tests.core.test_b\nfrom tests.core import test_c\n"
        "from tests.sync.helpers import run_full\n"
    )
    assert imported_test_modules(source) == ["tests.sync.test_a", "tests.core.test_b", "tests.core.test_c"]


def test_no_test_module_imports_another() -> None:
    offenders = {
        str(path.relative_to(TESTS)): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := imported_test_modules(path.read_text()))
    }
    assert offenders == {}


def imported_conftests(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [name for name in names if name.startswith("tests") and name.rpartition(".")[2] == "conftest"]
    return found


def test_the_conftest_check_sees_both_import_forms() -> None:
    source = "from tests.sync.conftest import spark\nimport tests.conftest\nfrom tests.sync import conftest\n"
    assert imported_conftests(source) == ["tests.sync.conftest", "tests.conftest", "tests.sync.conftest"]


def test_no_conftest_imports_another() -> None:
    offenders = {
        str(path.relative_to(TESTS)): imported
        for path in sorted(TESTS.rglob("conftest.py"))
        if (imported := imported_conftests(path.read_text()))
    }
    assert offenders == {}
