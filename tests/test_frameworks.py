"""The PyTorch and Keras code shown in the book runs and agrees with lecture_code.

The chapters show framework code as fenced ```python blocks inside markdown
cells, so that neither the book build nor Binder needs PyTorch or Keras. This
file collects every such block in ``book/*.ipynb`` that imports ``torch`` or
``keras`` (any chapter may add one; nothing here names a chapter), checks
that it compares its values with ``lecture_code`` in an ``assert``, and runs
it in a fresh interpreter with Keras 3 on the PyTorch backend
(``KERAS_BACKEND=torch``; no TensorFlow).

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
    "(.ci/run installs it from a local wheel, then keras; see README, 'Tests and CI'); "
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
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["import torch\n"]},
        {"cell_type": "markdown", "source": [markdown]},
    ]}))
    found = framework_blocks([notebook])
    assert [(block_id, code) for block_id, code, _ in found] == [
        ("99_demo-cell1-block0", "import torch\nassert True\n")]
    assert imported_modules("import os.path\nfrom torch import nn\nfrom . import x\n") == ["os", "torch"]
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
            'a Keras block starts with os.environ["KERAS_BACKEND"] = "torch" before import keras')


@pytest.mark.parametrize("code, frameworks", PARAMS)
def test_block_runs_and_its_asserts_hold(code, frameworks, tmp_path):
    for module in ["torch"] + sorted(frameworks - {"torch"}):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: {INSTALL_HINT}")
    # Anything else the block imports must be installed where CI runs it
    # (torchvision, for example, is not: name its API in the text instead).
    missing = [m for m in imported_modules(code) if importlib.util.find_spec(m) is None]
    assert not missing, f"the block imports {missing}, which the test environment does not install"
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, KERAS_BACKEND="torch", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"the block failed:\n{code}\n--- stderr ---\n{result.stderr}"
