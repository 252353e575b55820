"""Invariants that every loss of lecture_code must satisfy, run over all of them.

In the spirit of scikit-learn's common tests (``sklearn/metrics/tests/
test_common.py``): each property is written once and checked for every loss
in ``CASES`` (and gradient in ``GRADIENTS``), and
``test_every_function_with_a_reduction_is_covered`` finds every public
function of every module of ``lecture_code`` that takes a ``reduction``, so a
new loss, in any module, cannot skip them.
The references here are the losses themselves under a transformation whose
effect is known exactly (a permutation, a dtype, an offset); the values are
checked against SciPy, scikit-learn and PyTorch in the per-module tests.
"""

import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest

import lecture_code
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

from _shared import LABELS, LOGITS, P_BIN, P_REG, PROBS, SOFT, WEIGHTS, Y_BIN, Y_REG, Z_BIN, C, N


class Case:
    """One loss with valid inputs and what is known about it.

    ``logits``: the prediction is logits of a softmax (adding a constant to
    a row changes nothing). ``swap``: a call in PyTorch's order,
    ``f(prediction, target)``, is detectably wrong and must raise.
    ``denominator``: what 'mean' divides 'sum' by. ``kind``: what the
    prediction is, for the extreme inputs of :func:`extreme_inputs`
    (``'binary'``, ``'rows'`` or ``'regression'``).
    """

    def __init__(
        self, name, f, y, pred, *, logits=False, swap=False, denominator=None, kind=None, **kwargs
    ):
        self.name, self.f, self.y, self.pred = name, f, y, pred
        self.logits, self.swap, self.kwargs = logits, swap, kwargs
        self.kind = kind or ("rows" if np.ndim(pred) == 2 else "binary")
        self.denominator = np.size(y) if denominator is None else denominator

    def __call__(self, y=None, pred=None, **extra):
        y = self.y if y is None else y
        pred = self.pred if pred is None else pred
        return self.f(y, pred, **{**self.kwargs, **extra})

    def __repr__(self):
        return self.name


CASES = [
    Case("mse", mse_loss, Y_REG, P_REG, kind="regression"),
    Case("bce", binary_cross_entropy, Y_BIN, P_BIN),
    Case("bce-soft", binary_cross_entropy, P_BIN[::-1].copy(), P_BIN),
    Case("bce-logits", binary_cross_entropy_with_logits, Y_BIN, Z_BIN, swap=True),
    Case("cce-labels", categorical_cross_entropy, LABELS, PROBS, swap=True, denominator=N),
    Case("cce-soft", categorical_cross_entropy, SOFT, PROBS, denominator=N),
    Case(
        "sce-labels", softmax_cross_entropy, LABELS, LOGITS, logits=True, swap=True, denominator=N
    ),
    Case("sce-soft", softmax_cross_entropy, SOFT, LOGITS, logits=True, denominator=N),
    Case(
        "sce-smooth-weighted",
        softmax_cross_entropy,
        LABELS,
        LOGITS,
        logits=True,
        swap=True,
        label_smoothing=0.2,
        class_weight=WEIGHTS,
        denominator=WEIGHTS[LABELS].sum(),
    ),
    Case(
        "sce-soft-smooth-weighted",
        softmax_cross_entropy,
        SOFT,
        LOGITS,
        logits=True,
        label_smoothing=0.1,
        class_weight=WEIGHTS,
        denominator=N,
    ),
    Case("focal-labels", focal_loss, LABELS, PROBS, swap=True, denominator=N),
    Case("focal-soft-alpha", focal_loss, SOFT, PROBS, alpha=WEIGHTS / 2, gamma=1.5, denominator=N),
    Case(
        "softmax-focal", softmax_focal_loss, LABELS, LOGITS, logits=True, swap=True, denominator=N
    ),
    Case(
        "softmax-focal-soft",
        softmax_focal_loss,
        SOFT,
        LOGITS,
        logits=True,
        alpha=0.25,
        denominator=N,
    ),
    Case("binary-focal", binary_focal_loss, Y_BIN, P_BIN),
    Case("sigmoid-focal", sigmoid_focal_loss, Y_BIN, Z_BIN, swap=True),
]

GRADIENTS = [
    Case("sce-grad", softmax_cross_entropy_grad, LABELS, LOGITS, logits=True, swap=True),
    Case(
        "sce-grad-smooth-weighted",
        softmax_cross_entropy_grad,
        LABELS,
        LOGITS,
        logits=True,
        swap=True,
        label_smoothing=0.1,
        class_weight=WEIGHTS,
    ),
    Case("focal-grad", softmax_focal_loss_grad, SOFT, LOGITS, logits=True),
]

ROWS = [c for c in CASES if np.ndim(c.pred) == 2]  # one sample per row


