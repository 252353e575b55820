"""Grade a batch of submissions into one CSV: each in two processes, one row each.

For each submission a grading process (:mod:`course.worker`, forked from a warm
forkserver that has imported otter and the scientific stack once) starts the
submission's own process (:mod:`course._runner`) fresh, in an empty folder of
its own, with memory, file-size, process and CPU limits and confined by
Landlock. The grading process holds the tests and never runs submission code;
the submission's process never sees the tests. Whatever happens, every
submission gets exactly one row: its scores and ``ok``, or the scores it earned
before it stopped and a status naming what happened (``timeout (60 s)``,
``error: memory limit (2 GiB)``, ``error: cell 3 raised NameError: ...``). The
rows follow the order of the file names, so rerunning on the same inputs gives
the same CSV. Questions and points come from the autograder archive; the
questions graded by hand (``manual: true``, which the archive does not know)
from the master: their answers are collected into pages, not scored
(:mod:`course.manual`).
"""

import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .manual import write_rows
from .master import archive_questions, read_cells, samples_needed, setup_of  # noqa: F401
from .masters import natural_key
from .masters import tidy_number as _number

#: Default limits of a submission's process.
DEFAULT_LIMITS = {"memory": 2 * 2**30, "file_size": 64 * 2**20, "processes": 64}


def result_name(submission):
    """A file name for a submission's JSON: a different name for every path (injective).

    Every character but letters, digits, ``.`` and ``-`` is written as ``_`` and
    its code point in hex, ``_`` itself included, so no two paths share a name.

    >>> result_name("submissions/alice/hw1.ipynb")
    'submissions_2falice_2fhw1.json'
    >>> result_name("a__b/c.ipynb") != result_name("a/b__c.ipynb")
    True
    """
    stem = os.path.splitext(os.path.normpath(submission))[0].replace(os.sep, "/")
    return re.sub(r"[^A-Za-z0-9.-]", lambda m: f"_{ord(m.group()):x}", stem) + ".json"


