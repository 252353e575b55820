"""Information theory on discrete distributions: surprise, entropy,
cross-entropy, and the divergences and distances that compare two
distributions.

Distributions lie along ``axis`` (default: the last one), so a 2-D array is a
batch of distributions and the result is one number per row. Logs are natural
(nats) unless ``base`` is given (``base=2`` for bits). The convention
:math:`0 \\log 0 = 0` holds everywhere, and no function warns on
probabilities of exactly 0 or 1.

Two distributions ``p`` and ``q`` must have the same number of classes along
``axis``; the class axis is never broadcast (``kl_divergence([0.2, 0.3,
0.5], [1.0])`` is an error, where SciPy would normalise ``[1.0]``). The
other axes broadcast, so one target can be compared with a batch.

Differences from SciPy's ``scipy.stats.entropy``: our default is the *last*
axis (``axis=-1``, one distribution per row) where SciPy's is ``axis=0``, and
we refuse inputs that do not sum to 1 where SciPy silently normalises them.
"""

import numpy as np
from scipy.special import rel_entr, xlogy

from ._reduction import _nonnegative, _to_output
from ._validation import (
    _as_float_array,
    _check_axis,
    _check_eps,
    _check_labels,
    _check_ndim,
    _check_positive,
    _check_probabilities,
    _fmt,
    _sum_tolerance,
)

__all__ = [
    "surprise",
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "total_variation",
    "hellinger",
    "bhattacharyya",
    "wasserstein_1d",
    "information_gain",
    "conditional_entropy",
    "mutual_information",
]


def surprise(p, *, base=None):
    r"""Surprise (self-information) of an event of probability ``p``.

    .. math:: I(p) = -\log p

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1] (they need not sum to 1).
    base : float, optional
        Base of the logarithm: ``None`` for nats, ``2`` for bits.

    Returns
    -------
    float or ndarray
        Surprise elementwise; ``inf`` (without a warning) where ``p = 0``.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1] or not finite, or ``base`` is invalid.

    Examples
    --------
    >>> surprise(0.5, base=2)  # a fair coin flip: 1 bit
    1.0
    >>> round(surprise(1 / 1000, base=2), 4)  # the 1-in-1000 guess
    9.9658
    >>> surprise([1.0, 0.0])
    array([ 0., inf])

    Equivalents: ``-scipy.special.xlogy(1, p)``; PyTorch ``-torch.log(p)``.

    Introduced in chapter "Surprise".
    """
    scale = _check_base(base)
    p = _check_probabilities(p, "p", sum_to_one=False)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer
        out = -np.log(p) * scale
    return _nonnegative(out)


def entropy(p, *, base=None, axis=-1):
    r"""Shannon entropy: the expected surprise of a distribution.

    .. math:: H(p) = -\sum_i p_i \log p_i \qquad (0 \log 0 = 0)

    Parameters
    ----------
    p : array_like
        Probabilities along ``axis``; non-negative, summing to 1
        (tolerance 1e-6).
    base : float, optional
        Base of the logarithm: ``None`` for nats, ``2`` for bits.
    axis : int, default -1
        Axis along which each distribution lies.

    Returns
    -------
    float or ndarray
        Entropy of each distribution, in nats (or in ``base`` units).

    Raises
    ------
    ValueError
        If ``p`` has negative entries or does not sum to 1 along ``axis``.

    Examples
    --------
    >>> entropy([0.5, 0.5], base=2)
    1.0
    >>> round(entropy([0.1, 0.7, 0.2]), 4)
    0.8018
    >>> entropy([1.0, 0.0, 0.0])  # certainty: no surprise at all
    0.0

    Equivalents: ``scipy.stats.entropy(p, base=base, axis=axis)`` (SciPy's
    default axis is 0, ours -1; SciPy normalises ``p``, we check it);
    PyTorch ``torch.distributions.Categorical(probs=p).entropy()``.

    Introduced in chapter "Entropy".
    """
    scale = _check_base(base)
    p = _check_probabilities(p, "p", axis=axis)
    h = -np.sum(xlogy(p, p), axis=axis) * scale
    return _nonnegative(h)


