"""Analysis helpers for the chapters on entropy and cross-entropy.

Two small results the book computes and then checks against a library or a
finite difference: the information gain of a split (what a decision tree
with ``criterion="entropy"`` maximises) and the Hessian of softmax
cross-entropy with respect to the logits (which shows that the loss is convex
in the logits).
"""

import numpy as np

from ._validation import _as_float_array, _check_labels, _check_ndim
from .activations import softmax
from .information import entropy

__all__ = ["information_gain", "softmax_hessian"]


def information_gain(parent_labels, child_label_groups, *, base=None):
    r"""Information gain of splitting a node's labels into child groups.

    .. math:: \mathrm{IG} = H(Y) - \sum_{k} \frac{n_k}{n}\, H(Y \mid \text{child } k)

    where :math:`H` is the entropy of the empirical class frequencies, :math:`n`
    the number of labels in the parent and :math:`n_k` the number in child
    :math:`k`. It is the entropy reduction that a decision tree with
    ``criterion="entropy"`` maximises at each split (scikit-learn reports
    these entropies in bits: use ``base=2`` to compare).

    Parameters
    ----------
    parent_labels : array_like of int, shape (n,)
        Non-negative integer class labels of the samples at the node.
    child_label_groups : sequence of array_like of int
        The labels of each child (at least one, none empty). Together they
        must hold exactly the parent's labels (the same count of each class).
    base : float, optional
        Base of the logarithm: ``None`` for nats, ``2`` for bits.

    Returns
    -------
    float
        The information gain, in nats (or ``base`` units); between 0 and
        :math:`H(Y)`.

    Raises
    ------
    ValueError
        If a label array is not 1-D, is empty, holds negative or non-integer
        labels, or if the children do not partition the parent.
    TypeError
        If labels are not numeric, or ``child_label_groups`` is not a sequence.

    Examples
    --------
    >>> parent = [0, 0, 1, 1]
    >>> information_gain(parent, [[0, 0], [1, 1]], base=2)  # a perfect split: 1 bit
    1.0
    >>> information_gain(parent, [[0, 1], [0, 1]], base=2)  # a useless split
    0.0

    Introduced in chapter "Entropy".
    """
    parent = _labels_1d(parent_labels, "parent_labels")
    if isinstance(child_label_groups, (str, bytes)) or not hasattr(
        child_label_groups, "__len__"
    ):
        raise TypeError(
            "child_label_groups must be a sequence of label arrays; "
            f"got {type(child_label_groups).__name__}"
        )
    if len(child_label_groups) == 0:
        raise ValueError("child_label_groups must contain at least one group")
    children = [
        _labels_1d(group, f"child_label_groups[{k}]")
        for k, group in enumerate(child_label_groups)
    ]
    n_classes = int(max(parent.max(), max(c.max() for c in children))) + 1
    parent_counts = np.bincount(parent, minlength=n_classes)
    child_counts = np.stack([np.bincount(c, minlength=n_classes) for c in children])
    if not np.array_equal(child_counts.sum(axis=0), parent_counts):
        raise ValueError(
            "child_label_groups must partition parent_labels: the children's "
            f"class counts {child_counts.sum(axis=0).tolist()} differ from the "
            f"parent's {parent_counts.tolist()}"
        )
    n_child = child_counts.sum(axis=1)
    h_parent = entropy(parent_counts / parent.size, base=base)
    h_children = entropy(child_counts / n_child[:, None], base=base)
    gain = h_parent - np.dot(n_child / parent.size, h_children)
    return float(max(gain, 0.0))  # rounding can leave -1e-17 for a useless split


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


def _labels_1d(labels, name):
    """Non-empty 1-D array of non-negative integer labels."""
    arr = _check_labels(labels, name)
    _check_ndim(arr, 1, name)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr
