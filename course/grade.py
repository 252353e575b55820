"""Grade a batch of submissions: one process per submission, a wall-clock timeout, one CSV.

Each submission is graded by :mod:`course.worker` in a process
forked from a warm forkserver, in a fresh temporary directory (so a submission
that deletes or writes files only touches that copy) and in its own session. If
it outlasts ``timeout`` seconds, its whole process tree is killed. Whatever happens, every
submission gets exactly one row: its scores and ``ok``, or zeros and
``timeout`` / ``error: ...``. The rows follow the order of the file names, so
rerunning on the same inputs gives the same CSV.
"""

import csv
import json
import multiprocessing
import os
import re
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

def result_name(submission):
    """A file name for a submission's JSON that stays unique across folders.

    >>> result_name("submissions/alice/hw1.ipynb")
    'submissions__alice__hw1.json'
    >>> result_name("../odd name!.ipynb")
    '___odd_name_.json'
    """
    stem = os.path.splitext(os.path.normpath(submission))[0]
    return re.sub(r"[^A-Za-z0-9._-]", "_", stem.replace(os.sep, "__")).replace("..", "_") + ".json"


def make_row(submission, questions, result):
    """One CSV row (a dict) from a worker's result; missing questions score 0.

    >>> from course import Question
    >>> qs = [Question("q1", 2), Question("q2", 3)]
    >>> make_row("a.ipynb", qs, {"status": "ok", "scores": {"q1": {"score": 2.0}}})
    {'file': 'a.ipynb', 'q1': 2, 'q2': 0, 'total': 2, 'max': 5, 'status': 'ok'}
    >>> make_row("b.ipynb", qs, {"status": "timeout", "scores": {}})["total"]
    0
    """
    row = {"file": submission}
    for q in questions:
        row[q.name] = _number(result["scores"].get(q.name, {}).get("score", 0))
    row["total"] = _number(sum(row[q.name] for q in questions))
    row["max"] = _number(sum(q.points for q in questions))
    row["status"] = result["status"]
    return row


def _number(x):
    """Round away floating-point noise; show whole numbers as ints."""
    x = round(float(x), 6)
    return int(x) if x.is_integer() else x


def _kill_tree(pid):
    """Kill a worker, its process group and every process it started."""
    try:
        import psutil

        procs = psutil.Process(pid).children(recursive=True)
    except Exception:  # psutil missing, or the worker already gone
        procs = []
    for proc in procs:
        try:
            proc.kill()
        except Exception:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _context():
    """A forkserver that has imported otter and the scientific stack once."""
    # One core per submission: BLAS threads would fight over the --jobs processes,
    # and threads must not exist in the forkserver when it forks.
    for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
        os.environ[var] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["course._preload"])
    warm_up = ctx.Process(target=os.getpid)  # start the server before any clock runs
    warm_up.start()
    warm_up.join()
    return ctx


def grade_one(ctx, submission, autograder, name, timeout):
    """Grade one submission in a forked worker; return the worker's result dict."""
    from .worker import run

    with tempfile.TemporaryDirectory(prefix="grade-", ignore_cleanup_errors=True) as tmp:
        out = Path(tmp, "result.json")
        work = Path(tmp, "work")
        work.mkdir()
        proc = ctx.Process(target=run, args=(str(Path(submission).resolve()),
                                             str(Path(autograder).resolve()), name,
                                             str(out), str(work)))
        proc.start()
        proc.join(timeout)
        timed_out = proc.is_alive()
        _kill_tree(proc.pid)  # also whatever a finished submission left running
        proc.join()
        if timed_out:
            return {"status": "timeout", "scores": {}}
        try:
            return json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"status": f"error: grading failed (worker exit code {proc.exitcode})",
                    "scores": {}}


def grade_batch(name, submissions, questions, autograder, out_csv, *, timeout=60, jobs=1):
    """Grade ``submissions`` of homework ``name``; write the CSV and one JSON per submission.

    Returns the list of rows written.
    """
    submissions = sorted(dict.fromkeys(str(s) for s in submissions))
    out_csv = Path(out_csv)
    json_dir = out_csv.with_name(out_csv.stem + "-results")
    json_dir.mkdir(parents=True, exist_ok=True)

    ctx = _context()

    def run(submission):
        start = time.monotonic()
        try:
            result = grade_one(ctx, submission, autograder, name, timeout)
        except Exception as exc:  # never lose a row, whatever happened
            result = {"status": f"error: grader crashed ({type(exc).__name__}: {exc})"[:250],
                      "scores": {}}
        result["seconds"] = round(time.monotonic() - start, 1)
        result["file"] = submission
        (json_dir / result_name(submission)).write_text(
            json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
        return make_row(submission, questions, result)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(run, submissions))

    fields = ["file", *[q.name for q in questions], "total", "max", "status"]
    with open(out_csv, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows
