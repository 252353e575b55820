"""Make the homework's self-checks work wherever the notebook runs, whatever its file is called.

otter's self-checks (``grader.check("q1")``) read the public tests from the
notebook *file*: ``otter.Notebook("hw1.ipynb")`` opens it. Two things break
that, and this module mends both:

* a browser that saves a second download as ``hw1 (1).ipynb``, or a student
  who renames the file: :func:`notebook_file` finds the notebook of the
  homework whatever its name (the homework's set-up cell passes its result to
  ``otter.Notebook``);
* Google Colab, where the notebook is not a file on disk and otter 7 wants a
  ``tests/`` folder: the homework's first cell calls :func:`prepare_colab`,
  which saves the open notebook and writes its public tests as files (the
  hidden tests are never in the notebook).
"""

import json
import os
import pprint
from pathlib import Path


def public_test_files(notebook):
    """Map ``"q1.py"``... to the source of otter test files from a notebook's metadata.

    >>> nb = {"metadata": {"otter": {"OK_FORMAT": True, "tests": {
    ...     "q1": {"name": "q1", "points": 1, "suites": []}}}}}
    >>> print(public_test_files(nb)["q1.py"])
    OK_FORMAT = True
    <BLANKLINE>
    test = {'name': 'q1', 'points': 1, 'suites': []}
    <BLANKLINE>
    """
    otter = notebook["metadata"]["otter"]
    return {
        f"{name}.py": f"OK_FORMAT = {bool(otter.get('OK_FORMAT', True))}\n\n"
        f"test = {pprint.pformat(test)}\n"
        for name, test in otter["tests"].items()
    }


def assignment_name(path):
    """The otter assignment a notebook file belongs to (``"hw1"``), or None.

    None for a file that is not a notebook of a homework (no otter metadata,
    not JSON, unreadable).
    """
    try:
        with open(path, encoding="utf-8") as f:
            otter = json.load(f).get("metadata", {}).get("otter", {})
    except (OSError, ValueError, AttributeError):
        return None
    return otter.get("assignment_name") if isinstance(otter, dict) else None


def notebook_file(name, folder="."):
    """The file of homework ``name``'s notebook, for ``otter.Notebook``.

    In this order: ``<name>.ipynb`` in ``folder``; the notebook Jupyter says
    is running (``JPY_SESSION_NAME``, set by Jupyter Server), if it belongs to
    ``name``; else the most recently saved notebook in ``folder`` whose otter
    metadata names ``name`` (``hw1 (1).ipynb``, ``hw1-copy.ipynb``, ...).
    Every notebook of a homework holds the same public tests, so any of them
    serves the self-checks.

    Parameters
    ----------
    name : str
        The homework's name, as in its otter metadata (``"hw1"``).
    folder : str or path, default "."
        Where to look: the notebook's working folder.

    Returns
    -------
    str
        The path of a notebook of ``name``.

    Raises
    ------
    FileNotFoundError
        If no notebook of ``name`` is in ``folder``, with what to do about it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     nb = {"metadata": {"otter": {"assignment_name": "hw1", "tests": {}}}}
    ...     _ = Path(d, "hw1 (1).ipynb").write_text(json.dumps(nb))
    ...     Path(notebook_file("hw1", d)).name
    'hw1 (1).ipynb'
    """
    expected = Path(folder, f"{name}.ipynb")
    if expected.is_file():
        return str(expected)
    running = os.environ.get("JPY_SESSION_NAME", "")
    if running.endswith(".ipynb") and assignment_name(running) == name:
        return running
    candidates = [p for p in Path(folder).glob("*.ipynb") if assignment_name(p) == name]
    if candidates:
        return str(max(candidates, key=lambda p: (p.stat().st_mtime, p.name)))
    raise FileNotFoundError(
        f"the self-checks of {name} read its tests from the notebook file, and no notebook "
        f"of {name} is saved in {Path(folder).resolve()}: save this notebook there as "
        f"{name}.ipynb (File > Save Notebook As...) and run this cell again"
    )


def prepare_colab(notebook_name, tests_dir="tests"):  # pragma: no cover - needs Colab
    """Save the running Colab notebook as ``notebook_name``, its public tests in ``tests_dir``."""
    from google.colab import _message

    notebook = _message.blocking_request("get_ipynb", timeout_sec=60)["ipynb"]
    Path(notebook_name).write_text(json.dumps(notebook), encoding="utf-8")
    Path(tests_dir).mkdir(exist_ok=True)
    for name, source in public_test_files(notebook).items():
        Path(tests_dir, name).write_text(source, encoding="utf-8")
