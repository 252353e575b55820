"""The generic input checks of :mod:`lecture_code`, and its dtype policy.

Each public function checks its input *before* computing, so that bad input
fails with a message that names the argument and the problem instead of
producing a silent NaN or a wrong number. This module holds the checks that
several modules share: arrays and dtypes, probabilities, labels, shapes,
scalars and reduction arguments. A check used by one module only lives in
that module (``alpha`` of the focal losses in ``focal``, the joint tables and
log bases of ``information``, ``class_weight`` in ``losses``); the reductions
themselves are in ``_reduction``. All helpers are private (leading
underscore) but documented.

Conventions
-----------
* Every helper accepts lists, tuples, scalars and arrays.
* Helpers that convert return a new (or the same) NumPy array; helpers called
  ``_check_*`` return the checked value (converted where that is useful).
* Numeric problems raise :class:`ValueError`; input that is not numeric at
  all (strings, objects) raises :class:`TypeError`. Messages name the
  argument and the offending value or shape.

Dtype policy
------------
The package computes in the floating dtype of its input, so float32 data
stays float32 (as in PyTorch) and float64 stays float64 (as in SciPy):

=======================================  =================================
input                                    computed in (and returned as)
=======================================  =================================
float64 array                            float64, no copy
float32 array                            float32, no copy
float16 array                            float32 (a copy; NumPy has no
                                         fast float16 maths)
integers, booleans, lists, scalars       float64 (a copy)
longdouble                               float64 (a copy)
=======================================  =================================

* Two array arguments of different dtypes are combined by NumPy's promotion
  rules (float32 with float64 gives float64).
* ``reduction='mean'`` and ``'sum'`` return a Python ``float``; ``'none'`` and
  elementwise functions return an array of the computing dtype. Sums over a
  float32 batch are accumulated in float64.
* Inputs are never modified in place. A copy is made only to convert the
  dtype (see the table), never just to make an array contiguous: strided
  and transposed views are read as they are.
* Tolerances scale with the precision of the *input*: each distribution must
  sum to 1 within ``max(PROB_ATOL, C * finfo(dtype).eps)`` for ``C`` classes,
  i.e. 1e-6 for float64, about ``C * 1.2e-7`` for float32 and ``C * 9.8e-4``
  for float16 (a float16 softmax row is accepted).
* Clipping constants (``eps``) act in the computing dtype: a loss clipped
  at the default ``eps=1e-15`` is finite at probabilities of exactly 0 and 1
  in float16, float32 and float64 alike, with the same value (each loss's
  docstring states its eps rule; ``eps=0`` is exact, ``inf`` included).
* Results in float32 agree with float64 ones to float32 precision (a few
  times ``1.2e-7``, relative), at probabilities of 0 and 1 too; the tests
  (``tests/test_common.py``) check this for every loss.
* An empty batch: elementwise losses give an empty array (``'none'``) and 0
  (``'sum'``); a ``'mean'`` of nothing raises ``ValueError``, and the
  categorical losses refuse an empty batch ``(0, K)`` outright.

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
>>> _check_probabilities(np.float16([0.1, 0.2, 0.7]), "p").dtype
dtype('float32')
"""

import numbers

import numpy as np

__all__ = []  # nothing public: helpers only

#: Smallest tolerance on the sum of each probability distribution (the sum is
#: compared with 1, so this is also a relative tolerance). Low-precision
#: inputs get a larger one: see :func:`_sum_tolerance`.
PROB_ATOL = 1e-6

_REDUCTIONS = ("mean", "sum", "none")


