"""Tests of lecture_code.information against SciPy, scikit-learn and hand values.

The divergences and distances against SciPy; conditional entropy and mutual
information (chapter "Entropy") against scikit-learn's mutual_info_score on
contingency tables, SciPy's entropy of the marginals and of the flattened
table (the chain rule), and values worked out by hand.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from sklearn.datasets import load_iris, load_wine
from sklearn.metrics import mutual_info_score
from sklearn.tree import DecisionTreeClassifier

from lecture_code import (
    bhattacharyya,
    conditional_entropy,
    cross_entropy,
    entropy,
    hellinger,
    information_gain,
    js_divergence,
    kl_divergence,
    mutual_information,
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
    np.testing.assert_allclose(entropy(P.T, axis=0), scipy.stats.entropy(P.T, axis=0), rtol=1e-14)


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
    np.testing.assert_allclose(js_divergence(P, Q), jensenshannon(P, Q, axis=1) ** 2, rtol=1e-12)
    np.testing.assert_allclose(
        js_divergence(P, Q, base=2), jensenshannon(P, Q, base=2, axis=1) ** 2, rtol=1e-12
    )
    assert js_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.log(2))


def test_js_stays_finite_with_subnormal_probabilities():
    # m = (p + q) / 2 rounds half of the smallest subnormal, 5e-324, to 0; by hand,
    # JS = 1/2 * 5e-324 * log 2 (the only term), which itself rounds to 0
    tiny = np.nextafter(0.0, 1.0)
    for p, q in [
        ([1.0, 0.0], [1.0, tiny]),
        ([1.0, tiny], [1.0, 0.0]),
        ([0.5, 0.5, tiny], [0.5, 0.5, 0.0]),
    ]:
        assert js_divergence(p, q) == 0.0
    with warnings.catch_warnings():  # and no NumPy warning on the way
        warnings.simplefilter("error")
        assert js_divergence([tiny, 1.0], [0.0, 1.0], base=2) == 0.0
    # just above the subnormals, by hand: 1/2 * 1e-300 * log 2
    expected = 0.5e-300 * np.log(2)
    assert js_divergence([1e-300, 1.0], [0.0, 1.0]) == pytest.approx(expected, rel=1e-12)


def test_total_variation_hellinger_bhattacharyya_hand():
    p, q = [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]
    assert total_variation(p, q) == pytest.approx(0.5)  # (.25 + .25 + .5) / 2
    # sqrt(0.5 * 2 * (sqrt(.5) - .5)^2 + 0.5 * (0 - sqrt(.5))^2)
    h = math.sqrt(0.5 * (2 * (math.sqrt(0.5) - 0.5) ** 2 + 0.5))
    assert hellinger(p, q) == pytest.approx(h, rel=1e-14)
    # BC = 2 sqrt(0.125) = 0.70711; D_B = -ln 0.70711 = 0.5 ln 2
    assert bhattacharyya(p, q) == pytest.approx(0.5 * math.log(2), rel=1e-14)
    # Hellinger^2 = 1 - BC (both from the same sqrt(p q)), an independent identity
    np.testing.assert_allclose(hellinger(P, Q) ** 2, 1 - np.exp(-bhattacharyya(P, Q)), rtol=1e-12)
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
    p, q = [1.0, 0.0], [0.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning (log(0), 0 * inf) fails
        for f in (entropy, cross_entropy, kl_divergence, js_divergence, hellinger, bhattacharyya):
            assert (f(p) if f is entropy else f(p, p)) == 0.0
        assert surprise(0.0) == np.inf
        assert kl_divergence(p, q) == np.inf
        assert cross_entropy(p, q, eps=0) == np.inf
        assert bhattacharyya(p, q) == np.inf
        assert js_divergence(p, q) == pytest.approx(math.log(2))


ALL_PAIRS = [
    cross_entropy,
    kl_divergence,
    js_divergence,
    total_variation,
    hellinger,
    bhattacharyya,
    wasserstein_1d,
]


@pytest.mark.parametrize("f", ALL_PAIRS)
def test_pair_errors(f):
    with pytest.raises(
        ValueError,
        match=r"p and q must have the same number of classes along axis -1 \(it is "
        r"never broadcast\); got shapes \(2,\) and \(3,\)",
    ):
        f([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(
        ValueError,
        match=r"p and q must have the same shape or shapes that broadcast together; "
        r"got \(2, 2\) and \(3, 2\)",
    ):
        f([[0.5, 0.5]] * 2, [[0.5, 0.5]] * 3)
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


# --- wrong numbers reported in issue 11 ---------------------------------------


@pytest.mark.parametrize("f", ALL_PAIRS)
def test_class_axis_is_never_broadcast(f):
    # kl_divergence([0.2, 0.3, 0.5], [1.0]) returned -1.03: q of one class was
    # broadcast against p's three. SciPy normalises; we refuse.
    with pytest.raises(ValueError, match=r"got shapes \(3,\) and \(1,\)"):
        f([0.2, 0.3, 0.5], [1.0])
    with pytest.raises(ValueError, match=r"got shapes \(2, 1\) and \(2, 3\)"):
        f(np.ones((2, 1)), Q[:2, :3] / Q[:2, :3].sum(axis=1, keepdims=True))
    # along axis 0, a 1-D p would be broadcast against the *last* axis of Q
    with pytest.raises(ValueError, match="same number of classes along axis 0"):
        f(P[0], P[:, :4].T / P[:, :4].T.sum(axis=0), axis=0)


def test_empty_class_axis_is_refused():
    with pytest.raises(
        ValueError,
        match=r"p must have at least one class along axis -1; "
        r"got shape \(3, 0\)",
    ):
        entropy(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="q must have at least one class"):
        kl_divergence([1.0], np.zeros(0))
    # an empty *batch* of distributions is fine: no numbers
    assert entropy(np.zeros((0, 3))).shape == (0,)


def test_bhattacharyya_does_not_underflow():
    # The supports overlap only in an entry of 1e-300: BC = sqrt(1e-300 *
    # 1e-300) = 1e-300 and D_B = 300 ln 10 = 690.7755, where sqrt(p * q)
    # underflowed to 0 and gave inf.
    p = [1.0, 1e-300, 0.0]
    q = [0.0, 1e-300, 1.0]
    assert bhattacharyya(p, q) == pytest.approx(300 * math.log(10), rel=1e-14)
    # consistent with hellinger: H^2 = 1 - BC
    assert hellinger(p, q) ** 2 == pytest.approx(1.0, rel=1e-14)


def test_cross_entropy_eps_and_the_identity_with_kl():
    # H(p, q) = H(p) + KL(p || q), checked against SciPy's normalising entropy
    p = np.array([0.1, 0.7, 0.2])
    q = np.array([0.3, 0.5, 0.2])
    exact = scipy.stats.entropy(p) + scipy.stats.entropy(p, q)
    assert cross_entropy(p, q) == pytest.approx(exact, rel=1e-14)  # q >= eps: no clip
    assert cross_entropy(p, q) == pytest.approx(entropy(p) + kl_divergence(p, q), rel=1e-14)
    # below eps the clip changes the number: the identity holds only for eps=0
    q_small = np.array([1e-20, 1.0 - 1e-20, 0.0]) + np.array([0, -0.2, 0.2])
    exact = entropy(p) + kl_divergence(p, q_small)  # 0.1 * 46.05 + ...
    assert cross_entropy(p, q_small, eps=0) == pytest.approx(exact, rel=1e-14)
    assert cross_entropy(p, q_small, eps=None) == pytest.approx(exact, rel=1e-14)
    clipped = cross_entropy(p, q_small)  # 0.1 ln(1e15) instead of 0.1 ln(1e20)
    assert clipped == pytest.approx(exact - 0.1 * math.log(1e5), rel=1e-12)
    assert clipped < exact


def test_float16_and_float32_distributions():
    # a float16 softmax row sums to 1 only within float16 precision (1e-3);
    # the tolerance scales with the dtype, so it is accepted
    rng = np.random.default_rng(4)
    p64 = rng.dirichlet(np.ones(10), size=20)
    p16 = p64.astype(np.float16)
    assert np.abs(p16.astype(np.float64).sum(axis=1) - 1).max() > 1e-6
    got = entropy(p16)
    assert got.dtype == np.float32
    ref = scipy.stats.entropy(p16.astype(np.float64), axis=1)  # normalises
    np.testing.assert_allclose(got, ref, rtol=5e-3)
    got32 = entropy(p64.astype(np.float32))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, scipy.stats.entropy(p64, axis=1), rtol=1e-6)
    # but a float64 row that is off by 1e-3 is still refused
    with pytest.raises(ValueError, match=r"p must sum to 1 along axis -1 \(tolerance 1e-06\)"):
        entropy(p16.astype(np.float64))


# --- information_gain ---------------------------------------------------------


def _sklearn_root_gain(X, y, random_state=0):
    """Gain of the root split of sklearn's entropy tree, and the split itself."""
    tree = DecisionTreeClassifier(criterion="entropy", max_depth=1, random_state=random_state).fit(
        X, y
    )
    t = tree.tree_
    left, right = t.children_left[0], t.children_right[0]
    n = t.weighted_n_node_samples
    gain = t.impurity[0] - (n[left] * t.impurity[left] + n[right] * t.impurity[right]) / n[0]
    mask = X[:, t.feature[0]] <= t.threshold[0]
    return gain, mask


