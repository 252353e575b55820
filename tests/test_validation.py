"""Tests of the generic input checks in lecture_code._validation."""

import warnings

import numpy as np
import pytest

from lecture_code._validation import (
    PROB_ATOL,
    _as_float_array,
    _check_axis,
    _check_eps,
    _check_finite,
    _check_labels,
    _check_n_classes,
    _check_ndim,
    _check_nonnegative,
    _check_positive,
    _check_probabilities,
    _check_reduction,
    _check_same_length,
    _check_same_shape,
    _check_unit_interval,
    _sum_tolerance,
)

# --- _as_float_array / _check_finite ----------------------------------------


def test_as_float_array_accepts_lists_ints_bools_and_keeps_float64_arrays():
    assert _as_float_array([1, 2], "x").dtype == np.float64
    assert _as_float_array(True, "x") == 1.0
    a = np.array([0.5, 1.5])
    assert _as_float_array(a, "x") is a  # no copy
    assert _as_float_array([np.float32(2.5)], "x").dtype == np.float32
    f32 = np.array([0.5, 1.5], dtype=np.float32)
    assert _as_float_array(f32, "x") is f32  # float32 is kept, no copy
    assert _as_float_array(np.float16([1.0]), "x").dtype == np.float32
    assert _as_float_array(np.array([1.0], dtype=np.longdouble), "x").dtype == np.float64
    view = np.arange(12.0).reshape(3, 4)[:, ::2]
    assert _as_float_array(view, "x") is view  # strided views are not copied


def test_as_float_array_rejects_non_numeric():
    with pytest.raises(TypeError, match="x must be an array of real numbers; got dtype <U1"):
        _as_float_array(["a"], "x")
    with pytest.raises(TypeError, match="z must be an array of real numbers; got dtype complex"):
        _as_float_array([1j], "z")


@pytest.mark.parametrize(
    "bad, msg",
    [
        ([1.0, np.nan], "x must not contain NaN"),
        ([1.0, np.inf], "x must be finite; got an infinite value"),
        ([-np.inf, 1.0], "x must be finite; got an infinite value"),
    ],
)
def test_check_finite_messages(bad, msg):
    with pytest.raises(ValueError, match=msg):
        _as_float_array(bad, "x")
    with pytest.raises(ValueError, match=msg):
        _check_finite(np.array(bad), "x")


def test_non_finite_allowed_when_asked():
    assert np.isnan(_as_float_array([np.nan], "x", finite=False)[0])
    assert _check_finite(np.array([]), "x").size == 0


# --- _check_probabilities ------------------------------------------------------


def test_probabilities_in_unit_interval():
    with pytest.raises(
        ValueError,
        match=r"y_pred must contain probabilities in \[0, 1\]; got min -0.2",
    ):
        _check_probabilities([-0.2, 1.2], "y_pred", sum_to_one=False)
    with pytest.raises(ValueError, match=r"p must contain probabilities in \[0, 1\]; got max 1.3"):
        _check_probabilities([0.3, 1.3], "p", sum_to_one=False)
    with pytest.raises(ValueError, match="p must not contain NaN"):
        _check_probabilities([0.3, np.nan], "p")


def test_probabilities_sum_to_one_with_documented_tolerance():
    ok = _check_probabilities([[0.2, 0.8], [0.5, 0.5 + 0.5 * PROB_ATOL]], "p")
    assert ok.shape == (2, 2)
    with pytest.raises(
        ValueError, match=r"p must sum to 1 along axis -1 \(tolerance 1e-06\); got a sum of 0.9"
    ):
        _check_probabilities([[0.2, 0.8], [0.5, 0.4]], "p")
    # along axis 0 the columns are the distributions
    _check_probabilities([[0.2, 0.5], [0.8, 0.5]], "p", axis=0)
    with pytest.raises(ValueError, match="along axis 0"):
        _check_probabilities([[0.2, 0.8], [0.5, 0.5]], "p", axis=0)


def test_probabilities_scalar_and_bad_axis():
    with pytest.raises(ValueError, match="p must be a distribution"):
        _check_probabilities(0.5, "p")
    with pytest.raises(ValueError, match="axis 2 is out of range for p with 1 dimension"):
        _check_probabilities([0.5, 0.5], "p", axis=2)
    with pytest.raises(TypeError, match="axis must be an integer; got 'a'"):
        _check_axis(np.zeros(2), "a", "p")
    with pytest.raises(
        ValueError,
        match=r"p must have at least one class along axis -1; "
        r"got shape \(0,\)",
    ):
        _check_probabilities([], "p")
    assert _check_probabilities(np.zeros((0, 2)), "p").shape == (0, 2)  # empty batch


def test_sum_tolerance_scales_with_the_dtype():
    # C * eps, never below 1e-6: 1e-6 for float64, 1.2e-6 for 10 float32,
    # 9.8e-3 for 10 float16, 1e-6 for integers (exact)
    assert _sum_tolerance(np.float64, 10) == PROB_ATOL
    assert _sum_tolerance(np.float32, 10) == pytest.approx(10 * 2.0**-23)
    assert _sum_tolerance(np.float16, 10) == pytest.approx(10 * 2.0**-10)
    assert _sum_tolerance(np.int64, 10) == PROB_ATOL
    off = np.float16([0.3, 0.3, 0.402])  # sums to 1.002 in float16
    assert _check_probabilities(off, "p").dtype == np.float32
    with pytest.raises(ValueError, match=r"tolerance 1e-06\); got a sum of 1.002"):
        _check_probabilities(off.astype(np.float64), "p")
    with pytest.raises(ValueError, match=r"tolerance 0.0029\)"):
        _check_probabilities(np.float16([0.3, 0.3, 0.41]), "p")


