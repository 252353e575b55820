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
    _as_float_array,
    _check_labels,
    _check_n_classes,
    _check_ndim,
    _check_probabilities,
    _check_same_length,
)

__all__ = [
    "ReliabilityCurve",
    "reliability_curve",
    "expected_calibration_error",
    "brier_score",
    "fit_temperature",
]

#: What :func:`reliability_curve` returns: one entry per bin (``bin_edges``
#: has one more). Empty bins have ``counts == 0`` and NaN confidence/accuracy.
ReliabilityCurve = namedtuple("ReliabilityCurve", ["bin_edges", "confidence", "accuracy", "counts"])


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


# --- Proper scoring rules and temperature scaling (chapter "Label smoothing")


def brier_score(y_true, probs):
    r"""Brier score: the mean squared distance between prediction and outcome.

    .. math:: \mathrm{BS} = \frac{1}{N} \sum_{i=1}^{N} \sum_{c=1}^{C}
              (p_{ic} - y_{ic})^2

    with :math:`y_i` the one-hot row of label :math:`y_i` (Brier, 1950).
    For a 1-D ``probs`` (the probability of class 1 of a binary problem) it
    is :math:`\frac{1}{N}\sum_i (p_i - y_i)^2`, half the two-column value,
    as scikit-learn's ``brier_score_loss`` (which also halves the
    two-column form of a binary problem unless ``scale_by_half=False``).
    Like the log loss it is a strictly proper scoring rule: its expectation
    under the true distribution is smallest when ``probs`` *is* that
    distribution. It lies in [0, 2] (in [0, 1] for the 1-D form).

    Parameters
    ----------
    y_true : array_like of shape (N,)
        Integer class labels in ``[0, C - 1]`` (0/1 for a 1-D ``probs``).
    probs : array_like of shape (N, C) or (N,)
        Probability rows (each summing to 1), or the probability of class 1.

    Returns
    -------
    float
        The mean Brier score.

    Raises
    ------
    ValueError
        If ``probs`` is not 1-D or 2-D, is outside [0, 1] or its rows do not
        sum to 1, if ``y_true`` is out of range or of another length, or if
        the input is empty.

    Examples
    --------
    >>> round(brier_score([0, 1], [[0.8, 0.2], [0.4, 0.6]]), 4)  # (.08+.32)/2
    0.2
    >>> round(brier_score([0, 1], [0.2, 0.6]), 4)  # (0.04 + 0.16) / 2
    0.1

    Introduced in chapter "Label smoothing".
    """
    probs = _check_probabilities(probs, "probs", sum_to_one=False)
    _check_ndim(probs, (1, 2), "probs")
    n_classes = 2 if probs.ndim == 1 else probs.shape[1]
    if probs.ndim == 2:
        probs = _check_probabilities(probs, "probs", axis=1)
    labels = _check_labels(y_true, "y_true", n_classes=n_classes)
    _check_ndim(labels, 1, "y_true")
    _check_same_length(labels, probs, ("y_true", "probs"))
    if labels.size == 0:
        raise ValueError("y_true and probs must contain at least one sample")
    if probs.ndim == 1:
        return float(np.mean((probs - labels) ** 2))
    onehot = np.zeros_like(probs)
    onehot[np.arange(len(labels)), labels] = 1.0
    return float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))


def _mean_nll_at_temperature(log_t, logits, labels):
    """Mean negative log-likelihood of softmax(logits / exp(log_t))."""
    z = logits / np.exp(log_t)
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))


def fit_temperature(y_true, logits, *, bounds=(1e-2, 1e2)):
    r"""Temperature scaling: the temperature that minimises the log loss.

    .. math:: T^{*} = \arg\min_{T > 0} \; -\frac{1}{N} \sum_{i=1}^{N}
              \log \operatorname{softmax}(z_i / T)_{y_i}

    (Guo et al., 2017). Fit it on held-out data (a validation split, never
    the training set), then predict with ``softmax(logits / T)``: :math:`T > 1`
    softens over-confident probabilities, :math:`T < 1` sharpens
    under-confident ones, and the arg-max (the accuracy) never changes. The
    one-dimensional problem is solved over :math:`\log T` with
    :func:`scipy.optimize.minimize_scalar` (bounded). This is what
    scikit-learn's ``CalibratedClassifierCV(method="temperature")`` fits.

    Parameters
    ----------
    y_true : array_like of shape (N,)
        Integer class labels of the held-out samples.
    logits : array_like of shape (N, C)
        The model's logits for the same samples.
    bounds : tuple of two floats, default (0.01, 100)
        Search interval for :math:`T`, with ``0 < low < high``.

    Returns
    -------
    float
        The fitted temperature :math:`T^{*}`.

    Raises
    ------
    ValueError
        If ``logits`` is not 2-D or not finite, ``y_true`` is out of range or
        of another length, the input is empty, or ``bounds`` is not an
        increasing pair of positive numbers.

    Examples
    --------
    >>> # confident and wrong half of the time: soften (T > 1)
    >>> t = fit_temperature([0, 1], [[3.0, 0.0], [3.0, 0.0]])
    >>> bool(t > 1)
    True

    Introduced in chapter "Label smoothing".
    """
    from scipy.optimize import minimize_scalar

    logits = _as_float_array(logits, "logits")
    _check_ndim(logits, 2, "logits")
    labels = _check_labels(y_true, "y_true", n_classes=logits.shape[1])
    _check_ndim(labels, 1, "y_true")
    _check_same_length(labels, logits, ("y_true", "logits"))
    if labels.size == 0:
        raise ValueError("y_true and logits must contain at least one sample")
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair of positive numbers; got {bounds!r}") from None
    if not 0 < low < high < np.inf:
        raise ValueError(f"bounds must satisfy 0 < low < high; got {bounds!r}")
    result = minimize_scalar(
        _mean_nll_at_temperature,
        bounds=(np.log(low), np.log(high)),
        args=(logits, labels),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return float(np.exp(result.x))
