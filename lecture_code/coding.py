r"""Cross-entropy as code length: Huffman codes, a character n-gram language
model and an arithmetic coder.

A code that spends :math:`\ell(x)` bits on outcome :math:`x` costs, on
average over outcomes drawn from ``p``, :math:`\sum_x p(x)\,\ell(x)` bits.
Shannon's source coding theorem says no lossless code does better than the
entropy :math:`H(p)` in bits, and a code built for a model ``q`` (lengths
:math:`\ell(x) \approx -\log_2 q(x)`) costs the cross-entropy
:math:`H(p, q)`: the KL divergence is the number of bits wasted by coding
with the wrong distribution.

* :func:`huffman_code` builds an optimal prefix code for one distribution:
  :math:`H(p) \le L < H(p) + 1` bits per symbol.
* :func:`fit_ngram` fits a character-level n-gram language model with
  add-``k`` smoothing; :func:`bits_per_character` and :func:`perplexity`
  evaluate it on held-out text.
* :func:`arithmetic_encode` and :func:`arithmetic_decode` are an exact
  integer arithmetic coder (Witten, Neal and Cleary, 1987) that spends
  :math:`\sum_i -\log_2 q(x_i \mid x_{<i})` bits plus at most two; with a
  model, :func:`compress_text` and :func:`decompress_text` turn text into
  bytes and back.

Introduced in chapter "Cross-entropy as code length".
"""

import heapq
import json
import math
import numbers
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._validation import _check_ndim, _check_positive, _check_probabilities

__all__ = [
    "huffman_code",
    "markdown_text",
    "NgramModel",
    "fit_ngram",
    "bits_per_character",
    "perplexity",
    "quantise",
    "arithmetic_encode",
    "arithmetic_decode",
    "compress_text",
    "decompress_text",
]

#: Bits of the arithmetic coder's registers (Python integers are exact at any size).
CODE_BITS = 64
#: Total of every quantised frequency table: 2**48, far below the coder's limit
#: of ``2**(CODE_BITS - 2)``, so quantising costs about ``K / 2**48`` bits a symbol.
FREQ_TOTAL = 2**48
_HEADER_BYTES = 4  # compress_text stores the number of characters in front


# --- Huffman codes -------------------------------------------------------------


def huffman_code(p):
    r"""An optimal prefix code for the distribution ``p`` (Huffman, 1952).

    Repeatedly merge the two least likely subtrees; the codeword of outcome
    :math:`k` is its path from the root (0 = first, 1 = second subtree).
    Its expected length :math:`L = \sum_k p_k \ell_k` is the smallest of any
    prefix code, and

    .. math:: H_2(p) \le L < H_2(p) + 1 .

    Parameters
    ----------
    p : array_like, shape (K,)
        Probabilities of the ``K`` outcomes (zeros allowed), summing to 1.

    Returns
    -------
    list of str
        ``K`` codewords of ``'0'`` and ``'1'``; ``['']`` for a single outcome
        (a certain outcome needs no bits). Ties are broken by outcome index,
        so the code is deterministic.

    Raises
    ------
    ValueError
        If ``p`` is not 1-D, is empty, or is not a probability distribution.

    Examples
    --------
    >>> huffman_code([0.5, 0.25, 0.125, 0.125])
    ['0', '10', '110', '111']

    Introduced in chapter "Cross-entropy as code length".
    """
    p = _check_probabilities(p, "p")
    _check_ndim(p, 1, "p")
    if p.size == 1:
        return [""]
    # heap of (probability, smallest outcome in the subtree, outcomes in it)
    heap = [(float(pk), k, [k]) for k, pk in enumerate(p)]
    heapq.heapify(heap)
    codes = [""] * p.size
    while len(heap) > 1:
        p0, i0, first = heapq.heappop(heap)
        p1, i1, second = heapq.heappop(heap)
        for k in first:
            codes[k] = "0" + codes[k]
        for k in second:
            codes[k] = "1" + codes[k]
        heapq.heappush(heap, (p0 + p1, min(i0, i1), first + second))
    return codes


# --- text from the book ----------------------------------------------------------


