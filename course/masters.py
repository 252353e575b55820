"""Where the homework masters are, and the small values every reader of them shares.

A master is read by :mod:`course.master` (its questions: :func:`course.master.read_questions`).
"""

import re
from collections import namedtuple
from pathlib import Path

#: One question of a master notebook: ``manual`` ones are graded by hand (otter's
#: ``manual: true``), the others by their tests.
Question = namedtuple("Question", ["name", "points", "manual"], defaults=[False])


def repo_root():
    """The repository that holds ``homework/``: the working directory or this package's."""
    cwd = Path.cwd()
    if (cwd / "homework").is_dir():
        return cwd
    return Path(__file__).resolve().parents[1]


def find_masters(root):
    """Map each homework name to its master notebook ``homework/<name>/<name>.ipynb``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name in ["hw2", "hw1", "notes"]:
    ...         (Path(d) / "homework" / name).mkdir(parents=True)
    ...     (Path(d) / "homework" / "hw2" / "hw2.ipynb").touch()
    ...     (Path(d) / "homework" / "hw1" / "hw1.ipynb").touch()
    ...     sorted(find_masters(d))
    ['hw1', 'hw2']
    """
    masters = {}
    for path in sorted(Path(root, "homework").glob("*/*.ipynb")):
        if path.stem == path.parent.name:
            masters[path.stem] = path
    return masters


def tidy_number(x):
    """A score or points value without floating-point noise; whole numbers as ints.

    >>> tidy_number(2.0000000001), tidy_number(0.5)
    (2, 0.5)
    """
    x = round(float(x), 6)
    return int(x) if x.is_integer() else x


def natural_key(name):
    """Sort key for question names in natural order: q2 before q10, q3 before q3b.

    >>> sorted(["q10", "q3b", "q3", "q2"], key=natural_key)
    ['q2', 'q3', 'q3b', 'q10']
    """
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
