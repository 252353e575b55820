"""Tests of the private fast path lecture_code._fast_softmax_ce: chunk
boundaries, rows that need the max-shifted formula, non-finite logits in a
late chunk, against SciPy's log_softmax."""

import numpy as np
import pytest
import scipy.special as sps

from lecture_code import _fast_softmax_ce, softmax_cross_entropy, softmax_cross_entropy_grad

RNG = np.random.default_rng(3)


def test_softmax_ce_fast_path_fallback_rows():
    # rows far outside the fast window (huge, tiny, mixed) next to ordinary rows
    z = np.array(
        [
            [1.0, 2.0, 3.0],
            [1e4, -1e4, 0.0],
            [-1e4, -1e4 + 1.0, -1e4 - 5.0],
            [45.0, 44.0, -50.0],
            [1e300, -1e300, 0.0],
            [-50.0, -60.0, -70.0],
        ]
    )
    y = np.array([0, 1, 1, 0, 0, 2])
    ref = -sps.log_softmax(z, axis=1)[np.arange(6), y]
    # absolute accuracy ~ a few ulp of the largest |logit| in the fast window (2**60 ~ e**41.6)
    np.testing.assert_allclose(
        softmax_cross_entropy(y, z, reduction="none"), ref, rtol=1e-13, atol=1e-13
    )


def test_softmax_ce_many_chunks_against_scipy():
    n = 3 * (_fast_softmax_ce._CHUNK_ELEMENTS // 5) + 7  # several chunks plus a remainder
    z = RNG.normal(scale=10.0, size=(n, 5))
    z[::97] *= 20  # some rows take the slow path
    y = RNG.integers(0, 5, size=n)
    ref = -sps.log_softmax(z, axis=1)[np.arange(n), y]
    np.testing.assert_allclose(
        softmax_cross_entropy(y, z, reduction="none"), ref, rtol=1e-12, atol=1e-13
    )
    assert softmax_cross_entropy(y, z) == pytest.approx(ref.mean(), rel=1e-13)
    # with label smoothing and weights the same chunked path computes z @ w
    t = 0.9 * np.eye(5)[y] + 0.1 / 5
    w = np.arange(1.0, 6.0)
    ref = -np.sum(w * t * sps.log_softmax(z, axis=1), axis=1)
    np.testing.assert_allclose(
        softmax_cross_entropy(y, z, label_smoothing=0.1, class_weight=w, reduction="none"),
        ref,
        rtol=1e-12,
        atol=1e-13,
    )


def test_softmax_ce_many_classes():
    # more classes than elements in a chunk: chunks of at least 16 rows
    z = RNG.normal(scale=3.0, size=(20, _fast_softmax_ce._CHUNK_ELEMENTS + 3))
    y = RNG.integers(0, z.shape[1], size=20)
    ref = -sps.log_softmax(z, axis=1)[np.arange(20), y]
    np.testing.assert_allclose(softmax_cross_entropy(y, z, reduction="none"), ref, rtol=1e-13)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_softmax_ce_non_finite_logits_in_a_late_chunk(bad):
    n = 2 * (_fast_softmax_ce._CHUNK_ELEMENTS // 3) + 5
    z = np.zeros((n, 3))
    z[-2, 1] = bad
    msg = "logits must not contain NaN" if np.isnan(bad) else "logits must be finite"
    with pytest.raises(ValueError, match=msg):
        softmax_cross_entropy(np.zeros(n, dtype=int), z)
    with pytest.raises(ValueError, match=msg):
        softmax_cross_entropy_grad(np.zeros(n, dtype=int), z)


@pytest.mark.parametrize("offset", [0.0, 50.0, 1e6])
def test_large_logits_never_take_the_slow_formula(offset, monkeypatch):
    # Issue 11: rows whose logits all exceed ~41 were recomputed by a slow
    # path. Only rows whose loss exceeds log(float max) ~ 709 nats may be.
    def refuse(*args):
        raise AssertionError("the max-shifted fallback was used")

    monkeypatch.setattr(_fast_softmax_ce, "_rows_max_shifted", refuse)
    z = RNG.normal(scale=2.0, size=(1000, 10)) + offset
    y = RNG.integers(0, 10, size=1000)
    ref = -sps.log_softmax(z - z.max(axis=1, keepdims=True), axis=1)[np.arange(1000), y]
    for reduction in ("mean", "none"):
        got = softmax_cross_entropy(
            y, z, reduction=reduction, label_smoothing=0.1, class_weight=np.ones(10)
        )
        assert np.all(np.isfinite(got))
    np.testing.assert_allclose(
        softmax_cross_entropy(y, z, reduction="none"), ref, rtol=1e-13, atol=1e-14
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_product_of_sums_matches_sum_of_logs(dtype):
    # _sum_log1p takes one log per 16 rows; compare with math.fsum of the logs
    import math

    t = RNG.exponential(size=1000).astype(dtype)
    exact = math.fsum(np.log1p(t.astype(np.float64)))
    got = _fast_softmax_ce._sum_log1p(t)
    assert got == pytest.approx(exact, rel=20 * float(np.finfo(dtype).eps))
    big = np.array([0.0, 1e300, 2.0] * 10)  # too large to multiply 16 of them
    assert _fast_softmax_ce._sum_log1p(big) == pytest.approx(math.fsum(np.log1p(big)), rel=1e-15)


def test_small_losses_are_accurate_to_a_few_ulps_relative():
    # -log softmax([0, -40])_0 = log1p(e^-40) = 4.248354255291589e-18: the
    # textbook log(1 + e^-40) rounds to 0. The chapter's example
    # [4, 0, -2], label 0: log1p(e^-4 + e^-6) = 0.02058113894732934 (mpmath).
    import math

    cases = [
        ([[0.0, -40.0]], math.log1p(math.exp(-40.0))),
        ([[4.0, 0.0, -2.0]], 0.02058113894732934),
        ([[1e6 + 4.0, 1e6, 1e6 - 2.0]], 0.02058113894732934),
    ]
    for z, expected in cases:
        for reduction in ("mean", "none"):
            got = softmax_cross_entropy([0], z, reduction=reduction)
            assert got == pytest.approx(expected, rel=4e-16)
    z = np.tile([[4.0, 0.0, -2.0]], (40, 1))  # 16-row groups: the product path
    assert softmax_cross_entropy(np.zeros(40, int), z) == pytest.approx(
        0.02058113894732934, rel=1e-14
    )
