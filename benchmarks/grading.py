"""Benchmark: submissions graded per minute by ``python -m course grade`` and by otter's runner.

Run from the repository root with ``python benchmarks/grading.py`` (a few
minutes; hw4 needs ``MNIST_DATA_DIR`` or the MNIST cache). It assigns the
homework into a temporary folder, takes each master's solutions notebook as
the typical submission (every cell runs, every test runs), and grades

* ``--copies`` copies per homework of hw1-hw3 and of hw4 with ``python -m
  course grade --jobs JOBS`` (the whole command, start-up included; every
  submission in its own bubblewrap sandbox);
* ``--otter-copies`` of them with otter's own runner
  (``otter.api.grade_submission``, one Jupyter kernel per submission), JOBS at
  a time in a process pool,

in the same run, and prints submissions per minute, their ratio and the load
average before and after. On a machine shared with other jobs the load can
change between the two halves of a run, so where it can (root, a cgroup v1
``cpuacct`` hierarchy) it also prints the CPU seconds each way spends per
submission, every process it starts included, and their ratio: a number that
other jobs' load barely moves.

Target (issue 19): with ``--jobs 2``, the sandboxed grader grades at least 4
times as many submissions a minute as otter's runner, for hw1-hw3 and for hw4.
The latest figures are in ``benchmarks/README.md``.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {"hw1-hw3": ["hw1", "hw2", "hw3"], "hw4": ["hw4"]}


class CpuMeter:
    """CPU seconds of every process that joins a cgroup v1 ``cpuacct`` group (or None)."""

    def __init__(self, name):
        self.path = Path("/sys/fs/cgroup/cpuacct", name)
        try:
            self.path.mkdir()
        except OSError:
            self.path = None

    def join(self):
        """Put the calling process (and every process it starts later) in the group."""
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self):
        if self.path is None:
            return None
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def close(self):
        if self.path is not None:
            (self.path.parent / "cgroup.procs").write_text(str(os.getpid()))
            for _ in range(100):
                try:
                    self.path.rmdir()
                    return
                except OSError:
                    time.sleep(0.05)


def _otter_one(args):
    submission, autograder, workdir = args
    from otter.api import grade_submission

    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    grade_submission(submission, autograder, quiet=True)


def _copies(tmp, hw, n, folder):
    for i in range(n):
        dest = Path(tmp, folder, hw, f"s{i:03d}", f"{hw}.ipynb")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp, "dist", f"{hw}-solutions.ipynb"), dest)
    return sorted(Path(tmp, folder, hw).glob("*/*.ipynb"))


def ours(tmp, hws, copies, jobs, meter):
    """Seconds for ``course grade`` over ``copies`` solutions of each homework in ``hws``."""
    start = time.perf_counter()
    n = 0
    for hw in hws:
        subs = _copies(tmp, hw, copies, "ours")
        n += len(subs)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "course",
                "grade",
                hw,
                Path(tmp, "ours", hw),
                "--out",
                Path(tmp, f"{hw}.csv"),
                "--jobs",
                str(jobs),
                "--autograder",
                Path(tmp, "dist", f"{hw}-autograder.zip"),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            preexec_fn=meter.join,
        )
        rows = Path(tmp, f"{hw}.csv").read_text().splitlines()[1:]
        bad = [r for r in rows if not r.endswith(",ok")]
        if bad:
            raise RuntimeError(f"{hw}: not every solution graded ok: {bad[:2]}")
    return n, time.perf_counter() - start


def otters(tmp, hws, copies, jobs, meter):
    """Seconds for otter's runner over ``copies`` solutions of each homework, ``jobs`` at once."""
    work = [
        (
            str(s),
            str(Path(tmp, "dist", f"{hw}-autograder.zip")),
            str(Path(tmp, "otter-work", hw, s.parent.name)),
        )
        for hw in hws
        for s in _copies(tmp, hw, copies, "otter")
    ]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, initializer=meter.join) as pool:
        list(pool.map(_otter_one, work))
    return len(work), time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--copies", type=int, default=20, help="per homework, ours (20)")
    parser.add_argument("--otter-copies", type=int, default=3, help="per homework, otter (3)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "course",
                "assign",
                "--book-dir",
                Path(tmp, "book"),
                "--dist-dir",
                Path(tmp, "dist"),
                "--no-execute",
                "--no-run-tests",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        print(
            f"--jobs {args.jobs}; {os.cpu_count()} cores; load average before {load_before[0]:.1f}"
        )
        print(
            f"{'homework':10} {'ours /min':>10} {'otter /min':>11} {'ratio':>6} "
            f"{'ours CPU s':>11} {'otter CPU s':>12} {'ratio':>6} {'target':>7}",
            flush=True,
        )
        for group, hws in GROUPS.items():
            meters = [CpuMeter(f"bench-grading-{os.getpid()}-{side}") for side in "ab"]
            try:
                n_ours, t_ours = ours(tmp, hws, args.copies, args.jobs, meters[0])
                n_otter, t_otter = otters(tmp, hws, args.otter_copies, args.jobs, meters[1])
                cpu = [m.seconds() for m in meters]
            finally:
                for meter in meters:
                    meter.close()
            rate_ours, rate_otter = 60 * n_ours / t_ours, 60 * n_otter / t_otter
            if None in cpu:
                cpu_text = f"{'-':>11} {'-':>12} {'-':>6}"
            else:
                per = [cpu[0] / n_ours, cpu[1] / n_otter]
                cpu_text = f"{per[0]:11.2f} {per[1]:12.2f} {per[1] / per[0]:5.1f}x"
            print(
                f"{group:10} {rate_ours:10.1f} {rate_otter:11.1f} "
                f"{rate_ours / rate_otter:5.1f}x {cpu_text} {'>= 4x':>7}",
                flush=True,
            )
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
