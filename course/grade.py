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
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .manual import write_rows
from .masters import Question, natural_key
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


def read_tests(autograder):
    """``{question: OK-format test spec}`` of an autograder zip, read into memory (natural order).

    Each ``tests/*.py`` of the archive is parsed, never executed and never
    written anywhere: its ``OK_FORMAT`` and ``test`` assignments must be
    literals (as otter writes them). A test file of another form is an error.
    """
    import ast

    tests = {}
    with zipfile.ZipFile(autograder) as zf:
        members = [m for m in zf.namelist() if re.fullmatch(r"tests/\w+\.py", m)]
        for member in members:
            source = zf.read(member).decode("utf-8")
            values = {}
            for node in ast.parse(source, filename=member).body:
                if (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name)):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
            if values.get("OK_FORMAT") is not True or not isinstance(values.get("test"), dict):
                raise ValueError(f"{autograder}: {member} is not an OK-format test file "
                                 "with literal values")
            tests[Path(member).stem] = values["test"]
    return {q: tests[q] for q in sorted(tests, key=natural_key)}


def archive_questions(autograder):
    """The questions and points of an autograder zip, from its test files (natural order)."""
    return _questions(read_tests(autograder))


#: Largest submission read (bytes); a larger file is a row with a status, unread.
MAX_SUBMISSION = 20 * 2**20


def read_submission(path, limit=MAX_SUBMISSION):
    """``(bytes, None)`` for a regular file of at most ``limit`` bytes, else ``(None, status)``.

    The path is never followed: a symbolic link, a FIFO, a device, a socket or a
    folder is not a submission, whatever its name. The file is opened without
    blocking and without following links, checked again on the open descriptor,
    and read once. No byte of it ever appears in a status.
    """
    import stat

    kinds = [(stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
             (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
             (stat.S_ISSOCK, "a socket")]

    def not_regular(mode):
        kind = next((name for test, name in kinds if test(mode)), "not a regular file")
        return None, f"error: not a submission: {kind}, not a regular file"

    try:
        info = os.lstat(path)
    except OSError as exc:
        return None, f"error: cannot read the file ({exc.strerror or type(exc).__name__})"
    if not stat.S_ISREG(info.st_mode):
        return not_regular(info.st_mode)
    too_large = (None, f"error: file too large ({info.st_size:,} bytes; the limit is "
                 f"{limit:,})")
    if info.st_size > limit:
        return too_large
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return None, f"error: cannot read the file ({exc.strerror or type(exc).__name__})"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())  # swapped between lstat and open?
        if not stat.S_ISREG(info.st_mode):
            return not_regular(info.st_mode)
        content = f.read(limit + 1)
    if len(content) > limit:
        return too_large
    return content, None


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


def _send_questions(tests, conn):
    conn.send([(q.name, q.points) for q in _questions(tests)])
    conn.close()


def _questions(tests):
    from .worker import test_files

    return [Question(q, _number(t.possible)) for q, t in test_files(tests).items()]


def questions_in(ctx, tests):
    """:func:`archive_questions` of ``tests``, computed in a process forked from ``ctx``.

    The forkserver has imported otter already; this process need not.
    """
    mine, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_send_questions, args=(tests, theirs))
    proc.start()
    theirs.close()
    try:
        if not mine.poll(120):
            raise RuntimeError("reading the questions of the autograder archive timed out")
        return [Question(name, points) for name, points in mine.recv()]
    finally:
        proc.join(10)


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
        return {"status": f"error: grading failed (grading process exit code {proc.exitcode})",
                "scores": {}}


def samples_needed(setup_cells):
    """``mnist_sample(n, random_state)`` calls with literal arguments in a master's set-up cells.

    >>> samples_needed([{"cell_type": "code",
    ...                  "source": "X, y = mnist_sample(n=5000, random_state=0)"}])
    [(5000, 0)]
    """
    import ast

    found = []
    for cell in setup_cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "mnist_sample"):
                kwargs = {k.arg: k.value for k in node.keywords}
                args = dict(zip(["n"], node.args)) | kwargs
                try:
                    found.append((ast.literal_eval(args.get("n", ast.Constant(5000))),
                                  ast.literal_eval(args.get("random_state", ast.Constant(0)))))
                except ValueError:
                    pass
    return sorted(set(found))