def markdown_text(notebooks):
    """The markdown cells of Jupyter notebooks, as one string.

    Cells are joined by a blank line, notebooks in the order given, so the
    result is the same on every run.

    Parameters
    ----------
    notebooks : path or sequence of paths
        ``.ipynb`` files.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``notebooks`` is empty or a file is not a notebook.

    Introduced in chapter "Cross-entropy as code length".
    """
    if isinstance(notebooks, (str, Path)):
        notebooks = [notebooks]
    notebooks = list(notebooks)
    if not notebooks:
        raise ValueError("notebooks must name at least one .ipynb file; got none")
    parts = []
    for path in notebooks:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"notebooks: {str(path)!r} is not a Jupyter notebook") from exc
        for cell in cells:
            if cell.get("cell_type") == "markdown":
                source = cell.get("source", "")
                parts.append("".join(source) if isinstance(source, list) else source)
    return "\n\n".join(parts)


# --- a character n-gram language model --------------------------------------------


@dataclass(frozen=True)
class NgramModel:
    r"""A character n-gram language model (fit with :func:`fit_ngram`).

    The context :math:`c` of a character is the ``order - 1`` characters
    before it (the start of a text is padded with a start symbol outside the
    alphabet). With :math:`n(c, x)` the number of times ``c`` is followed by
    ``x`` in the training text, :math:`n(c) = \sum_x n(c, x)` and ``K`` the
    size of the alphabet, **add-k smoothing** predicts

    .. math:: q(x \mid c) = \frac{n(c, x) + k}{n(c) + k K},

    and **Witten-Bell interpolation** mixes in the model with one character
    of context less (:math:`c'`), down to the uniform distribution
    :math:`1/K`, in proportion to the number :math:`t(c)` of different
    characters seen after ``c``:

    .. math:: q(x \mid c) = \frac{n(c, x) + t(c)\, q(x \mid c')}{n(c) + t(c)}
              \quad (q(x \mid c') \text{ alone if } n(c) = 0).

    Attributes
    ----------
    order : int
        ``n``: one more than the number of characters of context (1 is the
        unigram model: character frequencies, no context).
    smoothing : {'add-k', 'witten-bell'}
    k : float
        The pseudo-count of add-k smoothing (not used by Witten-Bell).
    alphabet : str
        The characters the model can predict, sorted.

    Introduced in chapter "Cross-entropy as code length".
    """

    order: int
    smoothing: str
    k: float
    alphabet: str
    # per context length m = 0 .. order - 1: (pair keys, pair counts, context keys,
    # context counts, distinct followers), keys sorted
    _tables: tuple = field(repr=False)

    def encode(self, text, name="text"):
        """The characters of ``text`` as indices into the alphabet (int64 array)."""
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str; got {type(text).__name__}")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)
        table = np.frombuffer(self.alphabet.encode("utf-32-le"), dtype="<u4").astype(np.int64)
        index = np.minimum(np.searchsorted(table, codes), len(table) - 1)
        bad = table[index] != codes
        if np.any(bad):
            char = text[int(np.argmax(bad))]
            raise ValueError(
                f"{name} contains the character {char!r}, which is not in the "
                f"model's alphabet of {len(table)} characters"
            )
        return index

    def next_distribution(self, context):
        """The model's distribution ``q(. | context)`` over its alphabet.

        ``context`` is the text so far (only its last ``order - 1``
        characters matter; a shorter one is padded with the start symbol).
        """
        if not isinstance(context, str):
            raise TypeError(f"context must be a str; got {type(context).__name__}")
        recent = context[max(len(context) - self.order + 1, 0) :] if self.order > 1 else ""
        ids = self.encode(recent, "context").tolist()
        return _distributions(self, np.array([_context_number(self, ids)]))[0]


def _context_ids(padded, order, n_symbols):
    """Context number of each position of a padded symbol array.

    ``padded`` holds ``order - 1`` start symbols (value ``n_symbols``) then
    the text; position ``i`` of the text has the context
    ``padded[i : i + order - 1]``, numbered in base ``n_symbols + 1`` with
    the oldest character the most significant digit, so the number of its
    last ``m`` characters is the number modulo ``(n_symbols + 1)**m``.
    """
    n = len(padded) - (order - 1)
    ids = np.zeros(max(n, 0), dtype=np.int64)
    for j in range(order - 1):
        ids = ids * (n_symbols + 1) + padded[j : j + n]
    return ids


def _context_number(model, prefix):
    """The context number of the symbol that follows the list ``prefix``."""
    n_context, start = model.order - 1, len(model.alphabet)
    context = prefix[max(len(prefix) - n_context, 0) :] if n_context else []
    number = 0
    for symbol in [start] * (n_context - len(context)) + list(context):
        number = number * (start + 1) + int(symbol)
    return number


