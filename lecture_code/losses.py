"""Loss functions of chapters "Loss functions" and "Cross-entropy".

Squared error, binary cross-entropy (of probabilities and of logits),
categorical cross-entropy (of probabilities) and softmax cross-entropy (of
logits), with the gradient and the Hessian of the last one, each written as
the formula in its docstring. The focal losses live in :mod:`.focal`.

Truth comes first, prediction second (as in scikit-learn and Keras; PyTorch
takes the prediction first). ``reduction`` is ``"mean"`` (default),
``"sum"`` or ``"none"`` (as in PyTorch). Logs are natural (losses in nats).
Every loss is >= 0 elementwise.
"""

import numpy as np
from scipy.special import xlogy

from ._fast_softmax_ce import softmax_ce_labels
from ._reduction import _reduce, _reduce_grad
from ._validation import (
    _as_float_array,
    _check_categorical,
    _check_eps,
    _check_finite,
    _check_ndim,
    _check_probabilities,
    _check_reduction,
    _check_same_shape,
    _check_scalar_unit_interval,
    _fmt,
)
from .activations import log_softmax, softmax
from .targets import smooth_labels

__all__ = [
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "softmax_hessian",
]


def mse_loss(y_true, y_pred, *, reduction="mean"):
    r"""Mean squared error between targets and predictions.

    .. math:: \ell_i = (y_i - \hat y_i)^2, \qquad
              \text{MSE} = \frac{1}{n} \sum_{i=1}^{n} \ell_i

    The mean is over all elements (as PyTorch's ``mse_loss`` and, for a
    2-D array with uniform weights, scikit-learn's ``mean_squared_error``).

    Parameters
    ----------
    y_true : array_like
        Targets (finite).
    y_pred : array_like
        Predictions, same shape as ``y_true`` (finite).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` returns the squared error of every element.

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        If the shapes differ, an input has NaN/inf, or ``reduction`` is unknown.

    Examples
    --------
    >>> round(mse_loss([1.0, 0.0, 0.0], [0.7, 0.2, 0.1]), 6)  # (0.09 + 0.04 + 0.01) / 3
    0.046667
    >>> mse_loss([1, 2], [1, 4], reduction="none")
    array([0., 4.])

    Equivalents: PyTorch ``F.mse_loss(y_pred, y_true)`` (prediction first);
    scikit-learn ``mean_squared_error(y_true, y_pred)`` (for 2-D input it
    averages per output first, the same number with uniform weights); Keras
    ``MeanSquaredError`` (averages over the last axis first).

    Introduced in chapter "Loss functions".
    """
    _check_reduction(reduction)
    y_true = _as_float_array(y_true, "y_true")
    y_pred = _as_float_array(y_pred, "y_pred")
    _check_same_shape(y_true, y_pred, ("y_true", "y_pred"))
    return _reduce(np.square(y_true - y_pred), reduction)


