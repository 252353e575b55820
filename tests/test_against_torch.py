"""Agreement with PyTorch (float64; float32 where noted): cross-entropy with
every option, its autograd gradient, binary cross-entropy and torchvision's
sigmoid focal loss.

CI installs torch; without it this file alone is skipped.
"""

import importlib
import importlib.util

import numpy as np
import pytest

if importlib.util.find_spec("torch") is None:
    pytest.skip(
        "PyTorch is not installed (CI installs it; it is not in requirements.txt)",
        allow_module_level=True,
    )

# Imported when this file's first test runs, not when pytest collects it: under
# pytest-xdist every worker collects every file, and only the one that runs
# these tests needs PyTorch (importing it is seconds of CPU time).
torch = F = None


@pytest.fixture(scope="module", autouse=True)
def _import_torch():
    global torch, F
    torch = importlib.import_module("torch")
    F = torch.nn.functional


from lecture_code import (  # noqa: E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    sigmoid_focal_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_focal_loss,
    softmax_focal_loss_grad,
)

RNG = np.random.default_rng(3)
N, C = 12, 5
LOGITS = RNG.normal(scale=4.0, size=(N, C))
LABELS = RNG.integers(0, C, size=N)
SOFT = RNG.dirichlet(np.ones(C), size=N)
WEIGHTS = RNG.uniform(0.1, 3.0, size=C)
TOL = dict(rtol=1e-10, atol=1e-12)


def torch_ce(target, logits, **kwargs):
    """torch.nn.functional.cross_entropy on float64 tensors, with its gradient."""
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(target)
    if "weight" in kwargs and kwargs["weight"] is not None:
        kwargs["weight"] = torch.tensor(kwargs["weight"], dtype=torch.float64)
    loss = F.cross_entropy(z, t, **kwargs)
    (grad,) = torch.autograd.grad(loss.sum(), z)
    return loss.detach().numpy(), grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_cross_entropy_and_gradient(reduction, smoothing, weighted, targets):
    y = LABELS if targets == "labels" else SOFT
    w = WEIGHTS if weighted else None
    ref, ref_grad = torch_ce(y, LOGITS, weight=w, label_smoothing=smoothing, reduction=reduction)
    kw = dict(label_smoothing=smoothing, class_weight=w, reduction=reduction)
    np.testing.assert_allclose(softmax_cross_entropy(y, LOGITS, **kw), ref, **TOL)
    np.testing.assert_allclose(softmax_cross_entropy_grad(y, LOGITS, **kw), ref_grad, **TOL)


def test_cross_entropy_large_logits_and_many_rows():
    # enough rows for several chunks of the fast path, some rows far outside it
    n = 20_000
    z = RNG.normal(scale=8.0, size=(n, C))
    z[::50] *= 1e3
    y = RNG.integers(0, C, size=n)
    ref, _ = torch_ce(y, z, reduction="none")
    np.testing.assert_allclose(softmax_cross_entropy(y, z, reduction="none"), ref, **TOL)
    ref, _ = torch_ce(y, z, label_smoothing=0.2)
    assert softmax_cross_entropy(y, z, label_smoothing=0.2) == pytest.approx(float(ref), rel=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction):
    y = RNG.uniform(0, 1, size=30)
    p = RNG.uniform(0.001, 0.999, size=30)  # torch clamps log() at -100, so stay inside
    ref = F.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction=reduction)
    np.testing.assert_allclose(binary_cross_entropy(y, p, reduction=reduction), ref.numpy(), **TOL)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_with_logits(reduction):
    y = RNG.uniform(0, 1, size=30)
    z = RNG.normal(scale=20.0, size=30)
    z[:3] = [1e4, -1e4, 700.0]
    ref = F.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y), reduction=reduction)
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(y, z, reduction=reduction), ref.numpy(), **TOL
    )


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss (torchvision/ops/focal_loss.py),
    transcribed verbatim because torchvision is not installed here:

        p = torch.sigmoid(inputs)
        ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce_loss * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
            loss = alpha_t * loss
        # reduction: "none" -> loss, "mean" -> loss.mean(), "sum" -> loss.sum()
    """
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("alpha", [0.25, 0.9, None])
@pytest.mark.parametrize("gamma", [0.0, 2.0, 3.5])
def test_sigmoid_focal_loss_matches_torchvision_formula(reduction, alpha, gamma):
    y = RNG.integers(0, 2, size=(10, 3)).astype(float)
    z = RNG.normal(scale=3.0, size=(10, 3))
    ref = torchvision_sigmoid_focal_loss(
        torch.tensor(z),
        torch.tensor(y),
        alpha=-1 if alpha is None else alpha,
        gamma=gamma,
        reduction=reduction,
    )
    ours = sigmoid_focal_loss(y, z, gamma=gamma, alpha=alpha, reduction=reduction)
    np.testing.assert_allclose(ours, ref.numpy(), **TOL)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0])
def test_softmax_focal_loss_gradient_against_autograd(gamma):
    # focal loss on softmax written directly in torch; autograd gives the gradient
    z = torch.tensor(LOGITS, requires_grad=True)
    a = torch.tensor(WEIGHTS / WEIGHTS.max())
    logp = torch.log_softmax(z, dim=1)
    y = torch.nn.functional.one_hot(torch.tensor(LABELS), C).double()
    loss = -(a * y * (1 - logp.exp()) ** gamma * logp).sum(dim=1).mean()
    (grad,) = torch.autograd.grad(loss, z)
    alpha = WEIGHTS / WEIGHTS.max()
    assert softmax_focal_loss(LABELS, LOGITS, gamma=gamma, alpha=alpha) == pytest.approx(
        loss.item(), rel=1e-12
    )
    np.testing.assert_allclose(
        softmax_focal_loss_grad(LABELS, LOGITS, gamma=gamma, alpha=alpha), grad.numpy(), **TOL
    )


@pytest.mark.parametrize("offset", [0.0, 50.0, 1e6])
@pytest.mark.parametrize("smoothing, weighted", [(0.0, False), (0.1, True)])
def test_float32_and_offset_logits_agree_with_torch(offset, smoothing, weighted):
    # issue 11's benchmark cases, value for value: float32 against PyTorch's
    # float32 (to float32 precision), offsets in float64
    z64 = RNG.normal(scale=2.0, size=(200, 10)) + offset
    y = RNG.integers(0, 10, size=200)
    w = np.linspace(0.5, 2.0, 10) if weighted else None
    for z, tol in ((z64, 1e-12), (z64.astype(np.float32), 2e-6)):
        zt = torch.from_numpy(z)
        wt = None if w is None else torch.from_numpy(w.astype(z.dtype))
        ref = F.cross_entropy(
            zt, torch.from_numpy(y), weight=wt, label_smoothing=smoothing, reduction="none"
        ).numpy()
        got = softmax_cross_entropy(
            y, z, class_weight=w, label_smoothing=smoothing, reduction="none"
        )
        assert got.dtype == z.dtype
        # both shift the (rounded) input exactly, so no offset-sized error
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
