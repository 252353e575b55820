"""The one reduction of every loss in :mod:`lecture_code` (private).

A loss computes one value per sample; ``reduction`` then says what the caller
gets, as in PyTorch:

* ``'none'``: the per-sample values (an array of the computing dtype; a
  Python ``float`` for a single sample given without a batch axis);
* ``'sum'``: their sum, accumulated in float64, as a Python ``float``;
* ``'mean'``: the sum divided by the number of samples, or by the total
  weight of the targets when a loss weights its samples (PyTorch's weighted
  mean for ``weight=``). The mean of an empty batch, and a weighted mean
  whose weights sum to 0, are undefined and raise ``ValueError``.

Gradients are reduced the same way (:func:`_reduce_grad`): ``'mean'``
divides by the same denominator, ``'sum'`` and ``'none'`` keep the
per-sample gradients.

Signed zero: a loss that is 0 is often computed as ``-(0 * log x)``, which is
``-0.0`` in IEEE arithmetic. Adding ``0.0`` turns ``-0.0`` into ``0.0`` and
changes no other number, so every result that passes through here prints as
``0.0``, never ``-0.0`` (:func:`_nonnegative`).
"""

import numpy as np

__all__ = []  # nothing public: helpers only


def _to_output(values):
    """Return a Python float for 0-d results, the array otherwise."""
    values = np.asarray(values)
    return float(values) if values.ndim == 0 else values


def _nonnegative(values):
    """A quantity that is >= 0 by its formula, with ``-0.0`` turned into ``0.0``.

    A Python float for 0-d results, the array (same dtype) otherwise.
    """
    return _to_output(np.asarray(values) + 0.0)


def _denominator(count, weights=None):
    """What ``'mean'`` divides by: ``count`` samples, or ``sum(weights)``.

    Raises
    ------
    ValueError
        For an empty batch (``count == 0``) or weights with total 0.
    """
    if weights is None:
        if count == 0:
            raise ValueError("reduction='mean' of an empty input is undefined")
        return count
    total = float(np.sum(weights, dtype=np.float64))
    if not total > 0:
        raise ValueError(
            "class_weight gives total weight 0 to the targets; the weighted mean "
            "is undefined (use reduction='sum' or 'none')"
        )
    return total


def _reduce_total(total, reduction, count, weights=None):
    """``'sum'`` or ``'mean'`` of per-sample values whose float64 sum is ``total``.

    For callers that accumulate the sum themselves (the chunked fast path of
    softmax cross-entropy); ``weights`` as in :func:`_reduce`.
    """
    if reduction == "sum":
        return float(total) + 0.0
    return float(total) / _denominator(count, weights) + 0.0


def _reduce(values, reduction, *, single=False, weights=None):
    """Apply a PyTorch-style reduction to per-sample values.

    Parameters
    ----------
    values : ndarray
        Per-sample losses (already multiplied by their weights, if any).
    reduction : {'mean', 'sum', 'none'}
        Checked by the caller (``_validation._check_reduction``) before any work.
    single : bool, default False
        True when the caller was given one sample without a batch axis and
        added one: ``'none'`` then returns that sample's value as a float.
    weights : ndarray, optional
        Per-sample weights: ``'mean'`` is ``sum(values) / sum(weights)``.

    Returns
    -------
    float or ndarray
        A Python float for ``'mean'`` and ``'sum'`` (accumulated in float64,
        ``inf`` if that sum exceeds the float64 maximum); the values, without
        ``-0.0``, for ``'none'``.

    Raises
    ------
    ValueError
        For ``'mean'`` of an empty array or with weights summing to 0.
    """
    if reduction == "none":
        out = np.asarray(values) + 0.0
        return float(out[0]) if single else _to_output(out)
    with np.errstate(over="ignore"):  # a sum beyond 1.8e308 is honestly inf
        total = float(np.sum(values, dtype=np.float64))
    return _reduce_total(total, reduction, np.size(values), weights)


def _reduce_grad(grad, reduction, *, single=False, weights=None):
    """Reduce per-sample gradients ``grad`` (N, C) in place, as :func:`_reduce`.

    ``'mean'`` divides by the denominator of the mean loss (so the result is
    the gradient of the mean); ``'sum'`` and ``'none'`` return the per-sample
    gradients. ``single``: return the one row as a 1-D array.
    """
    if reduction == "mean":
        grad /= _denominator(grad.shape[0], weights)
    return grad[0] if single else grad
