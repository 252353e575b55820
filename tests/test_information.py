"""Tests of lecture_code.information against SciPy and hand-computed values."""

import math

import numpy as np
import pytest
import scipy.stats
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from lecture_code import (
    bhattacharyya,
    cross_entropy,
    entropy,
    hellinger,
    js_divergence,
    kl_divergence,
    surprise,
    total_variation,
    wasserstein_1d,
)

RNG = np.random.default_rng(1)
P = RNG.dirichlet(np.ones(5), size=4)
Q = RNG.dirichlet(np.ones(5), size=4)

# The lecture's example: truth p = [0.1, 0.7, 0.2] and eleven predictions q,
# with the cross-entropies printed on the slide (natural log, eps = 1e-15).
LECTURE_P = [0.1, 0.7, 0.2]
LECTURE_Q = [
    [0.1, 0.7, 0.2],
    [0.1, 0.6, 0.3],
    [0.1, 0.5, 0.4],
    [0.0, 0.5, 0.5],
    [0.0, 0.4, 0.6],
    [0.0, 0.2, 0.8],
    [0.0, 0.1, 0.9],
    [0.0, 0.01, 0.99],
    [0.0, 0.0, 1.0],
    [1.0, 0.0, 0.0],
    [0.5, 0.0, 0.5],
]
LECTURE_VALUES = [0.801, 0.828, 0.898, 4.077, 4.197, 4.625, 5.086, 6.679, 27.63, 31.08, 24.38]


def test_lecture_table():
    h = cross_entropy(np.tile(LECTURE_P, (11, 1)), LECTURE_Q)
    # The slide truncates (not rounds) to 4 significant digits: e.g. the first
    # value is H(p) = 0.80182 -> "0.801", the last 0.3 ln 2 + 0.7 ln 1e15 =
    # 24.38509 -> "24.38". Truncating ours reproduces every entry.
    digits = [3 if v < 10 else 2 for v in LECTURE_VALUES]
    truncated = [math.floor(x * 10**d) / 10**d for x, d in zip(h, digits)]
    np.testing.assert_allclose(truncated, LECTURE_VALUES, rtol=0, atol=1e-9)
    # and each is within one unit of the last printed digit
    np.testing.assert_allclose(h, LECTURE_VALUES, atol=0.01)


def test_lecture_table_hand_values():
    # q = [1, 0, 0]: 0.1 ln 1 + 0.9 (-ln 1e-15) = 0.9 * 34.538776 = 31.0849
    assert cross_entropy(LECTURE_P, [1.0, 0.0, 0.0]) == pytest.approx(0.9 * 15 * np.log(10))
    # q = [0, 0.01, 0.99]: 0.1*34.5387764 + 0.7*4.6051702 + 0.2*0.0100503
    #                     = 3.4538776 + 3.2236191 + 0.0020101 = 6.6795068
    assert cross_entropy(LECTURE_P, [0.0, 0.01, 0.99]) == pytest.approx(6.6795068, abs=1e-6)


def test_surprise():
    assert surprise(0.5, base=2) == 1.0
    assert surprise(1 / 8, base=2) == pytest.approx(3.0)
    np.testing.assert_allclose(surprise([0.25, 1.0]), [np.log(4), 0.0])
    assert surprise(0.0) == np.inf  # no divide-by-zero warning


def test_entropy_against_scipy():
    np.testing.assert_allclose(entropy(P), scipy.stats.entropy(P, axis=1), rtol=1e-14)
    np.testing.assert_allclose(
        entropy(P, base=2), scipy.stats.entropy(P, base=2, axis=1), rtol=1e-14
    )
    np.testing.assert_allclose(
        entropy(P.T, axis=0), scipy.stats.entropy(P.T, axis=0), rtol=1e-14
    )


def test_entropy_hand_values():
    assert entropy([0.25] * 4, base=2) == pytest.approx(2.0)  # log2 4
    assert entropy([1.0, 0.0]) == 0.0  # 0 log 0 = 0
    # desert weather: 0.9 sun, 0.1 rain: -(0.9 ln .9 + 0.1 ln .1) = 0.325083
    assert entropy([0.9, 0.1]) == pytest.approx(0.3250829733914482, rel=1e-14)


def test_cross_entropy_against_scipy_and_exact_eps0():
    # H(p, q) = H(p) + KL(p || q), both from SciPy
    ref = scipy.stats.entropy(P, axis=1) + scipy.stats.entropy(P, Q, axis=1)
    np.testing.assert_allclose(cross_entropy(P, Q), ref, rtol=1e-13)
    np.testing.assert_allclose(cross_entropy(P, Q, eps=0), ref, rtol=1e-13)
    assert cross_entropy([0.5, 0.5], [1.0, 0.0], eps=0) == np.inf
    assert cross_entropy([1.0, 0.0], [1.0, 0.0], eps=0) == 0.0
    assert cross_entropy([0.5, 0.5], [0.5, 0.5], base=2) == pytest.approx(1.0)


def test_kl_against_scipy():
    np.testing.assert_allclose(kl_divergence(P, Q), rel_entr(P, Q).sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(
        kl_divergence(P, Q, base=2), scipy.stats.entropy(P, Q, base=2, axis=1), rtol=1e-13
    )
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2))


