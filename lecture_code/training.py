r"""A small, readable trainer: softmax regression with the book's losses.

Scikit-learn's classifiers do not take a custom loss, so chapters "Label
smoothing" and "Focal loss" train their models here. The model is softmax
regression (logits :math:`Z = XW + b`) or, with ``hidden=H``, one hidden
layer of :math:`H` tanh units (:math:`Z = \tanh(XW_1 + b_1)W_2 + b_2`). The
objective is the mean loss plus an L2 penalty on the weights (not the biases),

.. math:: J(\theta) = \frac{1}{N} \sum_{i=1}^{N} \ell(y_i, z_i)
          + \frac{\lambda}{2} \sum_{W} \lVert W \rVert^2 ,

minimised by L-BFGS (:func:`scipy.optimize.minimize`) with the analytic
gradient. The loss and its gradient with respect to the logits come from
:mod:`lecture_code.losses`; this module only adds the chain rule through the
layers. Everything is deterministic: the linear model starts at zero, the
hidden layer from ``random_state``.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from ._validation import (
    _as_float_array,
    _check_labels,
    _check_n_classes,
    _check_ndim,
    _check_nonnegative,
    _check_positive_int,
    _check_probabilities,
    _check_same_length,
    _check_scalar_unit_interval,
)
from .activations import softmax
from .focal import softmax_focal_loss, softmax_focal_loss_grad
from .losses import softmax_cross_entropy, softmax_cross_entropy_grad

__all__ = ["SoftmaxClassifier", "fit_softmax_regression", "mlp_loss_and_gradients"]

_LOSSES = ("cross_entropy", "focal")


@dataclass(frozen=True)
class SoftmaxClassifier:
    """A fitted classifier, as returned by :func:`fit_softmax_regression`.

    Attributes
    ----------
    params : tuple of ndarray
        ``(W, b)`` for softmax regression, ``(W1, b1, W2, b2)`` with a hidden
        layer.
    loss_curve : ndarray
        The objective (mean loss + L2 penalty, in nats) at the start and after
        every L-BFGS iteration.
    n_iter : int
        Number of L-BFGS iterations.
    converged : bool
        Whether L-BFGS met its tolerance before ``max_iter``.

    Introduced in chapter "Label smoothing".
    """

    params: tuple
    loss_curve: np.ndarray
    n_iter: int
    converged: bool

    def decision_function(self, X):
        """Logits of shape (N, C) for the samples ``X`` of shape (N, D)."""
        X = _as_float_array(X, "X").astype(np.float64, copy=False)
        _check_ndim(X, 2, "X")
        if X.shape[1] != self.params[0].shape[0]:
            raise ValueError(
                f"X must have {self.params[0].shape[0]} features; got {X.shape[1]}"
            )
        return _forward(self.params, X)[0]

    def predict_proba(self, X):
        """Predicted class probabilities, shape (N, C), rows summing to 1."""
        return softmax(self.decision_function(X), axis=1)

    def predict(self, X):
        """Predicted class labels (the arg-max of the probabilities), shape (N,)."""
        return np.argmax(self.decision_function(X), axis=1)


def _forward(params, X):
    """Logits of the network, and the hidden activations (None without a layer)."""
    if len(params) == 2:
        W, b = params
        return X @ W + b, None
    W1, b1, W2, b2 = params
    H = np.tanh(X @ W1 + b1)
    return H @ W2 + b2, H


def _backward(params, X, H, G):
    """Chain rule: gradients of the parameters from G = dLoss/dLogits."""
    if len(params) == 2:
        return [X.T @ G, G.sum(axis=0)]
    _, _, W2, _ = params
    A = (G @ W2.T) * (1.0 - H**2)  # back through tanh: tanh' = 1 - tanh^2
    return [X.T @ A, A.sum(axis=0), H.T @ G, G.sum(axis=0)]


def _unpack(theta, shapes):
    """Split the flat parameter vector of L-BFGS into arrays of ``shapes``."""
    params, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        params.append(theta[start:start + size].reshape(shape))
        start += size
    return tuple(params)


def _initial_params(n_features, n_classes, hidden, rng):
    """Zeros for softmax regression; small random weights for a hidden layer."""
    if hidden is None:
        return (np.zeros((n_features, n_classes)), np.zeros(n_classes))
    return (
        rng.normal(scale=1.0 / np.sqrt(n_features), size=(n_features, hidden)),
        np.zeros(hidden),
        rng.normal(scale=1.0 / np.sqrt(hidden), size=(hidden, n_classes)),
        np.zeros(n_classes),
    )


def _loss_functions(loss, label_smoothing, gamma, alpha, class_weight):
    """The chosen loss of the logits and its gradient (mean over samples)."""
    if loss == "cross_entropy":
        kwargs = dict(label_smoothing=label_smoothing, class_weight=class_weight)
        return (
            lambda Y, Z: softmax_cross_entropy(Y, Z, **kwargs),
            lambda Y, Z: softmax_cross_entropy_grad(Y, Z, **kwargs),
        )
    return (
        lambda Y, Z: softmax_focal_loss(Y, Z, gamma=gamma, alpha=alpha),
        lambda Y, Z: softmax_focal_loss_grad(Y, Z, gamma=gamma, alpha=alpha),
    )


def _objective(theta, X, Y, shapes, loss_fn, grad_fn, l2):
    """Objective J and its gradient at the flat parameter vector ``theta``.

    The tests check this gradient against central finite differences.
    """
    params = _unpack(theta, shapes)
    Z, H = _forward(params, X)
    G = grad_fn(Y, Z)
    grads = _backward(params, X, H, G)
    value = loss_fn(Y, Z)
    for k in range(0, len(params), 2):  # weights only, not biases
        value += 0.5 * l2 * np.sum(params[k] ** 2)
        grads[k] = grads[k] + l2 * params[k]
    return value, np.concatenate([g.ravel() for g in grads])


def fit_softmax_regression(
    X,
    y,
    *,
    loss="cross_entropy",
    label_smoothing=0.0,
    gamma=2.0,
    alpha=None,
    class_weight=None,
    l2=1e-3,
    hidden=None,
    n_classes=None,
    max_iter=300,
    random_state=0,
):
    r"""Fit a softmax-regression (or one-hidden-layer) classifier with L-BFGS.

    .. math:: \min_\theta \; \frac{1}{N}\sum_{i=1}^{N} \ell(y_i, z_i(\theta))
              + \frac{\lambda}{2}\sum_W \lVert W\rVert^2,
              \qquad \frac{\partial J}{\partial W} = X^\top G + \lambda W,
              \quad G = \frac{\partial}{\partial Z}\frac{1}{N}\sum_i \ell_i

    where :math:`\ell` is :func:`~lecture_code.softmax_cross_entropy` (with
    ``label_smoothing`` and ``class_weight``) or
    :func:`~lecture_code.softmax_focal_loss` (the focal loss of the softmax,
    computed from the logits), and :math:`G` comes from
    :func:`~lecture_code.softmax_cross_entropy_grad` or
    :func:`~lecture_code.softmax_focal_loss_grad`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Features (standardise them first).
    y : array_like of shape (N,) or (N, C)
        Integer labels, or probability rows (soft targets, e.g. a teacher's
        predictions).
    loss : {'cross_entropy', 'focal'}, default 'cross_entropy'
    label_smoothing : float, default 0.0
        Smoothing strength in [0, 1] (cross-entropy only).
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0` (focal only).
    alpha : float or array_like of shape (C,), optional
        Focal loss class weights :math:`\alpha_c` (focal only).
    class_weight : array_like of shape (C,), optional
        Class weights of the cross-entropy (cross-entropy only).
    l2 : float, default 1e-3
        L2 penalty :math:`\lambda \ge 0` on the weights.
    hidden : int, optional
        Number of tanh units of one hidden layer; ``None`` for softmax
        regression.
    n_classes : int, optional
        Number of classes; default ``max(y) + 1`` (or the columns of ``y``).
    max_iter : int, default 300
        Maximum number of L-BFGS iterations.
    random_state : int, default 0
        Seed of the hidden layer's initial weights (softmax regression starts
        at zero and does not use it).

    Returns
    -------
    SoftmaxClassifier
        With ``predict_proba``, ``predict``, ``loss_curve``.

    Raises
    ------
    ValueError
        For an unknown ``loss``, an option that does not belong to the chosen
        loss, out-of-range ``label_smoothing``/``gamma``/``l2``/``hidden``/
        ``max_iter``, or ``X`` and ``y`` that are not 2-D features and
        matching labels.

    Examples
    --------
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> model = fit_softmax_regression(X, [0, 0, 1, 1], l2=0.1)
    >>> model.predict(X)
    array([0, 0, 1, 1])
    >>> bool(model.loss_curve[-1] < model.loss_curve[0])  # it went downhill
    True

    Introduced in chapter "Label smoothing".
    """
    if loss not in _LOSSES:
        raise ValueError(f"loss must be 'cross_entropy' or 'focal'; got {loss!r}")
    label_smoothing = _check_scalar_unit_interval(label_smoothing, "label_smoothing")
    gamma = _check_nonnegative(gamma, "gamma")
    l2 = _check_nonnegative(l2, "l2")
    if loss == "focal" and (label_smoothing != 0.0 or class_weight is not None):
        raise ValueError(
            "label_smoothing and class_weight apply to loss='cross_entropy'; "
            "use alpha for class weights with loss='focal'"
        )
    if loss == "cross_entropy" and alpha is not None:
        raise ValueError("alpha applies to loss='focal'; use class_weight instead")
    max_iter = _check_positive_int(max_iter, "max_iter")
    if hidden is not None:
        hidden = _check_positive_int(hidden, "hidden")
    if n_classes is not None:
        n_classes = _check_n_classes(n_classes)
    X = _as_float_array(X, "X").astype(np.float64, copy=False)
    _check_ndim(X, 2, "X")
    Y, n_classes = _check_targets(y, n_classes)
    _check_same_length(X, Y, ("X", "y"))

    rng = np.random.default_rng(random_state)
    params = _initial_params(X.shape[1], n_classes, hidden, rng)
    shapes = [p.shape for p in params]
    loss_fn, grad_fn = _loss_functions(loss, label_smoothing, gamma, alpha, class_weight)
    args = (X, Y, shapes, loss_fn, grad_fn, l2)
    theta0 = np.concatenate([p.ravel() for p in params])
    # The matrices are small: one BLAS thread is faster than several (and
    # much faster on a busy machine), and makes the result reproducible.
    with threadpool_limits(limits=1, user_api="blas"):
        curve = [_objective(theta0, *args)[0]]
        result = minimize(
            _objective, theta0, args=args, jac=True, method="L-BFGS-B",
            options={"maxiter": max_iter},
            callback=lambda intermediate_result: curve.append(intermediate_result.fun),
        )
    return SoftmaxClassifier(
        params=_unpack(result.x, shapes),
        loss_curve=np.array(curve),
        n_iter=int(result.nit),
        converged=bool(result.success),
    )


def mlp_loss_and_gradients(params, X, y, *, alpha=0.0):
    r"""Loss and gradients of a one-hidden-layer ReLU network: backpropagation.

    The network of scikit-learn's ``MLPClassifier(hidden_layer_sizes=(H,))``.
    Forward pass, for a minibatch of :math:`B` images (rows of :math:`X`):

    .. math:: A = XW_1 + b_1, \qquad H = \max(A, 0), \qquad
              P = \operatorname{softmax}(HW_2 + b_2),

    .. math:: J = -\frac{1}{B}\sum_{i=1}^{B} \log P_{i, y_i}
              + \frac{\alpha}{2B}\left(\lVert W_1\rVert^2 + \lVert W_2\rVert^2
              \right)

    (the L2 term divided by the batch size, as ``MLPClassifier`` does).
    Backward pass, the chain rule from the output back, with the one-hot
    targets :math:`Y`:

    .. math:: \Delta_2 = \frac{P - Y}{B}, \qquad
              \nabla_{W_2} J = H^\top \Delta_2 + \frac{\alpha}{B} W_2, \qquad
              \nabla_{b_2} J = \mathbf{1}^\top \Delta_2,

    .. math:: \Delta_1 = (\Delta_2 W_2^\top) \odot [A > 0], \qquad
              \nabla_{W_1} J = X^\top \Delta_1 + \frac{\alpha}{B} W_1, \qquad
              \nabla_{b_1} J = \mathbf{1}^\top \Delta_1 .

    :math:`P - Y` is the gradient of the softmax cross-entropy with respect to
    the logits (chapter "Cross-entropy"); :math:`[A > 0]` is the derivative of
    the ReLU.

    Parameters
    ----------
    params : sequence of 4 array_like
        ``(W1, b1, W2, b2)`` of shapes (D, H), (H,), (H, C), (C,).
    X : array_like of shape (B, D)
        The minibatch.
    y : array_like of shape (B,)
        Integer labels in ``[0, C - 1]``.
    alpha : float, default 0.0
        L2 penalty :math:`\alpha \ge 0` on the weights (not the biases).

    Returns
    -------
    loss : float
        :math:`J`, in nats.
    grads : list of ndarray
        The gradients of :math:`J` with respect to ``W1, b1, W2, b2``.

    Raises
    ------
    ValueError
        If ``params`` is not four arrays of matching shapes, ``X`` is not 2-D
        with ``D`` columns, ``y`` does not hold one label in ``[0, C - 1]``
        per row of ``X``, or ``alpha`` is negative.

    Examples
    --------
    >>> params = [np.zeros((2, 3)), np.zeros(3), np.zeros((3, 2)), np.zeros(2)]
    >>> loss, grads = mlp_loss_and_gradients(params, np.ones((1, 2)), [0])
    >>> bool(np.isclose(loss, np.log(2)))  # zero weights: a uniform guess
    True

    Introduced in chapter "MNIST".
    """
    W1, b1, W2, b2 = _check_mlp_params(params)
    X = _as_float_array(X, "X")
    _check_ndim(X, 2, "X")
    if X.shape[1] != W1.shape[0]:
        raise ValueError(f"X must have {W1.shape[0]} columns (the rows of W1); "
                         f"got {X.shape[1]}")
    y = _check_labels(y, "y", W2.shape[1])
    _check_ndim(y, 1, "y")
    _check_same_length(X, y, ("X", "y"))
    alpha = _check_nonnegative(alpha, "alpha")
    B = len(y)
    A = X @ W1 + b1                      # forward: hidden pre-activations
    H = np.maximum(A, 0.0)               # ReLU
    Z = H @ W2 + b2                      # logits
    penalty = alpha / (2 * B) * (np.sum(W1**2) + np.sum(W2**2))
    loss = float(softmax_cross_entropy(y, Z)) + penalty
    Y = np.zeros_like(Z)
    Y[np.arange(B), y] = 1.0             # one-hot targets
    D2 = (softmax(Z, axis=1) - Y) / B    # backward: delta at the output, p - y
    D1 = (D2 @ W2.T) * (A > 0)           # chain rule through W2 and the ReLU
    grads = [X.T @ D1 + alpha / B * W1, D1.sum(axis=0),
             H.T @ D2 + alpha / B * W2, D2.sum(axis=0)]
    return loss, grads


def _check_mlp_params(params):
    """``(W1, b1, W2, b2)`` as float arrays of matching shapes, or ValueError."""
    if len(params) != 4:
        raise ValueError(f"params must be (W1, b1, W2, b2); got {len(params)} arrays")
    names = ("W1", "b1", "W2", "b2")
    W1, b1, W2, b2 = (_as_float_array(p, n) for p, n in zip(params, names))
    for arr, name, ndim in zip((W1, b1, W2, b2), names, (2, 1, 2, 1)):
        _check_ndim(arr, ndim, name)
    if b1.shape[0] != W1.shape[1] or W2.shape[0] != W1.shape[1]:
        raise ValueError(f"W1 has {W1.shape[1]} hidden units but b1 has shape "
                         f"{b1.shape} and W2 {W2.shape}")
    if b2.shape[0] != W2.shape[1]:
        raise ValueError(f"W2 has {W2.shape[1]} classes but b2 has shape {b2.shape}")
    return W1, b1, W2, b2


def _check_targets(y, n_classes):
    """Training targets: labels (N,) or probability rows (N, C), C >= 2.

    Returns the checked targets and C (``max(y) + 1`` for labels unless
    ``n_classes`` is given).
    """
    y_arr = np.asarray(y)
    if y_arr.ndim == 2:
        Y = _check_probabilities(y_arr, "y", axis=1)
        if n_classes is not None and Y.shape[1] != n_classes:
            raise ValueError(f"y has {Y.shape[1]} columns but n_classes is {n_classes}")
        n_classes = Y.shape[1]
    else:
        Y = _check_labels(y_arr, "y", n_classes)
        _check_ndim(Y, 1, "y")
        if n_classes is None:
            n_classes = int(Y.max()) + 1 if Y.size else 1
    if n_classes < 2:
        raise ValueError(f"y must have at least 2 classes; got {n_classes}")
    return Y, n_classes