@pytest.mark.parametrize("loader", [load_iris, load_wine])
def test_information_gain_matches_sklearn_tree(loader):
    X, y = loader(return_X_y=True)
    expected_bits, mask = _sklearn_root_gain(X, y)
    got = information_gain(y, [y[mask], y[~mask]], base=2)
    assert got == pytest.approx(expected_bits, abs=1e-12)
    # nats = bits * ln 2
    assert information_gain(y, [y[mask], y[~mask]]) == pytest.approx(
        expected_bits * np.log(2), abs=1e-12
    )


def test_information_gain_hand_computed():
    # parent: 5 of class 0, 5 of class 1 -> H = 1 bit.
    # left [0,0,0,0,1]: H = -(0.8 log2 0.8 + 0.2 log2 0.2) = 0.7219280948873623
    # right [0,1,1,1,1]: the same, so IG = 1 - 0.7219280948873623
    parent = [0] * 5 + [1] * 5
    got = information_gain(parent, [[0, 0, 0, 0, 1], [0, 1, 1, 1, 1]], base=2)
    assert got == pytest.approx(1 - 0.7219280948873623, abs=1e-12)


def test_information_gain_three_children_and_bounds():
    # A split that isolates each class removes all entropy: IG = H(parent) = ln 3.
    parent = [0, 1, 2, 0, 1, 2]
    assert information_gain(parent, [[0, 0], [1, 1], [2, 2]]) == pytest.approx(np.log(3))
    # One child equal to the parent: no information gained.
    assert information_gain(parent, [parent]) == 0.0


