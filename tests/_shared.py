"""Inputs and references shared by the loss tests (test_losses, test_focal, test_common).

A fixed-seed batch of logits, labels, soft targets and class weights (and
binary and regression targets for the elementwise losses), and the
central-difference gradient every gradient test compares with.
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
# the elementwise losses: binary targets, probabilities and logits; regression
Y_BIN = RNG.integers(0, 2, size=N).astype(float)
P_BIN = RNG.uniform(0.05, 0.95, size=N)
Z_BIN = RNG.normal(scale=3.0, size=N)
Y_REG = RNG.normal(size=N)
P_REG = RNG.normal(size=N)


def central_difference(f, z, h=1e-6):
    """Gradient of the scalar function f at z by central differences."""
    g = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = (f(zp) - f(zm)) / (2 * h)
    return g
