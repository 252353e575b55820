"""The course's layout, read from ``_toc.yml`` and the homework masters, and a CLI runner.

Shared by the tests (and ``tests/conftest.py``), so that no test types the list
of chapters, their order, the homework or their points again: a chapter added
to ``_toc.yml`` or a question added to a master is seen by every test.
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from course.master import load_questions
from course.masters import find_masters, natural_key

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def toc_files(node=TOC):
    """Every ``file:`` entry of the table of contents, in order (paths without suffix)."""
    if isinstance(node, dict):
        found = [node["file"]] if "file" in node else []
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += toc_files(value)
        return found
    if isinstance(node, list):
        return [f for item in node for f in toc_files(item)]
    return []


#: Every page of the book (its root first), as a path without suffix.
PAGES = [TOC["root"], *toc_files()]
#: The homework, in natural order (hw2 before hw10), from ``homework/<hw>/<hw>.ipynb``.
MASTERS = dict(sorted(find_masters(ROOT).items(), key=lambda item: natural_key(item[0])))
HOMEWORK = list(MASTERS)
#: The student notebook of each homework in the book (``book/homework/<hw>.ipynb``).
HOMEWORK_PAGES = [f"book/homework/{hw}" for hw in HOMEWORK]
#: The numbered chapter notebooks (``book/NN_name.ipynb``), in the order of the table of
#: contents; other notebook pages (the notation page) are not chapters.
CHAPTERS = [
    ROOT / f"{page}.ipynb"
    for page in toc_files()
    if page not in HOMEWORK_PAGES
    and re.fullmatch(r"\d\d_\w+", Path(page).name)
    and (ROOT / f"{page}.ipynb").is_file()
]


def points(hw):
    """``(auto, manual)``: the auto-graded points of ``hw`` and ``{question: points}``
    of its questions graded by hand, read from its master."""
    questions = load_questions(MASTERS[hw])
    auto = sum(q.points for q in questions if not q.manual)
    return auto, {q.name: q.points for q in questions if q.manual}


def run_course(*args, cwd=ROOT, **options):
    """Run ``python -m course ARGS`` (paths are welcome); its CompletedProcess, whatever
    the status. ``options`` go to :func:`subprocess.run` (``env``, ``timeout``, ``check``)."""
    return subprocess.run(
        [sys.executable, "-m", "course", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        **options,
    )


def cli(*args, cwd=ROOT):
    """Run ``python -m course ARGS``; return stdout (fail on error)."""
    proc = run_course(*args, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def copy_to(src, dest):
    """Copy the file ``src`` to ``dest``, creating its folder."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(Path(src).read_bytes())
