"""Shared input validation for every function in :mod:`lecture_code`.

Each public function checks its input here *before* computing, so that bad
input fails with a message that names the argument and the problem instead of
producing a silent NaN. All helpers are private (leading underscore) but
documented, because every module of the package imports them.

Conventions
-----------
* Every helper accepts lists, tuples, scalars and arrays.
* Helpers that convert return a new (or the same) NumPy array; helpers called
  ``_check_*`` return the checked value (converted where that is useful).
* Numeric problems raise :class:`ValueError`; input that is not numeric at
  all (strings, objects) raises :class:`TypeError`.
* The tolerance for "sums to 1" is :data:`PROB_ATOL` (``1e-6``) on the sum of
  each distribution, i.e. relative to a total of 1.

Examples
--------
>>> _check_reduction("avg")
Traceback (most recent call last):
...
ValueError: reduction must be 'mean', 'sum' or 'none'; got 'avg'
>>> _check_labels([0, 3, 12], "labels", n_classes=10)
Traceback (most recent call last):
...
ValueError: labels must be integers in [0, 9]; got 12
"""

import numbers

import numpy as np

__all__ = []  # nothing public: helpers only

#: Absolute tolerance on the sum of each probability distribution (the sum
#: is compared with 1, so this is also a relative tolerance).
PROB_ATOL = 1e-6

_REDUCTIONS = ("mean", "sum", "none")


def _fmt(value):
    """Format a number for an error message (short, without NumPy's repr)."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (numbers.Integral, np.integer)):
        return str(int(value))
    return repr(value)


def _as_float_array(x, name, *, finite=True):
    """Convert ``x`` to a float64 array and (by default) check it is finite.

    Parameters
    ----------
    x : array_like
        Numbers (list, tuple, scalar or array). Booleans are accepted as 0/1.
    name : str
        Argument name used in error messages.
    finite : bool, default True
        If True, NaN and infinite values raise ``ValueError``.

    Returns
    -------
    ndarray of float64
        ``x`` itself when it already is a float64 array (no copy).

    Raises
    ------
    TypeError
        If ``x`` is not numeric (strings, objects, complex numbers).
    ValueError
        If ``finite`` and ``x`` contains NaN or infinity.
    """
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        arr = x
    else:
        probe = np.asarray(x)
        if probe.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must be an array of real numbers; got dtype {probe.dtype}"
            )
        arr = probe.astype(np.float64, copy=False)
    if finite:
        _check_finite(arr, name)
    return arr


def _check_finite(arr, name):
    """Raise ``ValueError`` if ``arr`` contains NaN or +-inf.

    Uses ``arr.min()`` and ``arr.max()``: NaN propagates through both and the
    infinities show up as the extremes, so finiteness costs two fast
    reductions and no temporary boolean array.
    """
    arr = np.asarray(arr)
    if arr.size == 0:
        return arr
    lo, hi = arr.min(), arr.max()
    if np.isnan(lo) or np.isnan(hi):
        raise ValueError(f"{name} must not contain NaN")
    if np.isinf(lo) or np.isinf(hi):
        raise ValueError(f"{name} must be finite; got an infinite value")
    return arr


def _check_probabilities(p, name, *, axis=-1, sum_to_one=True, atol=PROB_ATOL):
    """Convert ``p`` to float64 and check it holds probabilities.

    Parameters
    ----------
    p : array_like
        Values that must lie in [0, 1].
    name : str
        Argument name used in error messages.
    axis : int, default -1
        Axis along which each distribution lies (used if ``sum_to_one``).
    sum_to_one : bool, default True
        If True, each slice along ``axis`` must sum to 1 within ``atol``.
    atol : float, default :data:`PROB_ATOL` (1e-6)
        Tolerance on ``|sum - 1|`` for every distribution.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        For NaN/inf, values outside [0, 1], or sums away from 1.
    """
    arr = _as_float_array(p, name)
    if arr.size == 0:
        return arr
    lo, hi = arr.min(), arr.max()
    if lo < 0:
        raise ValueError(
            f"{name} must contain probabilities in [0, 1]; got min {_fmt(lo)}"
        )
    if hi > 1:
        raise ValueError(
            f"{name} must contain probabilities in [0, 1]; got max {_fmt(hi)}"
        )
    if sum_to_one:
        if arr.ndim == 0:
            raise ValueError(
                f"{name} must be a distribution (at least 1-D) along axis {axis}"
            )
        _check_axis(arr, axis, name)
        sums = arr.sum(axis=axis)
        worst = np.max(np.abs(sums - 1.0))
        if worst > atol:
            bad = np.ravel(sums)[np.argmax(np.ravel(np.abs(sums - 1.0)))]
            raise ValueError(
                f"{name} must sum to 1 along axis {axis} (tolerance {atol:g}); "
                f"got a sum of {_fmt(bad)}"
            )
    return arr


def _check_axis(arr, axis, name):
    """Raise ``ValueError`` if ``axis`` is not a valid axis of ``arr``."""
    if not isinstance(axis, (numbers.Integral, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer; got {axis!r}")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(
            f"axis {axis} is out of range for {name} with {arr.ndim} dimension(s)"
        )
    return int(axis)


def _check_labels(labels, name, n_classes=None):
    """Convert integer class labels to an int64 array and check their range.

    Parameters
    ----------
    labels : array_like
        Integer labels. Floats are accepted only if they are whole numbers
        (``[0., 2.]``); booleans are rejected.
    name : str
        Argument name used in error messages.
    n_classes : int, optional
        If given, labels must lie in ``[0, n_classes - 1]``; otherwise they
        must be non-negative.

    Returns
    -------
    ndarray of int64

    Raises
    ------
    TypeError
        If ``labels`` is not numeric or is boolean.
    ValueError
        For non-integer values, NaN, negative labels or labels ``>= n_classes``.
    """
    arr = np.asarray(labels)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be integers; got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if arr.size and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be integers; got a NaN or infinite value")
        frac = arr != np.round(arr)
        if np.any(frac):
            raise ValueError(f"{name} must be integers; got {_fmt(arr[frac][0])}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size == 0:
        return arr
    lo, hi = arr.min(), arr.max()
    if n_classes is None:
        if lo < 0:
            raise ValueError(f"{name} must be non-negative integers; got {_fmt(lo)}")
        return arr
    n_classes = _check_n_classes(n_classes)
    if lo < 0 or hi >= n_classes:
        bad = lo if lo < 0 else hi
        raise ValueError(
            f"{name} must be integers in [0, {n_classes - 1}]; got {_fmt(bad)}"
        )
    return arr


def _check_n_classes(n_classes, name="n_classes"):
    """Return ``n_classes`` as a positive ``int`` or raise ``ValueError``."""
    if isinstance(n_classes, bool) or not isinstance(
        n_classes, (numbers.Integral, np.integer)
    ):
        raise TypeError(f"{name} must be a positive integer; got {n_classes!r}")
    if n_classes < 1:
        raise ValueError(f"{name} must be a positive integer; got {int(n_classes)}")
    return int(n_classes)


def _check_same_shape(a, b, names):
    """Raise ``ValueError`` unless arrays ``a`` and ``b`` have the same shape.

    ``names`` is a pair such as ``("y_true", "y_pred")``.
    """
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape; "
            f"got {np.shape(a)} and {np.shape(b)}"
        )


def _check_ndim(arr, ndims, name):
    """Raise ``ValueError`` unless ``arr.ndim`` is in ``ndims`` (an int or tuple)."""
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {want}; got shape {arr.shape}")


def _check_same_length(a, b, names):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same first dimension
    (the batch size)."""
    na, nb = np.shape(a)[0], np.shape(b)[0]
    if na != nb:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of samples; "
            f"got {na} and {nb}"
        )


