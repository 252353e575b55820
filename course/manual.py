"""Questions graded by hand: collect the written answers, then merge the scores you give.

A master marks a question ``manual: true`` (otter's format). ``otter assign``
gives the student notebook, for each such question, the prompt (a locked
Markdown cell that starts with otter's ``<!-- BEGIN QUESTION -->`` comment) and
a Markdown answer cell (tag ``otter_answer_cell``, text
``_Type your answer here, replacing this text._``); the next question's first
cell starts with ``<!-- END QUESTION -->``. The autograder archive knows
nothing of manual questions, so their names, points, prompts and sample
answers come from the master.

:func:`collect_answers` finds a question's answer in a submission by its prompt
(the Markdown cells after the cell that holds the master's prompt, up to otter's
next marker). It only parses the notebook's JSON: nothing in it is executed.
:func:`write_answers` writes one HTML page per manual question with every
submission's answer, HTML-escaped, and a ``scores.csv`` to fill in;
:func:`merge` checks the filled-in scores and adds them to the grades.

Answers are hostile input: they never go into a CSV, they are escaped in the
pages (which also forbid scripts by their Content-Security-Policy), long ones
are cut, and no file name comes from a submission.
"""

import csv
import html
import io
import json
import math
import re
from collections import namedtuple
from pathlib import Path

from .batch import BatchError, csv_safe, keep_scores, plural, write_output
from .masters import tidy_number as _number

#: A question graded by hand: its points, the prompt and the master's sample answer.
ManualQuestion = namedtuple("ManualQuestion", ["name", "points", "prompt", "sample"])

#: otter's text in an answer cell that the student has not written in yet.
PLACEHOLDER = "_Type your answer here, replacing this text._"

#: Longer answers are cut to this many characters in the pages (the length is said).
MAX_ANSWER_CHARS = 20_000

#: A submission larger than this is not read for its answers.
MAX_NOTEBOOK_BYTES = 64 * 2**20

_BEGIN = "<!-- BEGIN QUESTION -->"
_END = "<!-- END QUESTION -->"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _source(cell):
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _squash(text):
    return " ".join(text.split())


def manual_questions(master):
    """The manual questions of a master, in order, with prompt and sample answer.

    ``master`` is a :class:`course.master.Master` or a master's cells; it is
    read by :mod:`course.master` (the prompt is the question's first Markdown
    cell, the sample answer the Markdown of its solution block).

    >>> cells = [{"cell_type": "raw", "source": "# BEGIN QUESTION\\nname: q1\\npoints: 2"},
    ...          {"cell_type": "raw", "source": "# END QUESTION"},
    ...          {"cell_type": "raw",
    ...           "source": "# BEGIN QUESTION\\nname: q1b\\nmanual: true\\npoints: 1"},
    ...          {"cell_type": "markdown", "source": "## Why?"},
    ...          {"cell_type": "raw", "source": "#  Begin Solution"},
    ...          {"cell_type": "markdown", "source": "Because."},
    ...          {"cell_type": "raw", "source": "# END SOLUTION"},
    ...          {"cell_type": "raw", "source": "# END QUESTION"}]
    >>> manual_questions(cells)
    [ManualQuestion(name='q1b', points=1, prompt='## Why?', sample='Because.')]
    """
    from .master import Master, read_cells

    master = master if isinstance(master, Master) else read_cells(master)
    found = []
    for q in master.manual_questions:
        if not _NAME.fullmatch(q.name):
            raise ValueError(f"manual question name must be an identifier, got {q.name!r}")
        if not q.prompt:
            raise ValueError(f"manual question {q.name!r} needs a Markdown prompt cell")
        found.append(ManualQuestion(q.name, q.points, q.prompt, q.sample))
    return found


def answers_in(cells, questions):
    """Each manual question's answer text in a notebook's ``cells``, or None if not found.

    The answer is the text of the Markdown cells after the cell holding the
    question's prompt, up to the next otter marker (the placeholder text does
    not count). An empty string means the student wrote nothing.

    >>> q = ManualQuestion("q1b", 1, "## Why?", "")
    >>> cells = [{"cell_type": "markdown", "source": "<!-- BEGIN QUESTION -->\\n\\n## Why?"},
    ...          {"cell_type": "markdown", "source": "Because it is."},
    ...          {"cell_type": "markdown", "source": "<!-- END QUESTION -->\\n\\n## Next"}]
    >>> answers_in(cells, [q])
    {'q1b': 'Because it is.'}
    >>> answers_in(cells[:1], [q]), answers_in(cells[1:], [q])
    ({'q1b': ''}, {'q1b': None})
    """
    cells = [c for c in cells if isinstance(c, dict)]
    texts = [_source(c) for c in cells]
    answers = {}
    for q in questions:
        prompt = _squash(q.prompt)
        start = next(
            (
                i
                for i, (c, t) in enumerate(zip(cells, texts))
                if c.get("cell_type") == "markdown"
                and _squash(t.strip().removeprefix(_BEGIN)) == prompt
            ),
            None,
        )
        if start is None:
            answers[q.name] = None
            continue
        parts = []
        for cell, text in zip(cells[start + 1 :], texts[start + 1 :]):
            if text.lstrip().startswith((_BEGIN, _END)):
                break
            if cell.get("cell_type") == "markdown" and text.strip() not in ("", PLACEHOLDER):
                parts.append(text.strip())
        answers[q.name] = "\n\n".join(parts)
    return answers


