r"""A small, readable trainer: softmax regression and a small MLP, any loss.

Scikit-learn's classifiers do not take a custom loss, so chapters "Label
smoothing" and "Focal loss" train their models here.
:func:`fit_softmax_regression` fits logits :math:`Z = XW + b`;
:func:`fit_mlp` fits one hidden layer of :math:`H` tanh units,
:math:`Z = \tanh(XW_1 + b_1)W_2 + b_2`. Both minimise the mean loss plus an
L2 penalty on the weights (not the biases),

.. math:: J(\theta) = \frac{1}{N} \sum_{i=1}^{N} \ell(y_i, z_i)
          + \frac{\lambda}{2} \sum_{W} \lVert W \rVert^2 ,

by L-BFGS (:func:`scipy.optimize.minimize`) with the analytic gradient. The
loss and its gradient with respect to the logits are passed in as two
functions (by default :func:`~lecture_code.softmax_cross_entropy` and
:func:`~lecture_code.softmax_cross_entropy_grad`); this module only adds the
chain rule through the layers. Everything is deterministic: the linear model
starts at zero, the hidden layer from ``random_state``.

:func:`mlp_loss_and_gradients` is backpropagation written out for the ReLU
network of scikit-learn's ``MLPClassifier`` (chapter "MNIST").
"""

from dataclasses import dataclass
from functools import partial

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
)
from .activations import softmax
from .losses import softmax_cross_entropy, softmax_cross_entropy_grad

__all__ = [
    "SoftmaxClassifier",
    "fit_mlp",
    "fit_softmax_regression",
    "loss_pair",
    "mlp_loss_and_gradients",
]


@dataclass(frozen=True)
class SoftmaxClassifier:
    """A fitted classifier, as returned by :func:`fit_softmax_regression` or
    :func:`fit_mlp`.

    Attributes
    ----------
    params : tuple of ndarray
        ``(W, b)`` for softmax regression, ``(W1, b1, W2, b2)`` for the MLP.
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
        """Logits of shape (N, K) for the samples ``X`` of shape (N, D)."""
        X = _as_float_array(X, "X").astype(np.float64, copy=False)
        _check_ndim(X, 2, "X")
        if X.shape[1] != self.params[0].shape[0]:
            raise ValueError(f"X must have {self.params[0].shape[0]} features; got {X.shape[1]}")
        return _forward(self.params, X)[0]

    def predict_proba(self, X):
        """Predicted class probabilities, shape (N, K), rows summing to 1."""
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
        params.append(theta[start : start + size].reshape(shape))
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


def _check_targets(y, n_classes):
    """Training targets: labels (N,) or probability rows (N, K), K >= 2.

    Returns the checked targets and K (``max(y) + 1`` for labels unless
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


def _check_loss(loss, loss_grad):
    """The loss and its gradient as a pair of callables (cross-entropy by default).

    Either both are given or neither: a loss with another loss's gradient
    would train silently on the wrong objective.
    """
    if loss is None and loss_grad is None:
        return softmax_cross_entropy, softmax_cross_entropy_grad
    if loss is None or loss_grad is None:
        given, missing = ("loss", "loss_grad") if loss_grad is None else ("loss_grad", "loss")
        raise ValueError(
            f"{given} was given without {missing}; pass both (a loss and "
            "the gradient of its mean with respect to the logits)"
        )
    for fn, name in ((loss, "loss"), (loss_grad, "loss_grad")):
        if not callable(fn):
            raise TypeError(f"{name} must be a function of (y, logits); got {fn!r}")
    return loss, loss_grad


def _check_loss_pair_agrees(loss, loss_grad, Y, n_classes, rng):
    r"""Check the pair on a few rows: a scalar mean loss, and a gradient that
    matches its central finite difference along one random direction.

    .. math:: \frac{J(Z + hD) - J(Z - hD)}{2h} \approx \langle G(Z), D \rangle
    """
    rows = Y[:64]
    Z = rng.normal(size=(len(rows), n_classes))
    value = loss(rows, Z)
    if np.ndim(value) != 0:
        raise ValueError(
            "loss must return the mean loss over the samples (a scalar); "
            f"got shape {np.shape(value)}"
        )
    G = np.asarray(loss_grad(rows, Z), dtype=np.float64)
    if G.shape != Z.shape:
        raise ValueError(
            f"loss_grad must return an array of the logits' shape {Z.shape}; got shape {G.shape}"
        )
    D = rng.normal(size=Z.shape)
    h = 1e-5
    numeric = (float(loss(rows, Z + h * D)) - float(loss(rows, Z - h * D))) / (2 * h)
    analytic = float(np.sum(G * D))
    if not abs(numeric - analytic) <= 1e-5 * (abs(numeric) + abs(analytic)) + 1e-7:
        raise ValueError(
            "loss_grad is not the gradient of loss: along a random direction the "
            f"finite difference of loss is {numeric:.6g}, loss_grad gives {analytic:.6g}"
        )


def _objective(theta, X, Y, shapes, loss_fn, grad_fn, l2):
    """Objective J and its gradient at the flat parameter vector ``theta``.

    The tests check this gradient against central finite differences.
    """
    params = _unpack(theta, shapes)
    Z, H = _forward(params, X)
    G = grad_fn(Y, Z)
    grads = _backward(params, X, H, G)
    value = float(loss_fn(Y, Z))
    for k in range(0, len(params), 2):  # weights only, not biases
        value += 0.5 * l2 * np.sum(params[k] ** 2)
        grads[k] = grads[k] + l2 * params[k]
    return value, np.concatenate([g.ravel() for g in grads])


def _fit(X, y, loss, loss_grad, l2, hidden, n_classes, max_iter, random_state):
    """Check the arguments, then minimise J by L-BFGS from the initial parameters."""
    loss, loss_grad = _check_loss(loss, loss_grad)
    l2 = _check_nonnegative(l2, "l2")
    max_iter = _check_positive_int(max_iter, "max_iter")
    if n_classes is not None:
        n_classes = _check_n_classes(n_classes)
    X = _as_float_array(X, "X").astype(np.float64, copy=False)
    _check_ndim(X, 2, "X")
    Y, n_classes = _check_targets(y, n_classes)
    _check_same_length(X, Y, ("X", "y"))
    _check_loss_pair_agrees(loss, loss_grad, Y, n_classes, np.random.default_rng(0))

    params = _initial_params(X.shape[1], n_classes, hidden, np.random.default_rng(random_state))
    shapes = [p.shape for p in params]
    args = (X, Y, shapes, loss, loss_grad, l2)
    theta0 = np.concatenate([p.ravel() for p in params])
    # Small matrices: one BLAS thread is faster here and makes the result reproducible.
    with threadpool_limits(limits=1, user_api="blas"):
        curve = [_objective(theta0, *args)[0]]
        result = minimize(
            _objective,
            theta0,
            args=args,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter},
            callback=lambda intermediate_result: curve.append(intermediate_result.fun),
        )
    return SoftmaxClassifier(
        params=_unpack(result.x, shapes),
        loss_curve=np.array(curve),
        n_iter=int(result.nit),
        converged=bool(result.success),
    )