def _contexts(model, symbols):
    """Context numbers of every position of ``symbols`` under ``model``."""
    start = np.full(model.order - 1, len(model.alphabet), dtype=np.int64)
    return _context_ids(np.concatenate([start, symbols]), model.order, len(model.alphabet))


def _lookup(keys, values, query):
    """``values`` at ``query`` in the sorted ``keys``; 0 where a key is absent."""
    if len(keys) == 0:
        return np.zeros(np.shape(query), dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], 0)


def _probabilities(model, context_ids, symbols=None):
    """``q(x | c)`` for each context number: rows over the alphabet (``symbols=None``,
    shape ``(len(context_ids), K)``) or the one entry ``x = symbols[i]`` each."""
    n_symbols = len(model.alphabet)
    x = np.arange(n_symbols) if symbols is None else symbols
    ids = context_ids[:, None] if symbols is None else context_ids
    levels = [model.order - 1] if model.smoothing == "add-k" else range(model.order)
    q = np.full(np.broadcast_shapes(np.shape(ids), np.shape(x)), 1.0 / n_symbols)
    for m in levels:
        pair_keys, pair_counts, keys, counts, types = model._tables[m]
        c = ids % (n_symbols + 1) ** m
        n_cx = _lookup(pair_keys, pair_counts, c * n_symbols + x)
        n_c = _lookup(keys, counts, c)
        if model.smoothing == "add-k":
            q = (n_cx + model.k) / (n_c + model.k * n_symbols)
        else:
            t = _lookup(keys, types, c)
            q = np.where(n_c > 0, (n_cx + t * q) / np.maximum(n_c + t, 1), q)
    return q


def _distributions(model, context_ids):
    """Rows ``q(. | c)`` (shape ``(len(context_ids), K)``) for each context number."""
    return _probabilities(model, np.asarray(context_ids, dtype=np.int64))


_SMOOTHINGS = ("add-k", "witten-bell")


