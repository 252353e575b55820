r"""The focal loss family (chapter "Focal loss"; Lin et al., 2017).

Cross-entropy that down-weights easy examples by :math:`(1 - p_t)^\gamma`:
of probabilities (:func:`focal_loss`, :func:`binary_focal_loss`) and of
logits (:func:`softmax_focal_loss` with its gradient,
:func:`sigmoid_focal_loss`). Conventions as in :mod:`.losses`.

Default ``alpha`` differs between libraries and between the categorical and
binary forms: ``torchvision.ops.sigmoid_focal_loss`` uses ``alpha=0.25``
(as our binary losses do), Keras' ``BinaryFocalCrossentropy`` ``0.25`` with
``apply_class_balancing=False`` (so no weighting by default) and
``CategoricalFocalCrossentropy`` ``alpha=0.25`` on every class; our
categorical losses default to ``alpha=None`` (no weighting), so that
``gamma=0`` gives exactly cross-entropy.
"""

import numpy as np
from scipy.special import xlogy

from ._reduction import _reduce, _reduce_grad
from ._validation import (
    _as_float_array,
    _check_categorical,
    _check_eps,
    _check_finite,
    _check_nonnegative,
    _check_probabilities,
    _check_reduction,
    _check_unit_interval,
)
from .activations import log_softmax, sigmoid
from .losses import (
    _times_log,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
)
from .targets import one_hot

__all__ = [
    "focal_loss",
    "softmax_focal_loss",
    "softmax_focal_loss_grad",
    "binary_focal_loss",
    "sigmoid_focal_loss",
]


def _check_alpha(alpha, n_classes):
    """Focal ``alpha``: ``None``, a scalar in [0, 1], or one per class."""
    if alpha is None:
        return None
    a = _check_unit_interval(alpha, "alpha")
    if np.ndim(a) != 0 and np.shape(a) != (n_classes,):
        raise ValueError(
            f"alpha must be a scalar or have one weight per class ({n_classes}); "
            f"got shape {np.shape(a)}"
        )
    return a


def _check_binary_alpha(alpha):
    """Binary focal ``alpha``: ``None`` or a scalar in [0, 1]."""
    if alpha is None:
        return None
    a = _check_unit_interval(alpha, "alpha")
    if np.ndim(a) != 0:
        raise ValueError(f"alpha must be a scalar or None; got shape {np.shape(a)}")
    return a


