"""Tests of lecture_code.focal against Keras' formula (transcribed),
torchvision's definition, hand-computed values and central finite
differences."""

import math
import warnings

import numpy as np
import pytest
import scipy.special as sps
from sklearn.metrics import log_loss

from lecture_code import (
    binary_focal_loss,
    categorical_cross_entropy,
    focal_loss,
    sigmoid_focal_loss,
    softmax_focal_loss,
    softmax_focal_loss_grad,
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


def test_focal_losses_live_in_focal_only():
    # one place for each function: lecture_code.losses does not re-export them
    # (it did, and importing focal back from losses made an import cycle)
    import lecture_code.focal
    import lecture_code.losses

    for name in lecture_code.focal.__all__:
        assert not hasattr(lecture_code.losses, name), name


def test_exact_zero_one_probabilities_do_not_warn():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        for eps in (0.0, 1e-15):
            assert focal_loss([0, 1], p, eps=eps) == 0.0
        assert binary_focal_loss([1, 0], [1.0, 0.0], eps=0.0) == 0.0
        # clipped: 0.25 * (1e-15)^2 * 1e-15
        assert binary_focal_loss([1], [1.0]) == pytest.approx(0.25e-45, rel=1e-3)
        assert focal_loss([1, 0], p, eps=0.0) == np.inf


def test_logits_near_float_max_no_warning():
    z = [[1e308, -1e308, 0.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softmax_focal_loss([0], z) == 0.0
        assert softmax_focal_loss([1], z) == np.inf
        # the limit of the focal gradient as p_1 -> 0 is p - y, as for cross-entropy
        np.testing.assert_array_equal(softmax_focal_loss_grad([1], z), [[1.0, -1.0, 0.0]])
        assert sigmoid_focal_loss([1, 0], [1e308, -1e308]) == 0.0


def test_focal_float32_agrees_with_float64():
    for f, args in [(focal_loss, (LABELS, PROBS)), (softmax_focal_loss, (LABELS, LOGITS))]:
        ref = f(*args, reduction="none")
        got = f(args[0], args[1].astype(np.float32), reduction="none")
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    y, p = np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.3, 0.2])
    got = binary_focal_loss(y.astype(np.float32), p.astype(np.float32), reduction="none")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, binary_focal_loss(y, p, reduction="none"), rtol=1e-5)


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
    with pytest.raises(ValueError, match="logits must be finite"):
        softmax_focal_loss(LABELS, np.full((N, C), -np.inf))
    with pytest.raises(ValueError, match=r"y_true must be integers in \[0, 3\]; got -1"):
        focal_loss([-1] * N, PROBS)
    with pytest.raises(ValueError, match="the arguments look swapped"):
        softmax_focal_loss(LOGITS, LABELS)
