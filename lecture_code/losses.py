"""Loss functions: squared error, binary and categorical cross-entropy, focal loss.

Truth comes first, prediction second (as in scikit-learn and Keras).
``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (as in PyTorch).
Logs are natural (losses in nats).
"""

import numpy as np
from scipy.special import xlogy

from ._validation import (
    _as_float_array,
    _check_eps,
    _check_finite,
    _check_labels,
    _check_ndim,
    _check_nonnegative,
    _check_probabilities,
    _check_reduction,
    _check_same_length,
    _check_same_shape,
    _check_unit_interval,
    _reduce,
    _to_output,
)
from .activations import log_softmax

__all__ = [
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "focal_loss",
    "softmax_focal_loss",
    "softmax_focal_loss_grad",
    "binary_focal_loss",
    "sigmoid_focal_loss",
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
    1e-15. ``eps=0`` gives the exact value (``inf`` for a confident wrong
    prediction, without a warning).

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1]: labels 0/1 or soft targets.
    p : array_like
        Predicted probabilities of class 1, in [0, 1], same shape as ``y_true``.
    eps : float, default 1e-15
        Clipping constant, in [0, 0.5).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The mean is over all elements.

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
    >>> binary_cross_entropy([1], [0.0], eps=0.0)
    inf

    Introduced in chapter "Loss functions".
    """
    _check_reduction(reduction)
    eps = _check_eps(eps)
    y = _check_probabilities(y_true, "y_true", sum_to_one=False)
    p = _check_probabilities(p, "p", sum_to_one=False)
    _check_same_shape(y, p, ("y_true", "p"))
    if eps > 0:
        p = np.clip(p, eps, 1.0 - eps)
    # xlogy(0, 0) = 0 and xlogy(1, 0) = -inf, both without a warning.
    loss = -(xlogy(y, p) + xlogy(1.0 - y, 1.0 - p))
    return _reduce(loss, reduction)


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

    Introduced in chapter "Loss functions".
    """
    _check_reduction(reduction)
    y = _check_probabilities(y_true, "y_true", sum_to_one=False)
    z = _as_float_array(logits, "logits")
    _check_same_shape(y, z, ("y_true", "logits"))
    loss = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------
# Categorical losses: shared input handling
# ---------------------------------------------------------------------------


def _prepare_categorical(y_true, pred, pred_name, *, pred_is_prob):
    """Validate targets and predictions of a categorical loss.

    ``pred`` must be ``(N, C)`` (or ``(C,)`` for a single sample, promoted to
    ``(1, C)``). ``y_true`` is either integer labels ``(N,)`` (a scalar for a
    single sample) or probability rows of the same shape as ``pred``.

    Returns ``(labels, targets, pred, single)``: exactly one of ``labels``
    (int64, shape ``(N,)``) and ``targets`` (float64, ``(N, C)``) is not None.
    Logits are *not* checked for finiteness here (the callers do it, the fast
    path of :func:`softmax_cross_entropy` without an extra pass).
    """
    if pred_is_prob:
        pred = _check_probabilities(pred, pred_name, axis=-1)
    else:
        pred = _as_float_array(pred, pred_name, finite=False)
    _check_ndim(pred, (1, 2), pred_name)
    single = pred.ndim == 1
    y = np.asarray(y_true)
    if single:
        pred, y = pred[None, :], y[None, ...]
    if pred.size == 0:
        raise ValueError(
            f"{pred_name} must contain at least one sample and one class; "
            f"got shape {pred.shape}"
        )
    n_classes = pred.shape[1]
    if y.ndim == 1:
        labels = _check_labels(y, "y_true", n_classes)
        _check_same_length(labels, pred, ("y_true", pred_name))
        return labels, None, pred, single
    if y.ndim == 2:
        targets = _check_probabilities(y, "y_true", axis=-1)
        _check_same_shape(targets, pred, ("y_true", pred_name))
        return None, targets, pred, single
    raise ValueError(
        "y_true must be integer labels of shape (N,) or probability rows of "
        f"shape (N, C); got shape {np.shape(y_true)}"
    )


def _times_log(a, log_b):
    """``a * log_b`` with ``0 * (-inf) = 0`` (the convention 0 log 0 = 0).

    ``log_softmax`` is ``-inf`` only for logits ~1e308 apart; no warning then.
    """
    return np.multiply(a, log_b, out=np.zeros(np.broadcast_shapes(a.shape, log_b.shape)),
                       where=a != 0)


