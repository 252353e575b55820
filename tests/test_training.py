"""Tests for lecture_code.training: the L-BFGS fitters and backpropagation.

References: central finite differences of the objective, scikit-learn's
``LogisticRegression`` (the same objective when ``C = 1 / (N λ)``), and
scikit-learn's ``MLPClassifier``, whose plain-SGD run (no momentum, no
shuffling) must follow exactly the weights of our minibatch loop.
"""

import warnings
from functools import partial

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from lecture_code import (
    fit_mlp,
    fit_softmax_regression,
    loss_pair,
    mlp_loss_and_gradients,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from lecture_code.focal import softmax_focal_loss, softmax_focal_loss_grad
from lecture_code.training import _initial_params, _objective

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


def _pair(loss, grad, **options):
    """The keyword arguments of a fitter for ``loss`` and ``grad`` with ``options``."""
    return dict(loss=partial(loss, **options), loss_grad=partial(grad, **options))


def test_loss_pair_binds_the_options_to_both():
    pair = loss_pair(FOCAL, FOCAL_GRAD, gamma=3.0, alpha=[0.2, 0.8])
    y, z = np.array([0, 1, 1]), RNG.normal(size=(3, 2))
    assert pair["loss"](y, z) == FOCAL(y, z, gamma=3.0, alpha=[0.2, 0.8])
    np.testing.assert_array_equal(
        pair["loss_grad"](y, z), FOCAL_GRAD(y, z, gamma=3.0, alpha=[0.2, 0.8])
    )
    X, labels = _blobs()
    a = fit_softmax_regression(X, labels, **loss_pair(CE, CE_GRAD, label_smoothing=0.1))
    b = fit_softmax_regression(X, labels, **_pair(CE, CE_GRAD, label_smoothing=0.1))
    np.testing.assert_array_equal(a.params[0], b.params[0])
    with pytest.raises(TypeError, match=r"loss_grad must be a function of \(y, logits\); got 3"):
        loss_pair(CE, 3)


CE, CE_GRAD = softmax_cross_entropy, softmax_cross_entropy_grad
FOCAL, FOCAL_GRAD = softmax_focal_loss, softmax_focal_loss_grad
LOSSES = {
    "default": {},
    "cross-entropy": _pair(CE, CE_GRAD),
    "smoothed": _pair(CE, CE_GRAD, label_smoothing=0.1),
    "class-weighted": _pair(CE, CE_GRAD, class_weight=[1.0, 2.0, 0.5, 3.0]),
    "both": _pair(CE, CE_GRAD, label_smoothing=0.2, class_weight=[1.0, 2.0, 0.5, 3.0]),
    "focal": _pair(FOCAL, FOCAL_GRAD, gamma=2.0),
    "focal-alpha": _pair(FOCAL, FOCAL_GRAD, gamma=0.5, alpha=[0.1, 0.4, 0.2, 0.3]),
    "focal-5": _pair(FOCAL, FOCAL_GRAD, gamma=5.0, alpha=0.25),
}


@pytest.mark.parametrize("hidden", [None, 5])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("name", [n for n in LOSSES if n != "default"])
def test_gradient_matches_finite_differences(name, soft, hidden):
    fns = LOSSES[name]["loss"], LOSSES[name]["loss_grad"]
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


@pytest.mark.parametrize("name", list(LOSSES))
def test_learns_a_separable_problem(name):
    X, y = _blobs()
    model = fit_softmax_regression(X, y, **LOSSES[name])
    assert (model.predict(X) == y).mean() == 1.0
    assert model.converged


def test_mlp_learns_xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 5)
    y = np.array([0, 1, 1, 0] * 5)  # not linearly separable
    model = fit_mlp(X, y, hidden=8, l2=1e-4, random_state=1)
    np.testing.assert_array_equal(model.predict(X), y)
    assert [p.shape for p in model.params] == [(2, 8), (8,), (8, 2), (2,)]
    # softmax regression cannot: at best 3 of the 4 points
    linear = fit_softmax_regression(X, y, l2=1e-4)
    assert (linear.predict(X) == y).mean() <= 0.75


@pytest.mark.parametrize("l2", [0.05, 0.01])
def test_matches_scikit_learn_logistic_regression(l2):
    # sklearn minimises sum_i loss_i + ||W||^2 / (2C); ours mean loss + l2/2 ||W||^2,
    # the same objective up to a factor N when C = 1 / (N l2).
    X, y = _blobs(seed=3)
    X = X + np.random.default_rng(3).normal(scale=2.0, size=X.shape)  # overlap
    ours = fit_softmax_regression(X, y, l2=l2, max_iter=1000)
    ref = LogisticRegression(C=1 / (l2 * len(y)), tol=1e-10, max_iter=10_000).fit(X, y)

    # Both stop at their own tolerance: the objectives agree to 1e-7 and the
    # probabilities to 1e-3 (a wrong gradient would be off by far more).
    def objective(W, b):
        return CE(y, X @ W + b) + l2 / 2 * np.sum(W**2)

    theirs = objective(ref.coef_.T, ref.intercept_)
    assert objective(*ours.params) == pytest.approx(theirs, rel=1e-7)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-3)


