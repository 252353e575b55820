"""Tests of lecture_code.coding: Huffman codes, the n-gram model, the arithmetic coder.

References are independent of the code under test: values worked out by hand,
SciPy's entropy, counts made with collections.Counter, and a brute-force
check of the prefix property.
"""

import itertools
import json
from collections import Counter

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_code import (
    arithmetic_decode,
    arithmetic_encode,
    bits_per_character,
    compress_text,
    decompress_text,
    fit_ngram,
    huffman_code,
    markdown_text,
    perplexity,
    quantise,
)

WEATHER = np.array([0.90, 0.05, 0.04, 0.01])  # Sun, Cloud, Wind, Rain (chapters 2 and 3)


def _is_prefix_free(codes):
    return not any(a != b and b.startswith(a) for a, b in itertools.permutations(codes, 2))


# --- Huffman -----------------------------------------------------------------------


def test_huffman_dyadic_hand_example():
    # probabilities 1/2, 1/4, 1/8, 1/8: lengths -log2 p = 1, 2, 3, 3 and L = H = 1.75 bits
    codes = huffman_code([0.5, 0.25, 0.125, 0.125])
    assert [len(c) for c in codes] == [1, 2, 3, 3]
    assert _is_prefix_free(codes)


def test_huffman_weather_by_hand():
    # merge 0.01 + 0.04 = 0.05, then 0.05 + 0.05 = 0.10, then 0.10 + 0.90:
    # lengths Sun 1, Cloud 2, Wind 3, Rain 3; L = 0.9 + 0.1 + 0.12 + 0.03 = 1.15 bits
    codes = huffman_code(WEATHER)
    lengths = np.array([len(c) for c in codes])
    assert lengths.tolist() == [1, 2, 3, 3]
    assert np.isclose(WEATHER @ lengths, 1.15)
    assert _is_prefix_free(codes)


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=12).filter(lambda w: sum(w) > 1e-3))
def test_huffman_within_one_bit_of_entropy(weights):
    p = np.array(weights) / np.sum(weights)
    codes = huffman_code(p)
    lengths = np.array([len(c) for c in codes])
    entropy_bits = scipy.stats.entropy(p, base=2)
    expected = p @ lengths
    assert entropy_bits - 1e-9 <= expected <= entropy_bits + 1
    if p.max() < 1 - 1e-6:  # strictly below H + 1 (a certain outcome among several costs 1 bit)
        assert expected < entropy_bits + 1
    assert _is_prefix_free(codes) and set("".join(codes)) <= {"0", "1"}
    assert np.isclose(np.sum(2.0**-lengths), 1.0)  # Huffman codes are complete (Kraft = 1)


def test_huffman_single_outcome_needs_no_bits():
    assert huffman_code([1.0]) == [""]


@pytest.mark.parametrize(
    "p, message",
    [
        ([0.5, 0.6], "p must sum to 1"),
        ([-0.5, 1.5], r"p must contain probabilities in \[0, 1\]; got min -0.5"),
        ([[0.5, 0.5]], r"p must be 1-D; got shape \(1, 2\)"),
        ([], "p must have at least one class"),
    ],
)
def test_huffman_bad_input(p, message):
    with pytest.raises(ValueError, match=message):
        huffman_code(p)


# --- the n-gram model ----------------------------------------------------------------


def test_bigram_probabilities_by_hand():
    # "abca": after 'a' comes 'b' once; alphabet {a, b, c}, K = 3, k = 0.5:
    # q(b | a) = (1 + 0.5) / (1 + 1.5) = 0.6, q(a | a) = q(c | a) = 0.5 / 2.5 = 0.2
    model = fit_ngram("abca", 2, k=0.5)
    assert np.allclose(model.next_distribution("xa"[-1:]), [0.2, 0.6, 0.2])
    # the first character follows the start symbol: 'a' once, so (1 + 0.5) / 2.5
    assert np.allclose(model.next_distribution(""), [0.6, 0.2, 0.2])