def cross_entropy(p, q, *, eps=1e-15, base=None, axis=-1):
    r"""Cross-entropy of a predicted distribution ``q`` under the true ``p``.

    .. math:: H(p, q) = -\sum_i p_i \log \operatorname{clip}(q_i, \varepsilon, 1)
              \qquad (0 \log 0 = 0)

    What ``eps`` does: it replaces every :math:`q_i < \varepsilon` by
    :math:`\varepsilon` before the log, so the loss stays finite when the
    prediction gives probability 0 to an event that happens (about
    :math:`p_i \cdot 34.5` nats for ``eps=1e-15``). The clipped ``q`` no
    longer sums to 1, so the identity
    :math:`H(p, q) = H(p) + D_{\mathrm{KL}}(p \,\|\, q)` holds exactly only
    where every :math:`q_i \ge \varepsilon` (or :math:`p_i = 0`); elsewhere
    the clipped value is *smaller* than the exact one (which may be ``inf``).
    ``eps=0`` or ``eps=None`` computes the exact value, ``inf`` where
    :math:`q_i = 0 < p_i`, without a warning; then the identity holds
    everywhere (:func:`kl_divergence` never clips).

    Parameters
    ----------
    p : array_like
        True distribution(s) along ``axis`` (summing to 1; see the dtype
        policy in ``lecture_code._validation`` for the tolerance).
    q : array_like
        Predicted distribution(s) with the same number of classes as ``p``;
        the other axes broadcast (one target ``p`` against a batch ``q``).
    eps : float or None, default 1e-15
        Lower clip for ``q``, in [0, 0.5); ``0`` or ``None``: no clip (exact).
    base : float, optional
        ``None`` for nats, ``2`` for bits.
    axis : int, default -1
        Axis along which each distribution lies.

    Returns
    -------
    float or ndarray
        :math:`H(p, q)` for each distribution.

    Raises
    ------
    ValueError
        If the class axes differ, the other axes do not broadcast, or either
        input is not a distribution.

    Examples
    --------
    >>> p = [0.1, 0.7, 0.2]
    >>> round(cross_entropy(p, p), 3)  # H(p, p) = H(p)
    0.802
    >>> round(cross_entropy(p, [0.5, 0.0, 0.5]), 3)  # 0.3 ln 2 + 0.7 ln(1e15)
    24.385
    >>> cross_entropy(p, [0.5, 0.0, 0.5], eps=0)
    inf
    >>> cross_entropy(p, [[0.1, 0.7, 0.2], [0.5, 0.0, 0.5]]).round(3)  # 1 vs 2
    array([ 0.802, 24.385])

    Equivalents: ``scipy.stats.entropy(p) + scipy.stats.entropy(p, q)``
    (exact, no clip; SciPy's default axis is 0); scikit-learn's ``log_loss``
    clips at ``finfo(q.dtype).eps`` (2.2e-16) where our default is 1e-15;
    PyTorch ``F.cross_entropy`` and Keras ``categorical_crossentropy`` take
    logits or clip at 1e-7 (Keras) and work on batches of rows, see
    :func:`lecture_code.categorical_cross_entropy`.

    Introduced in chapter "Cross-entropy".
    """
    scale = _check_base(base)
    eps = _check_eps(eps)
    p, q = _check_pair(p, q, axis)
    if eps > 0:
        q = np.clip(q, eps, 1.0)
    h = -np.sum(xlogy(p, q), axis=axis) * scale
    return _nonnegative(h)


def kl_divergence(p, q, *, base=None, axis=-1):
    r"""Kullback-Leibler divergence of ``q`` from ``p``.

    .. math:: D_{\mathrm{KL}}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i}
              = H(p, q) - H(p)

    Exact: ``inf`` where :math:`q_i = 0 < p_i` (no clipping, no warning);
    terms with :math:`p_i = 0` are 0.

    Parameters
    ----------
    p, q : array_like
        Distributions along ``axis`` with the same number of classes; the
        other axes broadcast (one target against a batch of predictions).
    base : float, optional
        ``None`` for nats, ``2`` for bits.
    axis : int, default -1

    Returns
    -------
    float or ndarray
        Non-negative divergence(s); 0 only when ``p == q``.

    Raises
    ------
    ValueError
        If the class axes differ, the other axes do not broadcast, or either
        input is not a distribution.

    Examples
    --------
    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)  # 0.5 ln(0.5/0.9) + 0.5 ln(5)
    0.5108

    Equivalents: ``scipy.stats.entropy(p, q)`` (default axis 0, normalises
    its inputs); ``scipy.special.rel_entr`` summed; PyTorch
    ``F.kl_div(q.log(), p, reduction="sum")`` (note the swapped order and
    the log input); Keras ``KLDivergence`` (clips both at 1e-7).

    Introduced in chapter "Cross-entropy".
    """
    scale = _check_base(base)
    p, q = _check_pair(p, q, axis)
    d = np.sum(rel_entr(p, q), axis=axis) * scale
    return _nonnegative(d)


