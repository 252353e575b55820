"""A batch of submissions: which files, checked before grading; the files written after.

The inputs: :func:`expand` turns the command line's paths into notebook files,
:func:`homework_of` reads which homework a notebook belongs to (the
``assignment_name`` that ``otter assign`` writes into its metadata), and
:func:`check_batch` names every path that cannot be graded as the homework
asked for. The outputs: :func:`result_names` gives each submission a readable
file name for its details, and :func:`write_outputs` writes the grades CSV,
the details and the pages of the questions graded by hand without ever losing
what an instructor wrote: the scores already entered in ``scores.csv`` are kept,
matched by submission, and any file a person may have changed is backed up
with a timestamp before it is replaced (:func:`backup`).
"""

import csv
import hashlib
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

#: A CSV cell starting with one of these is a formula to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BatchError(ValueError):
    """Problems with the inputs of a batch, one per line, each naming its path."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def plural(n, word, many=None):
    """``1 submission``, ``2 submissions``, ``0 submissions``.

    >>> plural(1, "submission"), plural(3, "submission"), plural(2, "was", "were")
    ('1 submission', '3 submissions', '2 were')
    """
    return f"{n} {word if n == 1 else (many or word + 's')}"


def expand(paths):
    """The notebooks named by ``paths``, and the problems: ``(files, {path: problem})``.

    A file is taken as given; a folder stands for the ``*.ipynb`` files under
    it (Jupyter's autosaved copies in ``.ipynb_checkpoints/`` are not
    submissions). A path that does not exist, and a folder without notebooks,
    are problems, keyed by the path as given.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     Path(d, "ann").mkdir(); Path(d, "ann", "hw1.ipynb").touch(); Path(d, "empty").mkdir()
    ...     files, problems = expand([d, f"{d}/nobody.ipynb", f"{d}/empty"])
    ...     [Path(f).relative_to(d).as_posix() for f in files], sorted(problems.values())
    (['ann/hw1.ipynb'], ['no notebooks (*.ipynb) in this folder', 'not found'])
    """
    files, problems = [], {}
    for given in map(str, paths):
        path = Path(given)
        if path.is_dir():
            found = sorted(
                str(f)
                for f in path.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in f.relative_to(path).parts
            )
            if not found:
                problems[given] = "no notebooks (*.ipynb) in this folder"
            files.extend(found)
        elif path.exists():
            files.append(os.path.normpath(given))  # ./a.ipynb and a.ipynb are one file
        else:
            problems[given] = "not found"
    return files, problems


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

    kinds = [
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ]

    def not_regular(mode):
        kind = next((name for test, name in kinds if test(mode)), "not a regular file")
        return None, f"error: not a submission: {kind}, not a regular file"

    try:
        info = os.lstat(path)
    except OSError as exc:
        return None, f"error: cannot read the file ({exc.strerror or type(exc).__name__})"
    if not stat.S_ISREG(info.st_mode):
        return not_regular(info.st_mode)
    too_large = (None, f"error: file too large ({info.st_size:,} bytes; the limit is {limit:,})")
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


def homework_of(path):
    """The assignment name ``otter assign`` wrote into a notebook, or None if it cannot tell.

    ``otter assign`` stores it as ``metadata["otter"]["assignment_name"]``.
    The file is read as grading reads it (:func:`read_submission`: a regular
    file of bounded size, never through a link, never a FIFO or a device), and
    only its JSON is parsed: nothing in it runs. A file that is not a readable
    notebook gives None (grading reports it with its own status).
    """
    content, _ = read_submission(path)
    if content is None:
        return None
    try:
        name = json.loads(content.decode("utf-8"))["metadata"]["otter"]["assignment_name"]
    except (ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


def preflight(homework, paths, shard=None):
    """The batch and what cannot be graded in it: ``(batch, files, statuses)``.

    ``batch`` is every path of the batch in sorted order (the notebooks found,
    and the paths that are problems), the same on every machine; ``files`` the
    notebooks to grade (of shard ``(k, n)`` only, if given); ``statuses`` the
    problems of that shard's paths as statuses, e.g. ``"error: not found"``,
    ``"error: no notebooks (*.ipynb) in this folder"`` or ``"error: a notebook
    of hw4, not hw1"``. A notebook that does not say its homework is graded (a
    missing ``metadata.otter``, or no notebook at all: grading says so).
    """

    found, problems = expand(paths)
    batch = sorted(dict.fromkeys([*found, *problems]))
    todo = shard_slice(batch, *shard) if shard else batch
    statuses = {p: f"error: {problems[p]}" for p in todo if p in problems}
    for path in todo:
        name = None if path in problems else homework_of(path)
        if name is not None and name != homework:
            statuses[path] = f"error: a notebook of {name}, not {homework}"
    files = [p for p in todo if p not in statuses]
    return batch, files, dict(sorted(statuses.items()))


def _safe_part(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"


def result_names(submissions):
    """A readable JSON file name for each submission, distinct for distinct paths.

    The folders all submissions share are left out, the rest of the path is
    joined with ``__`` (``alice/hw1.ipynb`` gives ``alice__hw1.json``; ``..`` and
    the root are left out), and any
    character other than letters, digits, ``.``, ``-`` and ``_`` becomes ``_``.
    Only names that would then collide (also when compared without case, as on
    macOS) get the first 8 hex digits of the SHA-256 of their path appended, so
    the names depend only on the paths of the batch, not on the machine.

    >>> names = result_names(["subs/alice/hw1.ipynb", "subs/bob/hw1.ipynb",
    ...                       "subs/a b/hw1.ipynb", "subs/a_b/hw1.ipynb"])
    >>> names["subs/alice/hw1.ipynb"], names["subs/bob/hw1.ipynb"]
    ('alice__hw1.json', 'bob__hw1.json')
    >>> sorted(names[p] for p in ["subs/a b/hw1.ipynb", "subs/a_b/hw1.ipynb"])
    ['a_b__hw1-8e4260bd.json', 'a_b__hw1-98b455fc.json']
    >>> result_names(["subs/alice/hw1.ipynb"])
    {'subs/alice/hw1.ipynb': 'hw1.json'}
    """
    parts = {s: Path(os.path.normpath(s)).with_suffix("").parts for s in submissions}
    if not parts:
        return {}
    common = 0
    folders = [p[:-1] for p in parts.values()]
    while all(len(f) > common and f[common] == folders[0][common] for f in folders):
        common += 1
    names = {
        s: "__".join(_safe_part(x) for x in p[common:] if x not in ("..", os.sep)) or "_"
        for s, p in parts.items()
    }
    taken = Counter(n.lower() for n in names.values())
    return {
        s: (n if taken[n.lower()] == 1 else f"{n}-{hashlib.sha256(s.encode()).hexdigest()[:8]}")
        + ".json"
        for s, n in names.items()
    }


def backup(path, *, now=None):
    """Move ``path`` aside to ``<stem>-backup-<UTC time><suffix>``; return the new path.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     Path(d, "scores.csv").write_text("file,q3b\\n")
    ...     backup(Path(d, "scores.csv"), now=0).name
    9
    'scores-backup-19700101-000000.csv'
    """
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    target, n = path.with_name(f"{path.stem}-backup-{stamp}{path.suffix}"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}-backup-{stamp}-{n}{path.suffix}")
    path.rename(target)
    return target


def csv_safe(value):
    """A CSV cell that no spreadsheet runs as a formula: text starting ``= + - @`` gets a ``'``.

    >>> csv_safe("=HYPERLINK(1)"), csv_safe("-2+3"), csv_safe("a.ipynb"), csv_safe(1.5)
    ("'=HYPERLINK(1)", "'-2+3", 'a.ipynb', 1.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def read_scores(path):
    """The filled-in ``scores.csv``: ``(columns, {file: row})``; later rows of a file win."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), {r.get("file") or "": r for r in rows}


def keep_scores(old_path, files, questions):
    """The rows of a new ``scores.csv``, keeping what was entered in ``old_path``.

    ``files`` are the submissions of the new batch (in row order). A submission
    already in the old file keeps its scores; a new one gets empty cells.
    Returns ``(rows, report)`` where ``report`` says whether the old file
    ``existed``, counts ``kept`` (submissions
    with a score kept), ``new`` (submissions added) and lists ``dropped``: the
    submissions, and columns, with scores the new file cannot hold (no longer
    in the batch, or no longer a manual question).
    """
    names = [q.name for q in questions]
    old_columns, old, dropped = [], {}, []
    if Path(old_path).exists():
        try:
            old_columns, old = read_scores(old_path)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            dropped.append(f"everything: the old file cannot be read ({exc})")
    rows, kept, new = [], 0, 0
    for f in files:
        before = old.get(csv_safe(f))  # the file names were written spreadsheet-safe
        if before is None:
            new += 1
        elif any((before.get(n) or "").strip() for n in names):
            kept += 1
        rows.append({"file": f, **{n: (before or {}).get(n) or "" for n in names}})
    written = lambda row, cols: [c for c in cols if (row.get(c) or "").strip()]  # noqa: E731
    listed = {csv_safe(f) for f in files}
    dropped += [
        f"submission {f!r} (no longer in the batch)"
        for f, row in old.items()
        if f not in listed and written(row, names + old_columns[1:])
    ]
    gone = [
        c
        for c in old_columns
        if c not in ("file", *names) and any((r.get(c) or "").strip() for r in old.values())
    ]
    dropped += [f"column {c!r} (not a manual question)" for c in gone]
    return rows, {"existed": Path(old_path).exists(), "kept": kept, "new": new, "dropped": dropped}


#: The record, in each output folder, of what this tooling last wrote there (SHA-256 by name).
WRITTEN = ".course-written.json"


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_output(path, text):
    """Write ``text`` to ``path``, backing up a file there that a person wrote or changed.

    The folder's :data:`WRITTEN` record holds the SHA-256 of each file this
    tooling wrote. An existing file with other content than recorded (one you
    edited, filled in, or wrote yourself) is first moved to a timestamped backup
    (:func:`backup`); one still as written is simply replaced. Creates the
    folder. Returns the backup's path, or None.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record_path = path.parent / WRITTEN
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        record = record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        record = {}
    data, saved = text.encode("utf-8"), None
    if path.exists():
        old = path.read_bytes()
        if old == data:
            return None
        if record.get(path.name) != _sha256(old):
            saved = backup(path)
    path.write_bytes(data)
    record[path.name] = _sha256(data)
    record_path.write_text(
        json.dumps(dict(sorted(record.items())), indent=1) + "\n", encoding="utf-8"
    )
    return saved


def shard_slice(batch, k, n):
    """The submissions of shard ``k`` of ``n``: every n-th of the sorted batch from the k-th.

    >>> shard_slice(["e", "a", "c", "b", "d"], 1, 2), shard_slice(["e", "a", "c", "b", "d"], 2, 2)
    (['a', 'c', 'e'], ['b', 'd'])
    """
    return sorted(batch)[k - 1 :: n]
