"""The PyTorch and Keras code shown in the book runs and agrees with lecture_code.

The chapters show framework code as fenced ```python blocks inside markdown
cells, so that neither the book build nor Binder needs PyTorch or Keras. This
file collects every such block in ``book/*.ipynb`` that imports ``torch`` or
``keras`` (any chapter may add one; nothing here names a chapter), checks
that it compares its values with ``lecture_code`` in an ``assert``, and runs
it with Keras 3 on the PyTorch backend (``KERAS_BACKEND=torch``; no
TensorFlow) in a process of its own: a child forked from one interpreter that
has imported PyTorch and Keras once and run nothing else, so every block starts
from the state a fresh ``python block.py`` would have after its imports, without
paying for them 30 times.

The structural checks always run. Running a block needs PyTorch (and Keras
for the Keras blocks): ``.ci/run`` installs both when a local CPU wheel of
PyTorch is on the machine; elsewhere the running tests are skipped, as in
``tests/test_against_torch.py``.
"""

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))

# A fenced block: an opening fence of 3+ backticks followed by "python", the
# code, and a closing fence of the same backticks at the same indentation.
FENCE = re.compile(r"^([ \t]*)(`{3,})python[ \t]*\n(.*?)^\1\2[ \t]*$", re.M | re.S)
FRAMEWORK_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+(torch|keras)\b", re.M)
ASSERT = re.compile(r"^[ \t]*assert\b", re.M)
KERAS_ON_TORCH = re.compile(r"""os\.environ\[["']KERAS_BACKEND["']\]\s*=\s*["']torch["']""")
KERAS_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+keras\b", re.M)

INSTALL_HINT = (
    "the book's framework code runs only where PyTorch's CPU build is installed "
    "(.ci/run installs it from a local wheel, then keras; see docs/authors.md); "
    "PyTorch and Keras are not course dependencies and are not in requirements.txt"
)


def framework_blocks(notebooks=NOTEBOOKS):
    """Every fenced python block in a markdown cell that imports torch or keras.

    Returns a list of ``(test id, code, frameworks)``; the id names the
    notebook, the cell index and the block's index within that cell.
    """
    blocks = []
    for notebook in notebooks:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for c, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            source = "".join(cell["source"])
            for k, match in enumerate(FENCE.finditer(source)):
                code = textwrap.dedent(match.group(3))
                frameworks = frozenset(FRAMEWORK_IMPORT.findall(code))
                if frameworks:
                    blocks.append((f"{notebook.stem}-cell{c}-block{k}", code, frameworks))
    return blocks


def imported_modules(code):
    """The top-level modules a block imports (``import a.b`` gives ``a``)."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return sorted(names)


BLOCKS = framework_blocks()
PARAMS = [pytest.param(code, frameworks, id=block_id) for block_id, code, frameworks in BLOCKS]


def test_the_collector_finds_blocks_and_only_framework_blocks(tmp_path):
    # A notebook written here: one torch block (indented, in a list), one
    # plain NumPy block, one code cell; only the torch block is collected.
    markdown = (
        "Text.\n\n* item\n\n  ```python\n  import torch\n  assert True\n  ```\n\n"
        "```python\nimport numpy as np\n```\n"
    )
    notebook = tmp_path / "99_demo.ipynb"
    notebook.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "code", "source": ["import torch\n"]},
                    {"cell_type": "markdown", "source": [markdown]},
                ]
            }
        )
    )
    found = framework_blocks([notebook])
    assert [(block_id, code) for block_id, code, _ in found] == [
        ("99_demo-cell1-block0", "import torch\nassert True\n")
    ]
    assert imported_modules("import os.path\nfrom torch import nn\nfrom . import x\n") == [
        "os",
        "torch",
    ]
    # and the book itself shows framework code
    assert BLOCKS, "no fenced python block importing torch or keras in book/*.ipynb"


@pytest.mark.parametrize("code, frameworks", PARAMS)
def test_block_is_checked_against_lecture_code(code, frameworks):
    assert ASSERT.search(code), "the block must end with asserts that the reader sees"
    assert "lecture_code" in code, "the block must compare its values with lecture_code"
    if "keras" in frameworks:
        # Keras 3 must be put on PyTorch before it is imported (no TensorFlow)
        backend, keras_import = KERAS_ON_TORCH.search(code), KERAS_IMPORT.search(code)
        assert backend and backend.start() < keras_import.start(), (
            'a Keras block starts with os.environ["KERAS_BACKEND"] = "torch" before import keras'
        )


# The forking runner: reads one script path per line from stdin, runs each in a
# forked child (cwd: the script's folder, __name__ == "__main__") and answers one
# line, the child's exit status; a child's traceback goes to <script>.stderr.
RUNNER = r"""
import os, runpy, sys, traceback
import torch
import keras
for line in sys.stdin:
    script = line.rstrip("\n")
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.chdir(os.path.dirname(script))
            sys.argv = [script]
            runpy.run_path(script, run_name="__main__")
        except BaseException:
            with open(script + ".stderr", "w") as f:
                traceback.print_exc(file=f)
            status = 1
        finally:
            sys.stdout.flush()
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


@pytest.fixture(scope="module")
def run_block():
    """run_block(script) runs a block's script as described above; returns its exit code."""
    for module in ("torch", "keras"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: {INSTALL_HINT}")
    env = dict(os.environ, KERAS_BACKEND="torch", MPLBACKEND="Agg")
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )

    def run(script):
        runner.stdin.write(f"{script}\n")
        runner.stdin.flush()
        answer = runner.stdout.readline()
        assert answer, "the block runner died"
        return int(answer)

    yield run
    runner.stdin.close()
    runner.wait(timeout=60)


def test_the_runner_reports_failures_and_isolates_blocks(run_block, tmp_path):
    # a failing assert is a failure with its traceback; a module-level change
    # made by one block (here torch's default dtype) is not seen by the next
    first, second = tmp_path / "a" / "block.py", tmp_path / "b" / "block.py"
    first.parent.mkdir(), second.parent.mkdir()
    first.write_text("import torch\ntorch.set_default_dtype(torch.float64)\nassert 1 == 2\n")
    second.write_text("import torch\nassert torch.get_default_dtype() == torch.float32\n")
    assert run_block(first) == 1
    assert "assert 1 == 2" in (tmp_path / "a" / "block.py.stderr").read_text()
    assert run_block(second) == 0


@pytest.mark.parametrize("code, frameworks", PARAMS)
def test_block_runs_and_its_asserts_hold(code, frameworks, tmp_path, run_block):
    # Anything else the block imports must be installed where CI runs it
    # (torchvision, for example, is not: name its API in the text instead).
    missing = [m for m in imported_modules(code) if importlib.util.find_spec(m) is None]
    assert not missing, f"the block imports {missing}, which the test environment does not install"
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    status = run_block(script)
    stderr = script.with_name("block.py.stderr")
    trace = stderr.read_text() if stderr.exists() else ""
    assert status == 0, f"the block failed:\n{code}\n--- traceback ---\n{trace}"
