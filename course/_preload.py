"""Modules the grading forkserver imports once, so that each forked worker starts warm.

Importing this module only imports libraries (no other effect).
"""

import IPython.core.interactiveshell  # noqa: F401
import nbformat  # noqa: F401
import numpy  # noqa: F401
import otter  # noqa: F401
import otter.execute  # noqa: F401
import otter.test_files  # noqa: F401
import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401
import sklearn.metrics  # noqa: F401
import sklearn.model_selection  # noqa: F401
import sklearn.neural_network  # noqa: F401

import lecture_code  # noqa: F401
