"""Tests for lecture_code.calibration (and its plotting helper)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lecture_code.calibration import expected_calibration_error, reliability_curve
from lecture_code.plotting import reliability_diagram

# Five predictions over three classes; with n_bins=5 the edges are
# 0, 0.2, 0.4, 0.6, 0.8, 1 and the bins are (lo, hi].
PROBS = [
    [0.90, 0.05, 0.05],  # label 0: conf 0.90, right -> bin (0.8, 1]
    [0.85, 0.10, 0.05],  # label 1: conf 0.85, wrong -> bin (0.8, 1]
    [0.30, 0.55, 0.15],  # label 1: conf 0.55, right -> bin (0.4, 0.6]
    [0.50, 0.30, 0.20],  # label 2: conf 0.50, wrong -> bin (0.4, 0.6]
    [0.35, 0.33, 0.32],  # label 0: conf 0.35, right -> bin (0.2, 0.4]
]
LABELS = [0, 1, 1, 2, 0]


def test_reliability_curve_hand_computed():
    curve = reliability_curve(LABELS, PROBS, n_bins=5)
    np.testing.assert_allclose(curve.bin_edges, [0, 0.2, 0.4, 0.6, 0.8, 1])
    np.testing.assert_array_equal(curve.counts, [0, 1, 2, 0, 2])
    # bin (0.2, 0.4]: conf 0.35, acc 1/1; bin (0.4, 0.6]: conf (0.55 + 0.5)/2
    # = 0.525, acc 1/2; bin (0.8, 1]: conf (0.9 + 0.85)/2 = 0.875, acc 1/2.
    np.testing.assert_allclose(curve.confidence, [np.nan, 0.35, 0.525, np.nan, 0.875])
    np.testing.assert_allclose(curve.accuracy, [np.nan, 1.0, 0.5, np.nan, 0.5])


def test_ece_hand_computed():
    # ECE = 1/5 * |1 - 0.35| + 2/5 * |0.5 - 0.525| + 2/5 * |0.5 - 0.875|
    #     = 0.13 + 0.01 + 0.15 = 0.29
    assert expected_calibration_error(LABELS, PROBS, n_bins=5) == pytest.approx(0.29)


def _ece_loop(labels, probs, n_bins):
    """Independent reference: a plain Python loop over samples and bins."""
    bins = [[] for _ in range(n_bins)]
    for y, row in zip(labels, probs):
        conf = max(row)
        pred = list(row).index(conf)
        b = min(max(int(np.ceil(conf * n_bins)) - 1, 0), n_bins - 1)
        bins[b].append((conf, pred == y))
    total = 0.0
    for members in bins:
        if members:
            conf = sum(c for c, _ in members) / len(members)
            acc = sum(ok for _, ok in members) / len(members)
            total += len(members) / len(labels) * abs(acc - conf)
    return total


@pytest.mark.parametrize("n_bins", [1, 3, 10, 15])
def test_ece_matches_loop_reference(n_bins):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2.0, size=(200, 4))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 4, size=200)
    expected = _ece_loop(labels, probs.tolist(), n_bins)
    assert expected_calibration_error(labels, probs, n_bins=n_bins) == pytest.approx(
        expected, abs=1e-12
    )


def test_perfectly_calibrated_is_zero():
    # 10 predictions at confidence 0.7 (7 right) and 4 at 0.5 (2 right).
    probs = [[0.7, 0.3]] * 10 + [[0.5, 0.5]] * 4
    labels = [0] * 7 + [1] * 3 + [0] * 2 + [1] * 2
    assert expected_calibration_error(labels, probs, n_bins=10) == pytest.approx(
        0.0, abs=1e-12
    )


def test_always_right_at_full_confidence_is_zero_and_always_wrong_is_one():
    onehot = np.eye(3)[[0, 1, 2, 1]]
    assert expected_calibration_error([0, 1, 2, 1], onehot) == 0.0
    assert expected_calibration_error([1, 2, 0, 0], onehot) == 1.0


def test_binary_vector_is_read_as_two_columns():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=50)
    y = rng.integers(0, 2, size=50)
    rows = np.column_stack([1 - p, p])
    assert expected_calibration_error(y, p) == pytest.approx(
        expected_calibration_error(y, rows), abs=1e-15
    )
    # p = 0.3 for class 1 means confidence 0.7 in class 0.
    curve = reliability_curve([0], [0.3], n_bins=10)
    assert curve.counts[6] == 1 and curve.accuracy[6] == 1.0


def test_confidence_on_an_edge_goes_to_the_lower_bin():
    curve = reliability_curve([0, 0], [[0.5, 0.5], [1.0, 0.0]], n_bins=2)
    np.testing.assert_array_equal(curve.counts, [1, 1])


@pytest.mark.parametrize(
    "labels, probs, kwargs, match",
    [
        ([0], [[[0.5, 0.5]]], {}, r"probs must be 1-D or 2-D"),
        ([0], [[1.2, -0.2]], {}, r"probs must contain probabilities in \[0, 1\]"),
        ([0], [[0.5, 0.4]], {}, r"probs must sum to 1 along axis 1"),
        ([3], [[0.5, 0.5]], {}, r"y_true must be integers in \[0, 1\]; got 3"),
        ([0.5], [[0.5, 0.5]], {}, r"y_true must be integers; got 0.5"),
        ([[0]], [[0.5, 0.5]], {}, r"y_true must be 1-D"),
        ([0, 1], [[0.5, 0.5]], {}, r"same number of samples; got 2 and 1"),
        ([], np.zeros((0, 2)), {}, r"at least one sample"),
        ([0], [[0.5, 0.5]], {"n_bins": 0}, r"n_bins must be a positive integer; got 0"),
        ([0], [np.nan], {}, r"probs must not contain NaN"),
    ],
)
def test_errors(labels, probs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        expected_calibration_error(labels, probs, **kwargs)


def test_n_bins_must_be_an_integer():
    with pytest.raises(TypeError, match=r"n_bins must be a positive integer; got 2.5"):
        reliability_curve([0], [[0.5, 0.5]], n_bins=2.5)


def test_reliability_diagram_draws_the_accuracy_bars():
    fig, ax = plt.subplots()
    out = reliability_diagram(ax, LABELS, PROBS, n_bins=5, label="toy")
    assert out is ax
    heights = [patch.get_height() for patch in ax.containers[0]]
    np.testing.assert_allclose(heights, [1.0, 0.5, 0.5])  # filled bins only
    assert ax.get_title() == "toy: ECE = 0.290"
    assert ax.get_xlabel() == "confidence (max probability)"
    plt.close(fig)
