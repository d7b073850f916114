"""The test tree's shape: test modules stand alone (none imports another; shared helpers live in support
modules), conftest files hold fixtures and hooks that nothing imports (pytest finds them itself), a fixture lives
in a conftest file or in the one test module that uses it, and every test file name is unique."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def package_of(path: Path) -> str:
    """The dotted package a file's relative imports start from (``tests.sync`` for ``tests/sync/helpers.py``)."""
    return ".".join(path.parent.relative_to(ROOT).parts)


def import_targets(source: str, package: str) -> list[list[str]]:
    """For each import statement, at any depth, the modules it may load: the module named and, for
    ``from x import y``, ``x.y`` (``y`` may be a submodule). Relative imports are resolved against ``package``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [[alias.name] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            found.append([base] + [f"{base}.{alias.name}" for alias in node.names])
    return found


def first_test_module(name: str) -> str | None:
    """``tests.sync.test_a`` for ``tests.sync.test_a`` or ``tests.sync.test_a.run``; None if no test module."""
    parts = name.split(".")
    if parts[0] != "tests" and not parts[0].startswith("test_"):
        return None
    for index, part in enumerate(parts):
        if part.startswith("test_"):
            return ".".join(parts[: index + 1])
    return None


def imported_test_modules(source: str, package: str = "tests") -> list[str]:
    found = []
    for names in import_targets(source, package):
        modules = [module for name in names if (module := first_test_module(name))]
        found += list(dict.fromkeys(modules))
    return found


def test_the_check_sees_every_import_form() -> None:
    source = (
        "from tests.sync.test_a import run\nimport tests.core.test_b\nfrom tests.core import test_c\n"
        "import tests.core.test_d as d\nfrom .test_e import run\nfrom . import test_f\nfrom ..test_g import run\n"
        "def later():\n    from tests.sync.test_h import test_thing\n"
        "from tests.sync.helpers import run_full\nfrom tests.sync import helpers\nfrom django.test import Client\n"
    )
    assert imported_test_modules(source, package="tests.sync") == [
        "tests.sync.test_a", "tests.core.test_b", "tests.core.test_c", "tests.core.test_d", "tests.sync.test_e",
        "tests.sync.test_f", "tests.test_g", "tests.sync.test_h",
    ]  # fmt: skip


def test_no_test_module_imports_another() -> None:
    offenders = {
        str(path.relative_to(TESTS)): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := imported_test_modules(path.read_text(), package=package_of(path)))
    }
    assert offenders == {}


def imported_conftests(source: str, package: str = "tests") -> list[str]:
    found = []
    for names in import_targets(source, package):
        modules = [name for name in names if name.split(".")[-1] == "conftest"]
        found += list(dict.fromkeys(modules))
    return found


def test_the_conftest_check_sees_every_import_form() -> None:
    source = (
        "from tests.sync.conftest import spark\nimport tests.conftest\nfrom tests.sync import conftest\n"
        "import tests.platforms.conftest as platform_fixtures\nfrom .conftest import load\nfrom . import conftest\n"
        "from ..conftest import ROOT\nimport conftest\n"
        "def later():\n    from tests.conftest import worker_environment\n"
        "from tests.sync.helpers import spark_state\nfrom tests.sync import helpers\n"
    )
    assert imported_conftests(source, package="tests.sync.jobs") == [
        "tests.sync.conftest", "tests.conftest", "tests.sync.conftest", "tests.platforms.conftest",
        "tests.sync.jobs.conftest", "tests.sync.jobs.conftest", "tests.sync.conftest", "conftest", "tests.conftest",
    ]  # fmt: skip


def python_files() -> list[Path]:
    """The repository's Python files, the benchmarks and scripts included (they may reach into tests/)."""
    trees = [path for path in sorted(ROOT.iterdir()) if path.is_dir() and not path.name.startswith(".")]
    return sorted(ROOT.glob("*.py")) + [path for tree in trees if tree.name != "var" for path in tree.rglob("*.py")]


def test_nothing_imports_a_conftest() -> None:
    """Fixtures reach tests by name; a plain helper in a conftest would be imported, so it lives in a support module."""
    offenders = {
        str(path.relative_to(ROOT)): imported
        for path in python_files()
        if (imported := imported_conftests(path.read_text(), package=package_of(path)))
    }
    assert offenders == {}


#: module-level names pytest itself reads from a conftest
CONFTEST_SETTINGS = {"pytest_plugins", "pytestmark", "collect_ignore", "collect_ignore_glob"}