def _check_reduction(reduction):
    """Return ``reduction`` if it is ``'mean'``, ``'sum'`` or ``'none'``."""
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}"
        )
    return reduction


def _check_unit_interval(value, name):
    """Check that a scalar or array ``value`` lies in [0, 1]; return float(s).

    Returns a Python ``float`` for scalars and a float64 array otherwise.
    """
    arr = _as_float_array(value, name, finite=False)
    if arr.size and (np.any(np.isnan(arr)) or arr.min() < 0 or arr.max() > 1):
        bad = arr[~((arr >= 0) & (arr <= 1))].ravel()[0]
        raise ValueError(f"{name} must be in [0, 1]; got {_fmt(bad)}")
    return float(arr) if arr.ndim == 0 else arr


def _check_nonnegative(value, name):
    """Check that a scalar ``value`` is a finite number >= 0; return a float."""
    arr = _as_float_array(value, name, finite=False)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar; got shape {arr.shape}")
    v = float(arr)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite non-negative number; got {_fmt(v)}")
    return v


def _check_positive(value, name):
    """Check that a scalar ``value`` is a finite number > 0; return a float."""
    v = _check_nonnegative(value, name)
    if v == 0:
        raise ValueError(f"{name} must be positive; got 0")
    return v


def _check_base(base):
    """Check a logarithm base (``None`` for nats, else a positive number != 1).

    Returns the factor ``1 / ln(base)`` that converts nats to ``base`` units.
    """
    if base is None:
        return 1.0
    b = _check_positive(base, "base")
    if b == 1:
        raise ValueError("base must be positive and different from 1; got 1")
    return 1.0 / np.log(b)


def _check_eps(eps, name="eps"):
    """Check a clipping constant: a float in [0, 0.5); return it as a float."""
    v = _check_nonnegative(eps, name)
    if v >= 0.5:
        raise ValueError(f"{name} must be in [0, 0.5); got {_fmt(v)}")
    return v


def _to_output(values):
    """Return a Python float for 0-d results, the array otherwise."""
    values = np.asarray(values)
    return float(values) if values.ndim == 0 else values


def _reduce(values, reduction, weights=None):
    """Apply a PyTorch-style reduction to per-sample values.

    Parameters
    ----------
    values : ndarray
        Per-sample losses.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` averages, ``'sum'`` adds up, ``'none'`` returns ``values``.
    weights : ndarray, optional
        If given, ``'mean'`` is ``sum(values) / sum(weights)`` (the weighted
        mean of PyTorch's ``weight=``; ``values`` must already be weighted).

    Returns
    -------
    float or ndarray
        A Python float for ``'mean'`` and ``'sum'``; the array for ``'none'``.

    Raises
    ------
    ValueError
        For an unknown ``reduction``, or ``'mean'`` of an empty array.
    """
    _check_reduction(reduction)
    if reduction == "none":
        return _to_output(values)
    if reduction == "mean" and np.size(values) == 0:
        raise ValueError("reduction='mean' of an empty input is undefined")
    with np.errstate(over="ignore"):  # a sum beyond 1.8e308 is honestly inf
        if reduction == "sum":
            return float(np.sum(values))
        if weights is not None:
            return float(np.sum(values) / np.sum(weights))
        return float(np.mean(values))