@settings(max_examples=50, deadline=None)
@given(arrays(np.int64, st.integers(2, 40), elements=st.integers(0, 3)), st.integers(1, 39))
def test_information_gain_between_zero_and_parent_entropy(labels, cut):
    cut = cut % (labels.size - 1) + 1
    gain = information_gain(labels, [labels[:cut], labels[cut:]])
    freqs = np.bincount(labels) / labels.size
    h_parent = -np.sum(freqs[freqs > 0] * np.log(freqs[freqs > 0]))
    assert 0.0 <= gain <= h_parent + 1e-12


def test_information_gain_errors():
    with pytest.raises(ValueError, match="child_label_groups must partition parent_labels"):
        information_gain([0, 0, 1], [[0], [1, 1]])
    with pytest.raises(ValueError, match="child_label_groups must contain at least one group"):
        information_gain([0, 1], [])
    with pytest.raises(TypeError, match="child_label_groups must be a sequence"):
        information_gain([0, 1], 3)
    with pytest.raises(ValueError, match=r"child_label_groups\[1\] must not be empty"):
        information_gain([0, 1], [[0, 1], []])
    with pytest.raises(ValueError, match="parent_labels must not be empty"):
        information_gain([], [[0]])
    with pytest.raises(ValueError, match="parent_labels must be 1-D"):
        information_gain([[0, 1]], [[0, 1]])
    with pytest.raises(ValueError, match="parent_labels must be non-negative integers"):
        information_gain([-1, 0], [[-1, 0]])
    with pytest.raises(ValueError, match=r"child_label_groups\[0\] must be integers; got 0.5"):
        information_gain([0, 1], [[0.5, 1]])
    with pytest.raises(TypeError, match="parent_labels must be integers"):
        information_gain(["a", "b"], [["a", "b"]])


