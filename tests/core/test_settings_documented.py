"""Every variable the settings read from the environment is in ``.env.example`` and the README's table.

The settings are parsed, not imported: each ``env(...)``, ``env.<cast>(...)``, ``environ.Env().<cast>(...)``,
``require(...)``, ``os.environ[...]``, ``os.environ.get(...)`` and ``os.getenv(...)`` whose first
argument is a literal name counts. ``settings/test.py`` is left out: its switches are for the test suite
and the benchmarks, not for a deployment.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "ignite_bridge" / "settings"
NOT_FOR_DEPLOYMENTS = {"test.py"}


def _name(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_env(node: ast.AST) -> bool:
    """``env`` or ``environ.Env()``."""
    if isinstance(node, ast.Name):
        return node.id == "env"
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Env"


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)


def env_reads(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func, first = node.func, _name(node.args[0])
            reads = (
                (isinstance(func, ast.Name) and func.id in {"env", "require"})
                or (isinstance(func, ast.Attribute) and _is_env(func.value) and not func.attr.startswith("read"))
                or (isinstance(func, ast.Attribute) and func.attr == "get" and _is_os_environ(func.value))
                or (isinstance(func, ast.Attribute) and func.attr == "getenv")
            )
            if reads and first:
                names.add(first)
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and _name(node.slice):
            names.add(str(_name(node.slice)))
    return names


def settings_env_names() -> set[str]:
    names: set[str] = set()
    for path in sorted(SETTINGS.glob("*.py")):
        if path.name not in NOT_FOR_DEPLOYMENTS:
            names |= env_reads(path.read_text())
    return names


def env_example_names() -> set[str]:
    """``NAME=value`` lines, commented-out ones included (``# PROMETHEUS_MULTIPROC_DIR=/tmp/metrics``)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def readme_table_names() -> set[str]:
    """Names in the first column of the README's settings table (``| `A`, `B` | default | meaning |``)."""
    names: set[str] = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names


def test_the_parser_finds_every_kind_of_read() -> None:
    source = (
        'A = env("A")\nB = env.int("B", default=1)\nC = environ.Env().str("C")\nD = require("D")\n'
        'E = os.environ["E"]\nF = os.environ.get("F")\nG = os.getenv("G")\nenviron.Env.read_env("x")\n'
        "H = env.list(name)\n"
    )
    assert env_reads(source) == {"A", "B", "C", "D", "E", "F", "G"}


def test_the_settings_read_the_variables_this_test_knows_of() -> None:
    names = settings_env_names()
    assert {"SECRET_KEY", "DATABASE_URL", "IGNITE_VAR_DIR", "PROMETHEUS_MULTIPROC_DIR", "WEBHOOK_MAX_ATTEMPTS"} <= names
    assert "WEBHOOK_SKIP_ENQUEUE" not in names  # a switch of the test settings only


def test_every_variable_the_settings_read_is_in_env_example() -> None:
    assert sorted(settings_env_names() - env_example_names()) == []


def test_every_variable_the_settings_read_is_in_the_readme_table() -> None:
    assert sorted(settings_env_names() - readme_table_names()) == []