_warned = set()


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)


#: The status every row gets when the batch ran with ``--unsafe-no-sandbox``.
UNSAFE = "unsafe: graded without a sandbox (--unsafe-no-sandbox)"
#: Memory limit (RLIMIT_AS) of each grading process, the trusted side.
GRADER_MEMORY = 6 * 2**30


def grade_batch(name, submissions, autograder, out_csv, *, master_cells=(), timeout=60,
                jobs=1, limits=None, unsafe_no_sandbox=False):
    """Grade ``submissions`` of homework ``name``; write the CSV and one JSON per submission.

    ``master_cells`` are the master's cells (its set-up imports and data, and
    its questions graded by hand); ``limits`` overrides :data:`DEFAULT_LIMITS`.
    If the homework has manual questions, their answers go to one page per
    question in the folder ``<out>-manual/`` beside the CSV, with a
    ``scores.csv`` to fill in (:mod:`course.manual`). Returns the list of rows written.

    Each submission runs in a bubblewrap sandbox (:mod:`course.sandbox`).
    Where that is impossible, :class:`course.sandbox.SandboxUnavailable` is
    raised before anything runs, unless ``unsafe_no_sandbox``: then every
    row's status says :data:`UNSAFE`.
    """
    from . import _landlock
    from .manual import collect_answers, manual_questions, write_answers
    from .sandbox import SandboxUnavailable, check
    from .worker import Cgroup, setup_of

    sandbox = True
    try:
        check()
    except SandboxUnavailable as exc:
        if not unsafe_no_sandbox:
            raise SandboxUnavailable(f"{exc}. Submissions are only graded in the sandbox; "
                                     "`--unsafe-no-sandbox` grades them without it") from None
        sandbox = False
        _warn_once(f"{exc}: grading WITHOUT a sandbox, as asked (--unsafe-no-sandbox)")
    submissions = sorted(dict.fromkeys(str(s) for s in submissions))
    out_csv = Path(out_csv)
    json_dir = out_csv.with_name(out_csv.stem + "-results")
    json_dir.mkdir(parents=True, exist_ok=True)
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    limits.setdefault("cpu", int(timeout) + 10)
    tests = read_tests(autograder)  # into memory, once: no test file is ever written
    setup = setup_of(master_cells)
    options = {"setup": setup, "limits": limits, "timeout": timeout,
               "tests": tests, "sandbox": sandbox,
               "grader_memory": max(GRADER_MEMORY, 2 * limits["memory"])}
    # the forkserver imports its libraries while this process goes on
    server = ThreadPoolExecutor(max_workers=1).submit(
        _context, modules_to_preload(setup["imports"], tests))
    manual = manual_questions(master_cells)
    ctx = server.result()
    questions = questions_in(ctx, tests)
    clash = {q.name for q in manual} & {q.name for q in questions}
    if clash:
        raise ValueError(f"question {sorted(clash)[0]!r} is manual in the master but has tests "
                         "in the autograder archive: run `python -m course assign`")

    if not sandbox and _landlock.abi_version() < 1:
        _warn_once("this kernel has no Landlock either: submissions can read and write any "
                   "file this user can and open network connections (see docs/security.md)")
    probe = Cgroup.create(f"course-grade-probe-{os.getpid()}", 1)
    if probe is None:
        _warn_once("no writable pids cgroup: the number of processes is not limited, "
                   "only killed at the end (see docs/security.md)")
    else:
        probe.kill_all()

    options["data"] = {}
    for n, seed in samples_needed(master_cells):  # read once for the whole batch
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
            result = {"status": f"error: grader crashed ({type(exc).__name__}: {exc})"[:250],
                      "scores": {}}
        finally:
            if cgroup:  # a grading process that was killed leaves its cgroup behind
                Cgroup.remove(cgroup)
            shutil.rmtree(folder, ignore_errors=True)
        if not sandbox:
            result["status"] = f"{result['status']}; {UNSAFE}"
        result["file"] = submission
        (json_dir / result_name(submission)).write_text(
            json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
        if manual:  # the answers are read from the same bytes, never executed
            answers[submission] = collect_answers(content, manual, status)
        return make_row(submission, questions, result, manual)

    answers = {}

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            rows = list(pool.map(run, enumerate(submissions)))
    finally:
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
