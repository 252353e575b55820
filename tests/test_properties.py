"""Invariants checked with hypothesis on random distributions and logits."""

import numpy as np
import scipy.special
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lecture_code import (
    categorical_cross_entropy,
    cross_entropy,
    entropy,
    focal_loss,
    js_divergence,
    kl_divergence,
    log_softmax,
    smooth_labels,
    softmax,
    softmax_cross_entropy,
)

SETTINGS = settings(max_examples=60, deadline=None)  # derandomized: tests/conftest.py

n_classes = st.integers(min_value=2, max_value=8)
weights = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def distributions(draw, c=None, min_p=0.0):
    """A probability vector: non-negative weights (some exactly 0) normalised."""
    c = draw(n_classes) if c is None else c
    w = draw(arrays(np.float64, c, elements=weights))
    if w.sum() == 0:
        w[draw(st.integers(0, c - 1))] = 1.0
    p = w / w.sum()
    if min_p:
        p = (p + min_p) / (1 + c * min_p)
    return p


@st.composite
def pairs(draw, min_q=0.0):
    c = draw(n_classes)
    return draw(distributions(c)), draw(distributions(c, min_p=min_q))


logit_rows = st.integers(2, 8).flatmap(
    lambda c: arrays(
        np.float64, (3, c), elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
    )
)


@SETTINGS
@given(distributions())
def test_entropy_between_zero_and_log_c(p):
    h = entropy(p)
    assert -1e-12 <= h <= np.log(len(p)) + 1e-12


@SETTINGS
@given(pairs(min_q=1e-6))
def test_cross_entropy_at_least_entropy_with_equality_iff_equal(pq):
    p, q = pq
    h, hpq = entropy(p), cross_entropy(p, q, eps=0)
    assert hpq >= h - 1e-12
    assert np.isclose(cross_entropy(p, p, eps=0), h, atol=1e-12)
    if kl_divergence(p, q) > 1e-9:  # p != q in a measurable way
        assert hpq > h


@SETTINGS
@given(pairs())
# found by hypothesis: half of the smallest subnormal rounds to 0
@example((np.array([1.0, 0.0]), np.array([1.0, 5e-324])))
def test_kl_non_negative_and_zero_on_equal(pq):
    p, q = pq
    assert kl_divergence(p, q) >= -1e-12
    assert abs(kl_divergence(p, p)) <= 1e-12
    assert -1e-12 <= js_divergence(p, q) <= np.log(2) + 1e-12


@SETTINGS
@given(logit_rows, st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_shift_invariant(z, shift):
    p = softmax(z)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(softmax(z + shift), p, atol=1e-12)
    assert np.all(log_softmax(z) <= 0)


@SETTINGS
@given(logit_rows, st.data(), st.floats(-1e6, 1e6))
def test_softmax_cross_entropy_matches_scipy_and_is_non_negative(z, data, offset):
    y = data.draw(arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    # the independent reference: SciPy's log_softmax, not ours
    ref = -scipy.special.log_softmax(z, axis=1)[np.arange(z.shape[0]), y]
    got = softmax_cross_entropy(y, z, reduction="none")
    assert np.all(got >= 0)
    # absolute accuracy: a few ulp of the largest logit involved
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-11)
    # a common offset: the reference is the exactly shifted rounded input
    zo = z + offset
    ref_o = -scipy.special.log_softmax(zo - zo.max(axis=1, keepdims=True), axis=1)
    got_o = softmax_cross_entropy(y, zo, reduction="none")
    assert np.all(got_o >= 0)
    np.testing.assert_allclose(got_o, ref_o[np.arange(z.shape[0]), y], rtol=1e-13, atol=1e-13)


@SETTINGS
@given(st.integers(2, 8).flatmap(lambda c: st.tuples(st.just(c), distributions(c))), weights)
def test_label_smoothing_keeps_rows_summing_to_one(cp, alpha):
    c, p = cp
    np.testing.assert_allclose(smooth_labels(p[None, :], alpha).sum(axis=1), 1.0, rtol=1e-12)
    labels = np.arange(c)
    out = smooth_labels(labels, alpha, n_classes=c)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(out >= alpha / c - 1e-15)


@SETTINGS
@given(pairs(), st.floats(0.0, 5.0), weights)
def test_focal_at_most_cross_entropy(pq, gamma, alpha):
    y, p = pq
    fl = focal_loss(y[None], p[None], gamma=gamma, alpha=alpha)
    ce = categorical_cross_entropy(y[None], p[None])
    assert fl <= ce + 1e-12
