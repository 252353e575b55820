"""Activations that turn logits into probabilities: sigmoid and softmax.

All functions are numerically stable for finite logits of any size (they
never overflow, and never warn, even for logits of +-1e4 or beyond).
"""

import numpy as np

from ._reduction import _to_output
from ._validation import _as_float_array, _check_axis

__all__ = ["sigmoid", "softmax", "log_softmax", "logsumexp"]


def sigmoid(z):
    r"""Logistic sigmoid: squash a logit into a probability.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Computed as :math:`1 / (1 + e^{-|z|})` for :math:`z \ge 0` and
    :math:`e^{-|z|} / (1 + e^{-|z|})` for :math:`z < 0`, so ``exp`` only ever
    sees non-positive arguments and cannot overflow.

    Parameters
    ----------
    z : array_like
        Logits (finite real numbers).

    Returns
    -------
    float or ndarray
        :math:`\sigma(z)` elementwise, in [0, 1]; a float for scalar input.

    Raises
    ------
    ValueError
        If ``z`` contains NaN or infinity.
    TypeError
        If ``z`` is not numeric.

    Examples
    --------
    >>> sigmoid(0.0)
    0.5
    >>> np.round(sigmoid([-2.0, 0.0, 2.0]), 4)
    array([0.1192, 0.5   , 0.8808])
    >>> sigmoid([-1e4, 1e4])  # no overflow warning
    array([0., 1.])

    Equivalents: ``scipy.special.expit``, ``torch.sigmoid``,
    ``keras.activations.sigmoid``.

    Introduced in chapter "Loss functions".
    """
    z = _as_float_array(z, "z")
    e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
    out = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return _to_output(out)


def logsumexp(z, *, axis=-1):
    r"""Log of the sum of exponentials, computed without overflow.

    .. math:: \operatorname{LSE}(z) = \log \sum_i e^{z_i}
              = m + \log \sum_i e^{z_i - m}, \qquad m = \max_i z_i

    Parameters
    ----------
    z : array_like
        Logits, at least 1-D, finite.
    axis : int, default -1
        Axis to reduce over.

    Returns
    -------
    float or ndarray
        The log-sum-exp over ``axis`` (a float for 1-D input).

    Raises
    ------
    ValueError
        If ``z`` is 0-D, has NaN/inf, or ``axis`` is out of range.

    Examples
    --------
    >>> round(logsumexp([0.0, 0.0]), 6)  # log 2
    0.693147
    >>> logsumexp([1000.0, 1000.0])  # 1000 + log 2, no overflow
    1000.6931471805599

    Equivalents: ``scipy.special.logsumexp`` (its default ``axis=None``
    reduces the whole array; ours is the last axis), ``torch.logsumexp(z,
    dim=-1)``.

    Introduced in chapter "Cross-entropy".
    """
    z = _as_nonscalar(z)
    axis = _check_axis(z, axis, "z")
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(over="ignore"):  # z - m < -1.8e308 is -inf: exp gives 0
        s = np.sum(np.exp(z - m), axis=axis, keepdims=True)  # s >= 1
    return _to_output(np.squeeze(m + np.log(s), axis=axis))


def log_softmax(z, *, axis=-1):
    r"""Logarithm of the softmax, computed without overflow or ``log(0)``.

    .. math:: \log \operatorname{softmax}(z)_i = z_i - \operatorname{LSE}(z)
              = (z_i - m) - \log \sum_j e^{z_j - m}

    Parameters
    ----------
    z : array_like
        Logits, at least 1-D, finite.
    axis : int, default -1
        Axis along which the classes lie.

    Returns
    -------
    ndarray
        Log-probabilities (all <= 0), same shape as ``z``.

    Raises
    ------
    ValueError
        If ``z`` is 0-D, has NaN/inf, or ``axis`` is out of range.

    Examples
    --------
    >>> np.round(log_softmax([1.0, 2.0, 3.0]), 4)
    array([-2.4076, -1.4076, -0.4076])
    >>> log_softmax([0.0, -1e4])  # exact, where log(softmax) would give -inf
    array([     0., -10000.])

    Equivalents: ``scipy.special.log_softmax`` (default ``axis=None``: the
    whole array; ours ``-1``), ``F.log_softmax(z, dim=-1)``,
    ``keras.ops.log_softmax``.

    Introduced in chapter "Cross-entropy".
    """
    z = _as_nonscalar(z)
    axis = _check_axis(z, axis, "z")
    with np.errstate(over="ignore"):  # only for |z| near 1.8e308: gives -inf
        shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z, *, axis=-1):
    r"""Softmax: turn a vector of logits into a probability distribution.

    .. math:: \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}
              = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j

    Subtracting the maximum changes nothing mathematically (softmax is
    shift-invariant) but keeps every exponent <= 0, so nothing overflows.

    Parameters
    ----------
    z : array_like
        Logits, at least 1-D, finite.
    axis : int, default -1
        Axis along which the classes lie.

    Returns
    -------
    ndarray
        Probabilities in [0, 1] summing to 1 along ``axis``.

    Raises
    ------
    ValueError
        If ``z`` is 0-D, has NaN/inf, or ``axis`` is out of range.

    Examples
    --------
    >>> np.round(softmax([1.0, 2.0, 3.0]), 4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([1e4, 0.0])
    array([1., 0.])

    Equivalents: ``scipy.special.softmax`` (default ``axis=None``: the whole
    array; ours ``-1``), ``F.softmax(z, dim=-1)``, ``keras.activations.softmax``.

    Introduced in chapter "Cross-entropy".
    """
    z = _as_nonscalar(z)
    axis = _check_axis(z, axis, "z")
    with np.errstate(over="ignore"):  # z - max < -1.8e308 is -inf: exp gives 0
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _as_nonscalar(z):
    """Float array of logits with at least one dimension."""
    z = _as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError("z must be at least 1-D (a vector of logits); got a scalar")
    if z.size == 0:
        raise ValueError(f"z must not be empty; got shape {z.shape}")
    return z
