"""Imports run one way: every module imports on its own, and no two import each other.

Each module of ``lecture_code`` and ``course`` is imported first, alone, in a
fresh interpreter: a module that works only because another was imported
before it (the "partially initialized module" of an import cycle) fails here.
The graph of the package-internal imports, read from the source with ``ast``,
must have no cycle.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["lecture_code", "course"]


def module_name(path):
    """``lecture_code/losses.py`` -> ``lecture_code.losses`` (a package: its name)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(module_name(p) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_packages_have_modules():
    assert {"lecture_code", "lecture_code.losses", "lecture_code.focal", "course"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone_in_a_fresh_interpreter(module):
    # -I: isolated (no user site, no PYTHON* variables); the repository on the path
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import {module}"
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def internal_imports(path):
    """The modules of ``PACKAGES`` that the module at ``path`` imports (at any depth)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from . import x` imports the submodule x; `from .m import f` the module m
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


def find_cycle(graph):
    """One import cycle of ``graph`` (module -> imported modules) as a list, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, stack + [nxt])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start, [start])
            if cycle:
                return cycle
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_one_that_imports_it_back():
    graph = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            # a package's __init__ re-exporting its modules is not a cycle: the
            # edges that count are those between modules
            if path.name != "__init__.py":
                graph[module_name(path)] = {m for m in internal_imports(path) if m not in PACKAGES}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"
    # the cycle this test was written for: losses imported focal back
    assert "lecture_code.losses" not in graph["lecture_code.focal"] or (
        "lecture_code.focal" not in graph["lecture_code.losses"]
    )


def test_every_module_of_lecture_code_has_its_test_file():
    # tests mirror the package: lecture_code/<module>.py is tested in
    # tests/test_<module>.py (a private module without its underscore)
    modules = [p.stem for p in (ROOT / "lecture_code").glob("*.py") if p.stem != "__init__"]
    missing = [m for m in modules if not (ROOT / "tests" / f"test_{m.lstrip('_')}.py").is_file()]
    assert not missing, f"no tests/test_<module>.py for {missing}"