def binary_cross_entropy(y_true, p, *, eps=1e-15, reduction="mean"):
    r"""Binary cross-entropy (log loss) of predicted probabilities.

    .. math:: \ell_i = -\bigl[y_i \log \tilde p_i + (1 - y_i) \log(1 - \tilde p_i)\bigr],
              \qquad \tilde p_i = \operatorname{clip}(p_i, \varepsilon, 1 - \varepsilon)

    with :math:`0 \log 0 = 0`. This is scikit-learn's ``log_loss`` on binary
    labels; the two differ only for ``p`` within ``eps`` of 0 or 1, because
    recent scikit-learn clips at the machine epsilon (2.2e-16) instead of
    1e-15.

    The eps rule: the result is that of the clip above with :math:`\varepsilon`
    and :math:`1 - \varepsilon` as float64 numbers, in every dtype. A float32
    (or float16, computed in float32) input gets :math:`1 - p` computed first,
    then clipped from below at the float64 gap :math:`1 - (1 - \varepsilon)`
    (9.992e-16 for the default 1e-15): clipping :math:`p` itself would do
    nothing there, since :math:`1 - 10^{-15}` rounds to 1 in float32. So a
    confident wrong prediction costs :math:`-\log \varepsilon \approx 34.54`
    nats in float16, float32 and float64 alike, never ``inf``. An ``eps``
    below float32's smallest positive number (1.4e-45) is 0 in float32.
    ``eps=0`` (or ``None``) gives the exact value: ``inf`` for a confident
    wrong prediction, without a warning.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1]: labels 0/1 or soft targets.
    p : array_like
        Predicted probabilities of class 1, in [0, 1], same shape as ``y_true``.
    eps : float or None, default 1e-15
        Clipping constant, in [0, 0.5); ``0`` or ``None``: exact. The same
        finite loss at ``p`` = 0 or 1 in every dtype (the eps rule above).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The mean is over all elements (an empty input has no mean:
        ``ValueError``; its ``'sum'`` is 0).

    Returns
    -------
    float or ndarray
        Loss in nats.

    Raises
    ------
    ValueError
        If shapes differ, values are outside [0, 1] or not finite, or
        ``eps``/``reduction`` are invalid.

    Examples
    --------
    >>> round(binary_cross_entropy([1, 0], [0.9, 0.2]), 4)  # (-ln 0.9 - ln 0.8) / 2
    0.1643
    >>> round(binary_cross_entropy([1], np.float32([0.0])), 4)  # -ln(1e-15), also in float32
    34.5388
    >>> binary_cross_entropy([1], [0.0], eps=0.0)
    inf

    Equivalents: scikit-learn ``log_loss(y_true, p)`` (clips at
    ``finfo(p.dtype).eps``, we at ``eps=1e-15``); PyTorch
    ``F.binary_cross_entropy(p, y_true)`` (prediction first; clamps the log
    at -100 instead of clipping ``p``); Keras ``BinaryCrossentropy`` (clips
    at 1e-7).

    Introduced in chapter "Loss functions".
    """
    _check_reduction(reduction)
    eps = _check_eps(eps)
    y = _check_probabilities(y_true, "y_true", sum_to_one=False)
    p = _check_probabilities(p, "p", sum_to_one=False)
    _check_same_shape(y, p, ("y_true", "p"))
    p1, p0 = _clip_binary(p, eps)
    # xlogy(0, 0) = 0 and xlogy(1, 0) = -inf, both without a warning.
    loss = -(xlogy(y, p1) + xlogy(1.0 - y, p0))
    return _reduce(loss, reduction)


def _clip_binary(p, eps):
    """``(p~, 1 - p~)`` for ``p~ = clip(p, eps, 1 - eps)`` (float64 bounds), in p's dtype.

    ``1 - p`` is computed first (exactly, for ``p`` near 1) and clipped from
    below at the float64 gap ``1 - (1 - eps)``, so the clip acts in float32
    too, where ``1 - eps`` itself rounds to 1 (see :func:`binary_cross_entropy`).
    In float64 both are exactly ``p~`` and ``1 - p~``.
    """
    q = 1.0 - p
    if eps > 0:
        hi = 1.0 - eps  # a float64 number
        p, q = np.clip(p, eps, hi), np.clip(q, 1.0 - hi, hi)
    return p, q


def binary_cross_entropy_with_logits(y_true, logits, *, reduction="mean"):
    r"""Binary cross-entropy of ``sigmoid(logits)``, stable for any logit.

    .. math:: \ell_i = -\bigl[y_i \log \sigma(z_i) + (1 - y_i) \log(1 - \sigma(z_i))\bigr]
              = \max(z_i, 0) - y_i z_i + \log\bigl(1 + e^{-|z_i|}\bigr)

    The right-hand form never exponentiates a positive number, so it neither
    overflows nor takes ``log(0)`` (PyTorch's
    ``binary_cross_entropy_with_logits`` uses the same identity).

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1].
    logits : array_like
        Logits :math:`z`, finite, same shape as ``y_true``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray
        Loss in nats.

    Raises
    ------
    ValueError
        If shapes differ, ``y_true`` is outside [0, 1], an input is not finite,
        or ``reduction`` is unknown.

    Examples
    --------
    >>> round(binary_cross_entropy_with_logits([1.0], [0.0]), 6)  # ln 2
    0.693147
    >>> binary_cross_entropy_with_logits([0.0, 1.0], [1e4, -1e4], reduction="none")
    array([10000., 10000.])

    Equivalents: PyTorch ``F.binary_cross_entropy_with_logits(logits,
    y_true)`` (logits first); Keras ``BinaryCrossentropy(from_logits=True)``;
    ``scipy.special.log_expit`` gives the same terms.

    Introduced in chapter "Loss functions".
    """
    _check_reduction(reduction)
    y = _check_probabilities(y_true, "y_true", sum_to_one=False)
    z = _as_float_array(logits, "logits")
    _check_same_shape(y, z, ("y_true", "logits"))
    loss = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return _reduce(loss, reduction)


