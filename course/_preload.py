"""Modules every grading forkserver imports once, so that each forked grading process starts warm.

The batch adds the modules the homework's set-up cells and tests import
(:func:`course.grade.modules_to_preload`). Importing this module imports
libraries and compiles nbformat's notebook schema once (0.4 s that every
grading process would otherwise spend); it has no other effect.

The grading process needs only otter's test files (``OKTestFile``,
``GradingResults``): ``otter/__init__.py`` imports otter's whole command line
(pandas, nbconvert: over a second of CPU per batch), so ``otter.test_files``
is imported under a bare ``otter`` package where otter is not imported yet.
"""

import importlib.util
import sys
import types

import IPython.core.inputtransformer2  # noqa: F401
import nbformat
import numpy  # noqa: F401

import lecture_code  # noqa: F401


def _otter_test_files():
    if "otter" not in sys.modules:
        spec = importlib.util.find_spec("otter")
        package = types.ModuleType("otter")
        package.__path__, package.__spec__ = list(spec.submodule_search_locations), spec
        sys.modules["otter"] = package
    importlib.import_module("otter.test_files")


_otter_test_files()
nbformat.validate(nbformat.v4.new_notebook())
