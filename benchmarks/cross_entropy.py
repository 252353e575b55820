"""Benchmark: softmax cross-entropy on 1,000,000 x 10 logits, six cases.

Run with ``.venv/bin/python benchmarks/cross_entropy.py`` (a few minutes;
``--n 200000`` for a quick look). Cases, all with integer labels and the
same fixed-seed logits ``z ~ N(0, 2^2)``:

=================  ==========================================================
``mean``           float64, ``reduction='mean'`` (the ordinary case)
``offset +50``     ``z + 50``: every logit beyond where exp overflows a sum
``offset +1e6``    ``z + 1e6``: a common offset far beyond exp's range
``none``           float64, ``reduction='none'`` (one loss per sample)
``float32``        the logits in float32, ``'mean'``
``weights+ls``     ``class_weight`` (1..C) and ``label_smoothing=0.1``
=================  ==========================================================

Candidates per case, run round-robin (one call of each per round, the same
number of rounds for every candidate, best round counts):

* ``ours``: ``lecture_code.softmax_cross_entropy``;
* ``floor``: one ``np.exp(z, out=buf)`` of the ordinary logits into a
  preallocated output of the same dtype (every exact method evaluates each
  exponential at least once);
* ``torch``: PyTorch ``F.cross_entropy`` with ``torch.set_num_threads(1)``
  (skipped if PyTorch is not installed);
* ``numpy``: the textbook max-shifted formula in plain NumPy.

BLAS is limited to one thread (``threadpoolctl``) like PyTorch. The table
reports ratios measured in one run (of best CPU times, with wall-clock
ratios in brackets), which survive a busy machine far better than times
do, and checks the targets of issue 11: ours within 1.5x of the floor and
at most 0.6x PyTorch, in every case. Values are checked
against PyTorch (or the NumPy formula) before timing.
"""

import argparse
import time

import numpy as np

from lecture_code import softmax_cross_entropy

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

TARGET_FLOOR = 1.5
TARGET_TORCH = 0.6


def plain_numpy(labels, z, weight=None, alpha=0.0, reduction="mean"):
    """The textbook stable formula: shift by the row max, exp, sum, log."""
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    n, c = z.shape
    t = (1 - alpha) * np.eye(c, dtype=z.dtype)[labels] + alpha / c
    w = np.ones(c, z.dtype) if weight is None else weight
    loss = -np.sum(w * t * logp, axis=1)
    if reduction == "none":
        return loss
    return float(loss.sum() / (n if weight is None else w[labels].sum()))


