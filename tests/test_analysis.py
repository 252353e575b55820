"""Tests for lecture_code.analysis: information gain and the softmax Hessian.

References: scikit-learn's DecisionTreeClassifier (its node impurities, in
bits, give the gain of its first split), hand-computed values, and central
finite differences of ``softmax_cross_entropy_grad``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_iris, load_wine
from sklearn.tree import DecisionTreeClassifier

from lecture_code import information_gain, softmax_cross_entropy_grad, softmax_hessian


# --- information_gain ---------------------------------------------------------


def _sklearn_root_gain(X, y, random_state=0):
    """Gain of the root split of sklearn's entropy tree, and the split itself."""
    tree = DecisionTreeClassifier(criterion="entropy", max_depth=1,
                                  random_state=random_state).fit(X, y)
    t = tree.tree_
    left, right = t.children_left[0], t.children_right[0]
    n = t.weighted_n_node_samples
    gain = t.impurity[0] - (n[left] * t.impurity[left] + n[right] * t.impurity[right]) / n[0]
    mask = X[:, t.feature[0]] <= t.threshold[0]
    return gain, mask


@pytest.mark.parametrize("loader", [load_iris, load_wine])
def test_information_gain_matches_sklearn_tree(loader):
    X, y = loader(return_X_y=True)
    expected_bits, mask = _sklearn_root_gain(X, y)
    got = information_gain(y, [y[mask], y[~mask]], base=2)
    assert got == pytest.approx(expected_bits, abs=1e-12)
    # nats = bits * ln 2
    assert information_gain(y, [y[mask], y[~mask]]) == pytest.approx(
        expected_bits * np.log(2), abs=1e-12)


def test_information_gain_hand_computed():
    # parent: 5 of class 0, 5 of class 1 -> H = 1 bit.
    # left [0,0,0,0,1]: H = -(0.8 log2 0.8 + 0.2 log2 0.2) = 0.7219280948873623
    # right [0,1,1,1,1]: the same, so IG = 1 - 0.7219280948873623
    parent = [0] * 5 + [1] * 5
    got = information_gain(parent, [[0, 0, 0, 0, 1], [0, 1, 1, 1, 1]], base=2)
    assert got == pytest.approx(1 - 0.7219280948873623, abs=1e-12)


def test_information_gain_three_children_and_bounds():
    # A split that isolates each class removes all entropy: IG = H(parent) = ln 3.
    parent = [0, 1, 2, 0, 1, 2]
    assert information_gain(parent, [[0, 0], [1, 1], [2, 2]]) == pytest.approx(np.log(3))
    # One child equal to the parent: no information gained.
    assert information_gain(parent, [parent]) == 0.0


@settings(max_examples=50, deadline=None)
@given(arrays(np.int64, st.integers(2, 40), elements=st.integers(0, 3)),
       st.integers(1, 39))
def test_information_gain_between_zero_and_parent_entropy(labels, cut):
    cut = cut % (labels.size - 1) + 1
    gain = information_gain(labels, [labels[:cut], labels[cut:]])
    freqs = np.bincount(labels) / labels.size
    h_parent = -np.sum(freqs[freqs > 0] * np.log(freqs[freqs > 0]))
    assert 0.0 <= gain <= h_parent + 1e-12


def test_information_gain_errors():
    with pytest.raises(ValueError, match="child_label_groups must partition parent_labels"):
        information_gain([0, 0, 1], [[0], [1, 1]])
    with pytest.raises(ValueError, match="child_label_groups must contain at least one group"):
        information_gain([0, 1], [])
    with pytest.raises(TypeError, match="child_label_groups must be a sequence"):
        information_gain([0, 1], 3)
    with pytest.raises(ValueError, match=r"child_label_groups\[1\] must not be empty"):
        information_gain([0, 1], [[0, 1], []])
    with pytest.raises(ValueError, match="parent_labels must not be empty"):
        information_gain([], [[0]])
    with pytest.raises(ValueError, match="parent_labels must be 1-D"):
        information_gain([[0, 1]], [[0, 1]])
    with pytest.raises(ValueError, match="parent_labels must be non-negative integers"):
        information_gain([-1, 0], [[-1, 0]])
    with pytest.raises(ValueError, match=r"child_label_groups\[0\] must be integers; got 0.5"):
        information_gain([0, 1], [[0.5, 1]])
    with pytest.raises(TypeError, match="parent_labels must be integers"):
        information_gain(["a", "b"], [["a", "b"]])


# --- softmax_hessian ----------------------------------------------------------


def _fd_hessian(z, y, h=1e-5):
    """Central differences of the analytic gradient (one sample, reduction 'sum')."""
    C = z.size
    H = np.empty((C, C))
    for j in range(C):
        dz = np.zeros(C)
        dz[j] = h
        g_plus = softmax_cross_entropy_grad(y[None], (z + dz)[None], reduction="sum")[0]
        g_minus = softmax_cross_entropy_grad(y[None], (z - dz)[None], reduction="sum")[0]
        H[:, j] = (g_plus - g_minus) / (2 * h)
    return H


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_hessian_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=5)
    y = rng.dirichlet(np.ones(5))  # the Hessian does not depend on the target
    assert np.allclose(softmax_hessian(z), _fd_hessian(z, y), atol=1e-8)


def test_softmax_hessian_hand_computed_and_batch():
    # z = [0, ln 3]: p = [1/4, 3/4]; diag(p) - pp^T = [[3/16, -3/16], [-3/16, 3/16]]
    H = softmax_hessian([0.0, np.log(3.0)])
    assert np.allclose(H, np.array([[3, -3], [-3, 3]]) / 16, atol=1e-15)
    Z = np.random.default_rng(3).normal(size=(4, 3))
    batch = softmax_hessian(Z)
    assert batch.shape == (4, 3, 3)
    for z, Hz in zip(Z, batch):
        assert np.allclose(Hz, softmax_hessian(z))


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(2, 6),
              elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False)))
def test_softmax_hessian_is_psd_symmetric_with_zero_row_sums(z):
    H = softmax_hessian(z)
    assert np.allclose(H, H.T)
    assert np.allclose(H.sum(axis=1), 0.0, atol=1e-12)
    assert np.linalg.eigvalsh(H).min() >= -1e-12


def test_softmax_hessian_no_overflow_for_huge_logits():
    H = softmax_hessian([1e4, 0.0, -1e4])
    assert np.all(np.isfinite(H))
    assert np.allclose(H, 0.0)  # p = [1, 0, 0]: no curvature left


def test_softmax_hessian_errors():
    with pytest.raises(ValueError, match=r"logits must be 1-D or 2-D; got shape \(\)"):
        softmax_hessian(1.0)
    with pytest.raises(ValueError, match="logits must not be empty"):
        softmax_hessian([])
    with pytest.raises(ValueError, match="logits must not contain NaN"):
        softmax_hessian([0.0, np.nan])
    with pytest.raises(TypeError, match="logits must be an array of real numbers"):
        softmax_hessian(["a", "b"])
