"""Tests of lecture_code.losses against scikit-learn, SciPy, PyTorch's
documented conventions, hand-computed values and central finite differences.

The chunked fast path behind ``softmax_cross_entropy`` has its own tests in
``tests/test_fast_softmax_ce.py``; the focal losses in ``tests/test_focal.py``;
invariants shared by every loss in ``tests/test_common.py``.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.special as sps
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import log_loss, mean_squared_error

from lecture_code import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    mse_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_hessian,
)

from _shared import (  # noqa: E402  (tests/ is on sys.path under pytest)
    LABELS,
    LOGITS,
    PROBS,
    RNG,
    SOFT,
    WEIGHTS,
    C,
    N,
    central_difference,
)

# --- mse ----------------------------------------------------------------------


def test_mse_against_sklearn():
    y, p = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    assert mse_loss(y, p) == pytest.approx(mean_squared_error(y, p), rel=1e-14)
    assert mse_loss(y[:, 0], p[:, 0]) == pytest.approx(
        mean_squared_error(y[:, 0], p[:, 0]), rel=1e-14
    )
    # (1-0)^2 + (2-4)^2 = 5; 'none' keeps the elements
    assert mse_loss([1, 2], [0, 4], reduction="sum") == 5.0
    np.testing.assert_array_equal(mse_loss([1, 2], [0, 4], reduction="none"), [1.0, 4.0])


# --- binary cross-entropy -------------------------------------------------------


def test_bce_against_sklearn_log_loss():
    y = RNG.integers(0, 2, size=50)
    p = RNG.uniform(0.01, 0.99, size=50)  # away from 0/1: sklearn clips differently
    assert binary_cross_entropy(y, p) == pytest.approx(log_loss(y, p), rel=1e-13)
    assert binary_cross_entropy(y, p, reduction="sum") == pytest.approx(
        log_loss(y, p, normalize=False), rel=1e-13
    )


def test_bce_clip_at_exactly_zero_and_one():
    # y=1, p=0 -> -ln(1e-15) = 15 ln 10 = 34.538776...;
    # y=0, p=0 -> -ln(1 - 1e-15) = 1e-15 to first order (9.992e-16 in float64)
    out = binary_cross_entropy([1, 0, 1, 0], [0.0, 0.0, 1.0, 1.0], reduction="none")
    np.testing.assert_allclose(out, [15 * math.log(10), 1e-15, 1e-15, 15 * math.log(10)], rtol=1e-3)
    exact = binary_cross_entropy([1, 0, 1, 0], [0.0, 0.0, 1.0, 1.0], eps=0, reduction="none")
    np.testing.assert_array_equal(exact, [np.inf, 0.0, 0.0, np.inf])


def test_bce_soft_targets_hand_value():
    # y = 0.3, p = 0.6: -(0.3 ln 0.6 + 0.7 ln 0.4) = 0.1532477 + 0.6414035 = 0.7946512
    assert binary_cross_entropy([0.3], [0.6]) == pytest.approx(0.7946512, abs=1e-7)


def test_bce_with_logits_matches_bce_of_expit():
    y = RNG.uniform(0, 1, size=30)
    z = RNG.normal(scale=4.0, size=30)
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(y, z, reduction="none"),
        binary_cross_entropy(y, sps.expit(z), eps=0, reduction="none"),
        rtol=1e-12,
    )


def test_bce_with_logits_extreme_logits():
    out = binary_cross_entropy_with_logits(
        [0.0, 1.0, 1.0, 0.0], [1e4, 1e4, -800.0, -1e300], reduction="none"
    )
    # max(z,0) - y z + log1p(e^-|z|): 1e4, 0, 800, 0
    np.testing.assert_array_equal(out, [1e4, 0.0, 800.0, 0.0])


# --- categorical ----------------------------------------------------------------


def test_categorical_against_sklearn_log_loss():
    assert categorical_cross_entropy(LABELS, PROBS) == pytest.approx(
        log_loss(LABELS, PROBS, labels=range(C)), rel=1e-13
    )


def test_categorical_probability_targets_and_clip():
    ref = -np.sum(SOFT * np.log(PROBS), axis=1)
    np.testing.assert_allclose(
        categorical_cross_entropy(SOFT, PROBS, reduction="none"), ref, rtol=1e-13
    )
    # p_true = 0: clipped to 1e-15 -> 34.5388 nats; exact -> inf
    assert categorical_cross_entropy([1], [[0.5, 0.0, 0.5]]) == pytest.approx(15 * math.log(10))
    assert categorical_cross_entropy([1], [[0.5, 0.0, 0.5]], eps=0) == np.inf
    assert categorical_cross_entropy(1, [0.5, 0.5], reduction="none") == pytest.approx(math.log(2))


# --- softmax cross-entropy --------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_ce_equals_categorical_of_scipy_softmax(reduction):
    ours = softmax_cross_entropy(LABELS, LOGITS, reduction=reduction)
    ref = categorical_cross_entropy(LABELS, PROBS, eps=0, reduction=reduction)
    np.testing.assert_allclose(ours, ref, rtol=1e-13)


def test_softmax_ce_probability_and_smoothed_targets():
    ref = -np.sum(SOFT * sps.log_softmax(LOGITS, axis=1), axis=1)
    np.testing.assert_allclose(
        softmax_cross_entropy(SOFT, LOGITS, reduction="none"), ref, rtol=1e-13
    )
    # label smoothing = cross-entropy against (1 - a) one-hot + a / C
    t = 0.8 * np.eye(C)[LABELS] + 0.2 / C
    ref = -np.sum(t * sps.log_softmax(LOGITS, axis=1), axis=1)
    np.testing.assert_allclose(
        softmax_cross_entropy(LABELS, LOGITS, label_smoothing=0.2, reduction="none"),
        ref,
        rtol=1e-13,
    )


def test_softmax_ce_class_weight_hand_example():
    # two samples, logits 0 -> -log softmax = ln 2 for each; labels 0 and 1,
    # weights [1, 3]: weighted mean = (1 ln2 + 3 ln2) / (1 + 3) = ln 2;
    # sum = 4 ln 2; none = [ln 2, 3 ln 2]
    z = np.zeros((2, 2))
    w = [1.0, 3.0]
    assert softmax_cross_entropy([0, 1], z, class_weight=w) == pytest.approx(math.log(2))
    assert softmax_cross_entropy([0, 1], z, class_weight=w, reduction="sum") == pytest.approx(
        4 * math.log(2)
    )
    np.testing.assert_allclose(
        softmax_cross_entropy([0, 1], z, class_weight=w, reduction="none"),
        [math.log(2), 3 * math.log(2)],
    )
    # different losses: l = [-log s(z0)_0, -log s(z1)_1]; mean = (1 l0 + 3 l1) / 4
    z = np.array([[2.0, 0.0], [2.0, 0.0]])
    l0, l1 = -sps.log_softmax(z[0])[0], -sps.log_softmax(z[1])[1]
    assert softmax_cross_entropy([0, 1], z, class_weight=w) == pytest.approx((l0 + 3 * l1) / 4)


# --- softmax cross-entropy: the wrong numbers of issue 11 ------------------------


def test_softmax_ce_never_negative_on_rows_far_below_the_max():
    # Issue 11: rows [U(-40, 40), -45] gave losses of -1.1e-16 for the label
    # of the largest logit. The loss is -log p >= 0 exactly.
    # (about 0.7 % of such rows did, with 2 or 3 classes)
    rng = np.random.default_rng(0)
    n = 20000
    z = np.column_stack([rng.uniform(-40, 40, size=n), np.full(n, -45.0)])
    y = np.argmax(z, axis=1)  # the label of the largest logit: loss near 0
    loss = softmax_cross_entropy(y, z, reduction="none")
    assert loss.min() >= 0.0
    ref = -sps.log_softmax(z, axis=1)[np.arange(n), y]
    np.testing.assert_allclose(loss, ref, rtol=1e-12, atol=1e-15)
    for alpha, w in [(0.1, None), (0.0, np.array([1.0, 2.0])), (0.3, np.array([1.0, 2.0]))]:
        out = softmax_cross_entropy(y, z, label_smoothing=alpha, class_weight=w, reduction="none")
        assert out.min() >= 0.0


@pytest.mark.parametrize("offset", [1e8, 1e12, 1e15])
def test_softmax_ce_two_logits_with_a_huge_common_offset(offset):
    # [off, off + 1], label 0: -log softmax = log(1 + e) exactly for any
    # offset at which off + 1 is representable (up to 2**53 ~ 9e15).
    # Issue 11 measured errors of 3e-10 at 1e8, 3e-5 at 1e12, 5 % at 1e15.
    expected = math.log1p(math.e)  # 1.3132616875182228
    got = softmax_cross_entropy([0], [[offset, offset + 1.0]])
    assert got == pytest.approx(expected, rel=4 * np.finfo(float).eps)


@pytest.mark.parametrize(
    "offset, dtype",
    [(c, np.float64) for c in (50.0, -50.0, 1e6, 1e15, -1e15, 1e300, -1e300)]
    + [(c, np.float32) for c in (50.0, -50.0, 1e6, 1e15, -1e15, 1e35)],
)
def test_softmax_ce_invariant_to_a_row_offset(offset, dtype):
    # Adding a constant c to a row leaves the loss unchanged. The input
    # z + c is itself rounded, so the reference is the loss of the rounded
    # input shifted back by its row max, z + c - max(z + c), which is exact
    # (Sterbenz): only our arithmetic on the shifted logits can differ.
    rng = np.random.default_rng(5)
    z = (rng.normal(scale=3.0, size=(400, 6)) + offset).astype(dtype)
    y = rng.integers(0, 6, size=400)
    shifted = z - z.max(axis=1, keepdims=True)
    ref = -sps.log_softmax(shifted.astype(np.float64), axis=1)[np.arange(400), y]
    tol = 8 * float(np.finfo(dtype).eps)
    got = softmax_cross_entropy(y, z, reduction="none")
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    assert softmax_cross_entropy(y, z) == pytest.approx(ref.mean(), rel=tol)
    # with label smoothing and class weights (PyTorch's definition)
    w = np.linspace(0.5, 2.0, 6)
    t = smooth_ref(y, 6, 0.2)
    ref_s = -np.sum(w * t * sps.log_softmax(shifted.astype(np.float64), axis=1), axis=1)
    got_s = softmax_cross_entropy(y, z, label_smoothing=0.2, class_weight=w, reduction="none")
    np.testing.assert_allclose(got_s, ref_s, rtol=4 * tol, atol=4 * tol)


def smooth_ref(y, c, alpha):
    """Szegedy et al.'s smoothed one-hot targets, built by hand."""
    return (1 - alpha) * np.eye(c)[y] + alpha / c


