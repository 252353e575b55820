"""Tests of lecture_code.activations against SciPy and hand-computed values."""

import warnings

import numpy as np
import pytest
import scipy.special as sps

from lecture_code import log_softmax, logsumexp, sigmoid, softmax

RNG = np.random.default_rng(0)
Z = RNG.normal(scale=5.0, size=(6, 4))


def test_sigmoid_matches_scipy_expit():
    z = np.linspace(-40, 40, 101)
    np.testing.assert_allclose(sigmoid(z), sps.expit(z), rtol=1e-15, atol=0)


def test_sigmoid_hand_values_and_scalar():
    assert sigmoid(0) == 0.5 and isinstance(sigmoid(0), float)
    # 1 / (1 + e^-2) = 1 / 1.1353352832 = 0.8807970780
    assert sigmoid(2.0) == pytest.approx(0.8807970779778823, rel=1e-15)
    assert sigmoid(-2.0) == pytest.approx(1 - 0.8807970779778823, rel=1e-14)


@pytest.mark.parametrize("big", [1e4, 1e300])
def test_sigmoid_extreme_logits_no_warning(big):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        out = sigmoid([-big, big])
    assert out.tolist() == [0.0, 1.0]


def test_softmax_matches_scipy_on_both_axes():
    np.testing.assert_allclose(softmax(Z), sps.softmax(Z, axis=-1), rtol=1e-14)
    np.testing.assert_allclose(softmax(Z, axis=0), sps.softmax(Z, axis=0), rtol=1e-14)


def test_log_softmax_matches_scipy():
    np.testing.assert_allclose(log_softmax(Z), sps.log_softmax(Z, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(log_softmax(Z, axis=0), sps.log_softmax(Z, axis=0), rtol=1e-13)


def test_logsumexp_matches_scipy():
    np.testing.assert_allclose(logsumexp(Z), sps.logsumexp(Z, axis=-1), rtol=1e-14)
    np.testing.assert_allclose(logsumexp(Z, axis=0), sps.logsumexp(Z, axis=0), rtol=1e-14)
    assert isinstance(logsumexp([1.0, 2.0]), float)


def test_hand_values():
    # softmax([0, ln 3]) = [1, 3] / 4
    np.testing.assert_allclose(softmax([0.0, np.log(3.0)]), [0.25, 0.75], rtol=1e-15)
    # logsumexp([ln 2, ln 3]) = ln 5
    assert logsumexp([np.log(2.0), np.log(3.0)]) == pytest.approx(np.log(5.0), rel=1e-15)
    # log_softmax([0, 0, 0]) = -ln 3 everywhere
    np.testing.assert_allclose(log_softmax([0.0, 0.0, 0.0]), -np.log(3.0), rtol=1e-15)


@pytest.mark.parametrize("scale", [1e4, 1e6, 1e300])
def test_huge_logits_are_stable(scale):
    z = np.array([[1.0, -1.0, 0.5], [-1.0, -1.0, -2.0]]) * scale
    p = softmax(z)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    lp = log_softmax(z)
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(lp, sps.log_softmax(z, axis=1), rtol=1e-12)
    np.testing.assert_allclose(logsumexp(z), sps.logsumexp(z, axis=1), rtol=1e-12)


def test_shift_invariance():
    np.testing.assert_allclose(softmax(Z + 1234.5), softmax(Z), atol=1e-15)


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp])
def test_errors(f):
    with pytest.raises(ValueError, match="z must be at least 1-D"):
        f(1.0)
    with pytest.raises(ValueError, match=r"z must not be empty; got shape \(0,\)"):
        f([])
    with pytest.raises(ValueError, match="z must not contain NaN"):
        f([1.0, np.nan])
    with pytest.raises(ValueError, match="z must be finite; got an infinite value"):
        f([1.0, np.inf])
    with pytest.raises(ValueError, match="axis 1 is out of range for z with 1 dimension"):
        f([1.0, 2.0], axis=1)
    with pytest.raises(TypeError, match="z must be an array of real numbers"):
        f(["a", "b"])


def test_sigmoid_errors():
    with pytest.raises(ValueError, match="z must be finite"):
        sigmoid([0.0, -np.inf])
    with pytest.raises(ValueError, match="z must not contain NaN"):
        sigmoid(np.nan)


def test_logits_near_float_max_no_warning():
    # z - max(z) = -2e308 overflows to -inf; exp(-inf) = 0 is the right limit
    z = [1e308, -1e308, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _near_float_max_values(z)


def _near_float_max_values(z):
    np.testing.assert_array_equal(softmax(z), [1.0, 0.0, 0.0])
    assert logsumexp(z) == 1e308
    lp = log_softmax(z)
    assert lp[0] == 0.0 and lp[1] == -np.inf and lp[2] == -1e308
    np.testing.assert_array_equal(sigmoid([1e308, -1e308]), [1.0, 0.0])
