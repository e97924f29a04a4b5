"""The suite's own layout holds: test modules share helpers through ``tests/support/`` and
conftest plugins, never by importing one another (docs/architecture.md, "Tests")."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _suite_files() -> list[Path]:
    """Every Python file of the suite; tests/js holds the Node clients and their packages."""
    return sorted(p for p in TESTS.rglob("*.py") if not p.is_relative_to(TESTS / "js"))


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _is_test_module(path: Path) -> bool:
    return path.name.startswith("test_")


TEST_MODULES = {_dotted(p) for p in _suite_files() if _is_test_module(p)}


def _is_a_test_module(module: str) -> bool:
    """``tests.test_batch``, ``.test_batch`` resolved, or ``test_batch`` (by file name)."""
    return module.split(".")[-1].startswith("test_") or module in TEST_MODULES


def _imports_of_test_modules(path: Path) -> list[str]:
    """Every import in ``path`` (inside functions too) that names a test module, relative
    imports resolved; and the plugins a conftest loads by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _dotted(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            modules = [module] + [
                # `from tests.sync_http import test_batch`: the name is the module; a
                # function whose name starts with test_ is not one
                f"{module}.{alias.name}"
                for alias in node.names
                if f"{module}.{alias.name}" in TEST_MODULES
            ]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            modules = [
                c.value
                for c in ast.walk(node.value)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
        found += [f"{node.lineno}: {m}" for m in modules if _is_a_test_module(m)]
    return found


def test_no_module_of_the_suite_imports_a_test_module():
    found = [
        f"{path.relative_to(ROOT)}:{where}"
        for path in _suite_files()
        for where in _imports_of_test_modules(path)
    ]
    assert found == [], "share through tests/support/ or a conftest plugin:\n" + "\n".join(found)


def test_helpers_live_in_tests_support_and_every_folder_is_a_package():
    files = _suite_files()
    misplaced = [
        str(p.relative_to(ROOT))
        for p in files
        if not (_is_test_module(p) or p.name in ("conftest.py", "__init__.py"))
        and not p.is_relative_to(TESTS / "support")
    ]
    assert misplaced == [], "helper modules belong in tests/support/"
    # packages, so modules are named by their folder (tests.store.test_store) and a base
    # name may repeat across folders
    folders = sorted({str(p.parent.relative_to(ROOT)) for p in files})
    assert [f for f in folders if not (ROOT / f / "__init__.py").is_file()] == []
