"""Fixtures shared by several test files, and the order of the slow ones."""

import fcntl
import json
from datetime import datetime
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

from _course import cli, toc_files

matplotlib.use("Agg")  # figures are drawn off-screen, the same on every machine

# Every hypothesis test draws the same examples on every run: a property that
# fails, fails every time (a random draw once found a bug in one run of many),
# and CI never passes or fails by the luck of the draw.
settings.register_profile("course", derandomize=True)
settings.load_profile("course")


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id):
    """``assign`` into a temporary book and dist folder (without executing notebooks).

    Under pytest-xdist each worker has a session of its own: the first worker
    to ask runs ``assign`` into a folder all workers share, the others wait for
    it and reuse the result. Tests only add folders beside ``book`` and ``dist``.
    """
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the run's folder, above each worker's own
    folder = shared / "assign"
    with open(shared / "assign.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            cli(
                "assign",
                "--book-dir",
                folder / "book",
                "--dist-dir",
                folder / "dist",
                "--no-execute",
                "--no-run-tests",
            )
            (folder / ".complete").touch()
    return folder


# The slowest files run first, longest first: under pytest-xdist whichever
# worker is free takes the next file, so the last files are short and no worker
# is left finishing a long one while the others idle. Only the order changes.
# The book's notebooks (chapters and homework, from _toc.yml) are ranked by the
# run time their last refresh stored in them (the cells' execution timestamps);
# the slow test files, which store no times, by the rough seconds below (one
# worker on a 2-core machine), found by name wherever they live under tests/.
SLOW_TESTS = {
    "test_red_team.py": 130,
    "test_grading.py": 60,
    "test_cluster.py": 60,
    "test_cli.py": 40,
    "test_release.py": 45,
    "test_hw4_grading.py": 60,
    "test_sandbox.py": 20,
    "test_frameworks.py": 20,
    "test_homework.py": 8,
    "test_calibration.py": 5,
}


def stored_run_time(notebook):
    """Seconds from the first cell's start to the last cell's reply at the last refresh
    (0 if the notebook stores no timestamps)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    stamps = [c["metadata"].get("execution", {}) for c in cells if c["cell_type"] == "code"]
    starts = [s["iopub.execute_input"] for s in stamps if "iopub.execute_input" in s]
    ends = [s["shell.execute_reply"] for s in stamps if "shell.execute_reply" in s]
    if not starts or not ends:
        return 0.0
    first, last = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (starts[0], ends[-1]))
    return max((last - first).total_seconds(), 0.0)


def slow_first(rootpath):
    """Paths (relative to ``rootpath``) to run first, longest first."""
    seconds = {
        p: SLOW_TESTS[name] for name in SLOW_TESTS for p in sorted((rootpath / "tests").rglob(name))
    }
    for page in toc_files():
        notebook = rootpath / f"{page}.ipynb"
        if notebook.is_file():
            seconds[notebook] = stored_run_time(notebook)
    ranked = sorted(seconds, key=seconds.get, reverse=True)
    return [p.relative_to(rootpath).as_posix() for p in ranked]


def pytest_collection_modifyitems(config, items):
    found = {Path(p).name for p in slow_first(config.rootpath)}
    missing = [name for name in SLOW_TESTS if name not in found]
    if missing:  # a renamed file would silently lose its place
        raise pytest.UsageError(f"SLOW_TESTS in tests/conftest.py names no such file: {missing}")
    order = slow_first(config.rootpath)

    def rank(item):
        path = item.nodeid.split("::")[0]
        return order.index(path) if path in order else len(order)

    items.sort(key=rank)  # stable: every file keeps its own order
