"""Tests of lecture_code.losses against scikit-learn, SciPy, transcribed
reference formulas, hand-computed values and central finite differences."""

import math

import numpy as np
import pytest
import scipy.special as sps
from sklearn.metrics import log_loss, mean_squared_error

from lecture_code import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    binary_focal_loss,
    categorical_cross_entropy,
    focal_loss,
    mse_loss,
    sigmoid_focal_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_focal_loss,
    softmax_focal_loss_grad,
)
from lecture_code import losses as losses_module

RNG = np.random.default_rng(2)
N, C = 8, 4
LOGITS = RNG.normal(scale=3.0, size=(N, C))
LABELS = RNG.integers(0, C, size=N)
SOFT = RNG.dirichlet(np.ones(C), size=N)
PROBS = sps.softmax(LOGITS, axis=1)
WEIGHTS = RNG.uniform(0.2, 2.0, size=C)


def central_difference(f, z, h=1e-6):
    """Gradient of the scalar function f at z by central differences."""
    g = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = (f(zp) - f(zm)) / (2 * h)
    return g


def keras_categorical_focal(y_true, y_pred, alpha, gamma):
    """Keras' categorical_focal_crossentropy (keras/src/losses/losses.py),
    transcribed to NumPy *without* its clip to [epsilon, 1 - epsilon]:

        output = y_pred / sum(y_pred, axis, keepdims=True)
        cce = -y_true * log(output)
        modulating_factor = power(1.0 - output, gamma)
        weighting_factor = multiply(modulating_factor, alpha)
        return sum(multiply(weighting_factor, cce), axis)
    """
    output = y_pred / np.sum(y_pred, axis=-1, keepdims=True)
    cce = -y_true * np.log(output)
    weighting_factor = np.power(1.0 - output, gamma) * alpha
    return np.sum(weighting_factor * cce, axis=-1)


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
    np.testing.assert_allclose(out, [15 * math.log(10), 1e-15, 1e-15, 15 * math.log(10)],
                               rtol=1e-3)
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
    n = 3 * (losses_module._CHUNK_ELEMENTS // 5) + 7  # several chunks plus a remainder
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
    z = RNG.normal(scale=3.0, size=(20, losses_module._CHUNK_ELEMENTS + 3))
    y = RNG.integers(0, z.shape[1], size=20)
    ref = -sps.log_softmax(z, axis=1)[np.arange(20), y]
    np.testing.assert_allclose(softmax_cross_entropy(y, z, reduction="none"), ref, rtol=1e-13)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_softmax_ce_non_finite_logits_in_a_late_chunk(bad):
    n = 2 * (losses_module._CHUNK_ELEMENTS // 3) + 5
    z = np.zeros((n, 3))
    z[-2, 1] = bad
    msg = "logits must not contain NaN" if np.isnan(bad) else "logits must be finite"
    with pytest.raises(ValueError, match=msg):
        softmax_cross_entropy(np.zeros(n, dtype=int), z)
    with pytest.raises(ValueError, match=msg):
        softmax_cross_entropy_grad(np.zeros(n, dtype=int), z)


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


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, "per-class"])
@pytest.mark.parametrize("targets", ["labels", "soft"])
def test_softmax_focal_grad_finite_differences(gamma, alpha, targets):
    a = WEIGHTS / WEIGHTS.max() if alpha == "per-class" else alpha
    y = LABELS if targets == "labels" else SOFT

    def f(z):
        return softmax_focal_loss(y, z, gamma=gamma, alpha=a)

    g = softmax_focal_loss_grad(y, LOGITS, gamma=gamma, alpha=a)
    np.testing.assert_allclose(g, central_difference(f, LOGITS), atol=1e-8)
    gs = softmax_focal_loss_grad(y, LOGITS, gamma=gamma, alpha=a, reduction="sum")
    np.testing.assert_allclose(gs, g * N, rtol=1e-12)


def test_softmax_focal_grad_is_finite_at_certainty():
    # p_true == 1 in floating point (ratio p log p / (1 - p) -> -1), gamma < 1
    g = softmax_focal_loss_grad([0], [[50.0, -50.0]], gamma=0.5)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, 0.0, atol=1e-20)


# --- focal losses ---------------------------------------------------------------


def test_focal_gamma0_is_categorical_exactly():
    for y in (LABELS, SOFT):
        for red in ("mean", "sum", "none"):
            a = focal_loss(y, PROBS, gamma=0.0, alpha=None, reduction=red)
            b = categorical_cross_entropy(y, PROBS, reduction=red)
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("alpha", [0.25, 1.0, "per-class"])
def test_focal_against_keras_formula(gamma, alpha):
    a = WEIGHTS / WEIGHTS.max() if alpha == "per-class" else alpha
    ref = keras_categorical_focal(SOFT, PROBS, a, gamma)
    np.testing.assert_allclose(
        focal_loss(SOFT, PROBS, gamma=gamma, alpha=a, reduction="none"), ref, rtol=1e-12
    )
    ref = keras_categorical_focal(np.eye(C)[LABELS], PROBS, a, gamma)
    np.testing.assert_allclose(
        focal_loss(LABELS, PROBS, gamma=gamma, alpha=a, reduction="none"), ref, rtol=1e-12
    )


def test_focal_hand_value_and_softmax_version():
    # -(1 - 0.6)^2 ln 0.6 = 0.16 * 0.5108256 = 0.0817321
    assert focal_loss([0], [[0.6, 0.4]]) == pytest.approx(0.16 * -math.log(0.6), rel=1e-14)
    np.testing.assert_allclose(
        softmax_focal_loss(LABELS, LOGITS, gamma=2.0, alpha=0.5, reduction="none"),
        focal_loss(LABELS, PROBS, gamma=2.0, alpha=0.5, eps=0, reduction="none"),
        rtol=1e-12,
    )
    # from logits it stays finite where probabilities would underflow to 0
    assert softmax_focal_loss([1], [[800.0, 0.0]], gamma=2.0) == pytest.approx(800.0)