def fit_ngram(text, order, *, smoothing="add-k", k=1.0, alphabet=None):
    r"""Fit a character n-gram language model to ``text``.

    Counts every (context, next character) pair of ``text`` for every
    context length up to ``order - 1``; see :class:`NgramModel` for the
    probabilities.

    Parameters
    ----------
    text : str
        Training text (at least one character).
    order : int
        ``n`` >= 1: the model looks at the previous ``n - 1`` characters.
    smoothing : {'add-k', 'witten-bell'}, default 'add-k'
        How unseen pairs get probability: a pseudo-count ``k`` on every
        pair, or interpolation with shorter contexts (Witten-Bell).
    k : float, default 1.0
        Pseudo-count > 0 of add-k smoothing (``k = 1`` is Laplace's rule;
        small ``k`` trusts the counts more). ``k = 0`` is refused: an
        unseen character would get probability 0 and an infinite code length.
    alphabet : str, optional
        The characters the model can predict (duplicates are ignored); by
        default those of ``text``. Held-out text may only use these.

    Returns
    -------
    NgramModel

    Raises
    ------
    ValueError
        For an empty ``text``, ``order < 1``, an unknown ``smoothing``,
        ``k <= 0``, a ``text`` with a character outside ``alphabet``, or an
        ``order`` too large for exact 64-bit context numbers.

    Examples
    --------
    >>> model = fit_ngram("abab", 2, k=1.0)
    >>> model.next_distribution("a")  # 'b' followed 'a' twice: (2 + 1) / (2 + 2)
    array([0.25, 0.75])

    Introduced in chapter "Cross-entropy as code length".
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    if not text:
        raise ValueError("text must contain at least one character; got ''")
    if isinstance(order, bool) or not isinstance(order, (numbers.Integral, np.integer)):
        raise TypeError(f"order must be a positive integer; got {order!r}")
    if order < 1:
        raise ValueError(f"order must be a positive integer; got {int(order)}")
    order = int(order)
    if smoothing not in _SMOOTHINGS:
        raise ValueError(f"smoothing must be 'add-k' or 'witten-bell'; got {smoothing!r}")
    k = _check_positive(k, "k")
    if alphabet is None:
        alphabet = text
    if not isinstance(alphabet, str) or not alphabet:
        raise ValueError(f"alphabet must be a non-empty str; got {alphabet!r}")
    alphabet = "".join(sorted(set(alphabet)))
    n_symbols = len(alphabet)
    if (order - 1) * math.log2(n_symbols + 1) + math.log2(n_symbols) >= 62:
        raise ValueError(
            f"order {order} is too large for an alphabet of {n_symbols} "
            "characters (context numbers would exceed 64 bits)"
        )
    model = NgramModel(order, smoothing, k, alphabet, ())
    symbols = model.encode(text)
    contexts = _contexts(model, symbols)
    tables = []
    for m in range(order):
        c = contexts % (n_symbols + 1) ** m
        pair_keys, pair_counts = np.unique(c * n_symbols + symbols, return_counts=True)
        keys, counts = np.unique(c, return_counts=True)
        _, types = np.unique(pair_keys // n_symbols, return_counts=True)
        tables.append((pair_keys, pair_counts, keys, counts, types))
    return NgramModel(order, smoothing, k, alphabet, tuple(tables))


def _check_model(model):
    if not isinstance(model, NgramModel):
        raise TypeError(f"model must be an NgramModel (from fit_ngram); got {type(model).__name__}")


def _log2_probabilities(model, text):
    """``log2 q(x_i | x_<i)`` of every character of ``text``."""
    _check_model(model)
    symbols = model.encode(text)
    if symbols.size == 0:
        raise ValueError("text must contain at least one character; got ''")
    return np.log2(_probabilities(model, _contexts(model, symbols), symbols))


def bits_per_character(model, text):
    r"""Cross-entropy of ``model`` on ``text``, in bits per character.

    .. math:: \frac{1}{N} \sum_{i=1}^{N} -\log_2 q(x_i \mid x_{i-n+1}, \dots, x_{i-1})

    the average code length an arithmetic coder driven by the model reaches.

    Parameters
    ----------
    model : NgramModel
    text : str
        Held-out text, at least one character, in the model's alphabet.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an empty ``text`` or a character outside the alphabet.

    Introduced in chapter "Cross-entropy as code length".
    """
    return float(-np.mean(_log2_probabilities(model, text)))


def perplexity(model, text):
    r"""Perplexity of ``model`` on ``text``, per character.

    .. math:: \mathrm{PPL} = 2^{\text{bits per character}}
              = \exp\Bigl(\frac{1}{N} \sum_i -\log q(x_i \mid \text{context})\Bigr)

    The model is as uncertain as a uniform choice among ``PPL`` characters.

    Introduced in chapter "Cross-entropy as code length".
    """
    return float(2.0 ** bits_per_character(model, text))


# --- arithmetic coding ------------------------------------------------------------


def quantise(q, total=FREQ_TOTAL):
    r"""Integer frequencies for an arithmetic coder from probabilities ``q``.

    .. math:: f_k = 1 + \lfloor q_k (T - K) \rfloor, \quad\text{the rest to the largest } q_k,

    so every outcome keeps a frequency of at least 1 and each row sums to
    exactly ``T = total``. Coding with :math:`f / T` instead of :math:`q`
    costs at most about :math:`K / T` bits per symbol.

    Parameters
    ----------
    q : array_like, shape (..., K)
        Probabilities along the last axis.
    total : int, default 2**48
        ``T``, at least ``K`` and at most ``2**(CODE_BITS - 2)``.

    Returns
    -------
    ndarray of int64, shape (..., K)

    Introduced in chapter "Cross-entropy as code length".
    """
    q = _check_probabilities(q, "q")
    n_symbols = q.shape[-1]
    if isinstance(total, bool) or not isinstance(total, (numbers.Integral, np.integer)):
        raise TypeError(f"total must be an integer; got {total!r}")
    if not n_symbols <= total <= 2 ** (CODE_BITS - 2) or total >= 2**62:
        raise ValueError(
            f"total must be in [{n_symbols}, 2**{CODE_BITS - 2}) for "
            f"{n_symbols} symbols; got {int(total)}"
        )
    freqs = 1 + np.floor(q.astype(np.float64) * (total - n_symbols)).astype(np.int64)
    rest = total - freqs.sum(axis=-1, keepdims=True)
    np.put_along_axis(
        freqs,
        np.argmax(q, axis=-1)[..., None],
        np.take_along_axis(freqs, np.argmax(q, axis=-1)[..., None], -1) + rest,
        axis=-1,
    )
    return freqs


def _check_freqs(freqs, name):
    f = np.asarray(freqs)
    if f.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer frequencies; got dtype {f.dtype}")
    _check_ndim(f, 2, name)
    if f.size and f.min() < 0:
        raise ValueError(f"{name} must be non-negative; got {int(f.min())}")
    totals = f.sum(axis=1, dtype=np.int64) if f.size else np.zeros(len(f), np.int64)
    if len(f) and (totals.min() < 1 or totals.max() > 2 ** (CODE_BITS - 2)):
        bad = totals[np.argmax((totals < 1) | (totals > 2 ** (CODE_BITS - 2)))]
        raise ValueError(
            f"{name}: each row must sum to between 1 and 2**{CODE_BITS - 2}; "
            f"got a row summing to {int(bad)}"
        )
    return f.astype(np.int64)


def arithmetic_encode(symbols, freqs):
    r"""Arithmetic coding of ``symbols`` with one frequency table per symbol.

    Symbol :math:`x_i` narrows the interval :math:`[\text{low}, \text{high}]`
    to its share :math:`f_{i, x_i} / T_i`, with exact integer arithmetic on
    ``CODE_BITS``-bit registers and the bits-to-follow rule of Witten, Neal
    and Cleary (1987). The output has at most

    .. math:: \Bigl\lceil \tfrac{1}{8}\Bigl(2 + \sum_i -\log_2 \frac{f_{i, x_i}}{T_i}\Bigr)
              \Bigr\rceil \text{ bytes (up to rounding inside the coder).}

    Parameters
    ----------
    symbols : array_like of int, shape (N,)
        The message, each in ``[0, K)``.
    freqs : array_like of int, shape (N, K)
        Row ``i``: the frequencies the decoder will know when it decodes
        symbol ``i`` (from a model of the symbols before it); ``freqs[i,
        symbols[i]]`` must be positive. See :func:`quantise`.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        If the shapes disagree, a symbol is out of range or has frequency 0,
        or a row sums to 0 or more than ``2**(CODE_BITS - 2)``.

    Introduced in chapter "Cross-entropy as code length".
    """
    x = np.asarray(symbols)
    if x.size and x.dtype.kind not in "iu":
        raise ValueError(f"symbols must be integers; got dtype {x.dtype}")
    _check_ndim(x, 1, "symbols")
    f = _check_freqs(freqs, "freqs")
    if f.shape[0] != x.shape[0]:
        raise ValueError(f"freqs must have one row per symbol ({x.shape[0]}); got shape {f.shape}")
    x = x.astype(np.int64)
    if x.size and (x.min() < 0 or x.max() >= f.shape[1]):
        bad = x[(x < 0) | (x >= f.shape[1])][0]
        raise ValueError(f"symbols must be in [0, {f.shape[1] - 1}]; got {int(bad)}")
    cum = np.concatenate([np.zeros((len(f), 1), np.int64), np.cumsum(f, axis=1)], axis=1)
    rows = np.arange(len(x))
    lows, highs, totals = cum[rows, x], cum[rows, x + 1], cum[:, -1]
    if np.any(highs == lows):
        i = int(np.argmax(highs == lows))
        raise ValueError(f"freqs[{i}, {int(x[i])}] is 0: symbol {i} could not be coded")
    return _encode(lows.tolist(), highs.tolist(), totals.tolist())


def _encode(lows, highs, totals):
    """The coder's loop over Python integers (exact)."""
    top, half, quarter = (1 << CODE_BITS) - 1, 1 << (CODE_BITS - 1), 1 << (CODE_BITS - 2)
    low, high, pending, bits = 0, top, 0, []
    for c_low, c_high, total in zip(lows, highs, totals):
        width = high - low + 1
        high = low + width * c_high // total - 1
        low = low + width * c_low // total
        while True:
            if high < half:
                bits.append(0)
                bits.extend([1] * pending)
                pending = 0
            elif low >= half:
                bits.append(1)
                bits.extend([0] * pending)
                pending = 0
                low -= half
                high -= half
            elif low >= quarter and high < 3 * quarter:
                pending += 1
                low -= quarter
                high -= quarter
            else:
                break
            low, high = 2 * low, 2 * high + 1
    # two more bits single out a point inside [low, high]
    pending += 1
    bit = 0 if low < quarter else 1
    bits.append(bit)
    bits.extend([1 - bit] * pending)
    return np.packbits(np.array(bits, dtype=np.uint8)).tobytes()