def _times_log(a, log_b):
    """``a * log_b`` with ``0 * (-inf) = 0`` (the convention 0 log 0 = 0).

    ``log_softmax`` is ``-inf`` only for logits ~1e308 apart; no warning then.
    """
    shape = np.broadcast_shapes(a.shape, log_b.shape)
    out = np.zeros(shape, np.result_type(a, log_b))
    return np.multiply(a, log_b, out=out, where=a != 0)


def _check_class_weight(class_weight, n_classes, dtype=None, name="class_weight"):
    """``None`` or a float array of ``n_classes`` finite non-negative weights.

    Returned in ``dtype`` (the dtype of the predictions) if given, so that
    weights passed as a list do not turn a float32 loss into float64.
    """
    if class_weight is None:
        return None
    w = _as_float_array(class_weight, name)
    if dtype is not None:
        w = w.astype(dtype, copy=False)
    if w.shape != (n_classes,):
        raise ValueError(
            f"{name} must have one weight per class ({n_classes}); got shape {w.shape}"
        )
    if w.min() < 0:
        raise ValueError(f"{name} must be non-negative; got {_fmt(w.min())}")
    return w


# ---------------------------------------------------------------------------
# Categorical losses (chapter "Cross-entropy")
# ---------------------------------------------------------------------------


def categorical_cross_entropy(y_true, probs, *, eps=1e-15, reduction="mean"):
    r"""Categorical cross-entropy of predicted class probabilities.

    .. math:: \ell_i = -\sum_{c=1}^{C} y_{ic} \log \operatorname{clip}(p_{ic}, \varepsilon, 1)

    For integer labels this is :math:`-\log \operatorname{clip}(p_{i, y_i})`.
    With :math:`0 \log 0 = 0`; ``eps=0`` gives the exact value (``inf`` where
    a target class has probability 0), without a warning.

    Parameters
    ----------
    y_true : array_like
        Integer labels of shape ``(N,)``, or probability rows ``(N, C)``
        (one-hot, smoothed or soft; each row sums to 1).
    probs : array_like, shape (N, C)
        Predicted probabilities, rows summing to 1 (tolerance: see the
        dtype policy in ``lecture_code._validation``).
        A single row ``(C,)`` with a scalar label is accepted too.
    eps : float or None, default 1e-15
        Lower clip for ``probs``, in [0, 0.5); ``0`` or ``None``: exact.
        Applied in the computing dtype, where 1e-15 is representable (float32
        too), so a target class of probability 0 costs :math:`-\log 10^{-15}`
        = 34.54 nats in every dtype.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray
        Loss in nats (per sample for ``'none'``).

    Raises
    ------
    ValueError
        For shape mismatches, labels out of range, rows that are not
        distributions, NaN/inf, an empty batch ``(0, C)`` or class axis
        ``(N, 0)``, or an invalid ``eps``/``reduction``.

    Examples
    --------
    >>> probs = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
    >>> round(categorical_cross_entropy([0, 1], probs), 4)  # -(ln .7 + ln .8) / 2
    0.2899
    >>> np.round(categorical_cross_entropy([[1, 0, 0], [0.1, 0.8, 0.1]], probs,
    ...                                    reduction="none"), 4)
    array([0.3567, 0.639 ])

    Equivalents: scikit-learn ``log_loss(y_true, probs)`` (clips at
    ``finfo(probs.dtype).eps`` and renormalises; we clip at 1e-15 and check
    the rows); Keras ``CategoricalCrossentropy`` / ``SparseCategorical...``
    (clip at 1e-7); PyTorch ``F.nll_loss(torch.log(probs), y_true)``.

    Introduced in chapter "Cross-entropy".
    """
    _check_reduction(reduction)
    eps = _check_eps(eps)
    labels, targets, p, single = _check_categorical(y_true, probs, "probs", pred_is_prob=True)
    if eps > 0:
        p = np.clip(p, eps, 1.0)
    if labels is not None:
        p_true = np.take_along_axis(p, labels[:, None], axis=1)[:, 0]
        with np.errstate(divide="ignore"):  # eps=0: -log 0 = inf, honestly
            loss = -np.log(p_true)
    else:
        loss = -np.sum(xlogy(targets, p), axis=1)
    return _reduce(loss, reduction, single=single)


