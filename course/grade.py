"""Grade a batch of submissions into one CSV: each in two processes, one row each.

Each path is checked first: only a regular file of at most
:data:`MAX_SUBMISSION` bytes is a submission, read once (a symbolic link, a
FIFO, a device or a folder named ``*.ipynb`` gets a row with a status). The
autograder archive's tests are read once into memory. For each submission a
grading process (:mod:`course.worker`, forked from a warm forkserver that has
imported otter and the scientific stack once, with a memory limit of its own)
starts the submission's own process (:mod:`course._runner`) fresh, in a
bubblewrap sandbox (:mod:`course.sandbox`) whose only writable folder holds
the notebook, with memory, file-size, process and CPU limits. The grading
process holds the tests and never runs submission code; the submission's
process never sees the tests. Whatever happens, every submission gets exactly
one row: its scores and ``ok``, or the scores it earned before it stopped and a
status naming what happened (``timeout (60 s)``, ``error: memory limit (2
GiB)``, ``error: cell 3 raised NameError: ...``). The rows follow the order of
the file names, so rerunning on the same inputs gives the same CSV and the
same result files. Questions and points come from the autograder archive; the
questions graded by hand (``manual: true``, which the archive does not know)
from the master: their answers are collected into pages, not scored
(:mod:`course.manual`). What a batch writes (the CSV, the result files, the
answer pages) is :func:`write_batch`'s; a shard of a batch goes to
:mod:`course.shards` instead, for ``collect`` to write the same files.
"""

import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .batch import MAX_SUBMISSION, read_submission  # noqa: F401  (re-exported)
from .masters import natural_key
from .results import (  # noqa: F401  (what a batch writes; re-exported for callers)
    make_row,
    manual_dir,
    not_run_answers,
    question_order,
    result_text,
    results_dir,
    write_batch,
)

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


def read_tests(autograder):
    """``{question: OK-format test spec}`` of an autograder zip, read into memory (natural order).

    Each ``tests/*.py`` of the archive is parsed by the one reader of otter's test
    files (:func:`course._otter.archive_specs`), never executed and never written
    anywhere. A test file of another form is a ``ValueError``.
    """
    from . import _otter

    tests = _otter.archive_specs(autograder)
    return {q: tests[q] for q in sorted(tests, key=natural_key)}


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


def modules_to_preload(imports, tests):
    """Modules that the set-up ``imports`` and the ``tests``' code import (dotted names, sorted).

    >>> modules_to_preload(["import numpy as np", "from sklearn.metrics import f1_score"],
    ...                    {"q1": {"suites": [{"cases": [{"code": ">>> import scipy.stats"}]}]}})
    ['numpy', 'scipy.stats', 'sklearn.metrics']
    """
    import ast
    import doctest

    sources = list(imports)
    for spec in tests.values():
        for suite in spec.get("suites", []):
            for case in suite.get("cases", []):
                sources += [e.source for e in doctest.DocTestParser().get_examples(case["code"])]
    found = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return sorted(m for m in found if m.split(".")[0] not in ("otter", "course"))


def _context(preload=()):
    """A forkserver that has imported otter, NumPy and the modules ``preload`` once."""
    # One core per submission: BLAS threads would fight over the --jobs processes,
    # and threads must not exist in the forkserver when it forks.
    for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
        os.environ[var] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["course._preload", *preload])
    warm_up = ctx.Process(target=os.getpid)  # start the server before any clock runs
    warm_up.start()
    warm_up.join()
    return ctx


