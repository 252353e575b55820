"""Fixtures shared by several test files."""

import fcntl

import pytest
from hypothesis import settings

from _course import cli

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
            cli("assign", "--book-dir", folder / "book", "--dist-dir", folder / "dist",
                "--no-execute", "--no-run-tests")
            (folder / ".complete").touch()
    return folder


# The files that take longest (from two minutes down to 5 s on this machine;
# README, "Tests and CI"), started first, longest first, and the second-long ones
# before the many that take a second or less: under pytest-xdist, whichever
# worker is free takes the next file, so the last files are short and no worker
# is left finishing a long one while the other idles. Only the order changes.
SLOW_FIRST = ["tests/course/test_red_team.py", "tests/test_grading.py", "book/07_mnist.ipynb",
              "tests/test_release.py", "tests/course/test_sandbox.py",
              "book/05_label_smoothing.ipynb",
              "book/06_focal_loss.ipynb", "book/01_loss_functions.ipynb",
              "tests/test_frameworks.py", "book/04_cross_entropy.ipynb",
              "book/03_entropy.ipynb", "tests/test_homework.py", "book/homework/hw4.ipynb",
              "tests/test_calibration_ch5.py", "book/02_surprise.ipynb"]


def pytest_collection_modifyitems(config, items):
    missing = [p for p in SLOW_FIRST if not (config.rootpath / p).is_file()]
    if missing:  # a renamed file would silently lose its place
        raise pytest.UsageError(f"SLOW_FIRST in tests/conftest.py names no such file: {missing}")

    def rank(item):
        path = item.nodeid.split("::")[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: every file keeps its own order
