"""Instructors' tooling for the course's graded homework: list, assign, grade, merge, release.

The masters live in ``homework/hwN/hwN.ipynb`` (otter-assign format: solutions,
public and hidden tests, points). Instructors run::

    python -m course list
    python -m course assign
    python -m course grade hw1 submissions/hw1 --out grades/hw1.csv
    python -m course merge hw1 grades/hw1.csv grades/hw1-manual/scores.csv --out final/hw1.csv
    python -m course release ../student-repo

and, to grade a batch over the machines of a cluster, ``grade ... --shard K/N``
on each, then ``collect`` (``course/cluster/`` has a Slurm script and a
Kubernetes Job). The instructors' guide is ``docs/instructors.md``.

``assign`` regenerates the student notebooks in ``book/homework/`` and the
Gradescope-compatible autograder archives in ``dist/``; ``grade`` grades any
number of notebooks locally, each in its own process with a wall-clock timeout,
and collects the written answers of the questions graded by hand (``manual:
true``) into one page per question; ``merge`` adds the scores you give them.
``release`` writes the public student repository (no masters, solutions or
hidden tests: it scans every file before writing). The package declares its
own dependencies in ``course/requirements.txt``; students never install it.
Importing this package has no side effects and does not import otter.
"""

from .masters import Question, find_masters

__all__ = ["Question", "find_masters", "read_questions"]


def read_questions(cells):
    """The questions of a master's ``cells``: :func:`course.master.read_questions` (which
    imports otter's readers, so only when asked)."""
    from .master import read_questions as read

    return read(cells)