def _check_class_weight(class_weight, n_classes, name="class_weight"):
    """``None`` or a float array of ``n_classes`` finite non-negative weights."""
    if class_weight is None:
        return None
    w = _as_float_array(class_weight, name)
    if w.shape != (n_classes,):
        raise ValueError(
            f"{name} must have one weight per class ({n_classes}); got shape {w.shape}"
        )
    if w.min() < 0:
        raise ValueError(f"{name} must be non-negative; got {float(w.min()):.6g}")
    return w


def _check_alpha(alpha, n_classes):
    """``None``, a scalar in [0, 1], or one weight in [0, 1] per class."""
    if alpha is None:
        return None
    a = _check_unit_interval(alpha, "alpha")
    if np.ndim(a) != 0 and np.shape(a) != (n_classes,):
        raise ValueError(
            f"alpha must be a scalar or have one weight per class ({n_classes}); "
            f"got shape {np.shape(a)}"
        )
    return a


def _check_label_smoothing(label_smoothing):
    """A scalar label-smoothing strength in [0, 1], as a float."""
    a = _check_unit_interval(label_smoothing, "label_smoothing")
    if np.ndim(a) != 0:
        raise ValueError(f"label_smoothing must be a scalar; got shape {np.shape(a)}")
    return a


def _finish(loss, reduction, single):
    """Reduce per-sample losses; a single sample's 'none' loss is a float."""
    if reduction == "none" and single:
        return float(loss[0])
    return _reduce(loss, reduction)


def _weighted_denominator(w, labels):
    """Sum of the weights of the targets (PyTorch's weighted mean), checked > 0."""
    denom = float(np.sum(w[labels]))
    if denom <= 0:
        raise ValueError(
            "class_weight gives total weight 0 to the targets; the weighted mean "
            "is undefined (use reduction='sum' or 'none')"
        )
    return denom


# ---------------------------------------------------------------------------
# The fast path of softmax cross-entropy with integer labels
# ---------------------------------------------------------------------------
#
# The textbook stable formula (subtract the row max, exp, row sum, log, gather)
# makes five passes over the (N, C) logits, three of them writing a full-size
# temporary, and NumPy's max/sum along a short last axis are slow. With
# 1,000,000 x 10 logits that costs about 3x one np.exp pass, and about 1.3x
# PyTorch's (single-thread) F.cross_entropy. The fast path instead
# walks over chunks of rows that fit in the cache and, per chunk,
#
# 1. exponentiates straight into a small reused buffer, *without* the max
#    shift (exp is the floor: every exact method evaluates it N*C times);
# 2. checks ``chunk.min() > -inf`` while the chunk is still in cache: the
#    min is NaN if any logit is NaN and -inf if any is -inf (validation
#    without a boolean mask);
# 3. sums each row as a matrix-vector product ``buf @ ones`` (BLAS), much
#    faster than ``buf.sum(axis=1)`` on a short axis;
# 4. gathers the true-class logit with one ``np.take`` on flat indices.
#
# Skipping the shift is safe only while the row sum s = sum_c exp(z_c) is
# neither huge nor tiny. Every row with s outside _FAST_WINDOW (a logit above
# ~ +41, all logits below ~ -41, +inf or NaN) is recomputed afterwards with the
# max-shifted formula, and those rows are also checked for +inf/NaN. Inside the
# window log(s) - z_true is accurate to a few ulp of 41 (~1e-14 absolute), the
# same order as the max-shifted formula. exp overflow in step 1 is therefore
# expected, and silenced. For 'mean'/'sum' without class weights only sums
# are needed: they are accumulated chunk by chunk (no array of length N), and
# sum_i log s_i takes 16x fewer logs (_sum_lse). Extra memory: one chunk (and
# the per-sample losses for 'none' or class weights).

#: Rows whose sum of exponentials falls in this window stay on the fast path.
_FAST_WINDOW = (2.0**-60, 2.0**60)
#: Elements per chunk: 2**17 float64 (1 MiB) was the fastest size measured
#: with 10 classes: smaller chunks pay more per-chunk Python overhead, larger
#: ones fall out of the L2/L3 caches.
_CHUNK_ELEMENTS = 2**17


