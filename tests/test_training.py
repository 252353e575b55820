"""Tests for lecture_code.training: gradients, determinism, learning, errors."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from lecture_code.training import (
    _initial_params,
    _loss_functions,
    _objective,
    fit_softmax_regression,
)

RNG = np.random.default_rng(42)
X_SMALL = RNG.normal(size=(12, 3))
Y_SMALL = np.array([0, 1, 2, 3] * 3)
SOFT_SMALL = RNG.dirichlet(np.ones(4), size=12)


def _finite_difference(f, theta, h=1e-6):
    """Central differences (f(θ + h e_k) - f(θ - h e_k)) / 2h, one k at a time."""
    grad = np.empty_like(theta)
    for k in range(theta.size):
        step = np.zeros_like(theta)
        step[k] = h
        grad[k] = (f(theta + step) - f(theta - step)) / (2 * h)
    return grad


LOSS_OPTIONS = [
    dict(loss="cross_entropy"),
    dict(loss="cross_entropy", label_smoothing=0.1),
    dict(loss="cross_entropy", class_weight=[1.0, 2.0, 0.5, 3.0]),
    dict(loss="cross_entropy", label_smoothing=0.2, class_weight=[1.0, 2.0, 0.5, 3.0]),
    dict(loss="focal", gamma=2.0),
    dict(loss="focal", gamma=0.5, alpha=[0.1, 0.4, 0.2, 0.3]),
    dict(loss="focal", gamma=5.0, alpha=0.25),
]


@pytest.mark.parametrize("hidden", [None, 5])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("options", LOSS_OPTIONS)
def test_gradient_matches_finite_differences(options, soft, hidden):
    options = dict(options)
    loss = options.pop("loss")
    fns = _loss_functions(
        loss,
        options.get("label_smoothing", 0.0),
        options.get("gamma", 2.0),
        options.get("alpha"),
        options.get("class_weight"),
    )
    rng = np.random.default_rng(0)
    shapes = [p.shape for p in _initial_params(3, 4, hidden, rng)]
    theta = rng.normal(size=sum(int(np.prod(s)) for s in shapes))
    y = SOFT_SMALL if soft else Y_SMALL
    args = (X_SMALL, y, shapes, *fns, 0.3)
    _, grad = _objective(theta, *args)
    numeric = _finite_difference(lambda t: _objective(t, *args)[0], theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def _blobs(n_per_class=30, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[6.0, 0.0], [-6.0, 0.0], [0.0, 6.0], [0.0, -6.0]])
    X = np.concatenate([c + rng.normal(scale=0.5, size=(n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(4), n_per_class)
    return X, y


def test_learns_a_separable_problem():
    X, y = _blobs()
    for options in LOSS_OPTIONS:
        model = fit_softmax_regression(X, y, **options)
        assert (model.predict(X) == y).mean() == 1.0, options
        assert model.converged


def test_hidden_layer_learns_xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 5)
    y = np.array([0, 1, 1, 0] * 5)  # not linearly separable
    model = fit_softmax_regression(X, y, hidden=8, l2=1e-4, random_state=1)
    np.testing.assert_array_equal(model.predict(X), y)


def test_matches_scikit_learn_logistic_regression():
    # sklearn minimises sum_i loss_i + ||W||^2 / (2C); ours mean loss + l2/2 ||W||^2,
    # the same objective up to a factor N when C = 1 / (l2 N).
    X, y = _blobs(seed=3)
    X = X + np.random.default_rng(3).normal(scale=2.0, size=X.shape)  # overlap
    l2 = 0.05
    ours = fit_softmax_regression(X, y, l2=l2)
    ref = LogisticRegression(C=1 / (l2 * len(y)), tol=1e-10, max_iter=10_000).fit(X, y)
    # Both stop at their own tolerance: agreement to 1e-4 (a wrong gradient
    # would be off by far more).
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_loss_curve_starts_at_log_c_and_goes_down():
    X, y = _blobs()
    model = fit_softmax_regression(X, y)
    # zero weights: uniform softmax over 4 classes, loss ln 4, no penalty
    assert model.loss_curve[0] == pytest.approx(np.log(4))
    assert len(model.loss_curve) == model.n_iter + 1
    assert np.all(np.diff(model.loss_curve) <= 1e-12)


def test_is_deterministic():
    X, y = _blobs()
    for kwargs in [dict(), dict(hidden=6, loss="focal", random_state=3)]:
        a = fit_softmax_regression(X, y, **kwargs)
        b = fit_softmax_regression(X, y, **kwargs)
        for pa, pb in zip(a.params, b.params):
            np.testing.assert_array_equal(pa, pb)
        np.testing.assert_array_equal(a.loss_curve, b.loss_curve)
    c = fit_softmax_regression(X, y, hidden=6, loss="focal", random_state=4)
    assert not np.array_equal(a.params[0], c.params[0])


def test_probability_targets_and_n_classes():
    X, y = _blobs()
    soft = np.eye(4)[y] * 0.9 + 0.1 / 4
    model = fit_softmax_regression(X, soft)
    assert model.predict_proba(X).shape == (120, 4)
    # A class that never occurs still gets a column with n_classes.
    model = fit_softmax_regression(X, y, n_classes=5)
    proba = model.predict_proba(X)
    assert proba.shape == (120, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba[:, 4].max() < 0.05


@pytest.mark.parametrize(
    "X, y, kwargs, match",
    [
        ([[0.0], [1.0]], [0, 1], {"loss": "hinge"}, r"loss must be 'cross_entropy' or 'focal'; got 'hinge'"),
        ([[0.0], [1.0]], [0, 1], {"label_smoothing": 1.5}, r"label_smoothing must be in \[0, 1\]; got 1.5"),
        ([[0.0], [1.0]], [0, 1], {"label_smoothing": [0.1, 0.2]}, r"label_smoothing must be a scalar; got shape \(2,\)"),
        ([[0.0], [1.0]], [0, 1], {"loss": "focal", "gamma": -1}, r"gamma must be a finite non-negative number; got -1"),
        ([[0.0], [1.0]], [0, 1], {"l2": -0.1}, r"l2 must be a finite non-negative number; got -0.1"),
        ([[0.0], [1.0]], [0, 1], {"loss": "focal", "label_smoothing": 0.1}, r"use alpha for class weights with loss='focal'"),
        ([[0.0], [1.0]], [0, 1], {"loss": "focal", "class_weight": [1, 2]}, r"apply to loss='cross_entropy'"),
        ([[0.0], [1.0]], [0, 1], {"alpha": 0.25}, r"alpha applies to loss='focal'"),
        ([[0.0], [1.0]], [0, 1], {"hidden": 0}, r"hidden must be a positive integer; got 0"),
        ([[0.0], [1.0]], [0, 1], {"max_iter": 0}, r"max_iter must be a positive integer; got 0"),
        ([0.0, 1.0], [0, 1], {}, r"X must be 2-D; got shape \(2,\)"),
        ([[0.0], [np.nan]], [0, 1], {}, r"X must not contain NaN"),
        ([[0.0], [1.0]], [0, 1, 1], {}, r"X and y must have the same number of samples; got 2 and 3"),
        ([[0.0], [1.0]], [0, 2], {"n_classes": 2}, r"y must be integers in \[0, 1\]; got 2"),
        ([[0.0], [1.0]], [0, 0], {}, r"y must have at least 2 classes; got 1"),
        ([[0.0], [1.0]], [[0.5, 0.5], [0.2, 0.8]], {"n_classes": 3}, r"y has 2 columns but n_classes is 3"),
        ([[0.0], [1.0]], [[0.5, 0.6], [0.2, 0.8]], {}, r"y must sum to 1 along axis 1"),
        ([[0.0], [1.0]], [0, 1], {"loss": "focal", "alpha": [0.5, 0.2, 0.3]}, r"alpha must be a scalar or have one weight per class \(2\)"),
    ],
)
def test_errors(X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_softmax_regression(X, y, **kwargs)


def test_predict_checks_the_number_of_features():
    model = fit_softmax_regression([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match=r"X must have 1 features; got 2"):
        model.predict([[0.0, 1.0]])