# ----------------------------------------------------------------------------
# The chapter's weather x umbrella table (rows: Sun, Cloud, Rain).
WEATHER = np.array([[0.40, 0.05], [0.15, 0.10], [0.05, 0.25]])


def random_counts(seed, shape=(4, 3)):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 20, size=shape)


def test_hand_values():
    # Y a copy of a fair coin X: nothing left, 1 bit shared.
    copy = [[0.5, 0.0], [0.0, 0.5]]
    assert conditional_entropy(copy) == 0.0
    assert mutual_information(copy, base=2) == pytest.approx(1.0, abs=1e-15)
    # Two independent fair coins: H(Y|X) = H(Y) = 1 bit, I = 0.
    independent = np.full((2, 2), 0.25)
    assert conditional_entropy(independent, base=2) == pytest.approx(1.0)
    assert mutual_information(independent) == 0.0

    # The weather table by hand: H(Y|X) = sum_x p(x) H(Y | X = x), where
    # p(x) = 0.45, 0.25, 0.30 and the rows given x are (8/9, 1/9),
    # (3/5, 2/5), (1/6, 5/6).
    def h2(a):
        return -(a * np.log2(a) + (1 - a) * np.log2(1 - a))

    by_hand = 0.45 * h2(8 / 9) + 0.25 * h2(3 / 5) + 0.30 * h2(1 / 6)
    assert conditional_entropy(WEATHER, base=2) == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_chain_rule_against_scipy(seed):
    counts = random_counts(seed)
    joint = counts / counts.sum()
    h_xy = scipy.stats.entropy(joint.ravel())
    h_x = scipy.stats.entropy(joint.sum(axis=1))
    h_y = scipy.stats.entropy(joint.sum(axis=0))
    assert conditional_entropy(joint) == pytest.approx(h_xy - h_x, abs=1e-12)
    assert conditional_entropy(joint.T) == pytest.approx(h_xy - h_y, abs=1e-12)
    assert mutual_information(joint) == pytest.approx(h_y - conditional_entropy(joint), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_mutual_information_against_scikit_learn(seed):
    counts = random_counts(seed, shape=(3, 5))
    joint = counts / counts.sum()
    expected = mutual_info_score(None, None, contingency=counts)
    assert mutual_information(joint) == pytest.approx(expected, abs=1e-12)
    assert mutual_information(joint.T) == pytest.approx(expected, abs=1e-12)
    assert mutual_information(joint, base=2) == pytest.approx(expected / np.log(2), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_bounds(seed):
    joint = np.random.default_rng(seed).dirichlet(np.full(12, 0.3))
    joint = joint.reshape(4, 3)
    h_y = scipy.stats.entropy(joint.sum(axis=0))
    assert 0.0 <= conditional_entropy(joint) <= h_y + 1e-12
    assert mutual_information(joint) >= 0.0


def test_zero_rows_and_columns_give_no_warning_and_no_nan():
    joint = np.array([[0.0, 0.0, 0.0], [0.2, 0.0, 0.3], [0.1, 0.0, 0.4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = conditional_entropy(joint)
        mi = mutual_information(joint)
    kept = joint[1:, [0, 2]]  # dropping impossible outcomes changes nothing
    assert h == pytest.approx(conditional_entropy(kept), abs=1e-15)
    assert mi == pytest.approx(mutual_information(kept), abs=1e-15)


@pytest.mark.parametrize("func", [conditional_entropy, mutual_information])
def test_bad_input_is_named(func):
    with pytest.raises(
        ValueError,
        match=r"joint must be a 2-D table .* "
        r"got shape \(3,\)",
    ):
        func([0.2, 0.3, 0.5])
    with pytest.raises(
        ValueError,
        match=r"joint must contain probabilities "
        r"in \[0, 1\]; got min -0.1",
    ):
        func([[0.6, -0.1], [0.3, 0.2]])
    with pytest.raises(
        ValueError,
        match=r"joint must sum to 1 over all "
        r"entries .*got a sum of 0.9",
    ):
        func([[0.4, 0.1], [0.2, 0.2]])
    with pytest.raises(ValueError, match="joint must not contain NaN"):
        func([[np.nan, 0.5], [0.25, 0.25]])
    with pytest.raises(ValueError, match="base must be positive and different from 1; got 1"):
        func(WEATHER, base=1)
