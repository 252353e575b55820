"""Tests of lecture_code.calibration (and its plotting helpers): the
reliability curve and the expected calibration error against values worked
out by hand, the Brier score and temperature scaling (chapter "Label
smoothing") against scikit-learn and SciPy."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import softmax as scipy_softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss

from lecture_code import brier_score, fit_temperature
from lecture_code.calibration import expected_calibration_error, reliability_curve
from lecture_code.plotting import plot_bin_counts, reliability_diagram

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
    assert expected_calibration_error(labels, probs, n_bins=10) == pytest.approx(0.0, abs=1e-12)


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


# ----------------------------------------------------------------------------
RNG = np.random.default_rng(0)


# --- brier_score ----------------------------------------------------------


def test_brier_hand_computed():
    # rows: label 0 -> (0.8-1)^2 + 0.1^2 + 0.1^2 = 0.06
    #       label 1 -> 0.2^2 + (0.7-1)^2 + 0.1^2 = 0.14
    #       label 2 -> 0.3^2 + 0.3^2 + (0.4-1)^2 = 0.54;  mean 0.74 / 3
    probs = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]
    assert brier_score([0, 1, 2], probs) == pytest.approx(0.74 / 3)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_brier_matches_sklearn_multiclass(n_classes):
    probs = RNG.dirichlet(np.ones(n_classes), size=50)
    labels = RNG.integers(0, n_classes, size=50)
    expected = brier_score_loss(labels, probs, labels=list(range(n_classes)), scale_by_half=False)
    assert brier_score(labels, probs) == pytest.approx(expected, rel=1e-12)


def test_brier_matches_sklearn_binary_1d():
    p = RNG.uniform(size=40)
    y = RNG.integers(0, 2, size=40)
    assert brier_score(y, p) == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    # the two-column form is twice the 1-D form
    assert brier_score(y, np.column_stack([1 - p, p])) == pytest.approx(
        2 * brier_score(y, p), rel=1e-12
    )


@pytest.mark.parametrize("score", ["brier", "log"])
def test_scores_are_strictly_proper(score):
    # Expected score under a true distribution pi over 3 classes, as a
    # function of the prediction q, is smallest at q = pi (numerically,
    # with SciPy's optimiser over the simplex via a softmax parameterisation).
    pi = np.array([0.6, 0.3, 0.1])

    def expected(theta):
        q = scipy_softmax(np.append(theta, 0.0))
        if score == "brier":
            return sum(pi[c] * brier_score([c], q[None]) for c in range(3))
        return sum(pi[c] * -np.log(q[c]) for c in range(3))

    best = minimize(
        expected, x0=[0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14}
    )
    np.testing.assert_allclose(scipy_softmax(np.append(best.x, 0.0)), pi, atol=1e-5)


@pytest.mark.parametrize(
    "y, probs, message",
    [
        ([0, 1], [[0.5, 0.6], [0.5, 0.5]], "sum to 1"),
        ([0, 3], [[0.5, 0.5], [0.5, 0.5]], "y_true"),
        ([0], [[0.5, 0.5], [0.5, 0.5]], "same"),
        ([0, 1], [1.5, 0.2], r"\[0, 1\]"),
        ([], np.zeros((0, 2)), "at least one sample"),
        ([0], np.ones((1, 1, 1)), "1-D or 2-D"),
    ],
)
def test_brier_rejects_bad_input(y, probs, message):
    with pytest.raises(ValueError, match=message):
        brier_score(y, probs)


# --- fit_temperature ------------------------------------------------------


def _sklearn_problem():
    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    clf = LogisticRegression(C=100.0, max_iter=2000).fit(X[:200], y[:200])
    return clf, X[200:400], y[200:400], X[400:]


def test_temperature_matches_sklearn_calibratedclassifiercv():
    clf, X_cal, y_cal, X_new = _sklearn_problem()
    t = fit_temperature(y_cal, clf.decision_function(X_cal))
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method="temperature").fit(
        X_cal, y_cal
    )
    beta = calibrated.calibrated_classifiers_[0].calibrators[0].beta_
    assert t == pytest.approx(1 / beta, rel=1e-6)
    np.testing.assert_allclose(
        scipy_softmax(clf.decision_function(X_new) / t, axis=1),
        calibrated.predict_proba(X_new),
        atol=1e-7,
    )


def test_temperature_minimises_sklearn_log_loss():
    clf, X_cal, y_cal, _ = _sklearn_problem()
    z = clf.decision_function(X_cal)
    t = fit_temperature(y_cal, z)

    def nll(temp):
        return log_loss(y_cal, scipy_softmax(z / temp, axis=1), labels=[0, 1, 2])

    grid = np.exp(np.linspace(np.log(t) - 0.5, np.log(t) + 0.5, 2001))
    assert abs(np.log(grid[np.argmin([nll(g) for g in grid])]) - np.log(t)) < 1e-3
    assert nll(t) <= min(nll(0.99 * t), nll(1.01 * t))


def test_temperature_recovers_the_generating_temperature():
    # Labels drawn from softmax(z / 2): the fitted T is close to 2.
    z = RNG.normal(scale=4.0, size=(20000, 4))
    p = scipy_softmax(z / 2.0, axis=1)
    labels = (p.cumsum(axis=1) < RNG.uniform(size=(20000, 1))).sum(axis=1)
    assert fit_temperature(labels, z) == pytest.approx(2.0, rel=0.05)


def test_temperature_direction():
    # Always confident, right only half of the time: soften (T > 1);
    # hesitant but always right: sharpen (T < 1).
    assert fit_temperature([0, 1] * 5, [[3.0, 0.0]] * 10) > 1
    assert fit_temperature([0] * 10, [[0.3, 0.0]] * 10) < 1


@pytest.mark.parametrize(
    "y, logits, kwargs, message",
    [
        ([0], [1.0, 2.0], {}, "2-D"),
        ([0, 2], [[1.0, 2.0], [0.0, 0.0]], {}, "y_true"),
        ([0], [[1.0, 2.0], [0.0, 0.0]], {}, "same"),
        ([0], [[np.nan, 1.0]], {}, "NaN"),
        ([], np.zeros((0, 2)), {}, "at least one sample"),
        ([0], [[1.0, 2.0]], {"bounds": (2.0, 1.0)}, "0 < low < high"),
        ([0], [[1.0, 2.0]], {"bounds": (0.0, 1.0)}, "0 < low < high"),
        ([0], [[1.0, 2.0]], {"bounds": 3.0}, "pair of positive numbers"),
    ],
)
def test_temperature_rejects_bad_input(y, logits, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_temperature(y, logits, **kwargs)


# --- plot_bin_counts -------------------------------------------------------


def test_plot_bin_counts_draws_the_counts_of_reliability_curve():
    probs = RNG.dirichlet(np.ones(3) * 0.5, size=200)
    labels = RNG.integers(0, 3, size=200)
    fig, ax = plt.subplots()
    plot_bin_counts(ax, labels, probs, n_bins=10)
    heights = [patch.get_height() for patch in ax.patches]
    counts = reliability_curve(labels, probs, n_bins=10).counts
    assert heights == list(counts[counts > 0])
    assert [t.get_text() for t in ax.texts] == [str(c) for c in counts[counts > 0]]
    assert sum(heights) == 200
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "predictions (count)"
    plt.close(fig)
