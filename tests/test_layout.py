"""Test modules stand alone: none imports another test module (shared helpers live in support modules)."""

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


# -- sync: one module sends work to the workers --------------------------------------------------------

ROOT = TESTS.parent
#: the modules allowed to import ``sync.tasks``: the tasks themselves and the dispatcher
TASK_IMPORTERS = ("sync/dispatch.py", "sync/tasks/")


def imported_modules(source: str) -> list[str]:
    """Every module an import statement names, at any depth (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def is_sync_tasks(module: str) -> bool:
    return module == "sync.tasks" or module.startswith("sync.tasks.")


def test_the_import_scan_sees_lazy_imports() -> None:
    source = "def send():\n    from sync.tasks.audits import audit_run_task\n"
    assert "sync.tasks.audits" in imported_modules(source)


def test_only_the_dispatcher_imports_the_sync_tasks() -> None:
    product = [path for package in ("sync", "connections", "endpoints", "storefront", "ignite_bridge")
               for path in sorted((ROOT / package).rglob("*.py"))]  # fmt: skip
    offenders = {
        str(path.relative_to(ROOT)): names
        for path in product
        if not str(path.relative_to(ROOT)).startswith(TASK_IMPORTERS)
        if (
            names := [n for n in imported_modules(path.read_text()) if n == "sync.tasks" or n.startswith("sync.tasks.")]
        )
    }
    assert offenders == {}
