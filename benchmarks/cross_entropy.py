"""Benchmark: softmax cross-entropy on 1,000,000 x 10 float64 logits.

Run with ``python benchmarks/cross_entropy.py`` (about a minute). It times,
on the same logits and integer labels (fixed seed):

* ``lecture_code.softmax_cross_entropy`` (ours),
* SciPy ``softmax`` followed by scikit-learn ``log_loss``,
* a plain, stable NumPy version (max-shift, exp, row sum, log, gather),
* PyTorch ``F.cross_entropy`` on one thread, if PyTorch is installed,
* one ``np.exp`` pass over the logits (the floor: any exact method
  evaluates every exponential at least once),

and prints the best time of several repeats (wall clock, ``time.perf_counter``; and CPU time,
``time.process_time``, which other jobs on a shared machine disturb less), the
ratios to ours, and the peak extra memory of our function measured with
``tracemalloc`` (NumPy reports its allocations to it) against the size of
the logits.

The candidates run round-robin (one call of each per round) so that a burst
of load on a shared machine hits all of them alike; the best round counts.
BLAS is limited to one thread (``threadpoolctl``) like PyTorch, so no
candidate gets more cores than another.

Targets (issue 3): ours <= 0.5x PyTorch, <= 0.25x scikit-learn,
<= 5x one exp pass, peak extra memory <= 3 copies of the logits.
"""

import argparse
import time
import tracemalloc

import numpy as np
from scipy.special import softmax as scipy_softmax
from sklearn.metrics import log_loss

from lecture_code import softmax_cross_entropy

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

try:
    import torch
except ImportError:
    torch = None


def plain_numpy(labels, logits):
    """The textbook stable version: shift by the row max, exp, sum, log, gather."""
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(labels)), labels]))


def sklearn_version(labels, logits):
    return log_loss(labels, scipy_softmax(logits, axis=1), labels=np.arange(logits.shape[1]))


def best_times(candidates, repeats):
    """Best wall time (``perf_counter``) and best CPU time (``process_time``)
    of each candidate over ``repeats`` round-robin rounds."""
    wall = {name: np.inf for name in candidates}
    cpu = dict(wall)
    for _ in range(repeats):
        for name, (fn, max_repeats) in candidates.items():
            if max_repeats <= 0:
                continue
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            t1, c1 = time.perf_counter(), time.process_time()
            wall[name] = min(wall[name], t1 - t0)
            cpu[name] = min(cpu[name], c1 - c0)
            candidates[name] = (fn, max_repeats - 1)
    return wall, cpu


def peak_extra_memory(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


def main(n=1_000_000, c=10, repeats=9, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, c))
    labels = rng.integers(0, c, size=n)

    candidates = {
        "lecture_code.softmax_cross_entropy": (
            lambda: softmax_cross_entropy(labels, logits), repeats),
        "scipy softmax + sklearn log_loss": (
            lambda: sklearn_version(labels, logits), max(2, repeats // 3)),
        "plain stable NumPy": (lambda: plain_numpy(labels, logits), repeats),
        "one np.exp pass (floor)": (lambda: np.exp(logits), repeats),
    }
    values = {
        "ours": softmax_cross_entropy(labels, logits),
        "sklearn": sklearn_version(labels, logits),
        "numpy": plain_numpy(labels, logits),
    }
    if torch is not None:
        torch.set_num_threads(1)
        z_t, y_t = torch.from_numpy(logits), torch.from_numpy(labels)
        candidates["torch F.cross_entropy (1 thread)"] = (
            lambda: torch.nn.functional.cross_entropy(z_t, y_t), repeats)
        values["torch"] = torch.nn.functional.cross_entropy(z_t, y_t).item()

    if threadpool_limits is not None:
        with threadpool_limits(limits=1):
            best, cpu = best_times(candidates, repeats)
            peak = peak_extra_memory(lambda: softmax_cross_entropy(labels, logits))
    else:
        best, cpu = best_times(candidates, repeats)
        peak = peak_extra_memory(lambda: softmax_cross_entropy(labels, logits))

    ours = best["lecture_code.softmax_cross_entropy"]
    ours_cpu = cpu["lecture_code.softmax_cross_entropy"]
    print(f"softmax cross-entropy, {n:,} x {c} float64 logits, integer labels, "
          f"best of {repeats} rounds")
    print(f"{'implementation':38s} {'wall [ms]':>10s} {'ours / it':>10s} "
          f"{'CPU [ms]':>10s} {'ours / it':>10s}")
    for name, t in best.items():
        print(f"{name:38s} {t * 1e3:10.1f} {ours / t:10.3f} "
              f"{cpu[name] * 1e3:10.1f} {ours_cpu / cpu[name]:10.3f}")
    print()
    print("loss values: " + ", ".join(f"{k} {v:.12f}" for k, v in values.items()))
    print()
    print("targets (wall-clock ratios; the CPU-time column above is less")
    print("sensitive to other jobs on a shared machine):")
    if torch is not None:
        r = ours / best["torch F.cross_entropy (1 thread)"]
        print(f"  ours / torch   = {r:6.3f}  (target <= 0.5)   {'met' if r <= 0.5 else 'NOT met'}")
    else:
        print("  ours / torch   = n/a (PyTorch not installed)")
    r = ours / best["scipy softmax + sklearn log_loss"]
    print(f"  ours / sklearn = {r:6.3f}  (target <= 0.25)  {'met' if r <= 0.25 else 'NOT met'}")
    r = ours / best["one np.exp pass (floor)"]
    print(f"  ours / np.exp  = {r:6.3f}  (target <= 5)     {'met' if r <= 5 else 'NOT met'}")
    r = peak / logits.nbytes
    print(f"  peak extra memory = {peak / 2**20:.1f} MiB = {r:.3f} x the logits "
          f"({logits.nbytes / 2**20:.0f} MiB)  (target <= 3)  {'met' if r <= 3 else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    main(n=args.n, repeats=args.repeats)
