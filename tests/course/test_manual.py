"""Tests of ``course.manual``: finding written answers, the pages, and merging scores.

The answers of a real graded batch (honest and hostile) and the ``merge``
command on it are tested in tests/test_grading.py, re-grading a batch with
scores entered in tests/course/test_cli.py; these are the pure parts.
"""

import csv
import json

import pytest

from course.batch import BatchError
from course.manual import (
    PLACEHOLDER,
    ManualQuestion,
    answers_in,
    collect_answers,
    csv_safe,
    manual_questions,
    merge,
    write_answers,
)

from _course import ROOT  # noqa: E402  (tests/ is on sys.path)

Q = ManualQuestion("q1b", 2, "## Question 1b: why?\n\nSay why.", "**Sample.** Because.")


def md(text, **metadata):
    return {"cell_type": "markdown", "metadata": metadata, "source": text}


def student_cells(*answer):
    """Cells as otter assign writes them for one manual question, then the next question."""
    return [
        md("<!-- BEGIN QUESTION -->\n\n## Question 1b: why?\n\nSay why.", editable=False),
        *answer,
        md("<!-- END QUESTION -->\n\n## Question 2", editable=False),
        md("not an answer"),
    ]


def test_manual_questions_of_the_masters():
    found = {}
    for hw in ["hw1", "hw2", "hw3", "hw4", "hw5"]:
        cells = json.loads((ROOT / "homework" / hw / f"{hw}.ipynb").read_text())["cells"]
        found[hw] = [(q.name, q.points) for q in manual_questions(cells)]
        assert all(
            q.prompt.startswith("## Question") and q.sample.startswith("**Sample answer")
            for q in manual_questions(cells)
        )
    assert found == {
        "hw1": [("q3b", 2)],
        "hw2": [("q1b", 2)],
        "hw3": [("q5b", 2)],
        "hw4": [("q2b", 2), ("q4b", 1)],
        "hw5": [("q5", 2)],
    }


def test_manual_question_needs_a_prompt_and_a_plain_name():
    begin = {"cell_type": "raw", "source": "# BEGIN QUESTION\nname: q1b\nmanual: true\npoints: 1"}
    end = {"cell_type": "raw", "source": "# END QUESTION"}
    with pytest.raises(ValueError, match="manual question 'q1b' needs a Markdown prompt cell"):
        manual_questions([begin, end])
    bad = {**begin, "source": begin["source"].replace("q1b", "../q1b")}
    with pytest.raises(ValueError, match=r"must be an identifier, got '\.\./q1b'"):
        manual_questions([bad, md("prompt"), end])


@pytest.mark.parametrize(
    "answer, expected",
    [
        ([md(PLACEHOLDER)], ""),  # untouched
        ([md("  It is the maximum.  ")], "It is the maximum."),
        (
            [md("First."), {"cell_type": "code", "source": "x = 1"}, md(["Sec", "ond."])],
            "First.\n\nSecond.",
        ),  # only Markdown; a source may be a list of lines
        ([md(PLACEHOLDER), md("Written below the placeholder.")], "Written below the placeholder."),
    ],
)
def test_answer_is_the_markdown_after_the_prompt(answer, expected):
    assert answers_in(student_cells(*answer), [Q]) == {"q1b": expected}


def test_answer_not_found_when_the_prompt_is_gone():
    cells = student_cells(md("An answer."))
    assert answers_in(cells[1:], [Q]) == {"q1b": None}
    cells[0]["source"] = "## Question 1b, edited"
    assert answers_in(cells, [Q]) == {"q1b": None}
    # a cell that merely contains otter's marker does not end the answer early
    assert answers_in(student_cells(md("a\n<!-- END QUESTION -->\nb")), [Q]) == {
        "q1b": "a\n<!-- END QUESTION -->\nb"
    }


@pytest.mark.parametrize(
    "content, error",
    [
        (b"not json", "not read: not a Jupyter notebook (JSONDecodeError)"),
        (b'{"cells": 3}', "not read: not a Jupyter notebook (TypeError)"),
        (b'{"nbformat": 4}', "not read: not a Jupyter notebook (KeyError)"),
        (b"\xff\xfe", "not read: not a Jupyter notebook (UnicodeDecodeError)"),
    ],
)
def test_unreadable_submissions_give_no_answer_and_a_reason(content, error):
    assert collect_answers(content, [Q]) == {"q1b": None, "_error": error}