def test_smoothed_targets_equal_label_smoothing():
    # Label smoothing is cross-entropy against the smoothed target rows:
    # training on p = (1 - eps) e_y + eps / K as soft labels gives the same model.
    X, y = _blobs(seed=5)
    X = X + np.random.default_rng(5).normal(scale=2.0, size=X.shape)
    eps = 0.2
    smoothed = fit_softmax_regression(X, y, **_pair(CE, CE_GRAD, label_smoothing=eps))
    soft = (1 - eps) * np.eye(4)[y] + eps / 4
    reference = fit_softmax_regression(X, soft)
    np.testing.assert_allclose(smoothed.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_focal_with_gamma_zero_is_cross_entropy():
    X, y = _blobs(seed=6)
    X = X + np.random.default_rng(6).normal(scale=2.0, size=X.shape)
    focal = fit_softmax_regression(X, y, **_pair(FOCAL, FOCAL_GRAD, gamma=0.0))
    plain = fit_softmax_regression(X, y)
    np.testing.assert_allclose(focal.predict_proba(X), plain.predict_proba(X), atol=1e-6)


def test_loss_curve_starts_at_log_k_and_goes_down():
    X, y = _blobs()
    model = fit_softmax_regression(X, y)
    # zero weights: uniform softmax over 4 classes, loss ln 4, no penalty
    assert model.loss_curve[0] == pytest.approx(np.log(4))
    assert len(model.loss_curve) == model.n_iter + 1
    assert np.all(np.diff(model.loss_curve) <= 1e-12)


def test_is_deterministic():
    X, y = _blobs()
    a = fit_softmax_regression(X, y)
    b = fit_softmax_regression(X, y)
    for pa, pb in zip(a.params, b.params):
        np.testing.assert_array_equal(pa, pb)
    kwargs = dict(hidden=6, random_state=3, **LOSSES["focal"])
    a, b = fit_mlp(X, y, **kwargs), fit_mlp(X, y, **kwargs)
    for pa, pb in zip(a.params, b.params):
        np.testing.assert_array_equal(pa, pb)
    np.testing.assert_array_equal(a.loss_curve, b.loss_curve)
    c = fit_mlp(X, y, **dict(kwargs, random_state=4))
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


TWO = ([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize(
    "X, y, kwargs, match",
    [
        (*TWO, {"loss": CE}, r"loss was given without loss_grad; pass both"),
        (*TWO, {"loss_grad": CE_GRAD}, r"loss_grad was given without loss; pass both"),
        (
            *TWO,
            {"loss": partial(FOCAL, gamma=2.0), "loss_grad": CE_GRAD},
            r"loss_grad is not the gradient of loss",
        ),
        (
            *TWO,
            {"loss": CE, "loss_grad": partial(CE_GRAD, label_smoothing=0.3)},
            r"loss_grad is not the gradient of loss",
        ),
        (
            *TWO,
            {"loss": partial(CE, reduction="none"), "loss_grad": CE_GRAD},
            r"loss must return the mean loss over the samples \(a scalar\); got shape \(2,\)",
        ),
        (
            *TWO,
            {"loss": CE, "loss_grad": lambda y, z: z[:, 0]},
            r"loss_grad must return an array of the logits' shape \(2, 2\); got shape \(2,\)",
        ),
        (*TWO, {"l2": -0.1}, r"l2 must be a finite non-negative number; got -0.1"),
        (*TWO, {"max_iter": 0}, r"max_iter must be a positive integer; got 0"),
        ([0.0, 1.0], [0, 1], {}, r"X must be 2-D; got shape \(2,\)"),
        ([[0.0], [np.nan]], [0, 1], {}, r"X must not contain NaN"),
        (TWO[0], [0, 1, 1], {}, r"X and y must have the same number of samples; got 2 and 3"),
        (TWO[0], [0, 2], {"n_classes": 2}, r"y must be integers in \[0, 1\]; got 2"),
        (TWO[0], [0, 0], {}, r"y must have at least 2 classes; got 1"),
        (TWO[0], [[0.5, 0.5], [0.2, 0.8]], {"n_classes": 3}, r"y has 2 columns but n_classes is 3"),
        (TWO[0], [[0.5, 0.6], [0.2, 0.8]], {}, r"y must sum to 1 along axis 1"),
        (
            *TWO,
            _pair(FOCAL, FOCAL_GRAD, alpha=[0.5, 0.2, 0.3]),
            r"alpha must be a scalar or have one weight per class \(2\)",
        ),
        (
            *TWO,
            _pair(FOCAL, FOCAL_GRAD, gamma=-1),
            r"gamma must be a finite non-negative number; got -1",
        ),
        (
            *TWO,
            _pair(CE, CE_GRAD, label_smoothing=1.5),
            r"label_smoothing must be in \[0, 1\]; got 1.5",
        ),
    ],
)
def test_errors(X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_softmax_regression(X, y, **kwargs)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"loss": "focal", "loss_grad": CE_GRAD},
            TypeError,
            r"loss must be a function of \(y, logits\); got 'focal'",
        ),
        (
            {"loss": CE, "loss_grad": None, "hidden": 2},
            ValueError,
            "loss was given without loss_grad",
        ),
        ({"hidden": 0}, ValueError, r"hidden must be a positive integer; got 0"),
        ({"hidden": 2.5}, TypeError, r"hidden must be a positive integer; got 2.5"),
        (
            {"hidden": 2, "max_iter": 1.0},
            TypeError,
            r"max_iter must be a positive integer; got 1.0",
        ),
    ],
)
def test_mlp_errors(kwargs, error, match):
    kwargs = {"hidden": 3, **kwargs}
    with pytest.raises(error, match=match):
        fit_mlp(*TWO, **kwargs)


