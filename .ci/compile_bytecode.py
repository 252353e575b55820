"""Compile the bytecode of every module installed in this environment, in parallel.

Usage: .venv/bin/python .ci/compile_bytecode.py

What ``uv pip install --compile-bytecode`` does, without the packages' own test
suites (folders named ``tests`` or ``test``: a quarter of the modules installed,
pandas' alone 1,100), which nothing imports and uv cannot leave out. Each core
compiles its share of the files in one process.
"""

import os
import py_compile
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SKIP = {"tests", "test", "__pycache__"}


def modules(root):
    """The ``.py`` files under ``root``, outside the packages' test folders."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP]
        yield from (os.path.join(folder, f) for f in files if f.endswith(".py"))


def compile_all(paths):
    """Compile ``paths``; return how many failed (a package's Python 2 leftovers or templates)."""
    failed = 0
    for path in paths:
        try:
            py_compile.compile(path, doraise=True)
        except (py_compile.PyCompileError, OSError, UnicodeError):
            failed += 1
    return failed


def main():
    site = Path(sysconfig.get_paths()["purelib"])
    paths = sorted(modules(site))
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        failed = sum(pool.map(compile_all, [paths[i::workers] for i in range(workers)]))
    print(
        f"Compiled {len(paths) - failed} modules in {site}"
        + (f" ({failed} could not be compiled)" if failed else "")
    )


if __name__ == "__main__":
    main()