def is_fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    decorators = [ast.unparse(dec.func if isinstance(dec, ast.Call) else dec) for dec in node.decorator_list]
    return any(name in ("pytest.fixture", "fixture") for name in decorators)


def conftest_plain_names(source: str) -> list[str]:
    """Top-level names of a conftest that are neither a fixture, a ``pytest_*`` hook nor a setting pytest reads:
    the functions, classes and constants that belong in a support module."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not (is_fixture(node) or node.name.startswith("pytest_")):
                found.append(node.name)
        elif isinstance(node, ast.ClassDef):
            found.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [name for target in targets if (name := ast.unparse(target)) not in CONFTEST_SETTINGS]
    return found


def test_the_fixture_check_sees_plain_helpers() -> None:
    source = (
        "import pytest\nfrom pytest import fixture\nROOT = 1\nLIMIT: int = 2\npytest_plugins = ['x']\n"
        "def load(name): ...\nclass Worker: ...\n@pytest.fixture\ndef a(): ...\n@pytest.fixture(autouse=True)\n"
        "def b(): ...\n@fixture\ndef c(): ...\ndef pytest_configure(config): ...\n@pytest.mark.slow\ndef d(): ...\n"
    )
    assert conftest_plain_names(source) == ["ROOT", "LIMIT", "load", "Worker", "d"]


def test_conftest_files_hold_fixtures_and_hooks_only() -> None:
    offenders = {
        str(path.relative_to(TESTS)): names
        for path in sorted(TESTS.rglob("conftest.py"))
        if (names := conftest_plain_names(path.read_text()))
    }
    assert offenders == {}


#: the modules whose ``fixture`` declares a pytest fixture
FIXTURE_MODULES = ("pytest", "pytest_asyncio")


def fixture_spellings(tree: ast.Module) -> set[str]:
    """How a module may write ``pytest.fixture``: through ``import pytest [as p]`` or ``from pytest import fixture
    [as f]`` (``pytest_asyncio`` likewise)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {f"{alias.asname or alias.name}.fixture" for alias in node.names if alias.name in FIXTURE_MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module in FIXTURE_MODULES:
            found |= {alias.asname or alias.name for alias in node.names if alias.name == "fixture"}
    return found


def fixture_definitions(source: str) -> list[str]:
    """The fixtures a module declares, at any depth: functions decorated with ``pytest.fixture`` (bare or called,
    under any name it is imported as) and ``pytest.fixture(...)(function)`` calls (named by their source)."""
    tree = ast.parse(source)
    spellings = fixture_spellings(tree)

    def declares(expr: ast.expr) -> bool:
        return ast.unparse(expr.func if isinstance(expr, ast.Call) else expr) in spellings

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(map(declares, node.decorator_list)):
            found.append(node.name)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and declares(node.func):
            found.append(ast.unparse(node))
    return found


def test_the_fixture_scan_sees_every_declaration_form() -> None:
    source = (
        "import pytest\nimport pytest as pt\nfrom pytest import fixture\nfrom pytest import fixture as fx\n"
        "@pytest.fixture\ndef a(): ...\n@pytest.fixture(name='bee')\ndef b(): ...\n@fixture\ndef c(): ...\n"
        "@fx(scope='module')\nasync def d(): ...\n@pt.fixture\ndef e(): ...\n"
        "class TestThing:\n    @pytest.fixture(autouse=True)\n    def f(self): ...\n"
        "g = pytest.fixture(name='g')(make)\n@pytest.mark.parametrize('x', [1])\ndef test_h(x): ...\n"
        "def fixture_like(): ...\n@other.fixture\ndef i(): ...\n"
    )
    assert fixture_definitions(source) == ["a", "b", "c", "d", "e", "f", "pytest.fixture(name='g')(make)"]


def test_fixtures_live_in_conftest_files_or_the_test_module_that_uses_them() -> None:
    """A fixture test modules share lives in their nearest common ``conftest.py``, where pytest finds it by name;
    one a single module uses may stay in it (no module imports a test module: see above). A fixture anywhere else
    reaches a test only through an import that looks unused, and a ``# noqa: F401`` to keep it."""
    offenders = {
        str(path.relative_to(TESTS)): names
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "conftest.py" and not path.name.startswith("test_")
        if (names := fixture_definitions(path.read_text()))
    }
    assert offenders == {}


def same_names(paths: Iterable[Path]) -> dict[str, list[str]]:
    """File names used more than once, with the paths (relative to ``tests/``) that use them."""
    paths = sorted(paths)
    counts = Counter(path.name for path in paths)
    return {
        name: [str(path.relative_to(TESTS)) for path in paths if path.name == name]
        for name, count in sorted(counts.items())
        if count > 1
    }


def test_the_name_check_finds_a_file_name_used_twice() -> None:
    paths = [TESTS / "core" / "test_health.py", TESTS / "admin" / "test_health.py", TESTS / "core" / "test_auth.py"]
    assert same_names(paths) == {"test_health.py": ["admin/test_health.py", "core/test_health.py"]}


def test_every_test_file_name_is_unique() -> None:
    """Distinct names say what each file tests, and a failure or a ``-k``/node id never points at two files."""
    assert same_names(TESTS.rglob("test_*.py")) == {}


# -- sync: one module sends work to the workers --------------------------------------------------------

#: the modules allowed to import ``sync.tasks``: the tasks themselves and the dispatcher
TASK_IMPORTERS = ("sync/dispatch.py", "sync/tasks/")
PRODUCT = ("sync", "connections", "endpoints", "storefront", "ignite_bridge")


def imported_modules(source: str) -> list[str]:
    """Every module an import statement names, at any depth (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def product_files() -> list[Path]:
    return [path for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))]


def is_sync_tasks(module: str) -> bool:
    return module == "sync.tasks" or module.startswith("sync.tasks.")


def test_the_import_scan_sees_lazy_imports() -> None:
    source = "def send():\n    from sync.tasks.audits import audit_run_task\n"
    assert "sync.tasks.audits" in imported_modules(source)


def test_only_the_dispatcher_imports_the_sync_tasks() -> None:
    offenders = {
        str(path.relative_to(ROOT)): names
        for path in product_files()
        if not str(path.relative_to(ROOT)).startswith(TASK_IMPORTERS)
        if (names := [name for name in imported_modules(path.read_text()) if is_sync_tasks(name)])
    }
    assert offenders == {}


# -- sync: no import cycle inside a package ----------------------------------------------------------

#: sync.dispatch imports the tasks at call time to send a message (the tasks import every flow): not a
#: dependency of the flows on the tasks, and the one import the layers contract in pyproject.toml ignores too
CALL_TIME_IMPORTS = {("sync.dispatch", "sync.tasks")}


def sibling_cycles(graph: Any, package: str) -> list[tuple[str, str]]:
    """Pairs of children of ``package`` (modules or sub-packages, their descendants included) that
    import each other, directly or through other children."""
    children = sorted(graph.find_children(package))

    def owner(module: str) -> str | None:
        return next((child for child in children if module == child or module.startswith(child + ".")), None)

    edges: dict[str, set[str]] = {child: set() for child in children}
    for child in children:
        for module in [child, *graph.find_descendants(child)]:
            for imported in graph.find_modules_directly_imported_by(module):
                target = owner(imported)
                if target is not None and target != child and (child, target) not in CALL_TIME_IMPORTS:
                    edges[child].add(target)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
        return False

    return [(a, b) for a in children for b in sorted(edges[a]) if a < b and reaches(b, a)]


def test_the_cycle_check_finds_a_cycle() -> None:
    class Graph:
        imports = {"p.a": {"p.b.x"}, "p.b.x": {"p.a"}, "p.c": {"p.a"}}

        def find_children(self, package: str) -> set[str]:
            return {"p.a", "p.b", "p.c"} if package == "p" else set()

        def find_descendants(self, module: str) -> set[str]:
            return {"p.b.x"} if module == "p.b" else set()

        def find_modules_directly_imported_by(self, module: str) -> set[str]:
            return self.imports.get(module, set())

    assert sibling_cycles(Graph(), "p") == [("p.a", "p.b")]


def test_no_import_cycle_inside_a_sync_package() -> None:
    import grimp

    graph = grimp.build_graph("sync", include_external_packages=False, cache_dir=None)
    packages = sorted(module for module in graph.modules if graph.find_children(module))
    assert {package: cycles for package in packages if (cycles := sibling_cycles(graph, package))} == {}


# -- sync: a job's state changes only through the job services --------------------------------------------

JOB_STATE_FIELDS = {
    "state", "phase", "error", "result", "started_at", "finished_at", "heartbeat_at", "resume_at", "claim_token",
    "attempts", "celery_task_id", "seen", "pushed", "unchanged", "issues", "deleted", "pages_done",
    "checkpoint_cursor", "total_estimate",
}  # fmt: skip
JOB_SERVICES = ("sync/jobs/", "sync/migrations/")
WRITES = {"update", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "delete"}
#: none: the push's flush beats a running job's heart through the callback its caller passes
#: (``sync_job_heartbeat``), since the write engine sits below sync/jobs (pyproject.toml's layers)
JOB_WRITES_ALLOWED: set[str] = set()


def job_state_writes(source: str) -> list[str]:
    """Statements that change a ``SyncJob``: a state field assigned on a ``*job*`` name, a ``*job*.save()``,
    or a write through ``SyncJob.objects``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        )
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in JOB_STATE_FIELDS
                and "job" in ast.unparse(target.value).lower()
            ):
                found.append(ast.unparse(node))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value)
            if (node.func.attr in WRITES and "SyncJob.objects" in receiver) or (
                node.func.attr == "save" and "job" in receiver.lower()
            ):
                found.append(ast.unparse(node))
    return found