def test_mlp_needs_hidden():
    with pytest.raises(TypeError, match="hidden"):
        fit_mlp(*TWO)


def test_predict_checks_the_number_of_features():
    model = fit_softmax_regression(*TWO)
    with pytest.raises(ValueError, match=r"X must have 1 features; got 2"):
        model.predict([[0.0, 1.0]])


# --- mlp_loss_and_gradients: backpropagation from scratch (chapter "MNIST") ---


def _problem(seed=0, n=7, d=5, h=4, c=3):
    rng = np.random.default_rng(seed)
    params = [
        rng.normal(size=(d, h)),
        rng.normal(size=h),
        rng.normal(size=(h, c)),
        rng.normal(size=c),
    ]
    return params, rng.normal(size=(n, d)), rng.integers(0, c, size=n)


@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_gradients_match_central_finite_differences(alpha):
    params, X, y = _problem()
    _, grads = mlp_loss_and_gradients(params, X, y, alpha=alpha)
    step = 1e-6
    for k, p in enumerate(params):
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            plus = [q.copy() for q in params]
            minus = [q.copy() for q in params]
            plus[k][idx] += step
            minus[k][idx] -= step
            numeric[idx] = (
                mlp_loss_and_gradients(plus, X, y, alpha=alpha)[0]
                - mlp_loss_and_gradients(minus, X, y, alpha=alpha)[0]
            ) / (2 * step)
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-6, atol=1e-8)


def test_loss_is_mean_cross_entropy_plus_l2_over_batch_size():
    params, X, y = _problem(seed=1)
    W1, b1, W2, b2 = params
    Z = np.maximum(X @ W1 + b1, 0) @ W2 + b2
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(P[np.arange(len(y)), y])) + 0.3 / (2 * len(y)) * (
        np.sum(W1**2) + np.sum(W2**2)
    )
    loss, _ = mlp_loss_and_gradients(params, X, y, alpha=0.3)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_zero_weights_give_a_uniform_guess():
    params = [np.zeros((3, 2)), np.zeros(2), np.zeros((2, 4)), np.zeros(4)]
    loss, grads = mlp_loss_and_gradients(params, np.ones((2, 3)), [0, 3])
    assert loss == pytest.approx(np.log(4))  # ln C, worked out by hand
    # delta at the output is (p - y) / B with p = 1/4 everywhere
    np.testing.assert_allclose(grads[3], [(0.25 - 0.5)] + [0.25] * 2 + [0.25 - 0.5])