def cases(n, c, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    w = np.arange(1.0, c + 1.0)
    plain = {}
    z32 = z.astype(np.float32)
    # (name, labels, logits, keyword arguments, the floor's logits)
    yield "mean", y, z, plain, z
    yield "offset +50", y, z + 50.0, plain, z
    yield "offset +1e6", y, z + 1e6, plain, z
    yield "none", y, z, {"reduction": "none"}, z
    yield "float32", y, z32, plain, z32
    yield "weights+ls", y, z, {"class_weight": w, "label_smoothing": 0.1}, z


def candidates(y, z, kw, z_floor):
    buf = np.empty_like(z_floor)
    out = {
        "ours": lambda: softmax_cross_entropy(y, z, **kw),
        # exp of the ordinary logits of the same dtype and shape (exp of
        # z + 1e6 would only produce inf, a different path inside exp)
        "floor": lambda: np.exp(z_floor, out=buf),
        "numpy": lambda: plain_numpy(
            y,
            z,
            kw.get("class_weight"),
            kw.get("label_smoothing", 0.0),
            kw.get("reduction", "mean"),
        ),
    }
    if torch is not None:
        zt, yt = torch.from_numpy(z), torch.from_numpy(y)
        w = kw.get("class_weight")
        wt = None if w is None else torch.from_numpy(w.astype(z.dtype))
        tkw = {
            "weight": wt,
            "label_smoothing": kw.get("label_smoothing", 0.0),
            "reduction": kw.get("reduction", "mean"),
        }
        out["torch"] = lambda: F.cross_entropy(zt, yt, **tkw)
    return out


def check_values(cands, dtype):
    """Ours agrees with PyTorch (or NumPy) to the precision of the dtype."""
    ours = np.asarray(cands["ours"]())
    ref = cands["torch"]() if "torch" in cands else cands["numpy"]()
    ref = ref.numpy() if torch is not None and isinstance(ref, torch.Tensor) else ref
    ref = np.asarray(ref, dtype=np.float64)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    if not np.allclose(ours, ref, rtol=tol, atol=tol):
        raise AssertionError(f"values differ: ours {ours!r} vs reference {ref!r}")
    return float(np.mean(ours))


def best_times(cands, rounds):
    """Best CPU time and best wall time of each candidate over ``rounds``
    round-robin rounds.

    CPU time (``time.process_time``) leaves out the time the process waits
    while other jobs run, so on a shared machine it is the steadier of the
    two; everything runs on one thread, so the two agree on an idle one.
    """
    cpu = dict.fromkeys(cands, np.inf)
    wall = dict.fromkeys(cands, np.inf)
    for _ in range(rounds):
        for name, fn in cands.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            t1, c1 = time.perf_counter(), time.process_time()
            cpu[name] = min(cpu[name], c1 - c0)
            wall[name] = min(wall[name], t1 - t0)
    return cpu, wall


def run(n, c, rounds, seed):
    if torch is not None:
        torch.set_num_threads(1)
    rows = []
    for name, y, z, kw, z_floor in cases(n, c, seed):
        cands = candidates(y, z, kw, z_floor)
        value = check_values(cands, z.dtype)
        cpu, wall = best_times(cands, rounds)
        rows.append((name, value, cpu, wall))
    return rows


def report(rows, n, c, rounds):
    print(
        f"softmax cross-entropy, {n:,} x {c} logits, integer labels, "
        f"best of {rounds} round-robin rounds, one thread"
    )
    print("ratios of best CPU times (process_time); wall-clock ratios in brackets")
    print()
    print(
        f"| case | ours / floor (target <= {TARGET_FLOOR}) | "
        f"ours / torch (target <= {TARGET_TORCH}) | numpy / floor | "
        f"torch / floor |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    missed = []
    for name, _, cpu, wall in rows:

        def ratio(a, b):
            return cpu[a] / cpu[b], wall[a] / wall[b]

        r, rw = ratio("ours", "floor")
        floor_cell = f"{r:.2f} ({rw:.2f})"
        if r > TARGET_FLOOR:
            missed.append(f"{name}: ours / floor = {r:.2f} > {TARGET_FLOOR}")
            floor_cell += " missed"
        if "torch" in cpu:
            r, rw = ratio("ours", "torch")
            torch_cell = f"{r:.2f} ({rw:.2f})"
            if r > TARGET_TORCH:
                missed.append(f"{name}: ours / torch = {r:.2f} > {TARGET_TORCH}")
                torch_cell += " missed"
            torch_floor = "{:.2f} ({:.2f})".format(*ratio("torch", "floor"))
        else:
            torch_cell = torch_floor = "n/a"
        numpy_floor = "{:.2f} ({:.2f})".format(*ratio("numpy", "floor"))
        print(f"| {name} | {floor_cell} | {torch_cell} | {numpy_floor} | {torch_floor} |")
    print()
    print(
        "loss values (checked against PyTorch or NumPy before timing): "
        + ", ".join(f"{row[0]} {row[1]:.10g}" for row in rows)
    )
    print("targets: " + ("all met" if not missed else "missed: " + "; ".join(missed)))


def main(n=1_000_000, c=10, rounds=9, seed=0):
    if threadpool_limits is not None:
        with threadpool_limits(limits=1):
            rows = run(n, c, rounds, seed)
    else:
        rows = run(n, c, rounds, seed)
    report(rows, n, c, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    main(n=args.n, c=args.classes, rounds=args.rounds)
