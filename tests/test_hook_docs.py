"""Meta-tests (datasette's test_docs idea): every hook in core/hookspecs.py is documented
for plugin authors and exercised by a test.

(a) plugins/README.md has a section ``#### `csm_xxx(...)``` per hook saying when it is
    called, its parameters and its return value, with a Python example implementing it;
    and it documents no hook that does not exist.
(b) some test module under tests/ has a test function named ``test_hook_csm_xxx`` or
    ``test_hook_csm_xxx_<what it shows>``.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "plugins" / "README.md"
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, f"{hookspecs.PROJECT}_spec"))
SECTION = re.compile(r"^#### `(csm_\w+)\((.*?)\)`\n(.*?)(?=^#{2,4} |\Z)", re.M | re.S)


def guide_sections() -> dict[str, tuple[str, str]]:
    """Hook name → (its parameter list as written, the section's text)."""
    return {m[1]: (m[2], m[3]) for m in SECTION.finditer(GUIDE.read_text(encoding="utf-8"))}


def hook_tests() -> dict[str, list[str]]:
    """Hook name → the test functions named after it, across tests/*.py."""
    found: dict[str, list[str]] = {name: [] for name in HOOKS}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_"):
                rest = node.name.removeprefix("test_hook_")
                # the longest hook name the test is named after (no hook is a prefix trap)
                for hook in sorted(HOOKS, key=len, reverse=True):
                    if rest == hook or rest.startswith(hook + "_"):
                        found[hook].append(f"{path.name}::{node.name}")
                        break
    return found


def test_the_hooks_are_found():
    assert len(HOOKS) == 14 and all(name.startswith("csm_") for name in HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_for_plugin_authors(hook):
    sections = guide_sections()
    assert hook in sections, f"plugins/README.md has no section '#### `{hook}(...)`'"
    params, text = sections[hook]
    expected = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert params == expected, f"the section of {hook} lists ({params}), the spec takes ({expected})"
    for part in ("**Called**", "**Parameters:**", "**Returns**"):
        assert part in text, f"the section of {hook} does not say {part}"
    assert re.search(rf"```python\n.*?def {hook}\(", text, re.S), f"the section of {hook} has no example implementing it"


def test_the_guide_documents_no_hook_that_does_not_exist():
    assert set(guide_sections()) <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    assert hook_tests()[hook], f"no test is named test_hook_{hook}_...: add one that exercises the hook"