def focal_loss(y_true, probs, *, gamma=2.0, alpha=None, eps=1e-15, reduction="mean"):
    r"""Categorical focal loss: cross-entropy that down-weights easy examples.

    .. math:: \ell_i = -\sum_{c=1}^{C} \alpha_c\, y_{ic}\,
              (1 - \tilde p_{ic})^{\gamma} \log \tilde p_{ic},
              \qquad \tilde p = \operatorname{clip}(p, \varepsilon, 1)

    As Keras' ``CategoricalFocalCrossentropy`` (Lin et al., 2017), but with
    our clip. :math:`\gamma = 0` and ``alpha=None`` give exactly
    :func:`categorical_cross_entropy`.

    Parameters
    ----------
    y_true : array_like
        Integer labels ``(N,)`` or probability rows ``(N, C)``.
    probs : array_like, shape (N, C)
        Predicted probabilities (rows sum to 1, tolerance 1e-6).
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : float or array_like of shape (C,), optional
        Class weight(s) in [0, 1]; ``None`` means no weighting.
    eps : float, default 1e-15
        Lower clip for ``probs``, in [0, 0.5), applied in the computing dtype
        (the same finite loss at probabilities of 0 in every dtype).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray
        Loss in nats.

    Raises
    ------
    ValueError
        As :func:`categorical_cross_entropy`, and for negative ``gamma`` or
        ``alpha`` outside [0, 1] / of the wrong shape.

    Examples
    --------
    >>> # an easy example (p = 0.9) loses 100x: (1 - 0.9)^2 = 0.01
    >>> round(focal_loss([0], [[0.9, 0.1]]) / focal_loss([0], [[0.9, 0.1]], gamma=0), 6)
    0.01

    Equivalents: Keras ``CategoricalFocalCrossentropy(alpha, gamma)``
    (default ``alpha=0.25`` on every class and a clip at 1e-7; ours
    ``alpha=None``, no weighting, and 1e-15); no SciPy, scikit-learn or
    PyTorch function (torchvision has only the sigmoid form).

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    eps = _check_eps(eps)
    labels, targets, p, single = _check_categorical(y_true, probs, "probs", pred_is_prob=True)
    a = _check_alpha(alpha, p.shape[1])
    if labels is not None:
        targets = one_hot(labels, p.shape[1]).astype(p.dtype, copy=False)
    if eps > 0:
        p = np.clip(p, eps, 1.0)
    terms = -xlogy(targets, p) * (1.0 - p) ** gamma
    if a is not None:
        terms *= a
    return _reduce(np.sum(terms, axis=1), reduction, single=single)


def _softmax_focal_parts(y_true, logits, gamma, alpha):
    labels, targets, z, single = _check_categorical(y_true, logits, "logits", pred_is_prob=False)
    _check_finite(z, "logits")
    a = _check_alpha(alpha, z.shape[1])
    if labels is not None:
        targets = one_hot(labels, z.shape[1]).astype(z.dtype, copy=False)
    weights = targets if a is None else targets * a
    logp = log_softmax(z)
    one_minus_p = -np.expm1(logp)  # 1 - p, accurate when p is close to 1
    return weights, logp, one_minus_p, single


def softmax_focal_loss(y_true, logits, *, gamma=2.0, alpha=None, reduction="mean"):
    r"""Focal loss of ``softmax(logits)``, computed stably from the logits.

    .. math:: \ell_i = -\sum_c \alpha_c\, y_{ic}\, (1 - p_{ic})^{\gamma} \log p_{ic},
              \qquad p_i = \operatorname{softmax}(z_i)

    with :math:`\log p` from :func:`log_softmax` (no clipping needed).

    Parameters
    ----------
    y_true : array_like
        Integer labels ``(N,)`` or probability rows ``(N, C)``.
    logits : array_like, shape (N, C)
    gamma : float, default 2.0
    alpha : float or array_like of shape (C,), optional
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        As :func:`focal_loss`.

    Examples
    --------
    >>> round(softmax_focal_loss([0], [[0.0, 0.0]], gamma=1.0), 4)  # 0.5 ln 2
    0.3466

    Equivalents: Keras ``CategoricalFocalCrossentropy(from_logits=True)``
    (default ``alpha=0.25``, ours ``None``); no PyTorch function.

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    weights, logp, one_minus_p, single = _softmax_focal_parts(y_true, logits, gamma, alpha)
    loss = -np.sum(_times_log(weights * one_minus_p**gamma, logp), axis=1)
    return _reduce(loss, reduction, single=single)


