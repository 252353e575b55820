"""Grading a batch in shards on several machines, and collecting the shards into one result.

``grade … --shard K/N`` grades the K-th of N slices of the batch: the batch's
paths in sorted order, every N-th from the K-th on (round robin, so a run of
slow submissions is spread over the shards). The order depends only on the
paths as given, so every machine computes the same slices. A shard writes its
rows, results and written answers to ``<out>-shards/shard-K-of-N/`` beside the
CSV it will become (first into a temporary folder, renamed when complete, so a
shard killed mid-way leaves nothing that looks finished), with a manifest
``shard.json``: the homework, the batch, the autograder zip's SHA-256 and the
options that change scores. ``collect`` checks that the N shards are all
there, once each, and of the same run, then writes exactly the files that
grading the batch on one machine writes (:func:`course.results.write_batch`).

``--shard auto/N`` takes K from the scheduler's array index:
``SLURM_ARRAY_TASK_ID`` (less ``SLURM_ARRAY_TASK_MIN``, so ``--array=0-3`` and
``--array=1-4`` both work), ``JOB_COMPLETION_INDEX`` (Kubernetes Indexed Jobs)
or ``AWS_BATCH_JOB_ARRAY_INDEX`` (AWS Batch array jobs), all counted from 0.
"""

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from .batch import shard_slice  # noqa: F401  (re-exported: the shards of a batch)

#: The scheduler's array index variables ``--shard auto/N`` reads, in this order.
INDEX_VARIABLES = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]

#: Version of the shard folder's format: collect refuses shards of another version.
FORMAT = 1