def collect_answers(content, questions, reason=None):
    """``{question: answer text or None}`` of a submission's bytes ``content`` (never executed).

    The batch reads each file once (:func:`course.grade.read_submission`) and
    passes the same bytes here; ``content`` None means the file was not read,
    for ``reason``. An unreadable or oversized notebook gives None for every
    question, with the reason in ``"_error"`` (never a byte of the file).
    """
    none = {q.name: None for q in questions}
    if content is None:
        return {
            **none,
            "_error": "not read: not a regular file of a readable size"
            if reason is None
            else "not read: " + reason.removeprefix("error: "),
        }
    try:
        if len(content) > MAX_NOTEBOOK_BYTES:
            return {**none, "_error": f"not read: larger than {MAX_NOTEBOOK_BYTES >> 20} MiB"}
        nb = json.loads(content.decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        return {**none, "_error": f"not read: not a Jupyter notebook ({type(exc).__name__})"}
    return answers_in(cells, questions)


def rows_text(fields, rows):
    """``rows`` (dicts) as CSV text with header ``fields``, every cell :func:`csv_safe`.

    The csv module quotes commas, quotes and line breaks, so no text adds a row or a column.

    >>> rows_text(["file", "q1"], [{"file": "=a.ipynb", "q1": 2}])
    "file,q1\\n'=a.ipynb,2\\n"
    """
    f = io.StringIO()
    writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_safe(row[k]) for k in fields} for row in rows)
    return f.getvalue()


def write_rows(path, fields, rows):
    """Write ``rows`` as a CSV (:func:`rows_text`); a file a person changed is backed up first.

    Returns the backup's path, or None (:func:`course.batch.write_output`).
    """
    return write_output(path, rows_text(fields, rows))


