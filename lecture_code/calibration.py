"""Calibration: does a predicted probability of 0.8 come true 80% of the time?

A classifier is *calibrated* when, among all predictions made with
confidence :math:`c`, a fraction :math:`c` is correct. The tools here bin the
predictions by confidence (the largest predicted probability) into equal-width
bins, compare each bin's accuracy with its mean confidence
(:func:`reliability_curve`), and summarise the gaps in one number, the
expected calibration error (:func:`expected_calibration_error`) of Guo et al.
(2017). The plot of the curve, the reliability diagram, lives in
:func:`lecture_code.plotting.reliability_diagram`.

Binary problems can be given either as two-column probability rows or as a
1-D array ``p`` of the positive class's probability; the latter is read as the
rows ``[1 - p, p]``, so the confidence is ``max(p, 1 - p)`` and the predicted
class is 1 when ``p > 0.5`` (the "top-label" calibration of both forms agrees).
"""

from collections import namedtuple

import numpy as np

from ._validation import (
    _check_labels,
    _check_n_classes,
    _check_ndim,
    _check_probabilities,
    _check_same_length,
)

__all__ = ["ReliabilityCurve", "reliability_curve", "expected_calibration_error"]

#: What :func:`reliability_curve` returns: one entry per bin (``bin_edges``
#: has one more). Empty bins have ``counts == 0`` and NaN confidence/accuracy.
ReliabilityCurve = namedtuple(
    "ReliabilityCurve", ["bin_edges", "confidence", "accuracy", "counts"]
)


def _confidence_and_correct(y_true, probs):
    """Validate the input; return each sample's confidence and whether it is right."""
    probs = _check_probabilities(probs, "probs", sum_to_one=False)
    _check_ndim(probs, (1, 2), "probs")
    if probs.ndim == 1:  # probability of the positive class of a binary problem
        probs = np.stack([1.0 - probs, probs], axis=1)
    else:
        probs = _check_probabilities(probs, "probs", axis=1)
    labels = _check_labels(y_true, "y_true", n_classes=probs.shape[1])
    _check_ndim(labels, 1, "y_true")
    _check_same_length(labels, probs, ("y_true", "probs"))
    if labels.size == 0:
        raise ValueError("y_true and probs must contain at least one sample")
    predicted = np.argmax(probs, axis=1)
    confidence = probs[np.arange(len(probs)), predicted]
    return confidence, predicted == labels


def reliability_curve(y_true, probs, *, n_bins=15):
    r"""Accuracy against confidence in equal-width confidence bins.

    Each sample's confidence is its largest predicted probability
    :math:`\hat p_i = \max_c p_{ic}`, its prediction the arg-max. Bin
    :math:`b` holds the samples with :math:`\hat p_i \in ((b-1)/M, b/M]`
    (:math:`M` = ``n_bins``; a confidence of exactly 0 goes to the first bin),
    and

    .. math:: \operatorname{conf}(B_b) = \frac{1}{|B_b|} \sum_{i \in B_b} \hat p_i,
              \qquad
              \operatorname{acc}(B_b) = \frac{1}{|B_b|} \sum_{i \in B_b}
              \mathbf{1}[\hat y_i = y_i].

    Parameters
    ----------
    y_true : array_like of shape (N,)
        Integer class labels in ``[0, C - 1]`` (0/1 for binary ``probs``).
    probs : array_like of shape (N, C) or (N,)
        Predicted probability rows (each summing to 1), or for a binary
        problem the probability of class 1 (read as rows ``[1 - p, p]``).
    n_bins : int, default 15
        Number of equal-width bins on [0, 1] (Guo et al. use 15).

    Returns
    -------
    ReliabilityCurve
        ``(bin_edges, confidence, accuracy, counts)``: ``bin_edges`` has
        ``n_bins + 1`` entries; the other three have ``n_bins``. Empty bins
        have count 0 and NaN confidence and accuracy.

    Raises
    ------
    ValueError
        If ``probs`` is not 1-D or 2-D, holds values outside [0, 1] or rows
        not summing to 1, ``y_true`` is out of range or of another length,
        the input is empty, or ``n_bins`` is not a positive integer.

    Examples
    --------
    >>> curve = reliability_curve([0, 1, 1], [0.2, 0.9, 0.4], n_bins=2)
    >>> curve.counts  # confidences 0.8, 0.9, 0.6 all fall in (0.5, 1]
    array([0, 3])
    >>> np.round(curve.confidence, 4), np.round(curve.accuracy, 4)
    (array([   nan, 0.7667]), array([   nan, 0.6667]))

    Introduced in chapter "Label smoothing".
    """
    n_bins = _check_n_classes(n_bins, "n_bins")
    confidence, correct = _confidence_and_correct(y_true, probs)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Number of interior edges strictly below the confidence = index of the
    # bin (lo, hi] that holds it.
    which = np.searchsorted(edges[1:-1], confidence, side="left")
    counts = np.bincount(which, minlength=n_bins)
    conf_sum = np.bincount(which, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(which, weights=correct.astype(float), minlength=n_bins)
    filled = counts > 0
    mean_conf = np.full(n_bins, np.nan)
    mean_acc = np.full(n_bins, np.nan)
    mean_conf[filled] = conf_sum[filled] / counts[filled]
    mean_acc[filled] = acc_sum[filled] / counts[filled]
    return ReliabilityCurve(edges, mean_conf, mean_acc, counts)


def expected_calibration_error(y_true, probs, *, n_bins=15):
    r"""Expected calibration error (ECE) with equal-width confidence bins.

    .. math:: \mathrm{ECE} = \sum_{b=1}^{M} \frac{|B_b|}{N}
              \bigl|\operatorname{acc}(B_b) - \operatorname{conf}(B_b)\bigr|

    the average gap between confidence and accuracy, weighted by how many
    predictions fall in each bin (see :func:`reliability_curve` for the bins).
    0 means perfectly calibrated (on these bins); the largest value is 1.
    It is a property of the *top-label* confidence only and depends on
    ``n_bins``; compare ECEs only at the same ``n_bins``.

    Parameters
    ----------
    y_true : array_like of shape (N,)
        Integer class labels.
    probs : array_like of shape (N, C) or (N,)
        Probability rows, or the probability of class 1 of a binary problem.
    n_bins : int, default 15

    Returns
    -------
    float
        The ECE, in [0, 1].

    Raises
    ------
    ValueError
        As :func:`reliability_curve`.

    Examples
    --------
    >>> # 4 predictions at confidence 0.75, 3 of them right: acc = conf.
    >>> expected_calibration_error([0, 0, 0, 1], [[0.75, 0.25]] * 4)
    0.0
    >>> round(expected_calibration_error([0, 1], [[0.9, 0.1], [0.9, 0.1]]), 4)
    0.4

    Introduced in chapter "Label smoothing".
    """
    curve = reliability_curve(y_true, probs, n_bins=n_bins)
    filled = curve.counts > 0
    weights = curve.counts[filled] / curve.counts.sum()
    gaps = np.abs(curve.accuracy[filled] - curve.confidence[filled])
    return float(np.sum(weights * gaps))