class ShardError(ValueError):
    """A ``--shard`` that cannot be used, or shards that cannot be collected (one per line)."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def parse_shard(text, environ=None):
    """``(k, n)`` from ``K/N`` (K counted from 1) or ``auto/N`` (the scheduler's index).

    >>> parse_shard("2/4")
    (2, 4)
    >>> parse_shard("auto/4", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0"})
    (4, 4)
    >>> parse_shard("auto/4", {"JOB_COMPLETION_INDEX": "0"})
    (1, 4)
    >>> parse_shard("5/4")
    Traceback (most recent call last):
    ...
    course.shards.ShardError: --shard 5/4: K must be from 1 to 4
    """
    environ = os.environ if environ is None else environ
    match = re.fullmatch(r"\s*(\d+|auto)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise ShardError(
            f"--shard must look like 2/4 (the 2nd of 4 slices) or auto/4; got {text!r}"
        )
    n = int(match.group(2))
    if n < 1:
        raise ShardError(f"--shard {text}: N must be at least 1")
    if match.group(1) != "auto":
        k = int(match.group(1))
        if not 1 <= k <= n:
            raise ShardError(f"--shard {text}: K must be from 1 to {n}")
        return k, n
    variable = next((v for v in INDEX_VARIABLES if environ.get(v, "").strip()), None)
    if variable is None:
        raise ShardError(
            f"--shard {text}: no array index in the environment (none of "
            f"{', '.join(INDEX_VARIABLES)} is set); give K/N instead"
        )
    first = environ.get("SLURM_ARRAY_TASK_MIN", "0") if variable.startswith("SLURM") else "0"
    try:
        index = int(environ[variable]) - int(first)
    except ValueError:
        raise ShardError(
            f"--shard {text}: {variable}={environ[variable]!r} is not a whole number"
        ) from None
    if not 0 <= index < n:
        raise ShardError(
            f"--shard {text}: {variable}={environ[variable]} gives the index "
            f"{index}, outside 0 to {n - 1}: run an array of exactly {n} tasks"
        )
    return index + 1, n


def shards_dir(out_csv):
    """The folder of the shards of a grades CSV: ``<stem>-shards`` beside it."""
    return Path(out_csv).with_name(Path(out_csv).stem + "-shards")


def file_sha256(path):
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_shard(
    out_csv, name, batch, shard, autograder, options, questions, manual, results, answers
):
    """Write shard ``shard = (k, n)`` of ``batch`` to ``<out>-shards/shard-k-of-n/``.

    ``results`` and ``answers`` hold the shard's submissions. Returns a report
    dict: ``rows`` (the shard's) and ``folder``.
    """
    from .results import make_row

    k, n = shard
    files = shard_slice(batch, k, n)
    manifest = {
        "format": FORMAT,
        "homework": name,
        "shard": k,
        "of": n,
        "batch": sorted(batch),
        "autograder sha256": file_sha256(autograder),
        "options": options,
        "questions": [list(q) for q in questions],
        "manual": [list(q) for q in manual],
    }
    folder = shards_dir(out_csv) / f"shard-{k}-of-{n}"
    tmp = folder.with_name(f"{folder.name}.incomplete-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "results.json").write_text(
        json.dumps({s: results[s] for s in files}, indent=1, sort_keys=True), encoding="utf-8"
    )
    (tmp / "answers.json").write_text(
        json.dumps({s: answers[s] for s in files} if manual else {}, indent=1), encoding="utf-8"
    )
    (tmp / "shard.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return {"rows": [make_row(s, questions, results[s], manual) for s in files], "folder": folder}


def _read_manifest(folder):
    try:
        manifest = json.loads((folder / "shard.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
        return manifest
    except (OSError, ValueError) as exc:
        raise ShardError(f"{folder}: not a shard ({type(exc).__name__}: {exc})") from None


#: What every shard of one run must agree on, and how to name it in an error.
_SAME = {
    "format": "format",
    "homework": "homework",
    "of": "number of shards",
    "batch": "batch of submissions",
    "autograder sha256": "autograder zip (SHA-256)",
    "options": "options (timeout, limits)",
    "questions": "questions",
    "manual": "questions graded by hand",
}


def check_shards(folder, homework):
    """The manifests of the shards in ``folder``, checked: ``{k: (shard folder, manifest)}``.

    Raises :class:`ShardError` listing every problem: no shards, a shard of
    another homework, of another run (batch, autograder zip, options or number
    of shards differ from the first shard's), a shard present twice, a shard
    missing, a shard still being written.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ShardError(f"{folder}: no such folder of shards (grade with --shard K/N first)")
    found = sorted(p for p in folder.iterdir() if p.is_dir())
    problems = [
        f"{p}: incomplete (its grading is still running, or was killed)"
        for p in found
        if ".incomplete-" in p.name
    ]
    manifests = []
    for p in found:
        if ".incomplete-" not in p.name:
            try:
                manifests.append((p, _read_manifest(p)))
            except ShardError as err:
                problems += err.problems
    if not manifests:
        raise ShardError(problems or [f"{folder}: no shards in it (grade with --shard K/N first)"])
    first_path, first = manifests[0]
    shards = {}
    for path, m in manifests:
        if m.get("homework") != homework:
            problems.append(f"{path}: a shard of {m.get('homework')}, not {homework}")
            continue
        differ = [what for key, what in _SAME.items() if m.get(key) != first.get(key)]
        if differ:
            problems.append(
                f"{path}: not of the same run as {first_path.name} (its "
                f"{', '.join(differ)} differ); remove the shards of the other run"
            )
            continue
        k = m.get("shard")
        if k in shards:
            problems.append(f"{path}: shard {k} twice (also {shards[k][0]})")
            continue
        shards[k] = (path, m)
    n = first.get("of")
    if isinstance(n, int):
        missing = [k for k in range(1, n + 1) if k not in shards]
        if missing:
            problems.append(f"{folder}: missing shard {', '.join(map(str, missing))} of {n}")
    if problems:
        raise ShardError(problems)
    return shards


def collect(homework, folder, out_csv):
    """Merge the shards in ``folder`` into the files one-machine grading writes at ``out_csv``.

    Returns the report of :func:`course.results.write_batch`.
    """
    from .manual import ManualQuestion
    from .masters import Question
    from .results import write_batch

    shards = check_shards(folder, homework)
    results, answers = {}, {}
    for path, m in shards.values():
        try:
            part = json.loads((path / "results.json").read_text(encoding="utf-8"))
            said = json.loads((path / "answers.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ShardError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
        expected = shard_slice(m["batch"], m["shard"], m["of"])
        if sorted(part) != expected:
            raise ShardError(f"{path}: its results are not those of its slice of the batch")
        results.update(part)
        answers.update(said)
    _, m = next(iter(shards.values()))
    questions = [Question(*q) for q in m["questions"]]
    manual = [ManualQuestion(*q) for q in m["manual"]]
    return write_batch(out_csv, homework, m["batch"], questions, manual, results, answers)