def test_plain_minibatch_sgd_reproduces_scikit_learn_exactly():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 6)), rng.integers(0, 3, size=50)
    sk = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.05,
        alpha=0.01,
        batch_size=16,
        shuffle=False,
        max_iter=1,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        sk.fit(X, y)  # one epoch, then continue from these weights
    params = [
        sk.coefs_[0].copy(),
        sk.intercepts_[0].copy(),
        sk.coefs_[1].copy(),
        sk.intercepts_[1].copy(),
    ]
    losses = []
    for _ in range(2):
        batch_losses = []
        for start in range(0, len(y), 16):
            batch = slice(start, start + 16)
            loss, grads = mlp_loss_and_gradients(params, X[batch], y[batch], alpha=0.01)
            params = [p - 0.05 * g for p, g in zip(params, grads)]
            batch_losses.append(loss * len(y[batch]))
        losses.append(sum(batch_losses) / len(y))
    sk.set_params(warm_start=True, max_iter=2)
    with pytest.warns(ConvergenceWarning):
        sk.fit(X, y)
    ours = params
    theirs = [sk.coefs_[0], sk.intercepts_[0], sk.coefs_[1], sk.intercepts_[1]]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(losses, sk.loss_curve_[1:], rtol=1e-12)


def test_accepts_lists_and_returns_float64_arrays():
    params, X, y = _problem(seed=3)
    loss, grads = mlp_loss_and_gradients([p.tolist() for p in params], X.tolist(), y.tolist())
    ref_loss, ref_grads = mlp_loss_and_gradients(params, X, y)
    assert isinstance(loss, float) and loss == ref_loss
    for g, r, p in zip(grads, ref_grads, params):
        assert g.shape == p.shape and g.dtype == np.float64
        np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p, X, y: (p[:3], X, y), r"params must be \(W1, b1, W2, b2\); got 3"),
        (lambda p, X, y: ([p[0], p[1][:2], p[2], p[3]], X, y), "b1 has shape"),
        (lambda p, X, y: ([p[0], p[1], p[2][:2], p[3]], X, y), "W2"),
        (lambda p, X, y: (p[:3] + [p[3][:2]], X, y), "b2 has shape"),
        (lambda p, X, y: (p, X[:, :2], y), "X must have 5 columns"),
        (lambda p, X, y: (p, X[0], y), "X must be 2-D"),
        (lambda p, X, y: (p, X, y[:3]), "same number of samples"),
        (lambda p, X, y: (p, X, y + 3), r"y must be integers in \[0, 2\]"),
        (lambda p, X, y: (p, X, y[:, None]), "y must be 1-D"),
    ],
)
def test_bad_input_raises_a_clear_error(change, message):
    params, X, y = _problem()
    with pytest.raises(ValueError, match=message):
        mlp_loss_and_gradients(*change(params, X, y))


def test_negative_alpha_is_refused():
    params, X, y = _problem()
    with pytest.raises(ValueError, match="alpha must be a finite non-negative"):
        mlp_loss_and_gradients(params, X, y, alpha=-1.0)


def test_no_warning_for_large_logits():
    params, X, y = _problem()
    params[2] = params[2] * 1e3  # logits of order 1e3: softmax must not overflow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = mlp_loss_and_gradients(params, X, y)
    assert np.isfinite(loss) and all(np.all(np.isfinite(g)) for g in grads)


def test_a_gradient_with_other_options_is_refused():
    # the same loss family, but gamma differs between the loss and its gradient
    with pytest.raises(ValueError, match="loss_grad is not the gradient of loss"):
        fit_softmax_regression(
            *_blobs(), loss=partial(FOCAL, gamma=2.0), loss_grad=partial(FOCAL_GRAD, gamma=1.0)
        )


def test_inputs_as_lists_and_float32_give_the_float64_model():
    X, y = _blobs(seed=7)
    reference = fit_softmax_regression(X, y)
    from_lists = fit_softmax_regression(X.tolist(), y.tolist())
    from_float32 = fit_softmax_regression(X.astype(np.float32), y)
    np.testing.assert_array_equal(from_lists.params[0], reference.params[0])
    assert from_float32.params[0].dtype == np.float64
    np.testing.assert_allclose(from_float32.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_mlp_objective_matches_a_direct_computation():
    # J = mean CE of tanh-network logits + l2/2 (||W1||^2 + ||W2||^2), by hand
    rng = np.random.default_rng(8)
    shapes = [p.shape for p in _initial_params(3, 4, 5, rng)]
    theta = rng.normal(size=sum(int(np.prod(s)) for s in shapes))
    W1 = theta[:15].reshape(3, 5)
    b1, W2, b2 = theta[15:20], theta[20:40].reshape(5, 4), theta[40:]
    Z = np.tanh(X_SMALL @ W1 + b1) @ W2 + b2
    logq = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    expected = -logq[np.arange(12), Y_SMALL].mean() + 0.15 * (np.sum(W1**2) + np.sum(W2**2))
    value, _ = _objective(theta, X_SMALL, Y_SMALL, shapes, CE, CE_GRAD, 0.3)
    assert value == pytest.approx(expected, rel=1e-12)