def js_divergence(p, q, *, base=None, axis=-1):
    r"""Jensen-Shannon divergence: symmetric and always finite.

    .. math:: \mathrm{JS}(p, q) = \tfrac12 D_{\mathrm{KL}}(p \,\|\, m)
              + \tfrac12 D_{\mathrm{KL}}(q \,\|\, m), \qquad m = \tfrac12 (p + q)

    This is the divergence, the *square* of SciPy's
    ``scipy.spatial.distance.jensenshannon`` (a distance). It lies in
    :math:`[0, \log 2]`.

    Parameters
    ----------
    p, q : array_like
        Distributions along ``axis`` with the same number of classes; the
        other axes broadcast (one target against a batch of predictions).
    base : float, optional
        ``None`` for nats, ``2`` for bits (then it lies in [0, 1]).
    axis : int, default -1

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        If the class axes differ, the other axes do not broadcast, or either
        input is not a distribution.

    Examples
    --------
    >>> js_divergence([1.0, 0.0], [0.0, 1.0], base=2)  # disjoint: the maximum
    1.0

    Equivalents: ``scipy.spatial.distance.jensenshannon(p, q) ** 2``
    (SciPy's default axis is 0); no PyTorch, Keras or scikit-learn function.

    Introduced in chapter "Cross-entropy".
    """
    scale = _check_base(base)
    p, q = _check_pair(p, q, axis)
    # p log(p / m) as (2p) log(2p / (p + q)) / 2: the same numbers, except that
    # m = (p + q) / 2 would round a subnormal p + q (5e-324) to 0 and give inf
    s = p + q
    d = 0.25 * np.sum(rel_entr(2 * p, s) + rel_entr(2 * q, s), axis=axis) * scale
    return _to_output(np.maximum(d, 0.0))


def total_variation(p, q, *, axis=-1):
    r"""Total variation distance between two distributions.

    .. math:: \mathrm{TV}(p, q) = \tfrac12 \sum_i |p_i - q_i|

    Parameters
    ----------
    p, q : array_like
        Distributions along ``axis`` with the same number of classes; the
        other axes broadcast (one target against a batch of predictions).
    axis : int, default -1

    Returns
    -------
    float or ndarray
        Distance(s) in [0, 1].

    Raises
    ------
    ValueError
        If the class axes differ, the other axes do not broadcast, or either
        input is not a distribution.

    Examples
    --------
    >>> round(total_variation([0.1, 0.7, 0.2], [0.2, 0.5, 0.3]), 4)  # (0.1+0.2+0.1)/2
    0.2

    Equivalents: ``0.5 * scipy.spatial.distance.cityblock(p, q)``.

    Introduced in chapter "Cross-entropy".
    """
    p, q = _check_pair(p, q, axis)
    return _to_output(0.5 * np.sum(np.abs(p - q), axis=axis))


def hellinger(p, q, *, axis=-1):
    r"""Hellinger distance between two distributions.

    .. math:: H(p, q) = \sqrt{\tfrac12 \sum_i \bigl(\sqrt{p_i} - \sqrt{q_i}\bigr)^2}

    Parameters
    ----------
    p, q : array_like
        Distributions along ``axis`` with the same number of classes; the
        other axes broadcast (one target against a batch of predictions).
    axis : int, default -1

    Returns
    -------
    float or ndarray
        Distance(s) in [0, 1].

    Raises
    ------
    ValueError
        If the class axes differ, the other axes do not broadcast, or either
        input is not a distribution.

    Examples
    --------
    >>> hellinger([1.0, 0.0], [0.0, 1.0])
    1.0

    Equivalents: ``scipy.spatial.distance.euclidean(sqrt(p), sqrt(q)) /
    sqrt(2)``.

    Introduced in chapter "Cross-entropy".
    """
    p, q = _check_pair(p, q, axis)
    d2 = 0.5 * np.sum(np.square(np.sqrt(p) - np.sqrt(q)), axis=axis)
    return _to_output(np.sqrt(d2))