def test_ngram_counts_match_counter():
    text = "the cat sat on the mat; the hat sat on the cat."
    order, k = 3, 0.1
    model = fit_ngram(text, order, k=k)
    alphabet = sorted(set(text))
    padded = "\0" * (order - 1) + text  # '\0' stands for the start symbol
    pairs = Counter((padded[i : i + order - 1], padded[i + order - 1]) for i in range(len(text)))
    contexts = Counter(padded[i : i + order - 1] for i in range(len(text)))
    for context in ["th", "at", " s", "zz"]:
        expected = [
            (pairs[(context, x)] + k) / (contexts[context] + k * len(alphabet)) for x in alphabet
        ]
        if context == "zz":
            model = fit_ngram(text, order, k=k, alphabet=text + "z")
            alphabet = sorted(set(text + "z"))
            expected = np.full(len(alphabet), 1 / len(alphabet))  # unseen context: uniform
        assert np.allclose(model.next_distribution("x" + context), expected), context


def test_unigram_is_the_character_frequencies():
    text = "aaab"
    model = fit_ngram(text, 1, k=1e-9)
    assert np.allclose(model.next_distribution("anything"), [0.75, 0.25])
    # cross-entropy of the text under its own frequencies = its empirical entropy
    assert np.isclose(bits_per_character(model, text), scipy.stats.entropy([3, 1], base=2))


def test_witten_bell_by_hand():
    # "aab", order 2, alphabet {a, b}. Unigram level: n(a) = 2, n(b) = 1, t = 2 types:
    # q1(a) = (2 + 2 * 1/2) / (3 + 2) = 0.6. Context 'a' is followed by 'a' and 'b' once each
    # (t = 2): q(a | a) = (1 + 2 * 0.6) / (2 + 2) = 0.55. Context 'b' is unseen: q1.
    model = fit_ngram("aab", 2, smoothing="witten-bell")
    assert np.allclose(model.next_distribution("a"), [0.55, 0.45])
    assert np.allclose(model.next_distribution("b"), [0.6, 0.4])


@pytest.mark.parametrize("smoothing", ["add-k", "witten-bell"])
@pytest.mark.parametrize("order", [1, 2, 4])
def test_distributions_sum_to_one_and_match_bits_per_character(smoothing, order):
    train, held = "abracadabra, said the cat", "a cat said abracadabra"
    model = fit_ngram(train, order, smoothing=smoothing, k=0.3, alphabet=train + held)
    by_hand = [
        -np.log2(model.next_distribution(held[:i])[model.alphabet.index(held[i])])
        for i in range(len(held))
    ]
    for i in range(len(held)):
        assert np.isclose(model.next_distribution(held[:i]).sum(), 1.0)
    assert np.isclose(bits_per_character(model, held), np.mean(by_hand))
    assert np.isclose(perplexity(model, held), 2 ** np.mean(by_hand))


def test_uniform_model_has_perplexity_of_the_alphabet():
    # one count of each of 4 characters, k huge: every prediction is 1/4, perplexity 4
    model = fit_ngram("abcd", 3, k=1e9)
    assert np.isclose(perplexity(model, "dcbaabcd"), 4.0)
    assert np.isclose(bits_per_character(model, "dcba"), 2.0)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(text="", order=2), ValueError, "text must contain at least one character"),
        (dict(text="ab", order=0), ValueError, "order must be a positive integer; got 0"),
        (dict(text="ab", order=2.0), TypeError, "order must be a positive integer; got 2.0"),
        (dict(text="ab", order=2, k=0), ValueError, "k must be positive; got 0"),
        (dict(text="ab", order=2, k=-1), ValueError, "k must be a finite non-negative number"),
        (
            dict(text="ab", order=2, smoothing="kneser-ney"),
            ValueError,
            "smoothing must be 'add-k' or 'witten-bell'; got 'kneser-ney'",
        ),
        (dict(text="ab", order=2, alphabet="a"), ValueError, "character 'b', which is not in"),
        (dict(text="ab", order=40), ValueError, "order 40 is too large for an alphabet of 2"),
        (dict(text=b"ab", order=2), TypeError, "text must be a str; got bytes"),
    ],
)
def test_fit_ngram_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        fit_ngram(**kwargs)


