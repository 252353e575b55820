"""Inputs and references shared by tests/test_losses.py and tests/test_focal.py.

A fixed-seed batch of logits, labels, soft targets and class weights, and
the central-difference gradient every gradient test compares with.
"""

import numpy as np
import scipy.special as sps

RNG = np.random.default_rng(2)
N, C = 8, 4
LOGITS = RNG.normal(scale=3.0, size=(N, C))
LABELS = RNG.integers(0, C, size=N)
SOFT = RNG.dirichlet(np.ones(C), size=N)
PROBS = sps.softmax(LOGITS, axis=1)
WEIGHTS = RNG.uniform(0.2, 2.0, size=C)


def central_difference(f, z, h=1e-6):
    """Gradient of the scalar function f at z by central differences."""
    g = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = (f(zp) - f(zm)) / (2 * h)
    return g