def bhattacharyya(p, q, *, axis=-1):
    r"""Bhattacharyya distance between two distributions.

    .. math:: D_B(p, q) = -\ln \sum_i \sqrt{p_i q_i}

    ``inf`` (without a warning) when the supports do not overlap. Computed
    as :math:`\sqrt{p_i}\sqrt{q_i}` (as :func:`hellinger` does), which
    does not underflow where :math:`p_i q_i` would (entries near 1e-200).

    Parameters
    ----------
    p, q : array_like
        Distributions along ``axis`` with the same number of classes; the
        other axes broadcast (one target against a batch of predictions).
    axis : int, default -1

    Returns
    -------
    float or ndarray
        Non-negative distance(s) in nats.

    Raises
    ------
    ValueError
        If the class axes differ, the other axes do not broadcast, or either
        input is not a distribution.

    Examples
    --------
    >>> round(bhattacharyya([0.5, 0.5], [0.9, 0.1]), 4)  # -ln(sqrt(.45) + sqrt(.05))
    0.1116
    >>> bhattacharyya([1.0, 0.0], [0.0, 1.0])
    inf

    Equivalents: none in SciPy, scikit-learn, PyTorch or Keras.

    Introduced in chapter "Cross-entropy".
    """
    p, q = _check_pair(p, q, axis)
    bc = np.minimum(np.sum(np.sqrt(p) * np.sqrt(q), axis=axis), 1.0)
    with np.errstate(divide="ignore"):  # disjoint supports: -log 0 = inf
        return _nonnegative(-np.log(bc))


