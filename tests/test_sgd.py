"""Backpropagation from scratch (chapter "MNIST"): ``mlp_loss_and_gradients``.

References: central finite differences of the loss, and scikit-learn's
``MLPClassifier``, whose plain-SGD run (no momentum, no shuffling) must follow
exactly the weights of our minibatch loop.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from lecture_code import mlp_loss_and_gradients


def _problem(seed=0, n=7, d=5, h=4, c=3):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(d, h)), rng.normal(size=h),
              rng.normal(size=(h, c)), rng.normal(size=c)]
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
            numeric[idx] = (mlp_loss_and_gradients(plus, X, y, alpha=alpha)[0]
                            - mlp_loss_and_gradients(minus, X, y, alpha=alpha)[0]
                            ) / (2 * step)
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-6, atol=1e-8)


def test_loss_is_mean_cross_entropy_plus_l2_over_batch_size():
    params, X, y = _problem(seed=1)
    W1, b1, W2, b2 = params
    Z = np.maximum(X @ W1 + b1, 0) @ W2 + b2
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    expected = (-np.mean(np.log(P[np.arange(len(y)), y]))
                + 0.3 / (2 * len(y)) * (np.sum(W1**2) + np.sum(W2**2)))
    loss, _ = mlp_loss_and_gradients(params, X, y, alpha=0.3)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_zero_weights_give_a_uniform_guess():
    params = [np.zeros((3, 2)), np.zeros(2), np.zeros((2, 4)), np.zeros(4)]
    loss, grads = mlp_loss_and_gradients(params, np.ones((2, 3)), [0, 3])
    assert loss == pytest.approx(np.log(4))  # ln C, worked out by hand
    # delta at the output is (p - y) / B with p = 1/4 everywhere
    np.testing.assert_allclose(grads[3], [(0.25 - 0.5)] + [0.25] * 2
                               + [0.25 - 0.5])


def test_plain_minibatch_sgd_reproduces_scikit_learn_exactly():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 6)), rng.integers(0, 3, size=50)
    sk = MLPClassifier(hidden_layer_sizes=(4,), solver="sgd", momentum=0.0,
                       learning_rate_init=0.05, alpha=0.01, batch_size=16,
                       shuffle=False, max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        sk.fit(X, y)  # one epoch, then continue from these weights
    params = [sk.coefs_[0].copy(), sk.intercepts_[0].copy(),
              sk.coefs_[1].copy(), sk.intercepts_[1].copy()]
    losses = []
    for _ in range(2):
        batch_losses = []
        for start in range(0, len(y), 16):
            batch = slice(start, start + 16)
            loss, grads = mlp_loss_and_gradients(params, X[batch], y[batch],
                                                 alpha=0.01)
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
    loss, grads = mlp_loss_and_gradients([p.tolist() for p in params],
                                         X.tolist(), y.tolist())
    ref_loss, ref_grads = mlp_loss_and_gradients(params, X, y)
    assert isinstance(loss, float) and loss == ref_loss
    for g, r, p in zip(grads, ref_grads, params):
        assert g.shape == p.shape and g.dtype == np.float64
        np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize("change, message", [
    (lambda p, X, y: (p[:3], X, y), r"params must be \(W1, b1, W2, b2\); got 3"),
    (lambda p, X, y: ([p[0], p[1][:2], p[2], p[3]], X, y), "b1 has shape"),
    (lambda p, X, y: ([p[0], p[1], p[2][:2], p[3]], X, y), "W2"),
    (lambda p, X, y: (p[:3] + [p[3][:2]], X, y), "b2 has shape"),
    (lambda p, X, y: (p, X[:, :2], y), "X must have 5 columns"),
    (lambda p, X, y: (p, X[0], y), "X must be 2-D"),
    (lambda p, X, y: (p, X, y[:3]), "same number of samples"),
    (lambda p, X, y: (p, X, y + 3), r"y must be integers in \[0, 2\]"),
    (lambda p, X, y: (p, X, y[:, None]), "y must be 1-D"),
])
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
