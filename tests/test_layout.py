"""The layout of the test suite: test modules import shared code from tests/helpers.py only.

Fixtures come from conftest.py and the plugin it loads (tests/db_fixtures.py); constants and
helper functions from tests/helpers.py. No module under tests/ imports a test module,
conftest.py or db_fixtures.py: pytest imports those itself, and a second import (or one
under another name) would give a test two copies of the same module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PLUGINS = {"conftest", "db_fixtures"}  # provide fixtures; loaded by pytest, never imported


def _forbidden(module: str) -> bool:
    """Whether ``module`` (dotted, as written in the import) is a test module or a plugin."""
    parts = module.split(".")
    if parts[0] == "tests":
        parts = parts[1:]
    elif len(parts) > 1:
        return False  # another package's module (e.g. core.db.tests), not one of ours
    return bool(parts) and (parts[0].startswith("test_") or parts[0] in PLUGINS)


def forbidden_imports(source: str, filename: str = "<test>") -> list[str]:
    """The imports in ``source`` that reach a test module, conftest or db_fixtures, as
    ``line: module``; imports inside functions count too."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: {a.name}" for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .x import y (we are in tests/)
                base = "tests" + (f".{base}" if base else "")
            if base and _forbidden(base):
                found.append(f"{node.lineno}: {base}")
            elif base in ("", "tests"):  # from tests import test_api
                found += [f"{node.lineno}: tests.{a.name}" for a in node.names if _forbidden(a.name)]
    return found


@pytest.mark.parametrize(
    "source",
    [
        "from tests.test_api import TWO",
        "from tests.conftest import auth",
        "from tests.db_fixtures import APP_ROLE",
        "import tests.test_rls",
        "from tests import test_api",
        "from . import conftest",
        "from .test_idempotency import app_session",
        "from conftest import auth",
        "import test_api",
        "def f():\n    from tests.conftest import TenantHandle\n",
    ],
)
def test_the_check_catches_each_form_of_import(source):
    assert forbidden_imports(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from tests.helpers import TWO, auth",
        "from tests import external_plugin, helpers",
        "import tests.helpers",
        "from core.db import unit_of_work",
        "import pytest",
    ],
)
def test_the_check_allows_helpers_and_other_packages(source):
    assert forbidden_imports(source) == []


def test_no_module_under_tests_imports_a_test_module_or_a_plugin():
    modules = sorted(TESTS.glob("*.py"))
    assert TESTS / "test_api.py" in modules  # the glob sees the suite
    offenders = [
        f"{path.name}:{hit}"
        for path in modules
        for hit in forbidden_imports(path.read_text(encoding="utf-8"), str(path))
    ]
    assert offenders == [], "import shared code from tests/helpers.py instead: " + ", ".join(offenders)