def test_the_job_write_scan_sees_each_form() -> None:
    source = (
        "job.state = 'failed'\njob.seen += 3\nself.job.save(update_fields=['state'])\n"
        "SyncJob.objects.filter(pk=1).update(state='queued')\nrun.state = 'failed'\n"
    )
    assert job_state_writes(source) == [
        "job.state = 'failed'",
        "job.seen += 3",
        "self.job.save(update_fields=['state'])",
        "SyncJob.objects.filter(pk=1).update(state='queued')",
    ]


def test_only_the_job_services_change_a_job() -> None:
    outside = [path for path in product_files() if not str(path.relative_to(ROOT)).startswith(JOB_SERVICES)]
    found = {f"{path.relative_to(ROOT)}: {write}" for path in outside for write in job_state_writes(path.read_text())}
    assert found - JOB_WRITES_ALLOWED == set()


# -- the test tree mirrors the code tree ----------------------------------------------------------------------

#: folders under ``tests/`` ("" is ``tests/`` itself) that hold test files but mirror no code package, and why
NOT_MIRRORED = {
    "": "checks of the repository as a whole: this layout, the demo, Docker Compose, the factories, a first run",
    "admin": "the operator console, whose code spans sync/admin/, connections/admin.py and the templates",
    "convergence": "the bridge end to end against both sandboxes (docs/convergence-testing.md)",
    "core": "ignite_bridge: its core package, its settings and its Celery app",
    "docs": "the documents' links, quoted paths and contract citations",
}