def test_softmax_ce_label_smoothing_near_the_float_max_is_finite():
    # Issue 11: the mean was -inf and 'none' gave nan. By hand, with
    # L = LSE(z) = 1e308 (the other terms vanish next to it), a = 0.1, C = 3:
    # loss_y = (1 - a)(L - z_y) + (a / 3) * sum_c (L - z_c).
    z = np.array([[1e308, 5e307, 0.0]] * 3)
    y = np.array([0, 1, 2])
    a = 0.1
    smooth = (a / 3) * (0.0 + 5e307 + 1e308)
    expected = [smooth, 0.9 * 5e307 + smooth, 0.9 * 1e308 + smooth]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = softmax_cross_entropy(y, z, label_smoothing=a, reduction="none")
        mean = softmax_cross_entropy(y, z, label_smoothing=a)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert mean == pytest.approx(np.mean(expected), rel=1e-14)
    # logits +-1.7e308 apart: L - z_c overflows, (a / C)(L - z_c) does not
    z = np.array([[1.7e308, -1.7e308]])
    got = softmax_cross_entropy([0], z, label_smoothing=a)
    assert got == pytest.approx(a * 1.7e308, rel=1e-14)  # (a / 2) * 3.4e308


def test_softmax_ce_float32_agrees_with_float64():
    z = RNG.normal(scale=4.0, size=(500, 7))
    y = RNG.integers(0, 7, size=500)
    ref = softmax_cross_entropy(y, z, reduction="none")
    got = softmax_cross_entropy(y, z.astype(np.float32), reduction="none")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=2e-6)
    f16 = softmax_cross_entropy(y, z.astype(np.float16), reduction="none")
    assert f16.dtype == np.float32  # float16 is computed in float32
    np.testing.assert_allclose(
        f16,
        softmax_cross_entropy(y, z.astype(np.float16).astype(np.float64), reduction="none"),
        rtol=2e-6,
        atol=2e-6,
    )