def test_labels_range_is_checked_before_the_cast():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast"
        with pytest.raises(ValueError, match=r"y must be integers in \[0, 9\]; got 1e\+20"):
            _check_labels([1e20], "y", n_classes=10)
        with pytest.raises(
            ValueError,
            match=r"y must be integers in \[0, 9\]; "
            r"got 9223372036854775808$",
        ):
            _check_labels(np.array([2**63], dtype=np.uint64), "y", n_classes=10)
        with pytest.raises(ValueError, match=r"y must be integers below 2\*\*63; got 1e\+20"):
            _check_labels([1e20], "y")
    out = _check_labels(np.array([3], dtype=np.uint64), "y", n_classes=10)
    assert out.dtype == np.int64 and out.tolist() == [3]


# --- _check_labels -------------------------------------------------------------


def test_labels_conversion_and_range():
    out = _check_labels([0, 3, 9], "labels", n_classes=10)
    assert out.dtype == np.int64 and out.tolist() == [0, 3, 9]
    assert _check_labels([0.0, 2.0], "labels").tolist() == [0, 2]  # whole floats
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 9\]; got 12"):
        _check_labels([0, 12], "labels", n_classes=10)
    with pytest.raises(ValueError, match=r"y_true must be integers in \[0, 2\]; got -1"):
        _check_labels([-1, 2], "y_true", n_classes=3)
    with pytest.raises(ValueError, match="labels must be non-negative integers; got -2"):
        _check_labels([-2, 1], "labels")


def test_labels_type_errors():
    with pytest.raises(ValueError, match="labels must be integers; got 1.5"):
        _check_labels([0, 1.5], "labels")
    with pytest.raises(ValueError, match="labels must be integers; got a NaN or infinite"):
        _check_labels([0, np.nan], "labels")
    with pytest.raises(TypeError, match="labels must be integers; got dtype bool"):
        _check_labels([True, False], "labels")
    with pytest.raises(TypeError, match="labels must be integers; got dtype <U1"):
        _check_labels(["a"], "labels")


def test_n_classes():
    assert _check_n_classes(np.int64(3)) == 3
    with pytest.raises(ValueError, match="n_classes must be a positive integer; got 0"):
        _check_n_classes(0)
    with pytest.raises(TypeError, match="n_classes must be a positive integer; got 2.5"):
        _check_n_classes(2.5)
    with pytest.raises(TypeError, match="n_classes must be a positive integer; got True"):
        _check_n_classes(True)


# --- shapes --------------------------------------------------------------------


def test_same_shape_and_length_and_ndim():
    _check_same_shape([1, 2, 3], np.zeros(3), ("y_true", "y_pred"))
    with pytest.raises(
        ValueError, match=r"y_true and y_pred must have the same shape; got \(3,\) and \(4,\)"
    ):
        _check_same_shape([1, 2, 3], [1, 2, 3, 4], ("y_true", "y_pred"))
    with pytest.raises(
        ValueError, match="y_true and logits must have the same number of samples; got 3 and 4"
    ):
        _check_same_length(np.zeros(3), np.zeros((4, 2)), ("y_true", "logits"))
    with pytest.raises(ValueError, match=r"logits must be 1-D or 2-D; got shape \(1, 1, 1\)"):
        _check_ndim(np.zeros((1, 1, 1)), (1, 2), "logits")


# --- scalars ---------------------------------------------------------------------


def test_reduction():
    for r in ("mean", "sum", "none"):
        assert _check_reduction(r) == r
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'; got 'avg'"):
        _check_reduction("avg")
    with pytest.raises(ValueError, match="got None"):
        _check_reduction(None)


def test_unit_interval():
    assert _check_unit_interval(0.1, "alpha") == 0.1
    assert _check_unit_interval([0.0, 1.0], "alpha").tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]; got 1.5"):
        _check_unit_interval(1.5, "alpha")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]; got -0.1"):
        _check_unit_interval(-0.1, "label_smoothing")
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]; got nan"):
        _check_unit_interval([0.5, np.nan], "alpha")


def test_nonnegative_positive_eps():
    assert _check_nonnegative(2, "gamma") == 2.0
    with pytest.raises(ValueError, match="gamma must be a finite non-negative number; got -1"):
        _check_nonnegative(-1, "gamma")
    with pytest.raises(ValueError, match="gamma must be a finite non-negative number; got inf"):
        _check_nonnegative(np.inf, "gamma")
    with pytest.raises(ValueError, match=r"gamma must be a scalar; got shape \(2,\)"):
        _check_nonnegative([1, 2], "gamma")
    with pytest.raises(ValueError, match="base must be positive; got 0"):
        _check_positive(0, "base")
    with pytest.raises(ValueError, match=r"eps must be in \[0, 0.5\); got 0.5"):
        _check_eps(0.5)