def test_held_out_text_outside_the_alphabet():
    model = fit_ngram("abc", 2)
    with pytest.raises(ValueError, match="text contains the character 'z', which is not in"):
        bits_per_character(model, "abz")
    with pytest.raises(ValueError, match="text must contain at least one character"):
        perplexity(model, "")
    with pytest.raises(TypeError, match="model must be an NgramModel"):
        bits_per_character("abc", "abc")


def test_markdown_text(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title\n", "Some text."]},
            {"cell_type": "code", "source": "x = 1"},
            {"cell_type": "markdown", "source": "More."},
        ]
    }
    (tmp_path / "a.ipynb").write_text(json.dumps(nb))
    assert markdown_text(tmp_path / "a.ipynb") == "# Title\nSome text.\n\nMore."
    (tmp_path / "b.txt").write_text("not json")
    with pytest.raises(ValueError, match="is not a Jupyter notebook"):
        markdown_text([tmp_path / "b.txt"])
    with pytest.raises(ValueError, match="notebooks must name at least one"):
        markdown_text([])


# --- the arithmetic coder --------------------------------------------------------------


def _ideal_bits(symbols, freqs):
    freqs = np.asarray(freqs, dtype=float)
    rows = np.arange(len(symbols))
    return float(-np.sum(np.log2(freqs[rows, symbols] / freqs.sum(axis=1))))


def _round_trip(symbols, freqs):
    data = arithmetic_encode(symbols, freqs)
    decoded = arithmetic_decode(data, len(symbols), lambda prefix: freqs[len(prefix)])
    return data, decoded


def test_coder_hand_example():
    # 8 fair coin flips cost 8 bits; the coder adds at most 2 bits: 2 bytes at most
    symbols = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    freqs = np.ones((8, 2), dtype=np.int64)
    data, decoded = _round_trip(symbols, freqs)
    assert decoded == symbols.tolist() and len(data) <= 2


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(0, 300),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.05, 0.5, 5.0]),
)
def test_coder_round_trip_random_tables(n_symbols, n, seed, concentration):
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.full(n_symbols, concentration), size=n)
    freqs = quantise(q) if n else np.ones((0, n_symbols), dtype=np.int64)
    symbols = np.array([rng.choice(n_symbols, p=row) for row in q], dtype=np.int64)
    data, decoded = _round_trip(symbols, freqs)
    assert decoded == symbols.tolist()
    assert len(data) * 8 <= _ideal_bits(symbols, freqs) + 2 + 8  # 2 bits, then whole bytes


@pytest.mark.parametrize("case", ["improbable", "certain", "long_run", "tiny_totals"])
def test_coder_round_trip_adversarial(case):
    rng = np.random.default_rng(1)
    n = 2000
    if case == "improbable":  # every symbol is the least likely one: 2**-40 each, 10 kB
        freqs = np.tile([1, 2**40 - 1], (n, 1))
        symbols = np.zeros(n, dtype=np.int64)
    elif case == "certain":  # all mass on the symbol sent: next to nothing
        freqs = np.tile([1, 2**48 - 1], (n, 1))
        symbols = np.ones(n, dtype=np.int64)
    elif case == "long_run":  # probability near 1/2 from both sides: many pending bits
        freqs = np.tile([2**47 - 1, 2**47 + 1], (n, 1))
        symbols = rng.integers(0, 2, n)
    else:  # totals of 1 to 3 and frequencies of 0 for symbols not sent
        freqs = rng.integers(0, 2, (n, 3))
        freqs[np.arange(n), rng.integers(0, 3, n)] = 1
        symbols = np.array([rng.choice(np.flatnonzero(row)) for row in freqs])
    data, decoded = _round_trip(symbols, freqs)
    assert decoded == symbols.tolist()
    assert len(data) * 8 <= _ideal_bits(symbols, freqs) + 2 + 8