def test_softmax_ce_non_contiguous_and_fortran_logits():
    z = RNG.normal(size=(40, 10))
    y = RNG.integers(0, 5, size=20)
    view = z[::2, ::2]  # strided in both axes
    ref = -sps.log_softmax(np.ascontiguousarray(view), axis=1)[np.arange(20), y]
    np.testing.assert_allclose(softmax_cross_entropy(y, view, reduction="none"), ref, rtol=1e-13)
    f = np.asfortranarray(view)
    np.testing.assert_allclose(softmax_cross_entropy(y, f, reduction="none"), ref, rtol=1e-13)
    np.testing.assert_allclose(
        softmax_cross_entropy_grad(y, view),
        softmax_cross_entropy_grad(y, np.ascontiguousarray(view)),
        rtol=1e-13,
    )


def test_swapped_arguments_in_pytorch_order_are_refused():
    with pytest.raises(ValueError, match="the arguments look swapped"):
        softmax_cross_entropy(LOGITS, LABELS)  # F.cross_entropy(input, target)
    with pytest.raises(ValueError, match="the arguments look swapped"):
        categorical_cross_entropy(PROBS, LABELS)
    with pytest.raises(ValueError, match="the arguments look swapped"):
        softmax_cross_entropy_grad(LOGITS, LABELS)


