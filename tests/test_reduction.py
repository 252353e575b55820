"""Tests of the one reduction of every loss, lecture_code._reduction."""

import math

import numpy as np
import pytest

from lecture_code._reduction import (
    _nonnegative,
    _reduce,
    _reduce_grad,
    _reduce_total,
    _to_output,
)


def test_reduce_mean_sum_none():
    v = np.array([1.0, 2.0, 6.0])
    assert _reduce(v, "mean") == 3.0 and isinstance(_reduce(v, "mean"), float)
    assert _reduce(v, "sum") == 9.0 and isinstance(_reduce(v, "sum"), float)
    np.testing.assert_array_equal(_reduce(v, "none"), v)
    assert _reduce(np.array(4.0), "none") == 4.0
    # one sample given without a batch axis: 'none' returns its value as a float
    assert _reduce(np.array([4.0]), "none", single=True) == 4.0
    assert isinstance(_reduce(np.array([4.0]), "none", single=True), float)


def test_reduce_keeps_the_dtype_for_none_and_sums_float32_in_float64():
    v = np.full(10**6, 0.1, dtype=np.float32)
    assert _reduce(v, "none").dtype == np.float32
    # 10**6 float32 additions in float32 would drift by ~1e-3 relative
    expected = 10**6 * float(np.float32(0.1))
    assert _reduce(v, "sum") == pytest.approx(expected, rel=1e-12)


def test_weighted_mean_divides_by_the_total_weight():
    # PyTorch's weighted mean: sum of the weighted values / sum of the weights
    # (2 * 1 + 6 * 3) / (1 + 3) = 5 ... the values are already weighted: (2 + 6) / 4 = 2
    assert _reduce(np.array([2.0, 6.0]), "mean", weights=np.array([1.0, 3.0])) == 2.0
    with pytest.raises(ValueError, match="class_weight gives total weight 0 to the targets"):
        _reduce(np.array([0.0, 0.0]), "mean", weights=np.array([0.0, 0.0]))
    # 'sum' and 'none' need no denominator
    assert _reduce(np.array([0.0, 0.0]), "sum", weights=np.array([0.0, 0.0])) == 0.0


def test_empty_input():
    with pytest.raises(ValueError, match="reduction='mean' of an empty input is undefined"):
        _reduce(np.array([]), "mean")
    assert _reduce(np.array([]), "sum") == 0.0
    assert _reduce(np.array([]), "none").shape == (0,)


def test_signed_zero_becomes_positive_zero_in_every_reduction():
    neg = np.array([-0.0, -0.0])
    for reduction in ("mean", "sum"):
        out = _reduce(neg, reduction)
        assert out == 0.0 and math.copysign(1.0, out) == 1.0
    assert not np.signbit(_reduce(neg, "none")).any()
    assert math.copysign(1.0, _reduce(neg, "none", single=True)) == 1.0
    assert math.copysign(1.0, _nonnegative(np.array(-0.0))) == 1.0
    assert math.copysign(1.0, _reduce_total(-0.0, "mean", 3)) == 1.0
    # and nothing else changes: + 0.0 is exact for every other number
    x = np.array([1e-300, 5e-324, 3.0, np.inf])
    np.testing.assert_array_equal(_nonnegative(x), x)


def test_overflowing_sum_is_inf_without_a_warning():
    v = np.array([1e308, 1e308])
    with np.errstate(all="raise"):
        assert _reduce(v, "sum") == np.inf


def test_reduce_grad_divides_like_the_mean_loss():
    g = np.array([[1.0, -1.0], [3.0, -3.0]])
    np.testing.assert_array_equal(_reduce_grad(g.copy(), "mean"), g / 2)
    np.testing.assert_array_equal(_reduce_grad(g.copy(), "sum"), g)
    np.testing.assert_array_equal(
        _reduce_grad(g.copy(), "mean", weights=np.array([1.0, 3.0])), g / 4
    )
    np.testing.assert_array_equal(_reduce_grad(g[:1].copy(), "none", single=True), g[0])
    with pytest.raises(ValueError, match="total weight 0"):
        _reduce_grad(g.copy(), "mean", weights=np.zeros(2))


def test_to_output():
    assert _to_output(np.array(1.5)) == 1.5 and isinstance(_to_output(np.array(1.5)), float)
    a = np.array([1.5])
    assert _to_output(a) is a