def test_a_file_that_was_not_read_gives_its_reason():
    reason = "error: not a submission: a FIFO, not a regular file"
    assert collect_answers(None, [Q], reason) == {
        "q1b": None,
        "_error": "not read: not a submission: a FIFO, not a regular file",
    }


def test_formulas_are_defused_for_spreadsheets():
    # OWASP's CSV injection characters; numbers stay numbers
    assert [
        csv_safe(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "a=1", 0, -1]
    ] == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "'\r=1", "a=1", 0, -1]


def test_pages_escape_answers_and_scores_csv_is_empty(tmp_path):
    answers = {"=bad/<b>.ipynb": {"q1b": "<script>x</script>"}, "b.ipynb": {"q1b": None}}
    report = write_answers(tmp_path, "hw9", [Q], answers)
    assert [p.name for p in report["written"]] == ["q1b.html", "scores.csv"]
    assert (report["existed"], report["new"], report["backups"]) == (False, 2, [])
    page = (tmp_path / "q1b.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "=bad/&lt;b&gt;.ipynb" in page and "<title>hw9 q1b (2 points, graded by hand)" in page
    assert "(answer cell not found" in page and "<p>2 submissions, sorted by file." in page
    assert (tmp_path / "scores.csv").read_text() == "file,q1b\n'=bad/<b>.ipynb,\nb.ipynb,\n"
    write_answers(tmp_path, "hw9", [Q], {"b.ipynb": {"q1b": "x"}})
    assert "<p>1 submission, sorted by file." in (tmp_path / "q1b.html").read_text()


def _csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerows(rows)
    return path


GRADES = [
    ["file", "q1", "q1b", "q2b", "auto total", "auto max", "manual max", "status"],
    ["a.ipynb", "2", "", "", "2", "3", "3", "ok"],
    ["b.ipynb", "1.5", "", "", "1.5", "3", "3", "timeout (60 s)"],
]
QS = [Q._replace(points=2), ManualQuestion("q2b", 1, "p", "")]


def test_merge_totals_by_hand(tmp_path):
    grades = _csv(tmp_path / "g.csv", GRADES)
    scores = _csv(
        tmp_path / "s.csv", [["q2b", "file", "q1b"], ["0.5", "b.ipynb", "2"], ["1", "a.ipynb", "0"]]
    )
    rows, saved = merge(grades, scores, QS, tmp_path / "f.csv")
    assert saved is None
    # a: 2 auto + 0 + 1 = 3 of 6; b: 1.5 + 2 + 0.5 = 4 of 6
    assert [(r["q1b"], r["q2b"], r["manual total"], r["total"], r["max"]) for r in rows] == [
        (0, 1, 1, 3, 6),
        (2, 0.5, 2.5, 4, 6),
    ]
    assert (tmp_path / "f.csv").read_text().splitlines() == [
        "file,q1,q1b,q2b,auto total,auto max,manual max,manual total,total,max,status",
        "a.ipynb,2,0,1,2,3,3,1,3,6,ok",
        "b.ipynb,1.5,2,0.5,1.5,3,3,2.5,4,6,timeout (60 s)",
    ]


@pytest.mark.parametrize(
    "scores, message",
    [
        ([["file", "q1b", "q2b"], ["a.ipynb", "1", "1"]], "no row for submission 'b.ipynb'"),
        (
            [
                ["file", "q1b", "q2b"],
                ["a.ipynb", "1", "1"],
                ["b.ipynb", "1", "1"],
                ["a.ipynb", "0", "0"],
            ],
            "submission 'a.ipynb' appears twice",
        ),
        (
            [
                ["file", "q1b", "q2b"],
                ["a.ipynb", "1", "1"],
                ["b.ipynb", "1", "1"],
                ["c.ipynb", "0", "0"],
            ],
            "submission 'c.ipynb' is not in",
        ),
        (
            [["file", "q1b"], ["a.ipynb", "1"], ["b.ipynb", "1"]],
            "no column for manual question 'q2b'",
        ),
        (
            [["file", "q1b", "q2b", "q1"], ["a.ipynb", "1", "1", "3"], ["b.ipynb", "1", "1", "3"]],
            "unknown column 'q1'; the manual questions are q1b, q2b",
        ),
        ([["name", "q1b", "q2b"]], "needs a column 'file'"),
        (
            [["file", "q1b", "q2b"], ["a.ipynb", "1", "1"], ["b.ipynb", "2.5", "1"]],
            "submission 'b.ipynb', question q1b: the score must be a number from 0 to 2, got '2.5'",
        ),
        (
            [["file", "q1b", "q2b"], ["a.ipynb", "1"], ["b.ipynb", "1", "1"]],
            "submission 'a.ipynb', question q2b: the score is missing (a number from 0 to 1)",
        ),
        (
            [["file", "q1b", "q2b"], ["a.ipynb", "0", "1", "5"], ["b.ipynb", "1", "1"]],
            "line 2 ('a.ipynb') has more cells than columns (a decimal comma? write 0.5, not 0,5)",
        ),
        (
            [["file", "q1b", "q2b"], ["a.ipynb", " ", "1"], ["b.ipynb", "1", "1"]],
            "submission 'a.ipynb', question q1b: the score is missing (a number from 0 to 2)",
        ),
    ],
)
def test_merge_rejects_bad_scores(tmp_path, scores, message):
    grades = _csv(tmp_path / "g.csv", GRADES)
    with pytest.raises(ValueError) as err:
        merge(grades, _csv(tmp_path / "s.csv", scores), QS, tmp_path / "f.csv")
    assert str(err.value) == f"scores {tmp_path / 's.csv'}: {message}" + (
        f" {grades}" if message.endswith("is not in") else ""
    )
    assert not (tmp_path / "f.csv").exists()


def test_merge_reports_every_problem_at_once(tmp_path):
    # three typos, a blank, a missing row, an unknown row and an unknown column: one run says all
    grades = _csv(tmp_path / "g.csv", GRADES + [["c.ipynb", "0", "", "", "0", "3", "3", "ok"]])
    scores = _csv(
        tmp_path / "s.csv",
        [
            ["file", "q1b", "q2b", "q9"],
            ["a.ipynb", "x", "", ""],
            ["b.ipynb", "3", "1.5", ""],
            ["d.ipynb", "1", "1", ""],
        ],
    )
    with pytest.raises(BatchError) as err:
        merge(grades, scores, QS, tmp_path / "f.csv")
    s = f"scores {scores}: "
    assert err.value.problems == [
        s + "unknown column 'q9'; the manual questions are q1b, q2b",
        s + f"submission 'd.ipynb' is not in {grades}",
        s + "submission 'a.ipynb', question q1b: the score must be a number from 0 to 2, got 'x'",
        s + "submission 'a.ipynb', question q2b: the score is missing (a number from 0 to 1)",
        s + "submission 'b.ipynb', question q1b: the score must be a number from 0 to 2, got '3'",
        s + "submission 'b.ipynb', question q2b: the score must be a number from 0 to 1, got '1.5'",
        s + "no row for submission 'c.ipynb'",
    ]
    assert not (tmp_path / "f.csv").exists()


def test_merge_backs_up_a_final_csv_changed_by_hand(tmp_path):
    grades = _csv(tmp_path / "g.csv", GRADES)
    scores = _csv(
        tmp_path / "s.csv", [["file", "q1b", "q2b"], ["a.ipynb", "0", "1"], ["b.ipynb", "2", "0.5"]]
    )
    out = tmp_path / "final" / "f.csv"  # the folder is created
    merge(grades, scores, QS, out)
    first = out.read_text()
    assert merge(grades, scores, QS, out)[1] is None  # as merge wrote it: replaced
    out.write_text(first.replace(",ok", ",ok (late: -1 by hand)"))
    edited = out.read_text()
    _, saved = merge(grades, scores, QS, out)
    assert saved.parent == out.parent and saved.name.startswith("f-backup-")
    assert saved.read_text() == edited and out.read_text() == first


def test_merge_needs_grades_of_the_grade_command(tmp_path):
    grades = _csv(tmp_path / "g.csv", [["file", "q1", "total", "max", "status"]])
    scores = _csv(tmp_path / "s.csv", [["file", "q1b", "q2b"]])
    with pytest.raises(ValueError, match="no column auto max, auto total, manual max, q1b, q2b"):
        merge(grades, scores, QS, tmp_path / "f.csv")


def test_rows_cannot_inject_formulas_rows_or_columns(tmp_path):
    from course.manual import write_rows

    status = 'error: cell 3 raised ValueError: x\n=cmd|"/C calc"!A0,"q1",9'
    write_rows(
        tmp_path / "g.csv",
        ["file", "q1", "status"],
        [{"file": "@SUM(A1)/hw1.ipynb", "q1": 0, "status": status}],
    )
    with open(tmp_path / "g.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["file", "q1", "status"], ["'@SUM(A1)/hw1.ipynb", "0", status]]