def wasserstein_1d(p, q, support=None, *, axis=-1):
    r"""Wasserstein-1 (earth mover's) distance between two histograms.

    The histograms live on the same ordered support
    :math:`x_0 < x_1 < \dots < x_{C-1}` (default :math:`0, 1, \dots, C-1`):

    .. math:: W_1(p, q) = \int |F_p(x) - F_q(x)| \, dx
              = \sum_{i=0}^{C-2} \Bigl|\sum_{j \le i} (p_j - q_j)\Bigr| \,(x_{i+1} - x_i)

    Parameters
    ----------
    p, q : array_like
        Distributions along ``axis`` with the same number of classes; the
        other axes broadcast (one target against a batch of predictions).
    support : array_like, optional
        Strictly increasing positions of the C bins.
    axis : int, default -1

    Returns
    -------
    float or ndarray
        Distance(s), in the units of ``support``.

    Raises
    ------
    ValueError
        If the shapes do not broadcast, an input is not a distribution, or ``support``
        has the wrong length or is not strictly increasing.

    Examples
    --------
    >>> wasserstein_1d([1.0, 0.0, 0.0], [0.0, 0.0, 1.0])  # move all mass by 2
    2.0

    Equivalents: ``scipy.stats.wasserstein_distance(x, x, p, q)`` for one
    pair of histograms on the support ``x``.

    Introduced in chapter "Cross-entropy".
    """
    p, q = _check_pair(p, q, axis)
    axis = _check_axis(p, axis, "p")
    n = p.shape[axis]
    if support is None:
        gaps = np.ones(n - 1, p.dtype)
    else:
        gaps = np.diff(_check_support(support, n))
    cdf_gap = np.abs(np.cumsum(np.moveaxis(p - q, axis, -1), axis=-1)[..., :-1])
    return _to_output(cdf_gap @ gaps)


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

    Equivalents: the entropy decrease that scikit-learn's
    ``DecisionTreeClassifier(criterion="entropy")`` maximises (its
    ``tree_.impurity`` is in bits); no SciPy, PyTorch or Keras function.

    Introduced in chapter "Entropy".
    """
    parent = _check_label_vector(parent_labels, "parent_labels")
    children = _check_label_groups(child_label_groups)
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


def conditional_entropy(joint, *, base=None):
    r"""Conditional entropy :math:`H(Y \mid X)` of a joint table :math:`p(x, y)`.

    What is left of the uncertainty about :math:`Y` once :math:`X` is known,
    averaged over :math:`X`; rows of ``joint`` index :math:`x`, columns
    :math:`y` (pass ``joint.T`` for :math:`H(X \mid Y)`).

    .. math:: H(Y \mid X) = \sum_x p(x)\, H(Y \mid X = x)
              = -\sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)}
              = H(X, Y) - H(X)

    Terms with :math:`p(x, y) = 0` are 0, so rows of zeros are allowed.

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y)
        Joint probabilities: non-negative, summing to 1 over all entries
        (tolerance 1e-6).
    base : float, optional
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    float
        :math:`0 \le H(Y \mid X) \le H(Y)`.

    Raises
    ------
    ValueError
        If ``joint`` is not 2-D, has entries outside [0, 1] or does not sum
        to 1.

    Examples
    --------
    >>> conditional_entropy([[0.5, 0.0], [0.0, 0.5]])  # Y is a copy of X
    0.0
    >>> conditional_entropy([[0.25, 0.25], [0.25, 0.25]], base=2)  # independent
    1.0

    Introduced in chapter "Entropy".
    """
    scale = _check_base(base)
    joint = _check_joint(joint)
    p_x = joint.sum(axis=1, keepdims=True)
    h = -np.sum(xlogy(joint, joint) - xlogy(joint, p_x)) * scale
    return _nonnegative(max(h, 0.0))


def mutual_information(joint, *, base=None):
    r"""Mutual information :math:`I(X; Y)` of a joint table :math:`p(x, y)`.

    How much knowing one variable tells about the other: the KL divergence
    of the joint distribution from the product of its marginals.

    .. math:: I(X; Y) = \sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)\, p(y)}
              = H(Y) - H(Y \mid X)

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y)
        Joint probabilities: non-negative, summing to 1 over all entries
        (tolerance 1e-6); rows index :math:`x`, columns :math:`y`.
    base : float, optional
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    float
        Non-negative and symmetric in :math:`X` and :math:`Y`; 0 exactly
        when they are independent.

    Raises
    ------
    ValueError
        If ``joint`` is not 2-D, has entries outside [0, 1] or does not sum
        to 1.

    Examples
    --------
    >>> mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2)  # a copy: 1 bit
    1.0
    >>> mutual_information([[0.25, 0.25], [0.25, 0.25]])  # independent
    0.0

    Introduced in chapter "Entropy".
    """
    scale = _check_base(base)
    joint = _check_joint(joint)
    product = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    mi = np.sum(rel_entr(joint, product)) * scale
    return _nonnegative(max(mi, 0.0))


# --- input checks used only by this module ----------------------------------


def _check_joint(joint):
    """A joint table p(x, y): 2-D, entries in [0, 1], summing to 1 in all."""
    arr = _as_float_array(joint, "joint")
    if arr.ndim != 2:
        raise ValueError(
            "joint must be a 2-D table of probabilities p(x, y) (rows x, "
            f"columns y); got shape {arr.shape}"
        )
    arr = _check_probabilities(arr, "joint", sum_to_one=False)
    total = arr.sum()
    atol = _sum_tolerance(arr.dtype, arr.size)
    if abs(total - 1.0) > atol:
        raise ValueError(
            f"joint must sum to 1 over all entries (tolerance {atol:.2g}); "
            f"got a sum of {_fmt(total)}"
        )
    return arr


def _check_pair(p, q, axis, names=("p", "q")):
    """Two distributions with the same classes, broadcast over the batch axes.

    The class axis is never broadcast: ``p`` and ``q`` must have the same
    number of classes along ``axis``, and (when their numbers of dimensions
    differ) the class axis must sit at the same position counted from the
    end. The other axes broadcast, so one target ``p`` of shape ``(C,)`` can
    be compared with a batch ``q`` of shape ``(N, C)``.

    Returns the two broadcast arrays (read-only views).
    """
    a = _check_probabilities(p, names[0], axis=axis)
    b = _check_probabilities(q, names[1], axis=axis)
    axis = int(axis)
    from_end_a = a.ndim - (axis % a.ndim)
    from_end_b = b.ndim - (axis % b.ndim)
    if from_end_a != from_end_b or a.shape[axis] != b.shape[axis]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of classes "
            f"along axis {axis} (it is never broadcast); got shapes "
            f"{a.shape} and {b.shape}"
        )
    try:
        return np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape or shapes that "
            f"broadcast together; got {a.shape} and {b.shape}"
        ) from None


def _check_label_vector(labels, name):
    """A non-empty 1-D array of non-negative integer labels (int64)."""
    arr = _check_labels(labels, name)
    _check_ndim(arr, 1, name)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def _check_label_groups(groups, name="child_label_groups"):
    """A non-empty sequence of non-empty 1-D integer label arrays (int64)."""
    if isinstance(groups, (str, bytes)) or not hasattr(groups, "__len__"):
        raise TypeError(f"{name} must be a sequence of label arrays; got {type(groups).__name__}")
    if len(groups) == 0:
        raise ValueError(f"{name} must contain at least one group")
    return [_check_label_vector(g, f"{name}[{k}]") for k, g in enumerate(groups)]


def _check_support(support, n):
    """``n`` strictly increasing finite positions of histogram bins."""
    x = _as_float_array(support, "support")
    if x.shape != (n,):
        raise ValueError(f"support must have one position per class ({n}); got shape {x.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("support must be strictly increasing")
    return x


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