def _fmt(value):
    """Format a number for an error message (short, without NumPy's repr)."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (numbers.Integral, np.integer)):
        return str(int(value))
    return repr(value)


def _float_dtype(dtype):
    """The dtype :mod:`lecture_code` computes in for input of ``dtype``."""
    if dtype == np.float32 or dtype == np.float16:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _as_float_array(x, name, *, finite=True):
    """Convert ``x`` to a float array (see the dtype policy above).

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
    ndarray of float32 or float64
        ``x`` itself when it already is a float32 or float64 array (no copy).

    Raises
    ------
    TypeError
        If ``x`` is not numeric (strings, objects, complex numbers).
    ValueError
        If ``finite`` and ``x`` contains NaN or infinity.
    """
    if isinstance(x, np.ndarray) and x.dtype in (np.float64, np.float32):
        arr = x
    else:
        probe = np.asarray(x)
        if probe.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be an array of real numbers; got dtype {probe.dtype}")
        arr = probe.astype(_float_dtype(probe.dtype), copy=False)
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


def _sum_tolerance(dtype, n_classes):
    """Tolerance on ``|sum - 1|`` for ``n_classes`` numbers of ``dtype``.

    Each of the ``C`` entries carries a rounding error of up to half an ulp,
    and so does every partial sum, so a correctly rounded distribution sums
    to 1 within about ``C * eps``. The tolerance is never below
    :data:`PROB_ATOL`.
    """
    eps = np.finfo(dtype).eps if np.dtype(dtype).kind == "f" else 0.0
    return max(PROB_ATOL, float(n_classes) * float(eps))


def _check_probabilities(p, name, *, axis=-1, sum_to_one=True, atol=None):
    """Convert ``p`` to a float array and check it holds probabilities.

    Parameters
    ----------
    p : array_like
        Values that must lie in [0, 1].
    name : str
        Argument name used in error messages.
    axis : int, default -1
        Axis along which each distribution lies (used if ``sum_to_one``).
    sum_to_one : bool, default True
        If True, each slice along ``axis`` must sum to 1 within ``atol`` and
        the class axis must not be empty.
    atol : float, optional
        Tolerance on ``|sum - 1|``; default :func:`_sum_tolerance` of the
        input's dtype (1e-6 for float64).

    Returns
    -------
    ndarray of float32 or float64

    Raises
    ------
    ValueError
        For NaN/inf, values outside [0, 1], an empty class axis, or sums
        away from 1.
    """
    in_dtype = np.asarray(p).dtype if not isinstance(p, np.ndarray) else p.dtype
    arr = _as_float_array(p, name)
    if sum_to_one:
        if arr.ndim == 0:
            raise ValueError(f"{name} must be a distribution (at least 1-D) along axis {axis}")
        _check_axis(arr, axis, name)
        if arr.shape[axis] == 0:
            raise ValueError(
                f"{name} must have at least one class along axis {axis}; got shape {arr.shape}"
            )
    if arr.size == 0:
        return arr
    lo, hi = arr.min(), arr.max()
    if lo < 0:
        raise ValueError(f"{name} must contain probabilities in [0, 1]; got min {_fmt(lo)}")
    if hi > 1:
        raise ValueError(f"{name} must contain probabilities in [0, 1]; got max {_fmt(hi)}")
    if sum_to_one:
        if atol is None:
            atol = _sum_tolerance(in_dtype, arr.shape[axis])
        sums = arr.sum(axis=axis, dtype=np.float64)
        dev = np.abs(sums - 1.0)
        if np.max(dev) > atol:
            bad = np.ravel(sums)[np.argmax(np.ravel(dev))]
            raise ValueError(
                f"{name} must sum to 1 along axis {axis} (tolerance {atol:.2g}); "
                f"got a sum of {_fmt(bad)}"
            )
    return arr


def _check_axis(arr, axis, name):
    """Raise ``ValueError`` if ``axis`` is not a valid axis of ``arr``."""
    if not isinstance(axis, (numbers.Integral, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer; got {axis!r}")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {arr.ndim} dimension(s)")
    return int(axis)


def _check_labels(labels, name, n_classes=None):
    """Convert integer class labels to an int64 array and check their range.

    Parameters
    ----------
    labels : array_like
        Integer labels of any integer dtype (uint64 too). Floats are accepted
        only if they are whole numbers (``[0., 2.]``); booleans are rejected.
    name : str
        Argument name used in error messages.
    n_classes : int, optional
        If given, labels must lie in ``[0, n_classes - 1]``; otherwise they
        must be non-negative and below ``2**63``.

    Returns
    -------
    ndarray of int64

    Raises
    ------
    TypeError
        If ``labels`` is not numeric or is boolean.
    ValueError
        For non-integer values, NaN, negative labels or labels ``>= n_classes``
        (the range is checked before the cast to int64, so a huge label is
        reported as itself, never wrapped around or with a NumPy warning).
    """
    arr = np.asarray(labels)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be integers; got dtype {arr.dtype}")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be integers; got a NaN or infinite value")
        frac = arr != np.round(arr)
        if np.any(frac):
            raise ValueError(f"{name} must be integers; got {_fmt(arr[frac][0])}")
    lo, hi = arr.min(), arr.max()  # in the input's own dtype: no wrap-around
    if n_classes is None:
        if lo < 0:
            raise ValueError(f"{name} must be non-negative integers; got {_fmt(lo)}")
        if hi >= 2**63:
            raise ValueError(f"{name} must be integers below 2**63; got {_fmt(hi)}")
        return arr.astype(np.int64, copy=False)
    n_classes = _check_n_classes(n_classes)
    if lo < 0 or hi >= n_classes:
        bad = lo if lo < 0 else hi
        raise ValueError(f"{name} must be integers in [0, {n_classes - 1}]; got {_fmt(bad)}")
    return arr.astype(np.int64, copy=False)


def _check_n_classes(n_classes, name="n_classes"):
    """Return ``n_classes`` as a positive ``int`` (see :func:`_check_positive_int`)."""
    return _check_positive_int(n_classes, name)


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
            f"{names[0]} and {names[1]} must have the same number of samples; got {na} and {nb}"
        )


def _check_reduction(reduction):
    """Return ``reduction`` if it is ``'mean'``, ``'sum'`` or ``'none'``."""
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")
    return reduction


def _check_unit_interval(value, name):
    """Check that a scalar or array ``value`` lies in [0, 1]; return float(s).

    Returns a Python ``float`` for scalars and a float array otherwise.
    """
    arr = _as_float_array(value, name, finite=False)
    if arr.size and (np.any(np.isnan(arr)) or arr.min() < 0 or arr.max() > 1):
        bad = arr[~((arr >= 0) & (arr <= 1))].ravel()[0]
        raise ValueError(f"{name} must be in [0, 1]; got {_fmt(bad)}")
    return float(arr) if arr.ndim == 0 else arr


def _check_scalar_unit_interval(value, name):
    """A scalar in [0, 1] (label smoothing, a smoothing ``alpha``), as a float."""
    a = _check_unit_interval(value, name)
    if np.ndim(a) != 0:
        raise ValueError(f"{name} must be a scalar; got shape {np.shape(a)}")
    return a


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


def _check_positive_int(value, name):
    """A positive integer (not a bool), as an ``int``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be a positive integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {int(value)}")
    return int(value)