def test_quantise_keeps_every_symbol_and_sums_to_total():
    q = np.array([[1.0, 0.0, 0.0], [0.5, 0.5 - 1e-15, 1e-15]])
    f = quantise(q, total=1000)
    assert f.min() >= 1 and f.sum(axis=1).tolist() == [1000, 1000]
    # f_k = 1 + floor(q_k (T - K)): 1 + 997 = 998 and 1 + 1 for the zeros of row 0
    assert f[0].tolist() == [998, 1, 1]
    with pytest.raises(ValueError, match=r"total must be in \[3, 2\*\*62\) for 3 symbols; got 2"):
        quantise(q, total=2)


@pytest.mark.parametrize(
    "symbols, freqs, message",
    [
        ([0, 3], np.ones((2, 3), int), r"symbols must be in \[0, 2\]; got 3"),
        ([0, 1], np.ones((3, 3), int), r"freqs must have one row per symbol \(2\)"),
        ([0, 1], np.ones((2, 3)), "freqs must hold integer frequencies; got dtype float64"),
        ([0, 1], [[1, 1], [1, 0]], r"freqs\[1, 1\] is 0"),
        (
            [0, 1],
            [[1, 1], [0, 0]],
            r"each row must sum to between 1 and 2\*\*62; got a row summing to 0",
        ),
        ([0.5], [[1, 1]], "symbols must be integers; got dtype float64"),
        ([0], [[-1, 2]], "freqs must be non-negative; got -1"),
    ],
)
def test_arithmetic_encode_bad_input(symbols, freqs, message):
    with pytest.raises(ValueError, match=message):
        arithmetic_encode(symbols, freqs)


def test_arithmetic_decode_bad_input():
    with pytest.raises(ValueError, match="n_symbols must be a non-negative integer; got -1"):
        arithmetic_decode(b"", -1, lambda prefix: [1, 1])
    with pytest.raises(TypeError, match="data must be bytes; got str"):
        arithmetic_decode("ab", 1, lambda prefix: [1, 1])
    with pytest.raises(TypeError, match="frequencies must be a callable"):
        arithmetic_decode(b"", 1, [1, 1])


# --- text under a model ----------------------------------------------------------------

TRAIN = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, "
    "it was the age of foolishness, it was the epoch of belief."
) * 3


@settings(max_examples=40, deadline=None)
@given(
    st.text(alphabet="abc ,.\n\u00e9\u2211\U0001d11e", max_size=200),
    st.integers(1, 5),
    st.sampled_from(["add-k", "witten-bell"]),
)
def test_compress_text_round_trip_on_random_text(text, order, smoothing):
    alphabet = TRAIN + "abc ,.\n\u00e9\u2211\U0001d11e"
    model = fit_ngram(TRAIN, order, smoothing=smoothing, k=0.2, alphabet=alphabet)
    data = compress_text(model, text)
    assert decompress_text(model, data) == text
    if text:
        ideal = bits_per_character(model, text) * len(text)
        assert len(data) <= 4 + (ideal + 2) / 8 + 1


@pytest.mark.parametrize(
    "text", ["", "x", "x" * 3000, "it was the age of " * 100, "\U0001d11e\u2211" * 50]
)
def test_compress_text_round_trip_adversarial(text):
    model = fit_ngram(TRAIN, 4, smoothing="witten-bell", alphabet=TRAIN + "x\U0001d11e\u2211")
    data = compress_text(model, text)
    assert decompress_text(model, data) == text


