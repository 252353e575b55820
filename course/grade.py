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

from .master import archive_questions, read_cells, samples_needed, setup_of  # noqa: F401
from .masters import natural_key
from .masters import tidy_number as _number

#: Default limits of a submission's process.
DEFAULT_LIMITS = {"memory": 2 * 2**30, "file_size": 64 * 2**20, "processes": 64}


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
                jobs=1, limits=None, statuses=None, shard=None):
    """Grade ``submissions`` of homework ``name``; write the CSV and one JSON per submission.

    ``master_cells`` are the master's cells (its set-up imports and data, and
    its questions graded by hand); ``limits`` overrides :data:`DEFAULT_LIMITS`.
    ``statuses`` maps paths that are not to be run (a path not found, a
    notebook of another homework) to their status: they get a row with it and
    0 points. If the homework has manual questions, their answers go to one
    page per question in the folder ``<out>-manual/`` beside the CSV, with a
    ``scores.csv`` to fill in that keeps the scores already entered
    (:mod:`course.manual`). With ``shard=(k, n)`` only the k-th of n slices of
    the batch is graded, into its shard folder (:mod:`course.shards`), for
    ``collect`` to write the same files later. Returns the report of
    :func:`write_batch` (or :func:`course.shards.write_shard`).
    """
    from .manual import manual_questions
    from .shards import shard_slice

    statuses = dict(statuses or {})
    batch = sorted(dict.fromkeys([*map(str, submissions), *statuses]))
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    limits.setdefault("cpu", int(timeout) + 10)
    questions = archive_questions(autograder)
    manual = manual_questions(master_cells)
    clash = {q.name for q in manual} & {q.name for q in questions}
    if clash:
        raise ValueError(f"question {sorted(clash)[0]!r} is manual in the master but has tests "
                         "in the autograder archive: run `python -m course assign`")
    todo = shard_slice(batch, *shard) if shard else batch
    results = {s: {"status": statuses[s], "scores": {}} for s in todo if s in statuses}
    results.update(run_submissions(name, [s for s in todo if s not in statuses], autograder,
                                   master_cells=master_cells, timeout=timeout, jobs=jobs,
                                   limits=limits))
    results = {s: {**results[s], "file": s} for s in todo}
    answers = collect_all_answers(todo, manual, statuses)
    if shard:
        from .shards import write_shard

        return write_shard(out_csv, name, batch, shard, autograder,
                           {"timeout": timeout, "limits": limits}, questions, manual,
                           results, answers)
    return write_batch(out_csv, name, batch, questions, manual, results, answers)


def collect_all_answers(submissions, manual, statuses=None):
    """Each submission's written answers to the ``manual`` questions (read, never run)."""
    from .manual import collect_answers

    if not manual:
        return {}
    statuses = statuses or {}
    return {s: ({q.name: None for q in manual} | {"_error": f"not graded ({statuses[s]})"}
                if s in statuses else collect_answers(s, manual)) for s in submissions}


def result_text(result):
    """A submission's details as written to its JSON file (no time in it: reproducible)."""
    return json.dumps({k: v for k, v in result.items() if k != "seconds"}, indent=1,
                      sort_keys=True) + "\n"


def write_batch(out_csv, name, batch, questions, manual, results, answers):
    """Write what grading ``batch`` gives: the CSV, ``<out>-results/``, ``<out>-manual/``.

    ``results`` maps every submission of ``batch`` to its result dict and
    ``answers`` to its written answers (if the homework has ``manual``
    questions). Details of submissions no longer in the batch are removed from
    ``<out>-results/`` (they are generated; the CSV is the record), a CSV or
    ``scores.csv`` that a person changed is backed up with a timestamp, and the
    scores entered in ``scores.csv`` are kept. Returns a report dict: ``rows``,
    ``backups``, ``removed`` (submissions of the CSV it replaces that are not in
    the batch) and, with manual questions,
    ``manual`` (:func:`course.manual.write_answers`'s report).
    """
    from .batch import csv_safe, result_names
    from .manual import write_answers, write_rows

    out_csv = Path(out_csv)
    names = result_names(batch)
    json_dir = results_dir(out_csv)
    json_dir.mkdir(parents=True, exist_ok=True)
    for submission in batch:
        (json_dir / names[submission]).write_text(result_text(results[submission]),
                                                  encoding="utf-8")
    current = set(names.values())
    for stale in json_dir.glob("*.json"):
        if stale.name not in current:
            stale.unlink()
    listed = {csv_safe(s) for s in batch}  # the CSV holds the file names spreadsheet-safe
    removed = [f for f in previous_files(out_csv) if f not in listed]
    rows = [make_row(s, questions, results[s], manual) for s in batch]
    fields = list(make_row("", questions, {"status": "", "scores": {}}, manual))
    backups = [write_rows(out_csv, fields, rows)]
    report = {"rows": rows, "removed": removed}
    if manual:
        report["manual"] = write_answers(manual_dir(out_csv), name, manual,
                                         {s: answers[s] for s in batch})
        backups += report["manual"]["backups"]
    report["backups"] = [b for b in backups if b]
    return report


def previous_files(out_csv):
    """The submissions in an existing grades CSV (none if there is none, or it is unreadable)."""
    import csv

    try:
        with open(out_csv, newline="", encoding="utf-8") as f:
            return [row.get("file") or "" for row in csv.DictReader(f)]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def run_submissions(name, submissions, autograder, *, master_cells=(), timeout=60, jobs=1,
                    limits=None):
    """Run and score each submission in its sandbox: ``{submission: result dict}``.

    Every submission gets a result, whatever happened (``status`` and
    ``scores``, the scores it earned before it stopped). Nothing is written.
    """
    from . import _landlock
    from .worker import Cgroup

    if not submissions:
        return {}
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    limits.setdefault("cpu", int(timeout) + 10)
    master = read_cells(master_cells)  # read once: set-up, manual questions, samples
    options = {"setup": setup_of(master), "limits": limits, "timeout": timeout}
    # the zygote and the forkserver import their libraries while this process reads the archive
    base = Path(tempfile.mkdtemp(prefix="course-grade-")).resolve()
    zygote = _start_zygote(base, options, limits)
    options["zygote"] = zygote and zygote[0]
    server = ThreadPoolExecutor(max_workers=1).submit(_context)

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
        return submission, result

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return dict(pool.map(run, enumerate(submissions)))
    finally:
        if zygote:
            _kill_tree(zygote[1].pid)
            zygote[1].wait()
        shutil.rmtree(base, ignore_errors=True)


def results_dir(out_csv):
    """The folder of the per-submission JSON files of a grades CSV: ``<stem>-results``."""
    return Path(out_csv).with_name(Path(out_csv).stem + "-results")


def manual_dir(out_csv):
    """The folder of the answer pages and ``scores.csv`` of a grades CSV: ``<stem>-manual``."""
    return Path(out_csv).with_name(Path(out_csv).stem + "-manual")