def _check_eps(eps, name="eps"):
    """Check a clipping constant in [0, 0.5); ``None`` means 0 (no clip)."""
    if eps is None:
        return 0.0
    v = _check_nonnegative(eps, name)
    if v >= 0.5:
        raise ValueError(f"{name} must be in [0, 0.5); got {_fmt(v)}")
    return v


def _check_categorical(y_true, pred, pred_name, *, pred_is_prob):
    """Validate targets and predictions of a categorical loss.

    ``pred`` must be ``(N, C)`` (or ``(C,)`` for a single sample, promoted to
    ``(1, C)``) with at least one sample and one class. ``y_true`` is either
    integer labels ``(N,)`` (a scalar for a single sample) or probability
    rows of the same shape as ``pred``.

    Returns ``(labels, targets, pred, single)``: exactly one of ``labels``
    (int64, shape ``(N,)``) and ``targets`` (float, ``(N, C)``) is not None.
    Logits are *not* checked for finiteness here (the callers do it; the
    fast path of ``softmax_cross_entropy`` without an extra pass).

    A call in PyTorch's order, ``f(logits, labels)``, is recognised (2-D
    float ``y_true``, 1-D integer ``pred`` of the same length) and refused
    with a message that says so.
    """
    y = np.asarray(y_true)
    p_probe = np.asarray(pred)
    if (
        y.ndim == 2
        and p_probe.ndim == 1
        and p_probe.dtype.kind in "iu"
        and y.shape[0] == p_probe.shape[0]
    ):
        raise ValueError(
            f"y_true has shape {y.shape} and {pred_name} is 1-D integer of "
            f"shape {p_probe.shape}: the arguments look swapped; lecture_code "
            f"takes (y_true, {pred_name}) as scikit-learn and Keras do, "
            "PyTorch takes (input, target)"
        )
    if pred_is_prob:
        pred = _check_probabilities(pred, pred_name, axis=-1)
    else:
        pred = _as_float_array(pred, pred_name, finite=False)
    _check_ndim(pred, (1, 2), pred_name)
    single = pred.ndim == 1
    if single:
        pred, y = pred[None, :], y[None, ...]
    if pred.size == 0:
        raise ValueError(
            f"{pred_name} must contain at least one sample and one class; got shape {pred.shape}"
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
