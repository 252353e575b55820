"""The fast path of :func:`lecture_code.softmax_cross_entropy` (private).

It computes, for integer labels :math:`y_i`, class weights :math:`w_c`
(all 1 by default) and label smoothing :math:`a`, the loss of the public
function's docstring,

.. math:: \\ell_i = (1 - a)\\, w_{y_i} (L_i - z_{i y_i})
          + \\frac{a}{C} \\sum_c w_c (L_i - z_{ic}),
          \\qquad L_i = \\operatorname{LSE}(z_i),

shifted by the logit of the label: with :math:`d_{ic} = z_{ic} - z_{i y_i}`
and :math:`s_i = \\sum_c e^{d_{ic}} = 1 + t_i`,

.. math:: L_i - z_{i y_i} = \\log s_i = \\operatorname{log1p}(t_i), \\qquad
          \\sum_c w_c (L_i - z_{ic}) = W \\log s_i - d_i \\cdot w,
          \\qquad W = \\sum_c w_c.

Why this shift (and not the row max of the textbook formula):

* it is exact under a common offset: :math:`d` is the difference of two
  logits of the same row, so adding any constant to the row changes
  :math:`d` only by the rounding of the input itself, however large the
  constant (1e6, 1e15, 1e300); there is no threshold on the size of the
  logits and no slow path for large ones;
* the loss cannot come out negative: the label's own term is
  :math:`e^0 = 1` exactly, so :math:`t_i \\ge 0` and ``log1p(t) >= 0``
  in floating point too; and summing the *other* classes into :math:`t`
  before adding the 1 keeps small losses accurate to a few ulps relative
  (the textbook formula and PyTorch lose that near 0);
* it costs one subtraction pass, against the row max (a reduction along a
  short axis, about as slow as ``exp`` in NumPy) plus a subtraction.

A row needs the max-shifted formula only when :math:`s_i` overflows, i.e.
when some logit exceeds the label's by more than ``log(finfo.max)`` (709
in float64, 88 in float32): the loss of that row then exceeds 709 (or 88)
nats. Such rows (and rows with ``+inf`` or NaN, which are then refused)
are recomputed by :func:`_rows_max_shifted`, which also keeps label
smoothing finite for logits near the float maximum.

The work is done in chunks of rows that fit in the cache; per chunk:
a gather of the label logits (one flat ``np.take``), one broadcast
subtraction into a reused buffer, its ``min`` (refuses NaN and ``-inf``
while the chunk is in cache), for label
smoothing ``d @ w`` (BLAS), ``exp`` in place (the floor: every exact
method evaluates it N*C times), zeros at the labels, the row sums as
``buf @ ones`` (BLAS, much faster than ``buf.sum(axis=1)`` on a short
axis) and the logs. For 'mean'
and 'sum' without class weights only sums are needed: they are accumulated
chunk by chunk in float64 and take 16x fewer logs (:func:`_sum_log1p`).
Extra memory: one chunk (and the per-sample losses for 'none' or class
weights). The computation runs in the dtype of ``z`` (float32 or float64).
"""

import numpy as np

from ._reduction import _reduce, _reduce_total
from ._validation import _check_finite

__all__ = []

#: Elements per chunk: 2**17 float64 (1 MiB) was the fastest size measured
#: with 10 classes: smaller chunks pay more per-chunk Python overhead, larger
#: ones fall out of the L2/L3 caches.
_CHUNK_ELEMENTS = 2**17


def softmax_ce_labels(z, labels, alpha, w, reduction):
    """Softmax cross-entropy of logits ``z`` (N, C) for int64 ``labels`` (N,).

    ``z`` is float32 or float64, any strides; ``alpha`` a float in [0, 1];
    ``w`` None or a (C,) array of non-negative weights; ``reduction`` as in
    the public function. Returns a Python float for 'mean'/'sum' (reduced
    by :mod:`._reduction`: the 'mean' with weights divides by their total
    over the targets, as PyTorch does) and the per-sample losses, an array
    of the dtype of ``z``, for 'none'. Raises ``ValueError`` for NaN or
    infinite logits.
    """
    n, c = z.shape
    dtype = z.dtype
    if w is not None:
        w = w.astype(dtype, copy=False)
    w_dot = None if alpha == 0 else (np.ones(c, dtype) if w is None else w)
    total_w = float(c if w is None else np.sum(w, dtype=np.float64))
    only_sums = reduction != "none" and w is None
    loss = None if only_sums else np.empty(n, dtype)
    total = 0.0
    for rows, t, dot, slow in _chunks(z, labels, w_dot):
        if slow is not None:  # rows recomputed with the max-shifted formula
            slow_loss = _rows_max_shifted(z[rows][slow], labels[rows][slow], alpha, w)
        if only_sums:
            part = _sum_log1p(t)
            if alpha > 0:
                part -= (alpha / c) * float(np.sum(dot, dtype=np.float64))
            if slow is not None:
                part += float(np.sum(slow_loss, dtype=np.float64))
            total += part
            continue
        log_s = np.log1p(t)
        part = log_s if w is None else log_s * w[labels[rows]]
        if alpha > 0:
            smooth = (alpha / c) * (total_w * log_s - dot)
            part = (1.0 - alpha) * part + smooth
            np.maximum(part, 0.0, out=part)  # rounding of a value >= 0
        if slow is not None:
            part[slow] = slow_loss
        loss[rows] = part
    if reduction == "none":
        return loss
    if only_sums:
        return _reduce_total(max(total, 0.0), reduction, n)
    return _reduce(loss, reduction, weights=None if w is None else w[labels])