def arithmetic_decode(data, n_symbols, frequencies):
    r"""Decode ``n_symbols`` symbols from ``data`` (the inverse of :func:`arithmetic_encode`).

    Parameters
    ----------
    data : bytes
        What :func:`arithmetic_encode` returned.
    n_symbols : int
        How many symbols to decode.
    frequencies : callable
        ``frequencies(prefix)`` returns the integer frequency row (1-D) for
        the next symbol, given the list ``prefix`` of the symbols decoded so
        far (read it, do not change it). It must return what the encoder's
        ``freqs[len(prefix)]`` was.

    Returns
    -------
    list of int

    Raises
    ------
    ValueError
        For a negative ``n_symbols`` or a frequency row that is not valid.

    Introduced in chapter "Cross-entropy as code length".
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes; got {type(data).__name__}")
    if isinstance(n_symbols, bool) or not isinstance(n_symbols, (numbers.Integral, np.integer)):
        raise TypeError(f"n_symbols must be a non-negative integer; got {n_symbols!r}")
    if n_symbols < 0:
        raise ValueError(f"n_symbols must be a non-negative integer; got {int(n_symbols)}")
    if not callable(frequencies):
        raise TypeError("frequencies must be a callable: prefix -> frequency row")
    bits = np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8)).tolist()
    bits.extend([0] * CODE_BITS)  # the encoder's tail: zeros after the last byte
    top, half, quarter = (1 << CODE_BITS) - 1, 1 << (CODE_BITS - 1), 1 << (CODE_BITS - 2)
    value = int("".join(map(str, bits[:CODE_BITS])), 2)
    position, low, high, out = CODE_BITS, 0, top, []
    seen = {}  # id(row) -> (row, its cumulative list): a model that caches rows is fast
    for _ in range(int(n_symbols)):
        row = frequencies(out)
        if id(row) not in seen or seen[id(row)][0] is not row:
            checked = _check_freqs(np.asarray(row)[None, :], "frequencies(prefix)")[0]
            seen[id(row)] = (row, [0] + np.cumsum(checked).tolist())
        cum = seen[id(row)][1]
        total, width = cum[-1], high - low + 1
        target = ((value - low + 1) * total - 1) // width
        symbol = bisect_right(cum, target) - 1
        high = low + width * cum[symbol + 1] // total - 1
        low = low + width * cum[symbol] // total
        out.append(symbol)
        while True:
            if high < half:
                pass
            elif low >= half:
                value, low, high = value - half, low - half, high - half
            elif low >= quarter and high < 3 * quarter:
                value, low, high = value - quarter, low - quarter, high - quarter
            else:
                break
            low, high = 2 * low, 2 * high + 1
            value = 2 * value + (bits[position] if position < len(bits) else 0)
            position += 1
    return out


# --- text under a language model ------------------------------------------------------


def compress_text(model, text):
    r"""Compress ``text`` with an arithmetic coder driven by ``model``.

    Each character is coded with the quantised distribution
    ``quantise(q(. | context))`` of the model, so the output is
    :math:`\sum_i -\log_2 q(x_i \mid \text{context})` bits, plus at most 2
    bits, the rounding to whole bytes, the quantisation's tiny excess and a
    4-byte header with the number of characters.

    Parameters
    ----------
    model : NgramModel
    text : str
        In the model's alphabet; fewer than ``2**32`` characters.

    Returns
    -------
    bytes

    Introduced in chapter "Cross-entropy as code length".
    """
    _check_model(model)
    symbols = model.encode(text)
    if symbols.size >= 2**32:
        raise ValueError(f"text must have fewer than 2**32 characters; got {symbols.size}")
    contexts = _contexts(model, symbols)
    unique, index = np.unique(contexts, return_inverse=True)
    freqs = quantise(_distributions(model, unique))[index]
    header = int(symbols.size).to_bytes(_HEADER_BYTES, "big")
    return header + arithmetic_encode(symbols, freqs)


def decompress_text(model, data):
    """Decode what :func:`compress_text` produced with the same ``model``.

    The decoder sees only ``data`` and the model: it predicts each character
    from the characters it has already decoded.

    Introduced in chapter "Cross-entropy as code length".
    """
    _check_model(model)
    if not isinstance(data, (bytes, bytearray)) or len(data) < _HEADER_BYTES:
        raise ValueError(
            f"data must be bytes from compress_text (at least {_HEADER_BYTES} "
            f"bytes); got {type(data).__name__} of length {len(data)}"
        )
    n_chars = int.from_bytes(data[:_HEADER_BYTES], "big")
    cache = {}

    def frequencies(prefix):
        number = _context_number(model, prefix)
        if number not in cache:
            cache[number] = quantise(_distributions(model, np.array([number])))[0]
        return cache[number]

    symbols = arithmetic_decode(bytes(data[_HEADER_BYTES:]), n_chars, frequencies)
    return "".join(model.alphabet[s] for s in symbols)