def loss_pair(loss, loss_grad, **options):
    """A loss and its gradient with the same options bound to both.

    A shorthand for the two keyword arguments of :func:`fit_softmax_regression`
    and :func:`fit_mlp`, so that an option cannot be given to one and
    forgotten on the other::

        loss_pair(softmax_focal_loss, softmax_focal_loss_grad, gamma=2.0)
        == dict(loss=partial(softmax_focal_loss, gamma=2.0),
                loss_grad=partial(softmax_focal_loss_grad, gamma=2.0))

    Parameters
    ----------
    loss, loss_grad : callable
        A loss of ``(y, logits)`` (the mean over the samples) and its gradient
        with respect to the logits.
    **options
        Keyword arguments of both, e.g. ``label_smoothing``, ``class_weight``,
        ``gamma``, ``alpha``.

    Returns
    -------
    dict
        ``{"loss": ..., "loss_grad": ...}``, to unpack into a fitter with ``**``.

    Raises
    ------
    TypeError
        If ``loss`` or ``loss_grad`` is not callable.

    Examples
    --------
    >>> from lecture_code import smooth_labels, softmax_cross_entropy_grad
    >>> pair = loss_pair(softmax_cross_entropy, softmax_cross_entropy_grad,
    ...                  label_smoothing=0.1)
    >>> sorted(pair)
    ['loss', 'loss_grad']
    >>> round(pair["loss"]([0], [[0.0, 0.0]]), 4)  # ln 2 whatever the target
    0.6931

    Introduced in chapter "Label smoothing".
    """
    for fn, name in ((loss, "loss"), (loss_grad, "loss_grad")):
        if not callable(fn):
            raise TypeError(f"{name} must be a function of (y, logits); got {fn!r}")
    return {"loss": partial(loss, **options), "loss_grad": partial(loss_grad, **options)}