def test_binary_focal_hand_values_and_gamma0():
    # y=1, p=0.9: 0.25 * 0.1^2 * -ln 0.9; y=0, p=0.9: 0.75 * 0.9^2 * -ln 0.1
    expected = [0.25 * 0.01 * -math.log(0.9), 0.75 * 0.81 * -math.log(0.1)]
    np.testing.assert_allclose(
        binary_focal_loss([1, 0], [0.9, 0.9], reduction="none"), expected, rtol=1e-14
    )
    y = RNG.integers(0, 2, size=20)
    p = RNG.uniform(0.01, 0.99, size=20)
    assert binary_focal_loss(y, p, gamma=0.0, alpha=None) == pytest.approx(
        log_loss(y, p), rel=1e-13
    )


def test_sigmoid_focal_matches_binary_focal_of_expit():
    y = RNG.uniform(0, 1, size=25)
    z = RNG.normal(scale=3.0, size=25)
    for alpha in (0.25, None):
        np.testing.assert_allclose(
            sigmoid_focal_loss(y, z, gamma=1.5, alpha=alpha, reduction="none"),
            binary_focal_loss(y, sps.expit(z), gamma=1.5, alpha=alpha, eps=0, reduction="none"),
            rtol=1e-12,
        )
    # stable at huge logits: y=0, z=1e4 -> 0.75 * 1^2 * 1e4
    assert sigmoid_focal_loss([0.0], [1e4]) == pytest.approx(7500.0)
    assert sigmoid_focal_loss([1.0], [1e4]) == 0.0


# --- no warnings on valid edge input -------------------------------------------


def test_exact_zero_one_probabilities_do_not_warn():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    for eps in (0.0, 1e-15):
        categorical_cross_entropy([0, 1], p, eps=eps)
        focal_loss([0, 1], p, eps=eps)
        binary_focal_loss([1, 0], [1.0, 0.0], eps=eps)
        binary_cross_entropy([1, 0], [1.0, 0.0], eps=eps)


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
    for f, args in [
        (mse_loss, ([1.0], [1.0])),
        (binary_cross_entropy, ([1.0], [0.5])),
        (binary_cross_entropy_with_logits, ([1.0], [0.5])),
        (categorical_cross_entropy, (LABELS, PROBS)),
        (softmax_cross_entropy, (LABELS, LOGITS)),
        (softmax_cross_entropy_grad, (LABELS, LOGITS)),
        (focal_loss, (LABELS, PROBS)),
        (softmax_focal_loss, (LABELS, LOGITS)),
        (softmax_focal_loss_grad, (LABELS, LOGITS)),
        (binary_focal_loss, ([1.0], [0.5])),
        (sigmoid_focal_loss, ([1.0], [0.5])),
    ]:
        with pytest.raises(
            ValueError,
            match="reduction must be 'mean', 'sum' or 'none'; got 'avg'",
        ):
            f(*args, reduction="avg")


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
        focal_loss([-1] * N, PROBS)
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
        focal_loss(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="reduction='mean' of an empty input is undefined"):
        mse_loss([], [])
    assert binary_cross_entropy([], [], reduction="sum") == 0.0
    with pytest.raises(ValueError, match="logits must be finite"):
        softmax_cross_entropy(SOFT, np.full((N, C), np.inf))
    with pytest.raises(ValueError, match="logits must be finite"):
        softmax_focal_loss(LABELS, np.full((N, C), -np.inf))


def test_errors_focal_parameters():
    with pytest.raises(ValueError, match="gamma must be a finite non-negative number; got -1"):
        focal_loss(LABELS, PROBS, gamma=-1)
    with pytest.raises(ValueError, match="gamma must be a finite non-negative number; got -0.5"):
        sigmoid_focal_loss([1.0], [0.0], gamma=-0.5)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]; got 1.5"):
        focal_loss(LABELS, PROBS, alpha=1.5)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]; got -0.25"):
        binary_focal_loss([1.0], [0.5], alpha=-0.25)
    with pytest.raises(
        ValueError,
        match=r"alpha must be a scalar or have one weight per class \(4\)",
    ):
        softmax_focal_loss_grad(LABELS, LOGITS, alpha=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"alpha must be a scalar or None; got shape \(2,\)"):
        sigmoid_focal_loss([1.0], [0.0], alpha=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"eps must be in \[0, 0.5\); got 0.6"):
        focal_loss(LABELS, PROBS, eps=0.6)


def test_logits_near_float_max_no_warning():
    # true losses beyond float max are inf; the others stay exact, no warnings
    z = [[1e308, -1e308, 0.0]]
    assert softmax_cross_entropy([0], z) == 0.0
    assert softmax_cross_entropy([1], z) == np.inf
    assert softmax_cross_entropy([2], z) == 1e308
    assert softmax_cross_entropy([[1.0, 0.0, 0.0]], z) == 0.0
    np.testing.assert_array_equal(softmax_cross_entropy_grad([1], z), [[1.0, -1.0, 0.0]])
    assert softmax_focal_loss([0], z) == 0.0
    assert softmax_focal_loss([1], z) == np.inf
    # the limit of the focal gradient as p_1 -> 0 is p - y, as for cross-entropy
    np.testing.assert_array_equal(softmax_focal_loss_grad([1], z), [[1.0, -1.0, 0.0]])
    assert binary_cross_entropy_with_logits([0, 1], [1e308, -1e308]) == np.inf
    assert sigmoid_focal_loss([1, 0], [1e308, -1e308]) == 0.0
