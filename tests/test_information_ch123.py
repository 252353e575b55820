"""Tests of conditional_entropy and mutual_information (chapter "Entropy").

References are independent of the code under test: scikit-learn's
mutual_info_score on contingency tables, SciPy's entropy of the marginals
and of the flattened table (the chain rule), and values worked out by hand.
"""

import warnings

import numpy as np
import pytest
import scipy.stats
from sklearn.metrics import mutual_info_score

from lecture_code import conditional_entropy, mutual_information

# The chapter's weather x umbrella table (rows: Sun, Cloud, Rain).
WEATHER = np.array([[0.40, 0.05], [0.15, 0.10], [0.05, 0.25]])


def random_counts(seed, shape=(4, 3)):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 20, size=shape)


def test_hand_values():
    # Y a copy of a fair coin X: nothing left, 1 bit shared.
    copy = [[0.5, 0.0], [0.0, 0.5]]
    assert conditional_entropy(copy) == 0.0
    assert mutual_information(copy, base=2) == pytest.approx(1.0, abs=1e-15)
    # Two independent fair coins: H(Y|X) = H(Y) = 1 bit, I = 0.
    independent = np.full((2, 2), 0.25)
    assert conditional_entropy(independent, base=2) == pytest.approx(1.0)
    assert mutual_information(independent) == 0.0
    # The weather table by hand: H(Y|X) = sum_x p(x) H(Y | X = x), where
    # p(x) = 0.45, 0.25, 0.30 and the rows given x are (8/9, 1/9),
    # (3/5, 2/5), (1/6, 5/6).
    def h2(a):
        return -(a * np.log2(a) + (1 - a) * np.log2(1 - a))
    by_hand = 0.45 * h2(8 / 9) + 0.25 * h2(3 / 5) + 0.30 * h2(1 / 6)
    assert conditional_entropy(WEATHER, base=2) == pytest.approx(by_hand,
                                                                 rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_chain_rule_against_scipy(seed):
    counts = random_counts(seed)
    joint = counts / counts.sum()
    h_xy = scipy.stats.entropy(joint.ravel())
    h_x = scipy.stats.entropy(joint.sum(axis=1))
    h_y = scipy.stats.entropy(joint.sum(axis=0))
    assert conditional_entropy(joint) == pytest.approx(h_xy - h_x, abs=1e-12)
    assert conditional_entropy(joint.T) == pytest.approx(h_xy - h_y,
                                                         abs=1e-12)
    assert mutual_information(joint) == pytest.approx(
        h_y - conditional_entropy(joint), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_mutual_information_against_scikit_learn(seed):
    counts = random_counts(seed, shape=(3, 5))
    joint = counts / counts.sum()
    expected = mutual_info_score(None, None, contingency=counts)
    assert mutual_information(joint) == pytest.approx(expected, abs=1e-12)
    assert mutual_information(joint.T) == pytest.approx(expected, abs=1e-12)
    assert mutual_information(joint, base=2) == pytest.approx(
        expected / np.log(2), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_bounds(seed):
    joint = np.random.default_rng(seed).dirichlet(np.full(12, 0.3))
    joint = joint.reshape(4, 3)
    h_y = scipy.stats.entropy(joint.sum(axis=0))
    assert 0.0 <= conditional_entropy(joint) <= h_y + 1e-12
    assert mutual_information(joint) >= 0.0


def test_zero_rows_and_columns_give_no_warning_and_no_nan():
    joint = np.array([[0.0, 0.0, 0.0], [0.2, 0.0, 0.3], [0.1, 0.0, 0.4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = conditional_entropy(joint)
        mi = mutual_information(joint)
    kept = joint[1:, [0, 2]]  # dropping impossible outcomes changes nothing
    assert h == pytest.approx(conditional_entropy(kept), abs=1e-15)
    assert mi == pytest.approx(mutual_information(kept), abs=1e-15)


@pytest.mark.parametrize("func", [conditional_entropy, mutual_information])
def test_bad_input_is_named(func):
    with pytest.raises(ValueError, match=r"joint must be a 2-D table .* "
                                         r"got shape \(3,\)"):
        func([0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=r"joint must contain probabilities "
                                         r"in \[0, 1\]; got min -0.1"):
        func([[0.6, -0.1], [0.3, 0.2]])
    with pytest.raises(ValueError, match=r"joint must sum to 1 over all "
                                         r"entries .*got a sum of 0.9"):
        func([[0.4, 0.1], [0.2, 0.2]])
    with pytest.raises(ValueError, match="joint must not contain NaN"):
        func([[np.nan, 0.5], [0.25, 0.25]])
    with pytest.raises(ValueError, match="base must be positive and different "
                                         "from 1; got 1"):
        func(WEATHER, base=1)