def test_compress_text_within_a_few_bytes_of_the_cross_entropy():
    held = "it was the season of light, it was the season of darkness, " * 20
    model = fit_ngram(TRAIN, 3, smoothing="add-k", k=0.1, alphabet=TRAIN + held)
    data = compress_text(model, held)
    # the model's total cross-entropy in bytes, computed here from next_distribution
    total_bits = sum(
        -np.log2(model.next_distribution(held[:i])[model.alphabet.index(c)])
        for i, c in enumerate(held)
    )
    assert total_bits / 8 <= len(data) - 4 <= total_bits / 8 + 1
    assert decompress_text(model, data) == held


def test_decompress_text_bad_input():
    model = fit_ngram("abc", 2)
    with pytest.raises(ValueError, match="data must be bytes from compress_text"):
        decompress_text(model, b"ab")


# --- the remaining validation messages ---------------------------------------------------


def test_more_bad_input_messages():
    model = fit_ngram("abc", 2)
    with pytest.raises(TypeError, match="context must be a str; got list"):
        model.next_distribution(["a"])
    with pytest.raises(ValueError, match="alphabet must be a non-empty str; got ''"):
        fit_ngram("ab", 2, alphabet="")
    with pytest.raises(TypeError, match="total must be an integer; got 1000.0"):
        quantise([0.5, 0.5], total=1000.0)
    with pytest.raises(ValueError, match="q must sum to 1"):
        quantise([0.5, 0.6])
    with pytest.raises(ValueError, match=r"freqs must be 2-D; got shape \(3,\)"):
        arithmetic_encode([0], [1, 2, 3])
    with pytest.raises(ValueError, match=r"symbols must be 1-D; got shape \(1, 1\)"):
        arithmetic_encode([[0]], [[1, 2]])
    with pytest.raises(TypeError, match="n_symbols must be a non-negative integer; got 1.5"):
        arithmetic_decode(b"\x00", 1.5, lambda prefix: [1, 1])
    with pytest.raises(ValueError, match="frequencies\\(prefix\\): each row must sum to between"):
        arithmetic_decode(b"\x00", 1, lambda prefix: [0, 0])


def test_decoding_with_another_model_does_not_give_the_text_back():
    # the decoder's only knowledge is the model: a different model decodes other text
    text = "it was the best of times"
    packed = compress_text(fit_ngram(TRAIN, 3, k=0.1, alphabet=TRAIN), text)
    other = decompress_text(fit_ngram(TRAIN, 2, k=0.1, alphabet=TRAIN), packed)
    assert len(other) == len(text) and other != text


@settings(max_examples=40, deadline=None)
@given(
    st.text(alphabet="ab c.", min_size=1, max_size=60),
    st.text(alphabet="ab c.", max_size=30),
    st.integers(1, 5),
    st.sampled_from(["add-k", "witten-bell"]),
    st.sampled_from([1e-3, 0.5, 2.0]),
)
def test_every_prediction_is_a_distribution_and_scores_the_text(train, held, order, smoothing, k):
    # the vectorised score of a whole text against one prediction at a time
    model = fit_ngram(train, order, smoothing=smoothing, k=k, alphabet="ab c.")
    rows = np.array([model.next_distribution(held[:i]) for i in range(len(held) + 1)])
    assert np.all(rows > 0) and np.allclose(rows.sum(axis=1), 1.0)
    if held:
        surprise = [-np.log2(rows[i, model.alphabet.index(c)]) for i, c in enumerate(held)]
        assert np.isclose(bits_per_character(model, held), np.mean(surprise))


def test_uniform_model_compresses_to_log2_k_bits_per_character():
    # every prediction is 1/K to ~9 digits: N log2 K bits, plus at most 2 bits, the last
    # byte and the 4-byte header
    text = TRAIN[:500]
    model = fit_ngram(TRAIN, 1, k=1e9)
    bits = len(text) * np.log2(len(model.alphabet))
    assert bits / 8 + 4 - 0.01 <= len(compress_text(model, text)) <= (bits + 2) / 8 + 4 + 1