def grade_one(ctx, content, name, folder, options):
    """Grade one submission (its bytes) in a forked grading process; return its result dict.

    ``options`` holds ``tests`` (from :func:`read_tests`) and the keyword
    arguments of :func:`course.worker.grade`.
    """
    from .worker import run

    out = Path(folder, "result.json")
    options = dict(options)
    tests = options.pop("tests")
    proc = ctx.Process(target=run, args=(content, tests, name, str(out), str(folder), options))
    proc.start()
    proc.join(options["timeout"] + 60)  # the grading process keeps the timeout itself
    timed_out = proc.is_alive()
    _kill_tree(proc.pid)
    proc.join(30)
    if timed_out:
        return {"status": f"timeout ({options['timeout']:g} s)", "scores": {}}
    try:
        if out.stat().st_size > 2**20:
            raise ValueError("result too large")
        return json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {
            "status": f"error: grading failed (grading process exit code {proc.exitcode})",
            "scores": {},
        }


def _check_python_starts(ctx, name, base, options):
    """Grade an empty notebook first: raise :class:`course.sandbox.SandboxUnavailable`
    if Python does not start in the sandbox.

    No submission can keep its own process from starting (it has run nothing
    by then), so when that fails the grader is at fault, for every submission:
    a clone under /tmp once had its Python hidden by the sandbox's own /tmp, and
    every row of the batch said "did not start". One refusal instead.
    """
    import nbformat

    from .sandbox import SandboxUnavailable, python_paths

    folder = base / "python-check"
    folder.mkdir(mode=0o711)
    empty = nbformat.writes(nbformat.v4.new_notebook()).encode()
    try:
        result = grade_one(ctx, empty, name, folder, {**options, "cgroup_name": None})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if "did not start" in result["status"]:
        raise SandboxUnavailable(
            f"Python ({sys.executable}) does not start in the sandbox: an empty notebook "
            f'ended with "{result["status"]}". The sandbox shows {", ".join(python_paths())} '
            "read-only and gives the submission its own /tmp, /dev and /proc (docs/security.md)"
        )


_warned = set()


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)


#: The status every row gets when the batch ran with ``--unsafe-no-sandbox``.
UNSAFE = "unsafe: graded without a sandbox (--unsafe-no-sandbox)"
#: Memory limit (RLIMIT_AS) of each grading process, the trusted side.
GRADER_MEMORY = 6 * 2**30


