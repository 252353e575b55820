"""What grading a batch writes: the grades CSV, one result file per submission, the answer pages.

:func:`write_batch` is the one writer, used by ``grade`` on one machine and by
``collect`` for the shards of a cluster (:mod:`course.shards`), so both write
the same bytes. A row's scores come from a submission's result
(:func:`make_row`); the result files hold no timings, so the same batch gives
the same files on every machine.
"""

import json
from pathlib import Path

from .masters import natural_key
from .masters import tidy_number as _number


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


def not_run_answers(submissions, manual, statuses):
    """The answer-page entries of submissions that were not run (their status says why)."""
    if not manual:
        return {}
    return {
        s: {q.name: None for q in manual} | {"_error": f"not graded ({statuses[s]})"}
        for s in submissions
    }


def result_text(result):
    """A submission's details as written to its JSON file (no time in it: reproducible)."""
    return (
        json.dumps({k: v for k, v in result.items() if k != "seconds"}, indent=1, sort_keys=True)
        + "\n"
    )


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
        (json_dir / names[submission]).write_text(
            result_text(results[submission]), encoding="utf-8"
        )
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
        report["manual"] = write_answers(
            manual_dir(out_csv), name, manual, {s: answers[s] for s in batch}
        )
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


def results_dir(out_csv):
    """The folder of the per-submission JSON files of a grades CSV: ``<stem>-results``."""
    return Path(out_csv).with_name(Path(out_csv).stem + "-results")


def manual_dir(out_csv):
    """The folder of the answer pages and ``scores.csv`` of a grades CSV: ``<stem>-manual``."""
    return Path(out_csv).with_name(Path(out_csv).stem + "-manual")
