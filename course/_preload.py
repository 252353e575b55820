"""Modules every grading forkserver imports once, so that each forked grading process starts warm.

The batch adds the modules the homework's set-up cells and tests import
(:func:`course.grade.modules_to_preload`). Importing this module imports
libraries and compiles nbformat's notebook schema once (0.4 s that every
grading process would otherwise spend); it has no other effect.
"""

import IPython.core.inputtransformer2  # noqa: F401
import nbformat
import numpy  # noqa: F401
import otter.test_files  # noqa: F401

import lecture_code  # noqa: F401

nbformat.validate(nbformat.v4.new_notebook())