def fit_softmax_regression(
    X, y, *, loss=None, loss_grad=None, l2=1e-3, n_classes=None, max_iter=300
):
    r"""Fit softmax regression with any differentiable loss of the logits (L-BFGS).

    .. math:: \min_{W, b} \; \frac{1}{N}\sum_{i=1}^{N} \ell(y_i, z_i)
              + \frac{\lambda}{2}\lVert W\rVert^2, \qquad z_i = W^\top x_i + b,

    .. math:: \nabla_W J = X^\top G + \lambda W, \qquad
              \nabla_b J = \mathbf{1}^\top G, \qquad
              G = \frac{\partial}{\partial Z}\,\frac{1}{N}\sum_i \ell_i
              \ (\text{from } \texttt{loss\_grad}).

    With the default cross-entropy this is scikit-learn's multinomial
    ``LogisticRegression(C=1 / (N * l2))``.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Features (standardise them first).
    y : array_like of shape (N,) or (N, K)
        Integer labels, or probability rows (soft targets, e.g. a teacher's
        predictions).
    loss : callable, optional
        ``loss(y, logits)``: the mean loss over the samples, in nats, with
        ``y`` as given (labels of shape (N,) or probability rows (N, K)) and
        ``logits`` of shape (N, K). Default
        :func:`~lecture_code.softmax_cross_entropy`. Options of a loss are
        bound with :func:`functools.partial`, or for both functions at once
        with :func:`loss_pair`.
    loss_grad : callable, optional
        ``loss_grad(y, logits)``: the gradient of that mean with respect to
        the logits, shape (N, K). Default
        :func:`~lecture_code.softmax_cross_entropy_grad`. Give ``loss`` and
        ``loss_grad`` together, with the same options; the pair is checked
        against a finite difference before training.
    l2 : float, default 1e-3
        L2 penalty :math:`\lambda \ge 0` on the weights.
    n_classes : int, optional
        Number of classes :math:`K`; default ``max(y) + 1`` (or the columns of
        ``y``).
    max_iter : int, default 300
        Maximum number of L-BFGS iterations.

    Returns
    -------
    SoftmaxClassifier
        With ``predict_proba``, ``predict``, ``loss_curve``.

    Raises
    ------
    ValueError
        If only one of ``loss`` and ``loss_grad`` is given, or they disagree
        (``loss_grad`` is not the gradient of ``loss``), ``l2`` is negative,
        or ``X`` and ``y`` are not 2-D features and matching labels.
    TypeError
        If ``loss`` or ``loss_grad`` is not callable, or ``max_iter`` is not
        an integer.

    Examples
    --------
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> model = fit_softmax_regression(X, [0, 0, 1, 1], l2=0.1)
    >>> model.predict(X)
    array([0, 0, 1, 1])
    >>> from lecture_code import softmax_focal_loss, softmax_focal_loss_grad
    >>> focal = fit_softmax_regression(
    ...     X, [0, 0, 1, 1], l2=0.1,
    ...     **loss_pair(softmax_focal_loss, softmax_focal_loss_grad, gamma=2.0))
    >>> bool(focal.loss_curve[-1] < focal.loss_curve[0])  # it went downhill
    True

    Introduced in chapter "Label smoothing".
    """
    return _fit(X, y, loss, loss_grad, l2, None, n_classes, max_iter, random_state=0)