def grade_batch(
    name,
    submissions,
    autograder,
    out_csv,
    *,
    master_cells=(),
    timeout=60,
    jobs=1,
    limits=None,
    statuses=None,
    shard=None,
    unsafe_no_sandbox=False,
):
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

    Each submission runs in a bubblewrap sandbox (:mod:`course.sandbox`).
    Where that is impossible, :class:`course.sandbox.SandboxUnavailable` is
    raised before anything runs, unless ``unsafe_no_sandbox``: then every
    row's status says :data:`UNSAFE`.
    """
    from .batch import shard_slice
    from .manual import manual_questions
    from .master import archive_questions

    statuses = dict(statuses or {})
    batch = sorted(dict.fromkeys([*map(str, submissions), *statuses]))
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    limits.setdefault("cpu", int(timeout) + 10)
    questions = archive_questions(autograder)
    manual = manual_questions(master_cells)
    clash = {q.name for q in manual} & {q.name for q in questions}
    if clash:
        raise ValueError(
            f"question {sorted(clash)[0]!r} is manual in the master but has tests "
            "in the autograder archive: run `python -m course assign`"
        )
    todo = shard_slice(batch, *shard) if shard else batch
    results = {s: {"status": statuses[s], "scores": {}} for s in todo if s in statuses}
    ran, answers = run_submissions(
        name,
        [s for s in todo if s not in statuses],
        autograder,
        master_cells=master_cells,
        timeout=timeout,
        jobs=jobs,
        limits=limits,
        manual=manual,
        unsafe_no_sandbox=unsafe_no_sandbox,
    )
    results.update(ran)
    results = {s: {**results[s], "file": s} for s in todo}
    answers.update(not_run_answers([s for s in todo if s in statuses], manual, statuses))
    if shard:
        from .shards import write_shard

        options = {"timeout": timeout, "limits": limits, "unsafe_no_sandbox": unsafe_no_sandbox}
        return write_shard(
            out_csv, name, batch, shard, autograder, options, questions, manual, results, answers
        )
    return write_batch(out_csv, name, batch, questions, manual, results, answers)


def run_submissions(
    name,
    submissions,
    autograder,
    *,
    master_cells=(),
    timeout=60,
    jobs=1,
    limits=None,
    manual=(),
    unsafe_no_sandbox=False,
):
    """Run and score each submission in its sandbox.

    Returns ``({submission: result}, {submission: answers})``.

    Every submission gets a result, whatever happened (``status`` and
    ``scores``, the scores it earned before it stopped), and, if the homework
    has ``manual`` questions, its written answers, read from the same bytes
    that were graded (never executed). Nothing is written.
    """
    from . import _landlock
    from .manual import collect_answers
    from .master import read_cells, samples_needed, setup_of
    from .sandbox import SandboxUnavailable, check
    from .worker import Cgroup

    if not submissions:
        return {}, {}

    sandbox = True
    try:
        check()
    except SandboxUnavailable as exc:
        if not unsafe_no_sandbox:
            raise SandboxUnavailable(
                f"{exc}. Submissions are only graded in the sandbox; "
                "`--unsafe-no-sandbox` grades them without it"
            ) from None
        sandbox = False
        _warn_once(f"{exc}: grading WITHOUT a sandbox, as asked (--unsafe-no-sandbox)")
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    limits.setdefault("cpu", int(timeout) + 10)
    tests = read_tests(autograder)  # into memory, once: no test file is ever written
    master = read_cells(master_cells)  # read once: set-up, manual questions, samples
    setup = setup_of(master)
    options = {
        "setup": setup,
        "limits": limits,
        "timeout": timeout,
        "tests": tests,
        "sandbox": sandbox,
        "grader_memory": max(GRADER_MEMORY, 2 * limits["memory"]),
    }
    # the forkserver imports its libraries while this process goes on
    server = ThreadPoolExecutor(max_workers=1).submit(
        _context, modules_to_preload(setup["imports"], tests)
    )
    ctx = server.result()

    if not sandbox and _landlock.abi_version() < 1:
        _warn_once(
            "this kernel has no Landlock either: submissions can read and write any "
            "file this user can and open network connections (see docs/security.md)"
        )
    probe = Cgroup.create(f"course-grade-probe-{os.getpid()}", 1)
    if probe is None:
        _warn_once(
            "no writable pids cgroup: the number of processes is not limited, "
            "only killed at the end (see docs/security.md)"
        )
    else:
        probe.kill_all()

    options["data"] = {}
    for n, seed in samples_needed(master):  # read once for the whole batch
        from lecture_code import mnist_sample

        options["data"][f"{n}-{seed}"] = mnist_sample(n, random_state=seed)
    # the sandbox user may pass through (not list) the batch's folder to its staged files
    base = Path(tempfile.mkdtemp(prefix="course-grade-")).resolve()
    base.chmod(0o711)

    def run(job):
        index, submission = job
        content, status = read_submission(submission)
        folder = base / str(index)
        folder.mkdir(mode=0o711)
        cgroup = f"course-grade-{os.getpid()}-{index}" if probe else None
        try:
            if content is None:
                result = {"status": status, "scores": {}}
            else:
                result = grade_one(ctx, content, name, folder, {**options, "cgroup_name": cgroup})
        except Exception as exc:  # never lose a row, whatever happened
            result = {
                "status": f"error: grader crashed ({type(exc).__name__}: {exc})"[:250],
                "scores": {},
            }
        finally:
            if cgroup:  # a grading process that was killed leaves its cgroup behind
                Cgroup.remove(cgroup)
            shutil.rmtree(folder, ignore_errors=True)
        if not sandbox:
            result["status"] = f"{result['status']}; {UNSAFE}"
        if manual:  # the answers are read from the same bytes, never executed
            answers[submission] = collect_answers(content, manual, status)
        return submission, result

    answers = {}

    try:
        if sandbox:
            _check_python_starts(ctx, name, base, options)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = dict(pool.map(run, enumerate(submissions)))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results, answers