def _chunks(z, labels, w_dot):
    """Walk over cache-sized chunks of rows of ``z``.

    Yields ``(rows, t, dot, slow)`` per chunk: the slice of rows,
    :math:`t = s - 1 = \\sum_{c \\ne y} e^{d_c}` (summed without the label's
    own 1, so that ``log1p(t)`` is accurate for small losses too),
    :math:`d \\cdot w` (None without label smoothing) and ``None`` or the
    indices (within the chunk) of the rows the caller must recompute;
    ``t`` and ``dot`` are 0 there. The arrays are views of small buffers
    that the next chunk overwrites.
    """
    n, c = z.shape
    dtype = z.dtype
    size = min(n, max(16, _CHUNK_ELEMENTS // c))  # >= 16 rows: no per-sample loop
    buf = np.empty((size, c), dtype)
    buf_flat = buf.reshape(-1)
    s = np.empty(size, dtype)
    dot = None if w_dot is None else np.empty(size, dtype)
    ones = np.ones(c, dtype)
    ar = np.arange(size)
    big = np.finfo(dtype).max
    contiguous = z.flags.c_contiguous
    flat = z.reshape(-1) if contiguous else None
    offsets = ar * c
    idx = np.empty(size, dtype=np.intp)
    z_true = np.empty(size, dtype)
    for start in range(0, n, size):
        stop = min(start + size, n)
        m = stop - start
        chunk = z[start:stop]
        np.add(offsets[:m], labels[start:stop], out=idx[:m])  # flat positions
        if contiguous:  # one flat take: cheaper than fancy indexing
            np.take(flat[start * c : stop * c], idx[:m], out=z_true[:m], mode="clip")
        else:
            z_true[:m] = chunk[ar[:m], labels[start:stop]]
        d = buf[:m]
        with np.errstate(over="ignore", invalid="ignore"):  # rows redone below
            np.subtract(chunk, z_true[:m, None], out=d)
            # NaN or -inf in the chunk shows in d (read from cache now); a
            # -inf from a spread beyond the float max passes the check
            if not d.min() > -np.inf:
                _check_finite(chunk, "logits")
            if w_dot is not None:
                np.matmul(d, w_dot, out=dot[:m])
            np.exp(d, out=d)
        buf_flat[idx[:m]] = 0.0  # drop the label's own e^0 = 1 from the sum
        np.matmul(d, ones, out=s[:m])
        sm, dm = s[:m], None if dot is None else dot[:m]
        ok = sm.max() <= big  # False for inf or NaN
        if dm is not None:
            ok = ok and bool(np.isfinite(dm.min()) and np.isfinite(dm.max()))
        slow = None
        if not ok:
            bad = ~(sm <= big)
            if dm is not None:
                bad |= ~np.isfinite(dm)
            slow = np.flatnonzero(bad)
            sm[slow] = 0.0
            if dm is not None:
                dm[slow] = 0.0
        yield slice(start, stop), sm, dm, slow


def _sum_log1p(t, group=16):
    """``sum(log1p(t))`` in float64, with 16x fewer logs when that is safe.

    All ``t >= 0``. If the largest ``1 + t`` is at most ``2**(e / 16)``
    (``e`` the largest binary exponent minus a margin), a product of 16 of
    them cannot overflow, and ``log`` of the products differs from the sum
    of the logs only by rounding (~16 ulp per group of 16 rows: the same
    absolute accuracy per row as the textbook formula).
    """
    emax = np.finfo(t.dtype).maxexp - 8
    if t.size < group or not t.max() + 1.0 <= 2.0 ** (emax / group):
        return float(np.sum(np.log1p(t), dtype=np.float64))
    k = (t.size // group) * group
    head = (t[:k] + 1.0).reshape(group, -1)  # the order of a product does not matter
    return float(
        np.sum(np.log(np.prod(head, axis=0)), dtype=np.float64)
        + np.sum(np.log1p(t[k:]), dtype=np.float64)
    )


def _rows_max_shifted(zr, yr, alpha, w):
    """The loss of a few rows by the textbook max-shifted formula.

    Used for rows whose label logit lies more than ``log(finfo.max)`` below
    another logit. Refuses ``+inf`` and NaN. With :math:`m` the row max and
    :math:`k` a coefficient in [0, 1], every term is computed as
    :math:`k (L - m) + (k m - k z_c)`: finite whenever the true value is
    (label smoothing with logits of +-1e308), ``inf`` only when the true
    value exceeds the float maximum.
    """
    _check_finite(zr, "logits")
    r, c = zr.shape
    mx = zr.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):  # a spread beyond float max: exp(-inf) = 0
        lse_m = np.log(np.sum(np.exp(zr - mx), axis=1, keepdims=True))  # L - m
        z_true = zr[np.arange(r), yr][:, None]
        k = 1.0 - alpha
        main = (k * lse_m + (k * mx - k * z_true))[:, 0]
        if w is not None:
            main = main * w[yr]
        if alpha == 0:
            return main
        k = alpha / c
        terms = k * lse_m + (k * mx - k * zr)
        if w is not None:
            terms = terms * w
        return main + np.sum(terms, axis=1)