def fit_mlp(
    X,
    y,
    *,
    hidden,
    loss=None,
    loss_grad=None,
    l2=1e-3,
    n_classes=None,
    max_iter=300,
    random_state=0,
):
    r"""Fit a network with one hidden layer of tanh units (L-BFGS), any loss.

    .. math:: Z = \tanh(XW_1 + b_1)\,W_2 + b_2, \qquad
              \min_\theta \; \frac{1}{N}\sum_{i=1}^{N} \ell(y_i, z_i)
              + \frac{\lambda}{2}\left(\lVert W_1\rVert^2 + \lVert W_2\rVert^2\right)

    The gradient is backpropagation: :math:`G` from ``loss_grad``, then
    :math:`\nabla_{W_2} J = H^\top G + \lambda W_2` and, through
    :math:`\tanh' = 1 - \tanh^2`, :math:`A = (G W_2^\top) \odot (1 - H^2)`,
    :math:`\nabla_{W_1} J = X^\top A + \lambda W_1`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Features (standardise them first).
    y : array_like of shape (N,) or (N, K)
        Integer labels, or probability rows.
    hidden : int
        Number :math:`H` of tanh units.
    loss : callable, optional
        ``loss(y, logits)``: the mean loss over the samples, in nats, with
        ``y`` as given (labels of shape (N,) or probability rows (N, K)) and
        ``logits`` of shape (N, K). Default
        :func:`~lecture_code.softmax_cross_entropy`. Options of a loss are
        bound with :func:`functools.partial`, or for both functions at once
        with :func:`loss_pair`.
    loss_grad : callable, optional
        ``loss_grad(y, logits)``: the gradient of that mean with respect to
        the logits, shape (N, K). Default
        :func:`~lecture_code.softmax_cross_entropy_grad`. Give ``loss`` and
        ``loss_grad`` together, with the same options; the pair is checked
        against a finite difference before training.
    l2 : float, default 1e-3
        L2 penalty :math:`\lambda \ge 0` on ``W1`` and ``W2`` (not the biases).
    n_classes : int, optional
        Number of classes :math:`K`; default ``max(y) + 1`` (or the columns of
        ``y``).
    max_iter : int, default 300
        Maximum number of L-BFGS iterations.
    random_state : int, default 0
        Seed of the initial weights (normal, scaled by
        :math:`1/\sqrt{\text{fan-in}}`; biases start at zero).

    Returns
    -------
    SoftmaxClassifier
        ``params`` is ``(W1, b1, W2, b2)``.

    Raises
    ------
    ValueError
        As :func:`fit_softmax_regression`, and for ``hidden < 1``.
    TypeError
        As :func:`fit_softmax_regression`, and for a ``hidden`` that is not an
        integer.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 5)
    >>> y = [0, 1, 1, 0] * 5                        # XOR: not linearly separable
    >>> fit_mlp(X, y, hidden=8, l2=1e-4, random_state=1).predict(X[:4])
    array([0, 1, 1, 0])

    Introduced in chapter "Label smoothing".
    """
    hidden = _check_positive_int(hidden, "hidden")
    return _fit(X, y, loss, loss_grad, l2, hidden, n_classes, max_iter, random_state)


def mlp_loss_and_gradients(params, X, y, *, alpha=0.0):
    r"""Loss and gradients of a one-hidden-layer ReLU network: backpropagation.

    The network of scikit-learn's ``MLPClassifier(hidden_layer_sizes=(H,))``.
    Forward pass, for a minibatch of :math:`B` images (rows of :math:`X`):

    .. math:: A = XW_1 + b_1, \qquad H = \max(A, 0), \qquad
              P = \operatorname{softmax}(HW_2 + b_2),

    .. math:: J = -\frac{1}{B}\sum_{i=1}^{B} \log P_{i, y_i}
              + \frac{\alpha}{2B}\left(\lVert W_1\rVert^2 + \lVert W_2\rVert^2
              \right)

    (the L2 term divided by the batch size, as ``MLPClassifier`` does: in the
    book's form :math:`\tfrac{\lambda}{2}\lVert W\rVert^2` on the mean loss,
    :math:`\alpha = B\lambda`, and :math:`\alpha = N\lambda` for a full batch).
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
        ``(W1, b1, W2, b2)`` of shapes (D, H), (H,), (H, K), (K,).
    X : array_like of shape (B, D)
        The minibatch.
    y : array_like of shape (B,)
        Integer labels in ``[0, K - 1]``.
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
        with ``D`` columns, ``y`` does not hold one label in ``[0, K - 1]``
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
        raise ValueError(f"X must have {W1.shape[0]} columns (the rows of W1); got {X.shape[1]}")
    y = _check_labels(y, "y", W2.shape[1])
    _check_ndim(y, 1, "y")
    _check_same_length(X, y, ("X", "y"))
    alpha = _check_nonnegative(alpha, "alpha")
    B = len(y)
    A = X @ W1 + b1  # forward: hidden pre-activations
    H = np.maximum(A, 0.0)  # ReLU
    Z = H @ W2 + b2  # logits
    penalty = alpha / (2 * B) * (np.sum(W1**2) + np.sum(W2**2))
    loss = float(softmax_cross_entropy(y, Z)) + penalty
    Y = np.zeros_like(Z)
    Y[np.arange(B), y] = 1.0  # one-hot targets
    D2 = (softmax(Z, axis=1) - Y) / B  # backward: delta at the output, p - y
    D1 = (D2 @ W2.T) * (A > 0)  # chain rule through W2 and the ReLU
    grads = [
        X.T @ D1 + alpha / B * W1,
        D1.sum(axis=0),
        H.T @ D2 + alpha / B * W2,
        D2.sum(axis=0),
    ]
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
        raise ValueError(
            f"W1 has {W1.shape[1]} hidden units but b1 has shape {b1.shape} and W2 {W2.shape}"
        )
    if b2.shape[0] != W2.shape[1]:
        raise ValueError(f"W2 has {W2.shape[1]} classes but b2 has shape {b2.shape}")
    return W1, b1, W2, b2