def softmax_focal_loss_grad(y_true, logits, *, gamma=2.0, alpha=None, reduction="mean"):
    r"""Gradient of :func:`softmax_focal_loss` with respect to the logits.

    With :math:`p = \operatorname{softmax}(z)` and per-class coefficients

    .. math:: h_c = -\alpha_c\, y_c\, (1 - p_c)^{\gamma}
              \Bigl(1 - \gamma \frac{p_c \log p_c}{1 - p_c}\Bigr),
              \qquad \frac{\partial \ell}{\partial z_k} = h_k - p_k \sum_c h_c

    (the ratio :math:`p \log p / (1 - p)` tends to -1 as :math:`p \to 1`).
    :math:`\gamma = 0` gives :math:`p - y`. For ``'mean'`` the gradient is
    divided by N; ``'sum'`` and ``'none'`` return per-sample gradients.

    Parameters
    ----------
    y_true, logits, gamma, alpha, reduction
        As in :func:`softmax_focal_loss`.

    Returns
    -------
    ndarray, same shape as ``logits``

    Raises
    ------
    ValueError
        As :func:`focal_loss`.

    Examples
    --------
    >>> softmax_focal_loss_grad([0], [[0.0, 0.0]], gamma=0.0)  # p - y
    array([[-0.5,  0.5]])

    Equivalents: what autograd returns for the Keras or a hand-written
    PyTorch focal loss.

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    weights, logp, one_minus_p, single = _softmax_focal_parts(y_true, logits, gamma, alpha)
    p = np.exp(logp)
    # ratio = p log p / (1 - p), with its limit -1 where p == 1 in floating point
    ratio = np.full_like(p, -1.0)
    np.divide(_times_log(p, logp), one_minus_p, out=ratio, where=one_minus_p > 0)
    h = -weights * one_minus_p**gamma * (1.0 - gamma * ratio)
    grad = h - p * h.sum(axis=1, keepdims=True)
    return _reduce_grad(grad, reduction, single=single)


def binary_focal_loss(y_true, p, *, gamma=2.0, alpha=0.25, eps=1e-15, reduction="mean"):
    r"""Binary focal loss of predicted probabilities (Lin et al., 2017).

    .. math:: \ell_i = \alpha_t\, (1 - p_t)^{\gamma}\, \mathrm{BCE}(y_i, \tilde p_i),
              \quad p_t = \tilde p\, y + (1 - \tilde p)(1 - y),
              \quad \alpha_t = \alpha\, y + (1 - \alpha)(1 - y)

    with :math:`\tilde p = \operatorname{clip}(p, \varepsilon, 1 - \varepsilon)`; the
    cross-entropy follows the eps rule of :func:`binary_cross_entropy`, so the
    default ``eps`` gives the same finite loss at ``p`` = 0 or 1 in float16,
    float32 and float64 (the factor :math:`(1 - p_t)^\gamma` is finite anyway).

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1].
    p : array_like
        Predicted probabilities of class 1, same shape.
    gamma : float, default 2.0
        Focusing parameter, >= 0.
    alpha : float or None, default 0.25
        Weight of the positive class in [0, 1]; ``None`` turns weighting off.
    eps : float, default 1e-15
        Clipping constant, in [0, 0.5): the eps rule of
        :func:`binary_cross_entropy`.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        As :func:`binary_cross_entropy`, and for negative ``gamma`` or
        ``alpha`` outside [0, 1].

    Examples
    --------
    >>> # 0.25 * (1 - 0.9)^2 * (-ln 0.9)
    >>> round(binary_focal_loss([1], [0.9]), 7)
    0.0002634

    Equivalents: Keras ``BinaryFocalCrossentropy(gamma=gamma, alpha=alpha,
    apply_class_balancing=True)`` (Keras' default does not apply ``alpha``;
    it clips at 1e-7); torchvision's ``sigmoid_focal_loss`` takes logits,
    see :func:`sigmoid_focal_loss`.

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    alpha = _check_binary_alpha(alpha)
    ce = binary_cross_entropy(y_true, p, eps=eps, reduction="none")
    eps = _check_eps(eps)
    y = _check_probabilities(y_true, "y_true", sum_to_one=False)
    pc = _check_probabilities(p, "p", sum_to_one=False)
    if eps > 0:
        pc = np.clip(pc, eps, 1.0 - eps)
    one_minus_pt = pc * (1.0 - y) + (1.0 - pc) * y
    loss = ce * one_minus_pt**gamma
    if alpha is not None:
        loss = loss * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return _reduce(loss, reduction)


def sigmoid_focal_loss(y_true, logits, *, gamma=2.0, alpha=0.25, reduction="mean"):
    r"""Binary focal loss of ``sigmoid(logits)``, stable for any logit.

    .. math:: \ell_i = \alpha_t\, (1 - p_t)^{\gamma}\,
              \mathrm{BCE}\bigl(y_i, \sigma(z_i)\bigr), \qquad
              1 - p_t = y\, \sigma(-z) + (1 - y)\, \sigma(z)

    The same as ``torchvision.ops.sigmoid_focal_loss(logits, y_true, alpha,
    gamma, reduction)`` (argument order aside, and our default reduction is
    ``'mean'``); the cross-entropy part comes from
    :func:`binary_cross_entropy_with_logits`.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1].
    logits : array_like
        Logits, same shape.
    gamma : float, default 2.0
    alpha : float or None, default 0.25
        ``None`` turns class weighting off (torchvision: ``alpha < 0``).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        As :func:`binary_cross_entropy_with_logits`, and for negative
        ``gamma`` or ``alpha`` outside [0, 1].

    Examples
    --------
    >>> # 0.25 * 0.5^2 * ln 2
    >>> round(sigmoid_focal_loss([1.0], [0.0]), 6)
    0.043322

    Equivalents: ``torchvision.ops.sigmoid_focal_loss(logits, y_true,
    alpha=0.25, gamma=2, reduction="none")`` (same ``alpha`` and ``gamma``
    defaults; its default reduction is ``'none'``, ours ``'mean'``); Keras
    ``BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True)``.

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    alpha = _check_binary_alpha(alpha)
    ce = binary_cross_entropy_with_logits(y_true, logits, reduction="none")
    y = _check_probabilities(y_true, "y_true", sum_to_one=False)
    z = _as_float_array(logits, "logits")
    sig_pos = np.asarray(sigmoid(z))  # sigma(z), without overflow
    sig_neg = np.asarray(sigmoid(-z))  # sigma(-z) = 1 - sigma(z), accurately
    one_minus_pt = y * sig_neg + (1.0 - y) * sig_pos
    loss = ce * one_minus_pt**gamma
    if alpha is not None:
        loss = loss * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return _reduce(loss, reduction)
