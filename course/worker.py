"""Grade one submission with otter's checker, inside a process of its own.

otter's own runner (``otter run``, ``otter.api.grade_submission``) starts a
Jupyter kernel per submission and imports otter twice, several seconds before
the first cell runs. Here the batch grader instead forks a worker from a
*forkserver* that has imported otter, IPython, NumPy, SciPy and scikit-learn
once (:mod:`course._preload`). The worker runs the notebook's
code cells in an IPython shell, in otter's grading mode, then runs every test
file of the autograder zip that the notebook did not already check, exactly as
otter's grading notebook does (``Checker.check_if_not_already_checked`` then
``GradingResults``). Scores and semantics are otter's; only the kernel is
gone. Each worker runs in a fresh directory and its own session, so the batch
grader can kill it and everything it started.
"""

import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def _describe(cell_number, ename, evalue):
    """One line for a status: ``cell 3 raised NameError: ...``.

    >>> _describe(3, "NameError", "name 'np' is not defined")
    "cell 3 raised NameError: name 'np' is not defined"
    """
    return f"cell {cell_number} raised {ename}: {evalue}".splitlines()[0][:200]


def _shell():
    """A fresh IPython shell without history (no SQLite thread)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


def grade(submission, autograder, name):
    """Grade ``submission`` against the ``autograder`` zip in the current directory.

    Returns ``{"status": ..., "scores": {question: {"score", "possible", "summary"}}}``.
    """
    import nbformat

    try:
        nb = nbformat.read(submission, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # any unreadable file is one row with a status
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        return {"status": f"error: not a Jupyter notebook ({type(exc).__name__}: {reason})",
                "scores": {}}

    from otter import Notebook
    from otter.execute import Checker
    from otter.test_files import GradingResults

    with zipfile.ZipFile(autograder) as zf:
        zf.extractall("autograder")
    tests = sorted(str(p.resolve()) for p in Path("autograder", "tests").glob("*.py"))
    Path("submission").mkdir()
    os.chdir("submission")
    shutil.copyfile(submission, f"{name}.ipynb")  # otter.Notebook("hwN.ipynb") opens it
    sys.path.append(os.getcwd())

    Notebook.init_grading_mode(str(Path(tests[0]).parent) if tests else "tests")
    shell, error = _shell(), None
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or "otter_ignore" in cell.metadata.get("tags", []):
            continue
        result = shell.run_cell(cell.source, store_history=False)
        exc = result.error_before_exec or result.error_in_exec
        if exc is not None and error is None:
            error = _describe(i, type(exc).__name__, exc)
    for test in tests:
        Checker.check_if_not_already_checked(test, shell.user_ns)
    results = GradingResults(Checker.get_results())
    scores = {q: {"score": t.score, "possible": t.possible, "summary": t.summary()}
              for q, t in results.results.items()}
    return {"status": f"error: {error}" if error else "ok", "scores": scores}


def run(submission, autograder, name, out, workdir):
    """Entry point of a worker process: grade in ``workdir``, write JSON to ``out``."""
    os.setsid()  # a session of its own: the parent kills the whole group on timeout
    os.chdir(workdir)
    os.environ["TMPDIR"] = tempfile.tempdir = workdir
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a submission that prints gigabytes fills nothing
    os.dup2(devnull, 2)
    try:
        result = grade(submission, autograder, name)
    except BaseException as exc:  # the worker must always leave a result
        result = {"status": f"error: grading failed ({type(exc).__name__}: {exc})"[:250],
                  "scores": {}}
    Path(out).write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown of whatever the submission created


if __name__ == "__main__":  # debugging: python -m course.worker SUB ZIP NAME
    print(json.dumps(grade(*sys.argv[1:4]), indent=1))
