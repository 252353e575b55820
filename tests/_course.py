"""Helpers shared by the tests of the instructors' tooling (``course``)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOMEWORK = ["hw1", "hw2", "hw3", "hw4", "hw5"]


def cli(*args, cwd=ROOT):
    """Run ``python -m course ARGS``; return stdout (fail on error)."""
    proc = subprocess.run([sys.executable, "-m", "course", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def copy_to(src, dest):
    """Copy the file ``src`` to ``dest``, creating its folder."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(Path(src).read_bytes())