def folder_of(path: Path) -> str:
    """A file's folder relative to ``tests/`` (``sync/engine``), "" for ``tests/`` itself."""
    return "/".join(path.parent.relative_to(TESTS).parts)


def unmirrored_folders(test_files: Iterable[Path], packages: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """Folders holding a test file that neither mirror a code package (``tests/sync/engine`` for ``sync/engine``)
    nor are allowed, then allowed folders that no longer need to be (no test file, or a package of that name)."""
    folders, packages, allowed = {folder_of(path) for path in test_files}, set(packages), set(allowed)
    unmirrored = sorted(folder for folder in folders if folder not in packages and folder not in allowed)
    needless = sorted(folder for folder in allowed if folder not in folders or folder in packages)
    return unmirrored + needless


def code_packages() -> set[str]:
    """Every package of the product, the sandboxes and the benchmarks, as a path (``platforms/woocommerce``)."""
    return {
        "/".join(path.parent.relative_to(ROOT).parts)
        for path in python_files()
        if path.name == "__init__.py" and not path.is_relative_to(TESTS)
    }


def test_the_mirror_check_finds_a_folder_without_a_package_and_a_needless_exception() -> None:
    files = [
        TESTS / "test_a.py", TESTS / "sync" / "engine" / "test_b.py", TESTS / "standard" / "test_c.py",
        TESTS / "admin" / "test_d.py", TESTS / "platforms" / "woocommerce" / "test_e.py",
    ]  # fmt: skip
    packages = ["sync", "sync/engine", "platforms", "platforms/woocommerce", "platforms/standard", "sandbox"]
    assert unmirrored_folders(files, packages, allowed=["", "admin"]) == ["standard"]
    assert unmirrored_folders(files, packages, allowed=[""]) == ["admin", "standard"]
    mirrored = [file for file in files if "standard" not in file.parts]
    assert unmirrored_folders(mirrored, packages, allowed=["", "admin"]) == []
    assert unmirrored_folders(mirrored, packages, allowed=["", "admin", "docs", "sandbox"]) == ["docs", "sandbox"]


def test_every_test_folder_mirrors_a_code_package() -> None:
    """A test of ``platforms/woocommerce/client.py`` lives in ``tests/platforms/woocommerce/``: where the code is
    says where its tests are. The few folders that test across packages are listed, with why, in NOT_MIRRORED."""
    assert unmirrored_folders(TESTS.rglob("test_*.py"), code_packages(), NOT_MIRRORED) == []


# -- raw SQL lives in the named SQL modules -------------------------------------------------------------

#: every package of the product (the sandboxes are test doubles, not product)
SQL_SCANNED = (*PRODUCT, "platforms", "sparklayer")
#: a package's raw-SQL fast paths (reads and writes of its rows in SQL text) live in its module of this name
SQL_MODULE = "sql.py"
#: infrastructure statements, not fast paths: nothing the ORM could say instead, so no ORM to test them against
RAW_SQL_ALLOWED = {
    "sync/engine/record_locks.py": "per-record advisory locks (pg_try_advisory_lock / pg_advisory_unlock)",
    "sync/incremental/locks.py": "the periodic jobs' advisory lock per connection",
    "sync/engine/clock.py": "the database server's clock (clock_timestamp())",
    "sync/engine/table_stats.py": "planner statistics: pg_stat_user_tables and ANALYZE",
    "storefront/services.py": "SET LOCAL lock_timeout for the checkout's row lock",
    "ignite_bridge/core/health.py": "the readiness probe's SELECT 1",
    "ignite_bridge/core/management/commands/reencrypt_fields.py": "key rotation reads and writes the raw "
    "ciphertext, which the ORM's encrypted fields would hand back decrypted",
}
RAW_SQL_CALLS = {"cursor", "execute", "executemany", "raw"}


def raw_sql_uses(source: str) -> list[str]:
    """Each use of raw SQL: a call of ``.cursor()``, ``.execute()``, ``.executemany()`` or ``.raw()``, and
    any mention of ``RawSQL`` (imported, called or reached through its module), with its line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RAW_SQL_CALLS:
            found.append(f"{node.lineno}: .{node.func.attr}()")
        elif (isinstance(node, ast.Name) and node.id == "RawSQL") or (
            isinstance(node, ast.Attribute) and node.attr == "RawSQL"
        ):
            found.append(f"{node.lineno}: RawSQL")
        elif isinstance(node, ast.ImportFrom) and any(alias.name == "RawSQL" for alias in node.names):
            found.append(f"{node.lineno}: import RawSQL")
    return sorted(found, key=lambda use: int(use.partition(":")[0]))


def test_the_raw_sql_scan_sees_each_form() -> None:
    source = (
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SELECT 1')\n"
        "    cursor.executemany('INSERT ...', rows)\n"
        "Connection.objects.raw('SELECT ...', [])\n"
        "from django.db.models.expressions import RawSQL\n"
        "rows.annotate(n=RawSQL('1', []))\n"
        "rows.annotate(n=expressions.RawSQL('1', []))\n"
        "rows.filter(raw=True).update(cursor=1)\n"
        "model._base_manager.filter(pk__in=ids)._raw_delete(alias)\n"
    )
    assert raw_sql_uses(source) == [
        "1: .cursor()",
        "2: .execute()",
        "3: .executemany()",
        "4: .raw()",
        "5: import RawSQL",
        "6: RawSQL",
        "7: RawSQL",
    ]


def sql_scanned_files() -> list[Path]:
    return [path for package in SQL_SCANNED for path in sorted((ROOT / package).rglob("*.py"))]


def test_raw_sql_lives_only_in_the_named_sql_modules_and_the_allow_list() -> None:
    offenders = {
        relative: uses
        for path in sql_scanned_files()
        if path.name != SQL_MODULE and (relative := str(path.relative_to(ROOT))) not in RAW_SQL_ALLOWED
        if (uses := raw_sql_uses(path.read_text()))
    }
    assert offenders == {}


def test_every_allowed_module_still_uses_raw_sql() -> None:
    """An entry that no longer uses raw SQL goes from the list, so the list says what is true."""
    assert [name for name in RAW_SQL_ALLOWED if not raw_sql_uses((ROOT / name).read_text())] == []


def test_the_named_sql_modules_are_where_the_docs_say() -> None:
    """docs/architecture.md ("Raw SQL") lists every named SQL module of the product."""
    named = sorted(str(path.relative_to(ROOT)) for path in sql_scanned_files() if path.name == SQL_MODULE)
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    assert named  # the scan finds them
    assert [name for name in named if f"`{name}`" not in architecture] == []
