"""Invariants that every loss of lecture_code must satisfy, run over all of them.

In the spirit of scikit-learn's common tests (``sklearn/metrics/tests/
test_common.py``): each property is written once and checked for every loss
in ``CASES``, and ``test_every_public_loss_is_covered`` makes sure that a new
loss in ``lecture_code.losses`` or ``lecture_code.focal`` cannot skip them.
The references here are the losses themselves under a transformation whose
effect is known exactly (a permutation, a dtype, an offset); the values are
checked against SciPy, scikit-learn and PyTorch in the per-module tests.
"""

import warnings

import numpy as np
import pytest
import scipy.special as sps

import lecture_code.focal
import lecture_code.losses
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

N, C = 12, 5
RNG = np.random.default_rng(42)
LOGITS = RNG.normal(scale=3.0, size=(N, C))
LABELS = RNG.integers(0, C, size=N)
SOFT = RNG.dirichlet(np.ones(C), size=N)
PROBS = sps.softmax(LOGITS, axis=1)
WEIGHTS = RNG.uniform(0.5, 2.0, size=C)
Y_BIN = RNG.integers(0, 2, size=N).astype(float)
P_BIN = RNG.uniform(0.05, 0.95, size=N)
Z_BIN = RNG.normal(scale=3.0, size=N)
Y_REG = RNG.normal(size=N)
P_REG = RNG.normal(size=N)


class Case:
    """One loss with valid inputs and what is known about it.

    ``logits``: the prediction is logits of a softmax (adding a constant to
    a row changes nothing). ``swap``: a call in PyTorch's order,
    ``f(prediction, target)``, is detectably wrong and must raise.
    ``denominator``: what 'mean' divides 'sum' by.
    """

    def __init__(self, name, f, y, pred, *, logits=False, swap=False, denominator=None,
                 **kwargs):
        self.name, self.f, self.y, self.pred = name, f, y, pred
        self.logits, self.swap, self.kwargs = logits, swap, kwargs
        self.denominator = np.size(y) if denominator is None else denominator

    def __call__(self, y=None, pred=None, **extra):
        y = self.y if y is None else y
        pred = self.pred if pred is None else pred
        return self.f(y, pred, **{**self.kwargs, **extra})

    def __repr__(self):
        return self.name


CASES = [
    Case("mse", mse_loss, Y_REG, P_REG),
    Case("bce", binary_cross_entropy, Y_BIN, P_BIN),
    Case("bce-soft", binary_cross_entropy, P_BIN[::-1].copy(), P_BIN),
    Case("bce-logits", binary_cross_entropy_with_logits, Y_BIN, Z_BIN, swap=True),
    Case("cce-labels", categorical_cross_entropy, LABELS, PROBS, swap=True,
         denominator=N),
    Case("cce-soft", categorical_cross_entropy, SOFT, PROBS, denominator=N),
    Case("sce-labels", softmax_cross_entropy, LABELS, LOGITS, logits=True, swap=True,
         denominator=N),
    Case("sce-soft", softmax_cross_entropy, SOFT, LOGITS, logits=True, denominator=N),
    Case("sce-smooth-weighted", softmax_cross_entropy, LABELS, LOGITS, logits=True,
         swap=True, label_smoothing=0.2, class_weight=WEIGHTS,
         denominator=WEIGHTS[LABELS].sum()),
    Case("sce-soft-smooth-weighted", softmax_cross_entropy, SOFT, LOGITS, logits=True,
         label_smoothing=0.1, class_weight=WEIGHTS, denominator=N),
    Case("focal-labels", focal_loss, LABELS, PROBS, swap=True, denominator=N),
    Case("focal-soft-alpha", focal_loss, SOFT, PROBS, alpha=WEIGHTS / 2, gamma=1.5,
         denominator=N),
    Case("softmax-focal", softmax_focal_loss, LABELS, LOGITS, logits=True, swap=True,
         denominator=N),
    Case("softmax-focal-soft", softmax_focal_loss, SOFT, LOGITS, logits=True,
         alpha=0.25, denominator=N),
    Case("binary-focal", binary_focal_loss, Y_BIN, P_BIN),
    Case("sigmoid-focal", sigmoid_focal_loss, Y_BIN, Z_BIN, swap=True),
]

GRADIENTS = [
    Case("sce-grad", softmax_cross_entropy_grad, LABELS, LOGITS, logits=True, swap=True),
    Case("sce-grad-smooth-weighted", softmax_cross_entropy_grad, LABELS, LOGITS,
         logits=True, swap=True, label_smoothing=0.1, class_weight=WEIGHTS),
    Case("focal-grad", softmax_focal_loss_grad, SOFT, LOGITS, logits=True),
]

ROWS = [c for c in CASES if np.ndim(c.pred) == 2]  # one sample per row