def _chunks(z, labels, w=None):
    """Walk over cache-sized chunks of rows of the C-contiguous logits ``z``.

    Yields ``(rows, s, z_true, z_dot)`` per chunk: the slice of rows, the row
    sums of ``exp(z)`` (unshifted), the logit of each row's label and
    ``z @ w`` (None without ``w``). The arrays are views of small buffers
    that the next chunk overwrites. Raises if a logit is NaN or ``-inf``;
    ``+inf`` shows up as ``s = inf`` (see :func:`_lse`).
    """
    n, c = z.shape
    size = min(n, max(16, _CHUNK_ELEMENTS // c))  # >= 16 rows: no per-sample loop
    buf = np.empty((size, c))
    s, z_true, idx = np.empty(size), np.empty(size), np.empty(size, dtype=np.intp)
    z_dot = None if w is None else np.empty(size)
    ones = np.ones(c)
    offsets = np.arange(size) * c
    flat = z.reshape(-1)
    for start in range(0, n, size):
        stop = min(start + size, n)
        m = stop - start
        chunk = z[start:stop]
        with np.errstate(over="ignore", invalid="ignore"):  # expected: see above
            np.exp(chunk, out=buf[:m])
            if not chunk.min() > -np.inf:  # NaN or -inf somewhere
                _check_finite(chunk, "logits")
            np.matmul(buf[:m], ones, out=s[:m])
            if w is not None:
                np.matmul(chunk, w, out=z_dot[:m])
        np.add(offsets[:m], labels[start:stop], out=idx[:m])
        # labels are validated, so mode="clip" only skips a bounds check
        np.take(flat[start * c : stop * c], idx[:m], out=z_true[:m], mode="clip")
        yield slice(start, stop), s[:m], z_true[:m], None if w is None else z_dot[:m]


def _in_window(s):
    lo, hi = _FAST_WINDOW
    return s.min() >= lo and s.max() <= hi  # False if s has a NaN


def _lse(z, s):
    """Row log-sum-exp of ``z`` from its unshifted row sums ``s``; rows with
    ``s`` outside the fast window are checked and recomputed max-shifted."""
    if _in_window(s):
        return np.log(s)
    lo, hi = _FAST_WINDOW
    slow = ~((s >= lo) & (s <= hi))
    lse = np.log(np.where(slow, 1.0, s))
    zr = _check_finite(z[slow], "logits")  # catches +inf
    mx = zr.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):  # zr - mx below -1.8e308 is -inf: exp gives 0
        lse[slow] = mx[:, 0] + np.log(np.sum(np.exp(zr - mx), axis=1))
    return lse


def _sum_lse(z, s, group=16):
    """``sum(_lse(z, s))``, with 16x fewer logs when all rows are in the window.

    Each s is then in [2**-60, 2**60], so a product of 16 of them lies in
    [2**-960, 2**960]: no overflow, no underflow, and ``log`` of the products
    differs from the sum of the logs only by rounding (~16 ulp per group).
    """
    if not _in_window(s):
        return float(np.sum(_lse(z, s)))
    k = (s.size // group) * group
    head = s[:k].reshape(group, -1)  # the order of a product does not matter
    return float(np.sum(np.log(np.prod(head, axis=0))) + np.sum(np.log(s[k:])))


def _softmax_ce_labels(z, labels, alpha, w, reduction):
    """Softmax cross-entropy for integer labels (fast path, see above).

    loss_i = (1 - a) w_{y_i} (lse_i - z_{i,y_i}) + (a / C) (W lse_i - z_i . w)
    with W = sum(w) (w = 1 without class weights).
    """
    n, c = z.shape
    w_dot = None if alpha == 0 else (np.ones(c) if w is None else w)
    chunks = _chunks(np.ascontiguousarray(z), labels, w_dot)
    with np.errstate(over="ignore"):  # a loss above 1.8e308 is honestly inf
        if reduction != "none" and w is None:  # only sums are needed
            total = 0.0
            for rows, s, z_true, z_dot in chunks:
                sum_lse = _sum_lse(z[rows], s)
                total += sum_lse - (1.0 - alpha) * float(np.sum(z_true))
                if alpha > 0:
                    total -= (alpha / c) * float(np.sum(z_dot))
            return total / n if reduction == "mean" else total
        loss = np.empty(n)
        total_w = c if w is None else float(np.sum(w))
        for rows, s, z_true, z_dot in chunks:
            lse = _lse(z[rows], s)
            part = lse - z_true  # -log softmax(z)_y
            if w is not None:
                part *= w[labels[rows]]
            if alpha > 0:
                part *= 1.0 - alpha
                part += (alpha / c) * (total_w * lse - z_dot)
            loss[rows] = part
    if reduction == "none":
        return loss
    if reduction == "sum":
        return float(np.sum(loss))
    return float(np.sum(loss)) / _weighted_denominator(w, labels)


# ---------------------------------------------------------------------------
# Categorical losses
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
        (one-hot, smoothed or soft; each row sums to 1, tolerance 1e-6).
    probs : array_like, shape (N, C)
        Predicted probabilities, rows summing to 1 (tolerance 1e-6).
        A single row ``(C,)`` with a scalar label is accepted too.
    eps : float, default 1e-15
        Lower clip for ``probs``, in [0, 0.5).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    float or ndarray
        Loss in nats (per sample for ``'none'``).

    Raises
    ------
    ValueError
        For shape mismatches, labels out of range, rows that are not
        distributions, NaN/inf, or an invalid ``eps``/``reduction``.

    Examples
    --------
    >>> probs = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
    >>> round(categorical_cross_entropy([0, 1], probs), 4)  # -(ln .7 + ln .8) / 2
    0.2899
    >>> np.round(categorical_cross_entropy([[1, 0, 0], [0.1, 0.8, 0.1]], probs,
    ...                                    reduction="none"), 4)
    array([0.3567, 0.639 ])

    Introduced in chapter "Cross-entropy".
    """
    _check_reduction(reduction)
    eps = _check_eps(eps)
    labels, targets, p, single = _prepare_categorical(
        y_true, probs, "probs", pred_is_prob=True
    )
    if eps > 0:
        p = np.clip(p, eps, 1.0)
    if labels is not None:
        p_true = np.take_along_axis(p, labels[:, None], axis=1)[:, 0]
        loss = -xlogy(1.0, p_true)
    else:
        loss = -np.sum(xlogy(targets, p), axis=1)
    return _finish(loss + 0.0, reduction, single)


def softmax_cross_entropy(
    y_true, logits, *, label_smoothing=0.0, class_weight=None, reduction="mean"
):
    r"""Cross-entropy of ``softmax(logits)``, computed stably from the logits.

    .. math:: \ell_i = -\sum_{c} w_c\, t_{ic} \log \operatorname{softmax}(z_i)_c
              = \sum_c w_c\, t_{ic} \bigl(\operatorname{LSE}(z_i) - z_{ic}\bigr),
              \qquad t_i = (1 - \alpha)\, y_i + \alpha / C

    The same as PyTorch's ``F.cross_entropy(logits, y_true,
    weight=class_weight, label_smoothing=alpha, reduction=...)``: for integer
    labels the weighted mean divides by :math:`\sum_i w_{y_i}` (the total
    weight of the targets); for probability targets it divides by N.

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
        Loss in nats.

    Raises
    ------
    ValueError
        For shape mismatches, labels out of range, NaN/inf logits, invalid
        ``label_smoothing``/``class_weight``/``reduction``, or (``'mean'``)
        weights of the targets summing to 0.

    Notes
    -----
    For integer labels a fast path (see the comment above
    ``_chunks``) computes the row log-sum-exp in cache-sized chunks;
    it falls back to the textbook max-shifted formula for any row with
    logits beyond about +-41.

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
    alpha = _check_label_smoothing(label_smoothing)
    labels, targets, z, single = _prepare_categorical(
        y_true, logits, "logits", pred_is_prob=False
    )
    n, c = z.shape
    w = _check_class_weight(class_weight, c)
    if targets is not None:  # probability targets: PyTorch divides by N
        _check_finite(z, "logits")
        t = targets if alpha == 0 else (1.0 - alpha) * targets + alpha / c
        u = t if w is None else t * w
        loss = -np.sum(_times_log(u, log_softmax(z)), axis=1)
        return _finish(loss, reduction, single)
    loss = _softmax_ce_labels(z, labels, alpha, w, reduction)
    return float(loss[0]) if single and reduction == "none" else loss


def _target_coefficients(labels, targets, n_classes, alpha, w):
    """Coefficients ``u`` with loss_i = -sum_c u_ic log softmax(z_i)_c."""
    if labels is not None:
        n = labels.shape[0]
        u = np.zeros((n, n_classes))
        w_true = np.ones(n) if w is None else w[labels]
        u[np.arange(n), labels] = (1.0 - alpha) * w_true
        if alpha > 0:
            u += (alpha / n_classes) * (1.0 if w is None else w)
        return u
    t = targets if alpha == 0 else (1.0 - alpha) * targets + alpha / n_classes
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

    Introduced in chapter "Cross-entropy".
    """
    _check_reduction(reduction)
    alpha = _check_label_smoothing(label_smoothing)
    labels, targets, z, single = _prepare_categorical(
        y_true, logits, "logits", pred_is_prob=False
    )
    n_classes = z.shape[1]
    w = _check_class_weight(class_weight, n_classes)
    _check_finite(z, "logits")
    u = _target_coefficients(labels, targets, n_classes, alpha, w)
    p = np.exp(log_softmax(z))
    grad = p * u.sum(axis=1, keepdims=True) - u
    if reduction == "mean":
        if w is not None and labels is not None:
            grad /= _weighted_denominator(w, labels)
        else:
            grad /= z.shape[0]
    return grad[0] if single else grad


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
        Lower clip for ``probs``, in [0, 0.5).
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

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    eps = _check_eps(eps)
    labels, targets, p, single = _prepare_categorical(
        y_true, probs, "probs", pred_is_prob=True
    )
    a = _check_alpha(alpha, p.shape[1])
    if labels is not None:
        targets = np.zeros_like(p)
        targets[np.arange(p.shape[0]), labels] = 1.0
    if eps > 0:
        p = np.clip(p, eps, 1.0)
    terms = -xlogy(targets, p) * (1.0 - p) ** gamma
    if a is not None:
        terms *= a
    return _finish(np.sum(terms, axis=1) + 0.0, reduction, single)


def _softmax_focal_parts(y_true, logits, gamma, alpha):
    labels, targets, z, single = _prepare_categorical(
        y_true, logits, "logits", pred_is_prob=False
    )
    _check_finite(z, "logits")
    a = _check_alpha(alpha, z.shape[1])
    if labels is not None:
        targets = np.zeros_like(z)
        targets[np.arange(z.shape[0]), labels] = 1.0
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

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    weights, logp, one_minus_p, single = _softmax_focal_parts(
        y_true, logits, gamma, alpha
    )
    loss = -np.sum(_times_log(weights * one_minus_p**gamma, logp), axis=1)
    return _finish(loss + 0.0, reduction, single)


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

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    weights, logp, one_minus_p, single = _softmax_focal_parts(
        y_true, logits, gamma, alpha
    )
    p = np.exp(logp)
    # ratio = p log p / (1 - p), with its limit -1 where p == 1 in floating point
    ratio = np.full_like(p, -1.0)
    np.divide(_times_log(p, logp), one_minus_p, out=ratio, where=one_minus_p > 0)
    h = -weights * one_minus_p**gamma * (1.0 - gamma * ratio)
    grad = h - p * h.sum(axis=1, keepdims=True)
    if reduction == "mean":
        grad /= grad.shape[0]
    return grad[0] if single else grad


def binary_focal_loss(y_true, p, *, gamma=2.0, alpha=0.25, eps=1e-15, reduction="mean"):
    r"""Binary focal loss of predicted probabilities (Lin et al., 2017).

    .. math:: \ell_i = \alpha_t\, (1 - p_t)^{\gamma}\, \mathrm{BCE}(y_i, \tilde p_i),
              \quad p_t = \tilde p\, y + (1 - \tilde p)(1 - y),
              \quad \alpha_t = \alpha\, y + (1 - \alpha)(1 - y)

    with :math:`\tilde p = \operatorname{clip}(p, \varepsilon, 1 - \varepsilon)`.

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

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    alpha = _check_binary_alpha(alpha)
    ce = binary_cross_entropy(y_true, p, eps=eps, reduction="none")
    y = np.asarray(y_true, dtype=float)
    pc = np.asarray(p, dtype=float)
    if eps > 0:
        pc = np.clip(pc, eps, 1.0 - eps)
    one_minus_pt = pc * (1.0 - y) + (1.0 - pc) * y
    loss = ce * one_minus_pt**gamma
    if alpha is not None:
        loss = loss * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return _reduce(_to_output(loss), reduction)


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

    Introduced in chapter "Focal loss".
    """
    _check_reduction(reduction)
    gamma = _check_nonnegative(gamma, "gamma")
    alpha = _check_binary_alpha(alpha)
    ce = binary_cross_entropy_with_logits(y_true, logits, reduction="none")
    y = np.asarray(y_true, dtype=float)
    z = np.asarray(logits, dtype=float)
    e = np.exp(-np.abs(z))  # sigma(z) and sigma(-z) without overflow
    sig_pos = np.where(z >= 0, 1.0, e) / (1.0 + e)  # sigma(z)
    sig_neg = np.where(z >= 0, e, 1.0) / (1.0 + e)  # sigma(-z) = 1 - sigma(z)
    one_minus_pt = y * sig_neg + (1.0 - y) * sig_pos
    loss = ce * one_minus_pt**gamma
    if alpha is not None:
        loss = loss * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return _reduce(_to_output(loss), reduction)


def _check_binary_alpha(alpha):
    if alpha is None:
        return None
    a = _check_unit_interval(alpha, "alpha")
    if np.ndim(a) != 0:
        raise ValueError(f"alpha must be a scalar or None; got shape {np.shape(a)}")
    return a
