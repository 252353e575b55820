"""Make otter's self-checks work on Google Colab.

On Colab the notebook is not a file on disk, and otter 7 refuses the tests stored
in the notebook's metadata there; it wants a ``tests/`` folder. The first cell of
each homework calls :func:`prepare_colab`, which saves the open notebook and
writes its public tests as files (the hidden tests are never in the notebook).
"""

import json
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


def prepare_colab(notebook_name, tests_dir="tests"):  # pragma: no cover - needs Colab
    """Save the running Colab notebook as ``notebook_name`` and its public tests in ``tests_dir``."""
    from google.colab import _message

    notebook = _message.blocking_request("get_ipynb", timeout_sec=60)["ipynb"]
    Path(notebook_name).write_text(json.dumps(notebook), encoding="utf-8")
    Path(tests_dir).mkdir(exist_ok=True)
    for name, source in public_test_files(notebook).items():
        Path(tests_dir, name).write_text(source, encoding="utf-8")