def test_js_is_square_of_scipy_distance():
    np.testing.assert_allclose(
        js_divergence(P, Q), jensenshannon(P, Q, axis=1) ** 2, rtol=1e-12
    )
    np.testing.assert_allclose(
        js_divergence(P, Q, base=2), jensenshannon(P, Q, base=2, axis=1) ** 2, rtol=1e-12
    )
    assert js_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.log(2))


def test_total_variation_hellinger_bhattacharyya_hand():
    p, q = [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]
    assert total_variation(p, q) == pytest.approx(0.5)  # (.25 + .25 + .5) / 2
    # sqrt(0.5 * 2 * (sqrt(.5) - .5)^2 + 0.5 * (0 - sqrt(.5))^2)
    h = math.sqrt(0.5 * (2 * (math.sqrt(0.5) - 0.5) ** 2 + 0.5))
    assert hellinger(p, q) == pytest.approx(h, rel=1e-14)
    # BC = 2 sqrt(0.125) = 0.70711; D_B = -ln 0.70711 = 0.5 ln 2
    assert bhattacharyya(p, q) == pytest.approx(0.5 * math.log(2), rel=1e-14)
    # Hellinger^2 = 1 - BC (both from the same sqrt(p q)), an independent identity
    np.testing.assert_allclose(
        hellinger(P, Q) ** 2, 1 - np.exp(-bhattacharyya(P, Q)), rtol=1e-12
    )
    np.testing.assert_allclose(total_variation(P, Q), 0.5 * np.abs(P - Q).sum(axis=1))
    assert bhattacharyya([1.0, 0.0], [0.0, 1.0]) == np.inf
    assert bhattacharyya(P[0], P[0]) == 0.0


def test_wasserstein_against_scipy():
    for p, q in zip(P, Q):
        ref = scipy.stats.wasserstein_distance(np.arange(5), np.arange(5), p, q)
        assert wasserstein_1d(p, q) == pytest.approx(ref, rel=1e-12)
        x = np.array([0.0, 0.5, 2.0, 2.5, 10.0])
        ref = scipy.stats.wasserstein_distance(x, x, p, q)
        assert wasserstein_1d(p, q, support=x) == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(
        wasserstein_1d(P.T, Q.T, axis=0),
        [scipy.stats.wasserstein_distance(range(5), range(5), p, q) for p, q in zip(P, Q)],
        rtol=1e-12,
    )


def test_exact_zero_and_one_no_warnings():
    p = [1.0, 0.0]
    for f in (entropy, cross_entropy, kl_divergence, js_divergence, hellinger, bhattacharyya):
        assert np.isfinite(f(p, p) if f is not entropy else f(p))


ALL_PAIRS = [cross_entropy, kl_divergence, js_divergence, total_variation, hellinger,
             bhattacharyya, wasserstein_1d]


@pytest.mark.parametrize("f", ALL_PAIRS)
def test_pair_errors(f):
    with pytest.raises(
        ValueError,
        match=r"p and q must have the same shape or shapes that broadcast together; "
        r"got \(2,\) and \(3,\)",
    ):
        f([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(
        ValueError,
        match=r"q must contain probabilities in \[0, 1\]; got min -0.5",
    ):
        f([0.5, 0.5], [1.5, -0.5])
    with pytest.raises(ValueError, match=r"p must sum to 1 along axis -1 \(tolerance 1e-06\)"):
        f([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="q must not contain NaN"):
        f([0.5, 0.5], [np.nan, 0.5])


def test_single_errors():
    with pytest.raises(ValueError, match=r"p must contain probabilities in \[0, 1\]; got max 2"):
        surprise(2.0)
    with pytest.raises(ValueError, match="p must sum to 1"):
        entropy([0.2, 0.2])
    with pytest.raises(ValueError, match="base must be positive and different from 1"):
        entropy([0.5, 0.5], base=1)
    with pytest.raises(ValueError, match="eps must be a finite non-negative number; got -0.001"):
        cross_entropy([0.5, 0.5], [0.5, 0.5], eps=-1e-3)
    with pytest.raises(ValueError, match=r"eps must be in \[0, 0.5\); got 0.7"):
        cross_entropy([0.5, 0.5], [0.5, 0.5], eps=0.7)
    with pytest.raises(ValueError, match="support must be strictly increasing"):
        wasserstein_1d([0.5, 0.5], [0.5, 0.5], support=[1.0, 0.0])
    with pytest.raises(ValueError, match=r"support must have one position per class \(2\)"):
        wasserstein_1d([0.5, 0.5], [0.5, 0.5], support=[0.0, 1.0, 2.0])


@pytest.mark.parametrize("f", ALL_PAIRS)
def test_one_target_broadcasts_against_a_batch(f):
    # One target against many predictions equals the row-by-row results
    # (the rows computed one at a time, so no broadcasting is involved).
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(4))
    Q = rng.dirichlet(np.ones(4), size=6)
    expected = [f(p, q) for q in Q]
    np.testing.assert_allclose(f(p, Q), expected, rtol=1e-12)
    np.testing.assert_allclose(f(Q, p), [f(q, p) for q in Q], rtol=1e-12)


def test_broadcast_cross_entropy_matches_scipy():
    # scipy.stats.entropy broadcasts too: H(p, q) = H(p) + KL(p || q)
    p = np.array([0.1, 0.7, 0.2])
    Q = np.array([[0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4]])
    expected = scipy.stats.entropy(p) + scipy.stats.entropy(p[None, :], Q, axis=1)
    np.testing.assert_allclose(cross_entropy(p, Q), expected, rtol=1e-12)