def _shown(answer, error=None):
    if error:
        return f"(no answer: the file was {error})", True
    if answer is None:
        return "(answer cell not found: the question's prompt cell was changed or deleted)", True
    if not answer:
        return "(no answer)", True
    if len(answer) > MAX_ANSWER_CHARS:
        return (
            answer[:MAX_ANSWER_CHARS] + f"\n\n[answer cut: {len(answer):,} characters, the first "
            f"{MAX_ANSWER_CHARS:,} shown]"
        ), False
    return answer, False


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.4; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f4f4; padding: 0.8rem; }}
.missing {{ color: #a00; }}
</style>
</head>
<body>
<h1>{title}</h1>
<h2>The question</h2>
<pre>{prompt}</pre>
<h2>Sample answer and rubric (from the master)</h2>
<pre>{sample}</pre>
<p>{count}, sorted by file. Enter scores from 0 to {points:g} in column
<code>{name}</code> of <code>scores.csv</code>, then run <code>python -m course merge</code>.</p>
{sections}
</body>
</html>
"""


def write_answers(folder, homework, questions, answers):
    """Write ``folder/<question>.html`` for each manual question and ``folder/scores.csv``.

    ``answers`` maps each submission (file name, in row order) to the dict of
    :func:`collect_answers`. ``scores.csv`` has a ``file`` column and one
    column per manual question, for you to fill in: scores already entered
    there are kept, matched by submission, and a new submission gets empty
    cells (:func:`course.batch.keep_scores`). A file you changed is backed up
    with a timestamp before it is replaced. Returns a dict: ``written`` (the
    paths), ``backups`` (all of them; ``sheet backup``: that of ``scores.csv``,
    or None), ``existed`` (whether ``scores.csv`` did), ``kept`` and ``new``
    (numbers of submissions) and ``dropped`` (the scores only in the backup now).
    """
    folder = Path(folder)
    written, backups = [], []
    for q in questions:
        sections = []
        for i, (submission, found) in enumerate(answers.items(), start=1):
            text, missing = _shown(found.get(q.name), found.get("_error"))
            sections.append(
                f'<section id="s{i}">\n<h3>{i}. {html.escape(submission)}</h3>\n'
                f"<pre{' class=missing' if missing else ''}>"
                f"{html.escape(text)}</pre>\n</section>"
            )
        page = _PAGE.format(
            title=html.escape(f"{homework} {q.name} ({points_text(q.points)}, graded by hand)"),
            prompt=html.escape(q.prompt),
            sample=html.escape(q.sample),
            count=plural(len(answers), "submission"),
            points=q.points,
            name=html.escape(q.name),
            sections="\n".join(sections),
        )
        path = folder / f"{q.name}.html"
        backups.append(write_output(path, page))
        written.append(path)
    path = folder / "scores.csv"
    rows, report = keep_scores(path, list(answers), questions)
    sheet_backup = write_rows(path, ["file", *[q.name for q in questions]], rows)
    written.append(path)
    return {
        "written": written,
        "backups": [b for b in [*backups, sheet_backup] if b],
        "sheet backup": sheet_backup,
        **report,
    }


def points_text(n):
    """``1 point``, ``2 points``, ``0.5 points``.

    >>> points_text(1), points_text(2), points_text(0.5)
    ('1 point', '2 points', '0.5 points')
    """
    return f"{n:g} point" + ("" if n == 1 else "s")


def _read_csv(path, what):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            return list(reader.fieldnames or []), list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{what} {path}: cannot be read ({exc})") from None


def merge(grades_csv, scores_csv, questions, out_csv):
    """Add the manual ``scores_csv`` to the ``grades_csv`` of ``grade``; write ``out_csv``.

    ``questions`` are the homework's manual questions. Every submission of the
    grades needs exactly one row in the scores, and each score a number from 0
    to the question's points; otherwise a :class:`course.batch.BatchError`
    (a ``ValueError``) lists every problem, one per line, each naming the
    submission, the question and the value (a blank score is "missing"), and
    nothing is written. The output has the grades' columns with the manual
    scores filled in, then ``manual total``, ``total`` (auto + manual) and
    ``max``; an existing ``out_csv`` that a person changed is backed up first.
    Returns ``(rows, backup path or None)``.
    """
    names = [q.name for q in questions]
    fields, grades = _read_csv(grades_csv, "grades")
    needed = {"file", "auto total", "auto max", "manual max", "status", *names}
    if not needed <= set(fields):
        missing = sorted(needed - set(fields))
        raise BatchError(
            [
                f"grades {grades_csv}: not a CSV of `python -m course grade` for "
                f"these questions (no column {', '.join(missing)})"
            ]
        )
    score_fields, rows = _read_csv(scores_csv, "scores")
    problems = []
    if "file" not in score_fields:
        raise BatchError([f"scores {scores_csv}: needs a column 'file'"])
    problems += [
        f"scores {scores_csv}: unknown column {f!r}; the manual questions are {', '.join(names)}"
        for f in score_fields
        if f not in ("file", *names)
    ]
    problems += [
        f"scores {scores_csv}: no column for manual question {n!r}"
        for n in names
        if n not in score_fields
    ]
    scores = {}
    for line, row in enumerate(rows, start=2):
        if row.get(None):  # more cells than the header: csv's DictReader keeps them under None
            problems.append(
                f"scores {scores_csv}: line {line} ({row['file']!r}) has more cells "
                f"than columns (a decimal comma? write 0.5, not 0,5)"
            )
        if row["file"] in scores:
            problems.append(f"scores {scores_csv}: submission {row['file']!r} appears twice")
        scores[row["file"]] = row
    graded = {g["file"] for g in grades}
    problems += [
        f"scores {scores_csv}: submission {f!r} is not in {grades_csv}"
        for f in scores
        if f not in graded
    ]

    merged = []
    for g in grades:
        if g["file"] not in scores:
            problems.append(f"scores {scores_csv}: no row for submission {g['file']!r}")
            continue
        row, manual_total = dict(g), 0.0
        for q in questions:
            if q.name not in score_fields:
                continue
            value = scores[g["file"]].get(q.name)
            value = "" if value is None else value
            try:
                score = float(value.strip())
            except ValueError:
                score = math.nan
            if not value.strip():
                problems.append(
                    f"scores {scores_csv}: submission {g['file']!r}, question "
                    f"{q.name}: the score is missing (a number from 0 to "
                    f"{q.points:g})"
                )
            elif not 0 <= score <= q.points:  # also nan and inf
                problems.append(
                    f"scores {scores_csv}: submission {g['file']!r}, question "
                    f"{q.name}: the score must be a number from 0 to "
                    f"{q.points:g}, got {value[:40]!r}"
                )
            else:
                row[q.name] = _number(score)
                manual_total += score
        try:
            auto_total, auto_max, manual_max = (
                float(g[k]) for k in ("auto total", "auto max", "manual max")
            )
        except (TypeError, ValueError):
            problems.append(
                f"grades {grades_csv}: submission {g['file']!r} has no numeric "
                "auto total, auto max or manual max"
            )
            continue
        row["manual total"] = _number(manual_total)
        row["total"] = _number(auto_total + manual_total)
        row["max"] = _number(auto_max + manual_max)
        merged.append(row)
    if problems:
        raise BatchError(problems)
    out_fields = [f for f in fields if f != "status"] + ["manual total", "total", "max", "status"]
    return merged, write_rows(out_csv, out_fields, merged)