def test_every_public_loss_is_covered():
    public = set(lecture_code.losses.__all__) | set(lecture_code.focal.__all__)
    covered = {c.f.__name__ for c in CASES + GRADIENTS} | {"softmax_hessian"}
    assert public <= covered, f"not in test_common: {sorted(public - covered)}"


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_mean_is_sum_over_n(case):
    total = case(reduction="sum")
    assert case(reduction="mean") == pytest.approx(total / case.denominator, rel=1e-14)
    assert total == pytest.approx(np.sum(case(reduction="none")), rel=1e-14)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_none_is_non_negative_elementwise(case):
    per_sample = case(reduction="none")
    assert per_sample.shape == (N,)
    assert np.all(per_sample >= 0)
    # also at the edges: certain predictions, right and wrong
    if case in ROWS and not case.logits:
        certain = np.eye(C)[LABELS]
        assert np.all(case(pred=certain, reduction="none") >= 0)


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_list_gives_the_same_as_an_array(case):
    expected = case(reduction="none")
    got = case(y=np.asarray(case.y).tolist(), pred=case.pred.tolist(), reduction="none")
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_float32_agrees_with_float64(case):
    y32 = case.y.astype(np.float32) if case.y.dtype.kind == "f" else case.y
    expected = case(reduction="none")
    got = case(y=y32, pred=case.pred.astype(np.float32), reduction="none")
    assert got.dtype == np.float32  # float32 in, float32 out
    # float32 precision: a few ulp of the values, relative (2**-23 = 1.2e-7)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)
    mean32 = case(y=y32, pred=case.pred.astype(np.float32))
    if case in CASES:
        assert isinstance(mean32, float)  # reductions are Python floats
    np.testing.assert_allclose(mean32, case(), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_permuting_samples_permutes_none(case):
    perm = np.random.default_rng(0).permutation(N)
    expected = case(reduction="none")[perm]
    got = case(y=case.y[perm], pred=case.pred[perm], reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    if case in CASES:
        assert case(y=case.y[perm], pred=case.pred[perm]) == pytest.approx(case(), rel=1e-14)


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_one_row_equals_a_batch_of_one(case):
    full = case(reduction="none")
    for i in (0, N - 1):
        batch_of_one = case(y=case.y[i : i + 1], pred=case.pred[i : i + 1], reduction="none")
        np.testing.assert_allclose(batch_of_one, full[i : i + 1], rtol=1e-15)
    if case in ROWS:  # a single sample: a label (or a row) with a 1-D prediction
        single = case(y=case.y[3], pred=case.pred[3], reduction="none")
        assert single == pytest.approx(full[3], rel=1e-15)


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_non_contiguous_input_gives_the_same(case):
    # every other sample of a twice-as-long batch, and a Fortran-ordered copy
    y2 = np.repeat(case.y, 2, axis=0)
    p2 = np.repeat(case.pred, 2, axis=0)
    expected = case(reduction="none")
    got = case(y=y2[::2], pred=p2[::2], reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    if np.ndim(case.pred) == 2:
        got = case(pred=np.asfortranarray(case.pred), reduction="none")
        np.testing.assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize("case", [c for c in CASES + GRADIENTS if c.logits], ids=repr)
@pytest.mark.parametrize("offset", [7.5, -1e3, 1e6])
def test_adding_a_constant_to_the_logits_changes_nothing(case, offset):
    # per-row offsets too; the shifted input is rounded, so the tolerance is
    # a few ulp of the offset relative to the loss
    expected = case(reduction="none")
    row_offsets = offset * np.arange(1, N + 1)[:, None]
    for shifted in (case.pred + offset, case.pred + row_offsets):
        tol = 8 * np.finfo(float).eps * np.abs(shifted).max()
        np.testing.assert_allclose(case(pred=shifted, reduction="none"), expected,
                                   rtol=1e-12, atol=tol)


@pytest.mark.parametrize("case", [c for c in CASES + GRADIENTS if c.swap], ids=repr)
def test_swapped_arguments_raise(case):
    # PyTorch's order is (input, target): f(prediction, target) here must
    # not return a number. (For mse and binary cross-entropy of
    # probabilities the swap is undetectable: both arguments are valid.)
    with pytest.raises(ValueError):
        case.f(case.pred, case.y, **case.kwargs)


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_no_warnings_and_inputs_not_modified(case):
    y0, p0 = np.copy(case.y), np.copy(case.pred)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reduction in ("mean", "sum", "none"):
            case(reduction=reduction)
    np.testing.assert_array_equal(case.y, y0)
    np.testing.assert_array_equal(case.pred, p0)


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_unknown_reduction_is_refused(case):
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'; "
                                         "got 'avg'"):
        case(reduction="avg")
