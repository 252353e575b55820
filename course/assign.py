"""Generate student notebooks and autograder archives from the masters with otter assign.

Each master is first read by :mod:`course.master`, which refuses a line that
looks like a marker but that otter would not read as one (otter would show it,
and the solution after it, to students). Then ``otter assign`` runs in a
temporary directory (it also checks that the solutions pass every test). From
its output we keep only:

- the student notebook, written to ``book/homework/<hw>.ipynb`` after four
  deterministic touches: the Colab install cell (the first code cell) gets the
  cell tag ``remove-cell`` (it stays in the notebook and is hidden in the book),
  the ``grader.check`` cells get the cell tags
  ``nbval-ignore-output`` (their output varies between runs; a tag, so students
  see no marker in their code) and ``remove-output`` (the rendered book shows
  no failing checks), the notebook is
  executed top to bottom (it must not raise) with the check outputs then
  cleared, and volatile metadata is dropped, so rerunning gives identical files;
- the autograder zip (Gradescope-compatible) as ``dist/<hw>-autograder.zip``;
- the solutions notebook as ``dist/<hw>-solutions.ipynb`` (git-ignored).

:func:`assign` is transactional: it generates every requested homework into a
temporary folder first and moves the files into ``book/homework`` and ``dist``
only when all of them succeeded, so a failing master leaves both untouched.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The cell tags every check cell gets: nbval ignores its output (otter's
#: check output varies between runs), and the book does not show it.
CHECK_CELL_TAGS = ("nbval-ignore-output", "remove-output")


#: The cell tag of the Colab install cell: kept in the notebook, hidden in the book.
COLAB_CELL_TAG = "remove-cell"


def is_colab_cell(cell):
    """Whether a cell is the Colab install cell (``if "google.colab" in sys.modules:``).

    >>> is_colab_cell({"cell_type": "code", "source": 'if "google.colab" in sys.modules:'})
    True
    >>> is_colab_cell({"cell_type": "markdown", "source": "google.colab"})
    False
    """
    return cell["cell_type"] == "code" and '"google.colab" in sys.modules' in cell["source"]


def mark_colab_cell(nb):
    """Give the Colab install cell the tag ``remove-cell`` (hidden in the book)."""
    for cell in nb.cells:
        if is_colab_cell(cell):
            tags = cell.metadata.setdefault("tags", [])
            if COLAB_CELL_TAG not in tags:
                tags.append(COLAB_CELL_TAG)
    return nb


def is_check_cell(cell):
    """Whether a cell is one of otter's ``grader.check(...)`` cells.

    >>> is_check_cell({"cell_type": "code", "source": 'grader.check("q1")'})
    True
    >>> is_check_cell({"cell_type": "code", "source": "x = 1"})
    False
    """
    lines = [l for l in cell["source"].splitlines() if l.strip()]
    return cell["cell_type"] == "code" and len(lines) == 1 and lines[0].startswith("grader.check(")


def mark_check_cells(nb):
    """Tag every check cell for nbval and for the book (see CHECK_CELL_TAGS)."""
    for cell in nb.cells:
        if is_check_cell(cell):
            tags = cell.metadata.setdefault("tags", [])
            tags.extend(t for t in CHECK_CELL_TAGS if t not in tags)
    return nb


def clean(nb):
    """Drop outputs of check cells and metadata that changes from run to run."""
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # otter gives its check cells random ids
        cell.metadata.pop("execution", None)
        if is_check_cell(cell):
            cell.outputs = []
    return nb


def _execute(nb, workdir, name):
    """Run the notebook top to bottom in ``workdir``; raise if a cell raises."""
    import nbformat
    from nbclient import NotebookClient

    nbformat.write(nb, Path(workdir, f"{name}.ipynb"))  # otter.Notebook opens itself
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    # the kernel's own log (ipykernel warns that its local TCP sockets are not
    # encrypted, at every start) is no news to an instructor: kept, and shown on failure
    log = Path(workdir, "kernel.log")
    with open(log, "w", encoding="utf-8") as stderr:
        try:
            client.execute(stderr=stderr)
        except Exception as exc:
            raise RuntimeError(
                f"executing the student notebook {name} failed: {exc}\n"
                f"the kernel's log:\n{log.read_text(encoding='utf-8')[-4000:]}"
            ) from exc
    return nb


def assign_one(master, book_dir, dist_dir, *, execute=True, run_tests=True):
    """Run otter assign on one master; write the student notebook and the dist files.

    ``run_tests=False`` skips otter's check that the solutions pass all tests, and
    ``execute=False`` skips running the student notebook (both only save time).
    """
    import nbformat

    from .master import read_master

    master, name = Path(master).resolve(), Path(master).stem
    try:  # refuse what otter would show students by mistake (a marker it does not read)
        read_master(master)
    except ValueError as exc:
        raise RuntimeError(f"{name}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix=f"assign-{name}-") as tmp:
        out = Path(tmp, "out")
        cmd = [sys.executable, "-m", "otter", "assign", str(master), str(out)]
        proc = subprocess.run(
            cmd + ([] if run_tests else ["--no-run-tests"]), cwd=tmp, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"otter assign failed for {name}:\n{proc.stdout}\n{proc.stderr}")
        (zip_path,) = Path(out, "autograder").glob("*.zip")
        Path(dist_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(zip_path, Path(dist_dir, f"{name}-autograder.zip"))
        shutil.copyfile(
            Path(out, "autograder", f"{name}.ipynb"), Path(dist_dir, f"{name}-solutions.ipynb")
        )

        nb = nbformat.read(Path(out, "student", f"{name}.ipynb"), as_version=4)
        nb = mark_colab_cell(mark_check_cells(nb))
        if execute:
            run_dir = Path(tmp, "run")
            run_dir.mkdir()
            nb = _execute(nb, run_dir, name)
        Path(book_dir).mkdir(parents=True, exist_ok=True)
        nbformat.write(clean(nb), Path(book_dir, f"{name}.ipynb"))
    return Path(book_dir, f"{name}.ipynb")


def assign(masters, book_dir, dist_dir, *, execute=True, run_tests=True, on_done=None):
    """Assign every master of ``masters`` (a dict name -> path); all or nothing.

    Everything is generated in a temporary folder; only when every homework
    succeeded are its files moved into ``book_dir`` and ``dist_dir``. If one
    fails, the exception propagates and neither folder has changed.
    ``on_done(name)`` is called after each homework is generated.
    Returns the paths written, in order.
    """
    book_dir, dist_dir = Path(book_dir), Path(dist_dir)
    with tempfile.TemporaryDirectory(prefix="assign-all-") as tmp:
        staged_book, staged_dist = Path(tmp, "book"), Path(tmp, "dist")
        for name, master in masters.items():
            assign_one(master, staged_book, staged_dist, execute=execute, run_tests=run_tests)
            if on_done:
                on_done(name)
        written = []
        for staged, target in [(staged_book, book_dir), (staged_dist, dist_dir)]:
            target.mkdir(parents=True, exist_ok=True)
            for path in sorted(staged.iterdir()):
                # copy next to the target, then rename: each file is replaced whole
                part = target / f".{path.name}.part"
                shutil.copyfile(path, part)
                os.replace(part, target / path.name)
                written.append(target / path.name)
    return written