def test_labels_huge_uint64_and_non_integral_give_our_error():
    z = np.zeros((1, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning on the cast
        with pytest.raises(ValueError, match=r"y_true must be integers in \[0, 2\]; got 1e\+20"):
            softmax_cross_entropy([1e20], z)
        with pytest.raises(
            ValueError,
            match=r"y_true must be integers in \[0, 2\]; got 9223372036854775808$",
        ):
            softmax_cross_entropy(np.array([2**63], dtype=np.uint64), z)
        with pytest.raises(ValueError, match="y_true must be integers; got 1.5"):
            categorical_cross_entropy([1.5], [[0.2, 0.3, 0.5]])
    # whole-number float labels are labels, as in one_hot
    assert softmax_cross_entropy([2.0], z) == pytest.approx(math.log(3))


def test_categorical_float16_probabilities_are_accepted():
    # a float16 softmax row sums to 1 only within float16 precision
    p = sps.softmax(LOGITS, axis=1).astype(np.float16)
    assert np.abs(p.astype(np.float64).sum(axis=1) - 1).max() > 1e-6
    got = categorical_cross_entropy(LABELS, p, reduction="none")
    ref = -np.log(p.astype(np.float64)[np.arange(N), LABELS])
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_empty_class_axis_is_refused():
    with pytest.raises(
        ValueError,
        match=r"probs must have at least one class along "
        r"axis -1; got shape \(3, 0\)",
    ):
        categorical_cross_entropy([0, 0, 0], np.zeros((3, 0)))
    with pytest.raises(
        ValueError,
        match=r"logits must contain at least one sample and "
        r"one class; got shape \(3, 0\)",
    ):
        softmax_cross_entropy([0, 0, 0], np.zeros((3, 0)))


# --- gradients ------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("alpha", [0.0, 0.15])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("targets", ["labels", "soft"])
def test_softmax_ce_grad_finite_differences(reduction, alpha, weighted, targets):
    y = LABELS if targets == "labels" else SOFT
    w = WEIGHTS if weighted else None

    def f(z):
        return softmax_cross_entropy(
            y, z, label_smoothing=alpha, class_weight=w, reduction=reduction
        )

    g = softmax_cross_entropy_grad(
        y, LOGITS, label_smoothing=alpha, class_weight=w, reduction=reduction
    )
    np.testing.assert_allclose(g, central_difference(f, LOGITS), atol=1e-8)


def test_softmax_ce_grad_none_is_per_sample_and_hand_value():
    g = softmax_cross_entropy_grad(LABELS, LOGITS, reduction="none")
    np.testing.assert_allclose(g, PROBS - np.eye(C)[LABELS], atol=1e-15)
    np.testing.assert_allclose(
        softmax_cross_entropy_grad(LABELS, LOGITS), (PROBS - np.eye(C)[LABELS]) / N, atol=1e-15
    )
    # one sample: softmax([0, 0]) - e_1 = [0.5, -0.5] (mean over N = 1)
    np.testing.assert_allclose(softmax_cross_entropy_grad(1, [0.0, 0.0]), [0.5, -0.5])


# --- no warnings on valid edge input -------------------------------------------


def test_exact_zero_one_probabilities_do_not_warn():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        for eps in (0.0, 1e-15):
            assert categorical_cross_entropy([0, 1], p, eps=eps) == 0.0
        assert binary_cross_entropy([1, 0], [1.0, 0.0], eps=0.0) == 0.0
        # clipped to 1 - 1e-15: -log(1 - 1e-15) = 1e-15 to first order
        assert binary_cross_entropy([1, 0], [1.0, 0.0]) == pytest.approx(1e-15, rel=1e-3)
        # exact: a confident wrong prediction costs inf nats, without a warning
        assert categorical_cross_entropy([1, 0], p, eps=0.0) == np.inf
        assert binary_cross_entropy([0, 1], [1.0, 0.0], eps=None) == np.inf
        # clipped to 1 - 1e-15, so 1 - p = 9.992e-16 (1e-15 after rounding):
        # -log(9.992e-16) = 34.5396, not quite 15 ln 10 = 34.5388
        assert binary_cross_entropy([0], [1.0]) == -math.log(1.0 - (1.0 - 1e-15))
        # the same in float32 and float16, where 1 - 1e-15 rounds to 1 (clipping
        # p alone would give inf there)
        for dtype in (np.float16, np.float32):
            got = binary_cross_entropy([0], np.array([1.0], dtype))
            assert got == pytest.approx(-math.log(1.0 - (1.0 - 1e-15)), rel=1e-6)


# --- errors ---------------------------------------------------------------------


def test_errors_shapes_and_reduction():
    with pytest.raises(
        ValueError,
        match=r"y_true and y_pred must have the same shape; got \(3,\) and \(2,\)",
    ):
        mse_loss([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=r"y_true and p must have the same shape"):
        binary_cross_entropy([1, 0], [0.5])
    with pytest.raises(ValueError, match=r"y_true and logits must have the same shape"):
        binary_cross_entropy_with_logits([1, 0], [0.5])
    with pytest.raises(
        ValueError,
        match="y_true and logits must have the same number of samples; got 3 and 8",
    ):
        softmax_cross_entropy([0, 1, 2], LOGITS)
    with pytest.raises(
        ValueError,
        match=r"y_true and probs must have the same shape; got \(8, 3\) and \(8, 4\)",
    ):
        categorical_cross_entropy(SOFT[:, :3] / SOFT[:, :3].sum(1, keepdims=True), PROBS)
    with pytest.raises(ValueError, match=r"logits must be 1-D or 2-D; got shape \(2, 2, 2\)"):
        softmax_cross_entropy([0, 1], np.zeros((2, 2, 2)))
    with pytest.raises(
        ValueError,
        match=r"y_true must be integer labels of shape \(N,\) or probability rows",
    ):
        softmax_cross_entropy(np.zeros((8, 4, 1)), LOGITS)


def test_errors_values():
    with pytest.raises(ValueError, match=r"p must contain probabilities in \[0, 1\]; got max 1.2"):
        binary_cross_entropy([1], [1.2])
    with pytest.raises(
        ValueError,
        match=r"y_true must contain probabilities in \[0, 1\]; got min -1",
    ):
        binary_cross_entropy_with_logits([-1.0], [0.0])
    with pytest.raises(ValueError, match="logits must not contain NaN"):
        binary_cross_entropy_with_logits([1.0], [np.nan])
    with pytest.raises(ValueError, match="y_pred must be finite"):
        mse_loss([1.0], [np.inf])
    with pytest.raises(
        ValueError,
        match=r"probs must sum to 1 along axis -1 \(tolerance 1e-06\); got a sum of 0.9",
    ):
        categorical_cross_entropy([0], [[0.5, 0.4]])
    with pytest.raises(ValueError, match=r"y_true must sum to 1 along axis -1"):
        categorical_cross_entropy([[0.5, 0.4]], [[0.5, 0.5]])
    with pytest.raises(ValueError, match=r"y_true must be integers in \[0, 3\]; got 4"):
        softmax_cross_entropy([4] * N, LOGITS)
    with pytest.raises(ValueError, match=r"y_true must be integers in \[0, 3\]; got -1"):
        categorical_cross_entropy([-1] * N, PROBS)
    with pytest.raises(ValueError, match="y_true must be integers; got 0.5"):
        categorical_cross_entropy([0.5] * N, PROBS)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]; got 1.5"):
        softmax_cross_entropy(LABELS, LOGITS, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing must be a scalar"):
        softmax_cross_entropy_grad(LABELS, LOGITS, label_smoothing=[0.1, 0.2])
    with pytest.raises(
        ValueError,
        match=r"class_weight must have one weight per class \(4\); got shape \(3,\)",
    ):
        softmax_cross_entropy(LABELS, LOGITS, class_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="class_weight must be non-negative; got -1"):
        softmax_cross_entropy_grad(LABELS, LOGITS, class_weight=[1.0, -1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="class_weight gives total weight 0 to the targets"):
        softmax_cross_entropy([0, 0], np.zeros((2, 2)), class_weight=[0.0, 1.0])
    with pytest.raises(ValueError, match="class_weight gives total weight 0 to the targets"):
        softmax_cross_entropy_grad([0, 0], np.zeros((2, 2)), class_weight=[0.0, 1.0])
    with pytest.raises(
        ValueError,
        match=r"logits must contain at least one sample and one class; got shape \(0, 3\)",
    ):
        softmax_cross_entropy(np.zeros(0, dtype=int), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="probs must contain at least one sample"):
        categorical_cross_entropy(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="reduction='mean' of an empty input is undefined"):
        mse_loss([], [])
    assert binary_cross_entropy([], [], reduction="sum") == 0.0
    with pytest.raises(ValueError, match="logits must be finite"):
        softmax_cross_entropy(SOFT, np.full((N, C), np.inf))


def test_logits_near_float_max_no_warning():
    # true losses beyond float max are inf; the others stay exact, no warnings
    z = [[1e308, -1e308, 0.0]]
    assert softmax_cross_entropy([0], z) == 0.0
    assert softmax_cross_entropy([1], z) == np.inf
    assert softmax_cross_entropy([2], z) == 1e308
    assert softmax_cross_entropy([[1.0, 0.0, 0.0]], z) == 0.0
    np.testing.assert_array_equal(softmax_cross_entropy_grad([1], z), [[1.0, -1.0, 0.0]])
    assert binary_cross_entropy_with_logits([0, 1], [1e308, -1e308]) == np.inf


# --- softmax_hessian -------------------------------------------------------------


def _fd_hessian(z, y, h=1e-5):
    """Central differences of the analytic gradient (one sample, reduction 'sum')."""
    C = z.size
    H = np.empty((C, C))
    for j in range(C):
        dz = np.zeros(C)
        dz[j] = h
        g_plus = softmax_cross_entropy_grad(y[None], (z + dz)[None], reduction="sum")[0]
        g_minus = softmax_cross_entropy_grad(y[None], (z - dz)[None], reduction="sum")[0]
        H[:, j] = (g_plus - g_minus) / (2 * h)
    return H


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_hessian_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=5)
    y = rng.dirichlet(np.ones(5))  # the Hessian does not depend on the target
    assert np.allclose(softmax_hessian(z), _fd_hessian(z, y), atol=1e-8)


def test_softmax_hessian_hand_computed_and_batch():
    # z = [0, ln 3]: p = [1/4, 3/4]; diag(p) - pp^T = [[3/16, -3/16], [-3/16, 3/16]]
    H = softmax_hessian([0.0, np.log(3.0)])
    assert np.allclose(H, np.array([[3, -3], [-3, 3]]) / 16, atol=1e-15)
    Z = np.random.default_rng(3).normal(size=(4, 3))
    batch = softmax_hessian(Z)
    assert batch.shape == (4, 3, 3)
    for z, Hz in zip(Z, batch):
        assert np.allclose(Hz, softmax_hessian(z))


@settings(max_examples=50, deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(2, 6),
        elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False),
    )
)
def test_softmax_hessian_is_psd_symmetric_with_zero_row_sums(z):
    H = softmax_hessian(z)
    assert np.allclose(H, H.T)
    assert np.allclose(H.sum(axis=1), 0.0, atol=1e-12)
    assert np.linalg.eigvalsh(H).min() >= -1e-12


def test_softmax_hessian_no_overflow_for_huge_logits():
    H = softmax_hessian([1e4, 0.0, -1e4])
    assert np.all(np.isfinite(H))
    assert np.allclose(H, 0.0)  # p = [1, 0, 0]: no curvature left


def test_softmax_hessian_errors():
    with pytest.raises(ValueError, match=r"logits must be 1-D or 2-D; got shape \(\)"):
        softmax_hessian(1.0)
    with pytest.raises(ValueError, match="logits must not be empty"):
        softmax_hessian([])
    with pytest.raises(ValueError, match="logits must not contain NaN"):
        softmax_hessian([0.0, np.nan])
    with pytest.raises(TypeError, match="logits must be an array of real numbers"):
        softmax_hessian(["a", "b"])
