"""Target encodings: one-hot rows and label smoothing."""

import numpy as np

from ._validation import (
    _check_labels,
    _check_n_classes,
    _check_probabilities,
    _check_scalar_unit_interval,
)

__all__ = ["one_hot", "smooth_labels"]


def one_hot(labels, n_classes=None):
    r"""One-hot encode integer class labels.

    .. math:: y_{ic} = [\,c = \text{label}_i\,], \qquad c = 0, \dots, C - 1

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, n_classes - 1]`` (any shape).
    n_classes : int, optional
        Number of classes :math:`C`; default ``max(labels) + 1``.

    Returns
    -------
    ndarray of float64, shape ``labels.shape + (n_classes,)``
        Rows with a single 1.

    Raises
    ------
    ValueError
        If labels are negative, not whole numbers, or ``>= n_classes``.
    TypeError
        If ``labels`` is not numeric (or is boolean).

    Examples
    --------
    >>> one_hot([0, 2, 1], n_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])

    Equivalents: PyTorch ``F.one_hot(labels, num_classes)`` (integer
    output), Keras ``keras.utils.to_categorical``, scikit-learn
    ``LabelBinarizer`` (which infers the classes from the data and gives a
    single column for two classes).

    Introduced in chapter "Cross-entropy".
    """
    if n_classes is not None:
        n_classes = _check_n_classes(n_classes)
    labels = _check_labels(labels, "labels", n_classes)
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 1
    out = np.zeros(labels.shape + (n_classes,))
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out


def smooth_labels(y, alpha=0.1, *, n_classes=None):
    r"""Label smoothing: mix the targets with the uniform distribution.

    .. math:: y^{\mathrm{LS}} = (1 - \alpha)\, y + \frac{\alpha}{C}

    Parameters
    ----------
    y : array_like
        Either class labels, a scalar or 1-D (``[0, 2, 1]``; whole-number
        floats such as ``[0., 2.]`` too, as :func:`one_hot` accepts them),
        which are one-hot encoded first, or probability rows of shape
        ``(N, C)`` or ``(..., C)``, 2-D or more (one-hot, soft or already
        smoothed; integer one-hot rows ``[[0, 1], [1, 0]]`` too; each row
        must sum to 1). The shape decides, as in
        :func:`lecture_code.categorical_cross_entropy`: pass a single
        probability row as ``[[...]]``.
    alpha : float, default 0.1
        Smoothing strength in [0, 1]: 0 leaves ``y`` unchanged, 1 gives the
        uniform distribution.
    n_classes : int, optional
        Number of classes :math:`C`. For labels it defaults to
        ``max(y) + 1`` (pass it explicitly: the highest class may be missing
        from a batch). For probability rows it must equal ``y.shape[-1]``.

    Returns
    -------
    ndarray, shape ``(N, C)`` (or ``(..., C)``)
        Rows that still sum to 1; float32 for float32 (or float16) rows,
        float64 otherwise.

    Raises
    ------
    ValueError
        If ``alpha`` is outside [0, 1], labels are out of range or not whole
        numbers, rows are not distributions, or ``n_classes`` disagrees with
        the rows.
    TypeError
        If ``y`` is not numeric.

    Examples
    --------
    >>> smooth_labels([0, 2], alpha=0.3, n_classes=3)  # 1 - 0.3 + 0.1 = 0.8
    array([[0.8, 0.1, 0.1],
           [0.1, 0.1, 0.8]])
    >>> smooth_labels([[0.0, 1.0]], alpha=0.2)
    array([[0.1, 0.9]])
    >>> smooth_labels([[0, 1], [1, 0]], alpha=0.2)  # integer one-hot rows
    array([[0.1, 0.9],
           [0.9, 0.1]])

    Equivalents: the ``label_smoothing=alpha`` argument of PyTorch's
    ``F.cross_entropy`` and of Keras' ``CategoricalCrossentropy`` (both mix
    with ``alpha / C`` as here); scikit-learn has none.

    Introduced in chapter "Label smoothing".
    """
    alpha = _check_scalar_unit_interval(alpha, "alpha")
    if n_classes is not None:
        n_classes = _check_n_classes(n_classes)
    y_arr = np.asarray(y)
    if y_arr.dtype.kind not in "biuf":
        raise TypeError(f"y must be integer labels or probability rows; got dtype {y_arr.dtype}")
    if y_arr.ndim <= 1:
        rows = one_hot(y_arr, n_classes)
    else:
        rows = _check_probabilities(y_arr, "y", axis=-1)
        if n_classes is not None and rows.shape[-1] != n_classes:
            raise ValueError(f"y has {rows.shape[-1]} classes per row but n_classes is {n_classes}")
    n = rows.shape[-1]
    return (1.0 - alpha) * rows + alpha / n