def functions_with_a_reduction():
    """Every public function of every module of lecture_code with a ``reduction``."""
    found = {}
    for info in pkgutil.iter_modules(lecture_code.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"lecture_code.{info.name}")
        for name, obj in vars(module).items():
            if (
                not name.startswith("_")
                and inspect.isfunction(obj)
                and obj.__module__ == module.__name__
                and "reduction" in inspect.signature(obj).parameters
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_function_with_a_reduction_is_covered():
    found = functions_with_a_reduction()
    # the search itself works: it finds losses in more than one module
    assert {"lecture_code.losses.mse_loss", "lecture_code.focal.focal_loss"} <= set(found)
    covered = {c.f for c in CASES + GRADIENTS}
    missing = sorted(name for name, f in found.items() if f not in covered)
    assert not missing, f"not in tests/test_common.py: {missing}"


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
        np.testing.assert_allclose(
            case(pred=shifted, reduction="none"), expected, rtol=1e-12, atol=tol
        )


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
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'; got 'avg'"):
        case(reduction="avg")


# --- probabilities of exactly 0 and 1, and extreme ones, in every dtype -------

DTYPES = [np.float16, np.float32, np.float64]
# Extreme values that float16 represents exactly, so that every dtype gets
# the same numbers: 2**-24 is float16's smallest positive number, 1 - 2**-11
# the largest one below 1; logits of +-6e4 are near float16's maximum (65504).
TINY, NEAR_ONE, HUGE = 2.0**-24, 1.0 - 2.0**-11, 6e4


def extreme_inputs(case):
    """Targets and predictions at the edges, for the kind of ``case``."""
    if case.kind == "regression":
        return np.array([0.0, 1.0, 0.0, 1.0, -HUGE]), np.array([0.0, 0.0, 1.0, 1.0, HUGE])
    if case.kind == "binary":
        y = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.5, 0.5])
        if case.logits or case.f in (binary_cross_entropy_with_logits, sigmoid_focal_loss):
            pred = np.array([-HUGE, HUGE, -HUGE, HUGE, 0.0, 0.0, -20.0, 20.0, HUGE, -HUGE])
        else:
            pred = np.array([0.0, 1.0, 0.0, 1.0, TINY, TINY, NEAR_ONE, NEAR_ONE, 0.0, 1.0])
        return y, pred
    labels = np.array([0, 1, 0, 3, 2])
    if case.logits:
        pred = np.zeros((5, C))
        pred[0, 0] = pred[1, 0] = HUGE  # certain and right, certain and wrong
        pred[2, 1] = -HUGE
        pred[3, :] = [HUGE, -HUGE, 0.0, HUGE]  # two certain classes
        pred[4, 2] = 20.0
    else:
        pred = np.zeros((5, C))
        pred[0, 0] = pred[1, 0] = 1.0  # certain and right, certain and wrong
        pred[2, :2] = [TINY, 1.0 - TINY]  # (1 - 2**-24 is not a float16: see below)
        pred[3, :] = [NEAR_ONE, 2.0**-12, 2.0**-12, 0.0]  # the label has probability 0
        pred[4, :] = [0.25, 0.25, 0.5, 0.0]
    if np.ndim(case.y) == 2:  # probability targets: one-hot rows and a soft one
        targets = np.eye(C)[labels]
        targets[4] = [0.0, 0.5, 0.5, 0.0]
        return targets, pred
    return labels, pred


def in_dtype(x, dtype):
    """``x`` in ``dtype`` if it is floating (labels stay integers)."""
    return x.astype(dtype) if x.dtype.kind == "f" else x


@pytest.mark.parametrize("case", CASES + GRADIENTS, ids=repr)
def test_extreme_probabilities_give_finite_values_equal_across_dtypes(case):
    y, pred = extreme_inputs(case)
    # the reference: float64 of the very numbers the other dtypes are given
    # (float16 rounds 1 - 2**-24 up to 1, so that row is 1 there)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or divide-by-zero warning
        for dtype in DTYPES:
            y_d, pred_d = in_dtype(y, dtype), in_dtype(pred, dtype)
            if case.kind == "rows" and not case.logits:  # a row that rounds keeps summing to 1
                pred_d[2, 0] = 1 - pred_d[2, 1]
            y64 = y_d.astype(np.float64) if y.dtype.kind == "f" else y
            pred64 = pred_d.astype(np.float64)
            expected = case(y=y64, pred=pred64, reduction="none")
            got = case(y=y_d, pred=pred_d, reduction="none")
            assert np.all(np.isfinite(got)), f"{dtype.__name__}: {got}"
            assert got.dtype == (np.float64 if dtype == np.float64 else np.float32)
            # equal to the precision of the computing dtype (float32 for
            # float16 input): the default eps applies in float32 as in float64
            tol = 8 * float(np.finfo(got.dtype).eps)
            np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
            if case in CASES:
                assert np.all(got >= 0)
                mean = case(y=y_d, pred=pred_d)
                assert np.isfinite(mean)
                assert mean == pytest.approx(case(y=y64, pred=pred64), rel=tol)


@pytest.mark.parametrize(
    "case", [c for c in CASES if "eps" in inspect.signature(c.f).parameters], ids=repr
)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_the_default_eps_caps_a_certain_wrong_prediction_at_minus_log_eps(case, dtype):
    # A certain, wrong prediction costs -ln(1e-15) = 15 ln 10 = 34.5388 nats of
    # cross-entropy in every dtype; for p = 1 and y = 0, p is clipped to the
    # float64 number 1 - 1e-15, whose gap to 1 is 9.992e-16: -ln of it is
    # 34.5396. (The focal losses weight it by alpha_t and (1 - p_t)^gamma = 1.)
    # eps=0 gives the exact value, inf, without a warning.
    y, pred = extreme_inputs(case)
    if case.kind == "rows":  # row 1: certain of class 0, label 1
        wrong, expected = [1], [15 * np.log(10)]
    else:  # samples 1 and 2: y = 0 with p = 1, y = 1 with p = 0
        wrong, expected = [1, 2], [-np.log(1.0 - (1.0 - 1e-15)), 15 * np.log(10)]
    y_w = in_dtype(y[wrong], dtype)
    pred_w = pred[wrong].astype(dtype)
    loss = case(y=y_w, pred=pred_w, reduction="none")
    if case.f in (binary_cross_entropy, categorical_cross_entropy):
        np.testing.assert_allclose(loss, expected, rtol=1e-6)
    assert np.all(np.isfinite(loss)) and np.all(loss > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = case(y=y_w, pred=pred_w, reduction="none", eps=0)
    assert np.all(exact == np.inf)