def softmax_cross_entropy(
    y_true, logits, *, label_smoothing=0.0, class_weight=None, reduction="mean"
):
    r"""Cross-entropy of ``softmax(logits)``, computed stably from the logits.

    .. math:: \ell_i = -\sum_{c} w_c\, t_{ic} \log \operatorname{softmax}(z_i)_c
              = \sum_c w_c\, t_{ic} \bigl(\operatorname{LSE}(z_i) - z_{ic}\bigr),
              \qquad t_i = (1 - \alpha)\, y_i + \alpha / C

    Parameters
    ----------
    y_true : array_like
        Integer labels ``(N,)`` or probability rows ``(N, C)``.
    logits : array_like, shape (N, C)
        Finite logits of any size (a single row ``(C,)`` is accepted too).
    label_smoothing : float, default 0.0
        :math:`\alpha \in [0, 1]`.
    class_weight : array_like of shape (C,), optional
        Non-negative weight :math:`w_c` per class (default all 1).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray
        Loss in nats, never negative; ``'none'`` in the dtype of ``logits``.

    Raises
    ------
    ValueError
        For shape mismatches, labels out of range, NaN/inf logits, invalid
        ``label_smoothing``/``class_weight``/``reduction``, a call with the
        arguments in PyTorch's order, or (``'mean'``) weights of the targets
        summing to 0.

    Notes
    -----
    Adding a constant to every logit of a row changes nothing, for any
    finite constant (to within a few ulps of the loss). For integer labels
    the formula is evaluated in cache-sized chunks by the private module
    ``lecture_code._fast_softmax_ce``, shifted by the label's logit (its
    docstring explains why); the result is the formula above.

    Equivalents: PyTorch ``F.cross_entropy(logits, y_true,
    weight=class_weight, label_smoothing=alpha, reduction=...)`` (logits
    first): for integer labels the weighted mean divides by
    :math:`\sum_i w_{y_i}` (the total weight of the targets), for
    probability targets by N, as here. Keras
    ``CategoricalCrossentropy(from_logits=True, label_smoothing=alpha)``;
    scikit-learn ``log_loss(y_true, scipy.special.softmax(logits, axis=1))``.

    Examples
    --------
    >>> z = [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]
    >>> round(softmax_cross_entropy([0, 1], z), 4)
    0.3185
    >>> round(softmax_cross_entropy([0, 1], z, label_smoothing=0.1), 4)
    0.4369
    >>> softmax_cross_entropy([1], [[1e4, 0.0]])  # no overflow: 1e4 nats
    10000.0

    Introduced in chapter "Cross-entropy".
    """
    _check_reduction(reduction)
    alpha = _check_scalar_unit_interval(label_smoothing, "label_smoothing")
    labels, targets, z, single = _check_categorical(y_true, logits, "logits", pred_is_prob=False)
    w = _check_class_weight(class_weight, z.shape[1], z.dtype)
    if labels is not None:  # the same formula, chunked: see _fast_softmax_ce
        loss = softmax_ce_labels(z, labels, alpha, w, reduction)
        return _reduce(loss, "none", single=single) if reduction == "none" else loss
    _check_finite(z, "logits")
    t = smooth_labels(targets, alpha)
    u = t if w is None else t * w
    loss = -np.sum(_times_log(u, log_softmax(z)), axis=1)
    return _reduce(loss, reduction, single=single)


def _target_coefficients(labels, targets, n_classes, alpha, w, dtype):
    """Coefficients ``u = w * t`` with loss_i = -sum_c u_ic log softmax(z_i)_c.

    Targets built from integer labels get the dtype of the logits.
    """
    if labels is not None:
        t = smooth_labels(labels, alpha, n_classes=n_classes).astype(dtype, copy=False)
    else:
        t = smooth_labels(targets, alpha)
    return t if w is None else t * w