def parse_size(text):
    """Bytes in a size such as ``2G``, ``512M``, ``2GiB`` or ``1048576``.

    >>> parse_size("2G"), parse_size("512MiB"), parse_size("4096")
    (2147483648, 536870912, 4096)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"size must look like 2G, 512M or 1048576; got {text!r}")
    factor = 1024 ** " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * factor)


def make_row(submission, questions, result, manual=()):
    """One CSV row (a dict) from a worker's result; missing questions score 0.

    ``questions`` are the auto-graded questions, ``manual`` those graded by
    hand: their cells stay empty, and the row gives the auto-graded total and
    maximum and the manual maximum apart (no total that counts a manual
    question as 0 or as full marks). Columns follow the questions' natural order.

    >>> from course import Question
    >>> qs = [Question("q1", 2), Question("q2", 3)]
    >>> make_row("a.ipynb", qs, {"status": "ok", "scores": {"q1": {"score": 2.0}}})
    {'file': 'a.ipynb', 'q1': 2, 'q2': 0, 'auto total': 2, 'auto max': 5, 'manual max': 0, \
'status': 'ok'}
    >>> make_row("b.ipynb", qs, {"status": "timeout", "scores": {}},
    ...          [Question("q1b", 1, manual=True)])["q1b"]
    ''
    """
    scores = {q.name: _number(result["scores"].get(q.name, {}).get("score", 0)) for q in questions}
    row = {"file": submission}
    for name in question_order([*questions, *manual]):
        row[name] = scores.get(name, "")
    row["auto total"] = _number(sum(scores.values()))
    row["auto max"] = _number(sum(q.points for q in questions))
    row["manual max"] = _number(sum(q.points for q in manual))
    row["status"] = result["status"]
    return row


def question_order(questions):
    """Question names in natural order: q2 before q10, q3 before q3b before q4.

    >>> from course import Question
    >>> question_order([Question("q10", 1), Question("q3b", 1), Question("q3", 1)])
    ['q3', 'q3b', 'q10']
    """
    return sorted((q.name for q in questions), key=natural_key)


def _kill_tree(pid):
    """Kill a grading process, its process group and every process it started."""
    try:
        import psutil

        procs = psutil.Process(pid).children(recursive=True)
    except Exception:  # psutil missing, or the process already gone
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


def grade_one(ctx, submission, autograder, name, folder, options):
    """Grade one submission in a forked grading process; return its result dict."""
    from .worker import run

    out, work, run_dir = Path(folder, "result.json"), Path(folder, "work"), Path(folder, "run")
    work.mkdir(mode=0o700)
    run_dir.mkdir(mode=0o700)
    proc = ctx.Process(target=run, args=(str(Path(submission).resolve()),
                                         str(Path(autograder).resolve()), name, str(out),
                                         str(work), str(run_dir), options))
    proc.start()
    proc.join(options["timeout"] + 60)  # the grading process keeps the timeout itself
    timed_out = proc.is_alive()
    _kill_tree(proc.pid)
    proc.join()
    if timed_out:
        return {"status": f"timeout ({options['timeout']:g} s)", "scores": {}}
    try:
        return json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"status": f"error: grading failed (grading process exit code {proc.exitcode})",
                "scores": {}}


def _start_zygote(base, options, limits):
    """Start the batch's zygote (a fresh interpreter that forks warm runners); or None.

    Returns ``(socket path, Popen)``. The zygote holds the limits and confinement
    of every runner; a grading process only names the runner's folder.
    """
    import secrets
    import subprocess

    from .worker import _RUNNER, _read_only_paths, allowed_lecture_code

    path = base / f"zygote-{secrets.token_hex(16)}.sock"
    if len(str(path)) > 100:  # AF_UNIX paths are short; then each runner starts cold
        return None
    modules = [line.split()[1].split(".")[0] if line.startswith("import ") else line.split()[1]
               for line in options["setup"]["imports"]]
    preload = ["numpy", "scipy.special", "scipy.stats"] + [
        m for m in dict.fromkeys(modules) if not m.startswith(("lecture_code", "otter"))]
    config = {**limits, "allowed": allowed_lecture_code(options["setup"]["imports"]),
              "read_only": _read_only_paths(), "landlock": True, "preload": preload}
    env = {"PATH": "/usr/bin:/bin", "HOME": str(base), "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen([sys.executable, "-I", str(_RUNNER), "--zygote", str(path),
                             json.dumps(config)], cwd=base, env=env, start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(500):  # it binds the socket first thing (before importing anything heavy)
        if path.exists() or proc.poll() is not None:
            break
        time.sleep(0.01)
    return (str(path), proc) if path.exists() else None


_warned = set()


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)


def grade_batch(name, submissions, autograder, out_csv, *, master_cells=(), timeout=60,
                jobs=1, limits=None):
    """Grade ``submissions`` of homework ``name``; write the CSV and one JSON per submission.

    ``master_cells`` are the master's cells (its set-up imports and data, and
    its questions graded by hand); ``limits`` overrides :data:`DEFAULT_LIMITS`.
    If the homework has manual questions, their answers go to one page per
    question in the folder ``<out>-manual/`` beside the CSV, with a
    ``scores.csv`` to fill in (:mod:`course.manual`). Returns the list of rows written.
    """
    from . import _landlock
    from .manual import collect_answers, manual_questions, write_answers
    from .worker import Cgroup

    submissions = sorted(dict.fromkeys(str(s) for s in submissions))
    out_csv = Path(out_csv)
    json_dir = out_csv.with_name(out_csv.stem + "-results")
    json_dir.mkdir(parents=True, exist_ok=True)
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    limits.setdefault("cpu", int(timeout) + 10)
    master = read_cells(master_cells)  # read once: set-up, manual questions, samples
    options = {"setup": setup_of(master), "limits": limits, "timeout": timeout}
    # the zygote and the forkserver import their libraries while this process reads the archive
    base = Path(tempfile.mkdtemp(prefix="course-grade-")).resolve()
    zygote = _start_zygote(base, options, limits)
    options["zygote"] = zygote and zygote[0]
    server = ThreadPoolExecutor(max_workers=1).submit(_context)
    questions = archive_questions(autograder)
    manual = manual_questions(master)
    clash = {q.name for q in manual} & {q.name for q in questions}
    if clash:
        raise ValueError(f"question {sorted(clash)[0]!r} is manual in the master but has tests "
                         "in the autograder archive: run `python -m course assign`")

    if _landlock.abi_version() < 1:
        _warn_once("this kernel has no Landlock: submissions can read and write any file "
                   "this user can and open network connections (see the README)")
    elif _landlock.abi_version() < 6:
        _warn_once(f"Landlock ABI {_landlock.abi_version()}: "
                   + ("no network rules, " if _landlock.abi_version() < 4 else "")
                   + "no signal scoping (see the README)")
    probe = Cgroup.create(f"course-grade-probe-{os.getpid()}", 1)
    if probe is None:
        _warn_once("no writable pids cgroup: the number of processes is not limited, "
                   "only killed at the end (see the README)")
    else:
        probe.kill_all()

    options["data"] = {}
    for n, seed in samples_needed(master):  # read once for the whole batch
        from lecture_code import mnist_sample

        options["data"][f"{n}-{seed}"] = mnist_sample(n, random_state=seed)
    ctx = server.result()

    def run(job):
        index, submission = job
        start = time.monotonic()
        folder = base / str(index)
        folder.mkdir(mode=0o700)
        cgroup = f"course-grade-{os.getpid()}-{index}" if probe else None
        try:
            result = grade_one(ctx, submission, autograder, name, folder,
                               {**options, "cgroup_name": cgroup})
        except Exception as exc:  # never lose a row, whatever happened
            result = {"status": f"error: grader crashed ({type(exc).__name__}: {exc})"[:250],
                      "scores": {}}
        finally:
            if cgroup:  # a grading process that was killed leaves its cgroup behind
                Cgroup.remove(cgroup)
            shutil.rmtree(folder, ignore_errors=True)
        result["seconds"] = round(time.monotonic() - start, 1)
        result["file"] = submission
        (json_dir / result_name(submission)).write_text(
            json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
        if manual:  # the answers are read from the file's JSON, never executed
            answers[submission] = collect_answers(submission, manual)
        return make_row(submission, questions, result, manual)

    answers = {}

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            rows = list(pool.map(run, enumerate(submissions)))
    finally:
        if zygote:
            _kill_tree(zygote[1].pid)
            zygote[1].wait()
        shutil.rmtree(base, ignore_errors=True)

    fields = list(rows[0]) if rows else list(make_row("", questions, {"status": "", "scores": {}},
                                                      manual))
    write_rows(out_csv, fields, rows)
    if manual:
        write_answers(manual_dir(out_csv), name, manual,
                      {s: answers[s] for s in submissions})
    return rows


def manual_dir(out_csv):
    """The folder of the answer pages and ``scores.csv`` of a grades CSV: ``<stem>-manual``."""
    return Path(out_csv).with_name(Path(out_csv).stem + "-manual")