def softmax_cross_entropy_grad(
    y_true, logits, *, label_smoothing=0.0, class_weight=None, reduction="mean"
):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    .. math:: \frac{\partial \ell_i}{\partial z_{ik}}
              = \Bigl(\sum_c u_{ic}\Bigr) \operatorname{softmax}(z_i)_k - u_{ik},
              \qquad u_{ic} = w_c\, t_{ic}

    Without class weights this is the familiar :math:`\operatorname{softmax}(z_i)
    - t_i`. For ``'mean'`` it is divided by N (or, for integer labels with
    ``class_weight``, by :math:`\sum_i w_{y_i}`), exactly like PyTorch's
    autograd; ``'sum'`` and ``'none'`` return the per-sample gradients.

    Parameters
    ----------
    y_true, logits, label_smoothing, class_weight, reduction
        As in :func:`softmax_cross_entropy`.

    Returns
    -------
    ndarray, same shape as ``logits``

    Raises
    ------
    ValueError
        As :func:`softmax_cross_entropy`.

    Examples
    --------
    >>> g = softmax_cross_entropy_grad([0], [[0.0, 0.0]])  # softmax - one-hot
    >>> g
    array([[-0.5,  0.5]])

    Equivalents: what PyTorch's autograd returns for ``F.cross_entropy``
    (``logits.grad``); JAX ``jax.grad``; no SciPy or scikit-learn function.

    Introduced in chapter "Cross-entropy".
    """
    _check_reduction(reduction)
    alpha = _check_scalar_unit_interval(label_smoothing, "label_smoothing")
    labels, targets, z, single = _check_categorical(y_true, logits, "logits", pred_is_prob=False)
    n_classes = z.shape[1]
    w = _check_class_weight(class_weight, n_classes, z.dtype)
    _check_finite(z, "logits")
    u = _target_coefficients(labels, targets, n_classes, alpha, w, z.dtype)
    p = np.exp(log_softmax(z))
    grad = p * u.sum(axis=1, keepdims=True) - u
    weights = None if w is None or labels is None else w[labels]
    return _reduce_grad(grad, reduction, single=single, weights=weights)


def softmax_hessian(logits):
    r"""Hessian of softmax cross-entropy with respect to the logits.

    For one sample with logits :math:`z`, probabilities
    :math:`p = \operatorname{softmax}(z)` and any target :math:`y` that sums
    to 1, the loss :math:`L(z) = -\sum_i y_i \log p_i` has gradient
    :math:`p - y` and Hessian

    .. math:: \nabla^2_z L = \operatorname{diag}(p) - p\,p^\top,

    which does not depend on :math:`y`. It is positive semi-definite
    (:math:`v^\top (\operatorname{diag}(p) - pp^\top) v = \operatorname{Var}_p(v) \ge 0`),
    so the loss is convex in the logits. Its null space contains the
    all-ones vector: adding a constant to every logit changes nothing.

    Parameters
    ----------
    logits : array_like, shape (C,) or (N, C)
        Finite logits of one sample or of a batch.

    Returns
    -------
    ndarray, shape (C, C) or (N, C, C)
        The Hessian of each sample's loss (symmetric, rows summing to 0).

    Raises
    ------
    ValueError
        If ``logits`` is not 1-D or 2-D, is empty, or has NaN/inf.
    TypeError
        If ``logits`` is not numeric.

    Examples
    --------
    >>> softmax_hessian([0.0, 0.0])  # p = [0.5, 0.5]
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])

    Equivalents: ``torch.autograd.functional.hessian`` of ``F.cross_entropy``
    for one sample; no SciPy, scikit-learn or Keras function.

    Introduced in chapter "Cross-entropy".
    """
    z = _as_float_array(logits, "logits")
    _check_ndim(z, (1, 2), "logits")
    if z.size == 0:
        raise ValueError(f"logits must not be empty; got shape {z.shape}")
    p = softmax(z, axis=-1)
    outer = p[..., :, None] * p[..., None, :]
    diag = np.zeros_like(outer)
    idx = np.arange(p.shape[-1])
    diag[..., idx, idx] = p
    return diag - outer
