"""Tests of ``python -m course grade``: scores, statuses, the channel and the confinement.

One module-scoped ``assign`` (into a temporary folder) and one ``grade`` run per
homework are shared by the tests here; hw4 needs the MNIST files
(``MNIST_DATA_DIR``). The attacks are in course/test_red_team.py.
"""

import csv
import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from course import Question
from course.batch import result_names
from course.grade import make_row
from course.master import archive_questions
from course.worker import setup_of, uses_lecture_code

from _course import HOMEWORK, ROOT, cli, copy_to, points, run_course  # noqa: E402  (tests/ is on sys.path)

#: Auto-graded points, and points graded by hand (questions with ``manual: true``).
POINTS = {hw: points(hw)[0] for hw in HOMEWORK}
MANUAL = {hw: points(hw)[1] for hw in HOMEWORK}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {Path(row["file"]).parent.name: row for row in csv.DictReader(f)}


def edited(src, dest, old, new):
    """Copy notebook ``src`` to ``dest`` with ``old`` replaced by ``new`` in one code cell."""
    nb = nbformat.read(src, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    assert len(cells) == 1, f"{old!r} found in {len(cells)} cells"
    cells[0].source = cells[0].source.replace(old, new)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


#: A written answer that tries to be a spreadsheet formula, CSV rows, HTML and a script.
HOSTILE = (
    '=cmd|\' /C calc\'!A0\n+1,2,3\n"=HYPERLINK(""x"")",evil\n'
    "</pre><script>alert(1)</script><img src=x onerror=alert(2)>\n../../etc/passwd"
)


def written(src, dest, text):
    """Copy notebook ``src`` to ``dest`` with ``text`` as its (only) written answer, to q3b."""
    nb = nbformat.read(src, as_version=4)
    cells = [
        c
        for c in nb.cells
        if c.cell_type == "markdown"
        and c.source.startswith("**Sample answer (for the instructor).**")
    ]
    assert len(cells) == 1
    cells[0].source = text
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


@pytest.fixture(scope="module")
def graded(built):
    """Grade each homework's solutions and untouched student notebook; hw1 also odd ones."""
    subs, out = built / "submissions", built / "grades"
    dist, book = built / "dist", built / "book"
    results = {}
    for hw in HOMEWORK:
        copy_to(dist / f"{hw}-solutions.ipynb", subs / hw / "solution" / f"{hw}.ipynb")
        copy_to(book / f"{hw}.ipynb", subs / hw / "untouched" / f"{hw}.ipynb")
    hw1, solution = subs / "hw1", dist / "hw1-solutions.ipynb"
    edited(
        solution,
        hw1 / "bits" / "hw1.ipynb",
        "weather_entropy = entropy(weather)",
        "weather_entropy = entropy(weather, base=2)",
    )
    edited(solution, hw1 / "raises" / "hw1.ipynb", "import numpy as np", "import nump as np")
    (hw1 / "corrupt").mkdir()
    (hw1 / "corrupt" / "hw1.ipynb").write_text("this is not a notebook\n")
    # Jupyter's autosaved copy is not a submission
    copy_to(solution, hw1 / "bits" / ".ipynb_checkpoints" / "hw1-checkpoint.ipynb")
    # written answers to q3b: hostile text, and 1 MiB of it
    written(solution, hw1 / "hostile" / "hw1.ipynb", HOSTILE)
    written(solution, hw1 / "huge" / "hw1.ipynb", "why?" * 2**18)
    # two paths whose old result names collided
    copy_to(book / "hw1.ipynb", hw1 / "a__b" / "c" / "hw1.ipynb")
    copy_to(book / "hw1.ipynb", hw1 / "a" / "b__c" / "hw1.ipynb")
    # hw2: a table without eps loses exactly its hidden test of table_exact
    edited(
        dist / "hw2-solutions.ipynb",
        subs / "hw2" / "partial" / "hw2.ipynb",
        "table_exact = cross_entropy(np.broadcast_to(p, Q.shape), Q, eps=0)",
        "table_exact = cross_entropy(np.broadcast_to(p, Q.shape), Q)",
    )
    for hw in HOMEWORK:
        cli(
            "grade",
            hw,
            subs / hw,
            "--out",
            out / f"{hw}.csv",
            "--jobs",
            2,
            "--timeout",
            120,
            "--autograder",
            dist / f"{hw}-autograder.zip",
        )
        results[hw] = read_csv(out / f"{hw}.csv")
    return results


# --- pure helpers ------------------------------------------------------------


def test_make_row_rounds_and_fills_missing_questions():
    qs = [Question("q1", 1.5), Question("q2", 1.5)]
    row = make_row(
        "x.ipynb",
        qs,
        {"status": "ok", "scores": {"q1": {"score": 0.1 + 0.2}}},
        [Question("q1b", 2, manual=True)],
    )
    assert row == {
        "file": "x.ipynb",
        "q1": 0.3,
        "q1b": "",
        "q2": 0,
        "auto total": 0.3,
        "auto max": 3,
        "manual max": 2,
        "status": "ok",
    }


def test_questions_and_points_come_from_the_archive(built):
    assert archive_questions(built / "dist" / "hw4-autograder.zip") == [
        Question("q1", 2),
        Question("q2", 4),
        Question("q3", 2),
        Question("q4", 2),
        Question("q5", 2),
        Question("q6", 2),
    ]


def test_setup_of_master_lists_imports_and_given_cells():
    cells = json.loads((ROOT / "homework" / "hw4" / "hw4.ipynb").read_text())["cells"]
    setup = setup_of(cells)
    assert "import numpy as np" in setup["imports"]
    assert "from lecture_code import mnist_sample" in setup["imports"]
    assert not any("MLPClassifier(hidden_layer_sizes" in g for g in setup["given"])


@pytest.mark.parametrize(
    "source",
    [
        "import lecture_code",
        "import lecture_code.information as info",
        "from lecture_code import entropy",
        "from lecture_code.losses import focal_loss",
        "import importlib\nm = importlib.import_module('lecture_code')",
        "import sys\nf = sys.modules['lecture_code'].entropy",
        "m = __import__('lecture' + '_code')",
    ],
)
def test_uses_of_lecture_code_are_found_in_the_source(source):
    assert uses_lecture_code(source, [("lecture_code", "mnist_sample")])


def test_allowed_imports_and_other_code_are_not_uses_of_lecture_code():
    allowed = [("lecture_code", "mnist_sample")]
    assert not uses_lecture_code("from lecture_code import mnist_sample", allowed)
    assert not uses_lecture_code("import numpy as np\nx = np.log(2)  # no lecture", allowed)
    assert uses_lecture_code("from lecture_code import mnist_sample, entropy", allowed)


# --- the grade command ------------------------------------------------------------


@pytest.mark.parametrize("hw", HOMEWORK)
def test_master_solutions_score_full_marks(graded, hw):
    row = graded[hw]["solution"]
    assert row["status"] == "ok"
    assert float(row["auto total"]) == float(row["auto max"]) == POINTS[hw]
    # questions graded by hand have an empty score and count apart, never as 0 or full marks
    assert {q: row[q] for q in MANUAL[hw]} == {q: "" for q in MANUAL[hw]}
    assert float(row["manual max"]) == sum(MANUAL[hw].values())
    assert "total" not in row and "max" not in row


@pytest.mark.parametrize("hw", HOMEWORK)
def test_untouched_student_notebook_scores_zero(graded, hw):
    row = graded[hw]["untouched"]
    assert row["status"] == "ok"  # it runs top to bottom without raising
    assert float(row["auto total"]) == 0


def test_entropy_in_bits_loses_exactly_the_weather_entropy(graded):
    # q3's four tests score 0.75 each: weather_entropy's public and hidden test fail,
    # uniform_entropy and larger pass
    row = graded["hw1"]["bits"]
    assert row["status"] == "ok"
    assert [row[q] for q in ["q1", "q2", "q3", "q3b", "q4"]] == ["2", "3", "1.5", "", "3"]
    assert row["auto total"] == "9.5" and row["auto max"] == "11" and row["manual max"] == "2"


def test_checkpoints_are_not_graded_and_names_do_not_collide(graded, built):
    rows = graded["hw1"]
    assert not any(".ipynb_checkpoints" in r["file"] for r in rows.values())
    assert len(rows) == 9 and {"c", "b__c"} <= set(rows)  # two rows, not one
    details = sorted((built / "grades" / "hw1-results").glob("*.json"))
    assert len(details) == 9


def test_corrupt_submission_is_an_error(graded):
    row = graded["hw1"]["corrupt"]
    assert row["status"].startswith("error: not a Jupyter notebook")
    assert row["auto total"] == "0"


def test_submission_raising_at_import_scores_zero_with_status(graded):
    row = graded["hw1"]["raises"]
    assert re.match(r"error: cell \d+ raised ModuleNotFoundError", row["status"])
    assert row["auto total"] == "0"


def test_csv_is_sorted_and_has_json_details(built, graded):
    with open(built / "grades" / "hw1.csv", newline="") as f:
        reader = csv.reader(f)
        header, rows = next(reader), list(reader)
    assert header == [
        "file",
        "q1",
        "q2",
        "q3",
        "q3b",
        "q4",
        "auto total",
        "auto max",
        "manual max",
        "status",
    ]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    name = result_names([r[0] for r in rows])[rows[0][0]]
    # the folders all submissions share are left out; a/b__c and a__b/c collide, so get a hash
    assert re.fullmatch(r"a__b__c__hw1-[0-9a-f]{8}\.json", name), name
    detail = json.loads((built / "grades" / "hw1-results" / name).read_text())
    assert detail["file"] == rows[0][0]
    assert {"filesystem", "network", "signals"} <= set(detail["confinement"])


def test_regrading_gives_the_same_rows(built, graded):
    subs = built / "submissions" / "hw1"
    out = built / "again" / "hw1.csv"
    cli(
        "grade",
        "hw1",
        subs / "bits",
        subs / "corrupt",
        "--out",
        out,
        "--jobs",
        2,
        "--autograder",
        built / "dist" / "hw1-autograder.zip",
    )
    again = read_csv(out)
    assert again == {k: graded["hw1"][k] for k in ["bits", "corrupt"]}


def test_grade_without_autograder_says_what_to_do(tmp_path):
    proc = run_course(
        "grade",
        "hw1",
        "x.ipynb",
        "--out",
        tmp_path / "g.csv",
        "--autograder",
        tmp_path / "missing.zip",
    )
    assert proc.returncode != 0 and "run `python -m course assign` first" in proc.stderr


@pytest.mark.parametrize("hw, name", [("hw1", "bits"), ("hw2", "partial")])
def test_scores_agree_with_otters_own_runner(built, graded, tmp_path, monkeypatch, hw, name):
    # otter's standard runner executes the notebook and the tests in one Jupyter
    # kernel: an independent reference for the two processes of the grade command
    from otter.api import grade_submission

    monkeypatch.chdir(tmp_path)
    submission = built / "submissions" / hw / name / f"{hw}.ipynb"
    results = grade_submission(
        str(submission), str(built / "dist" / f"{hw}-autograder.zip"), quiet=True
    )
    row = graded[hw][name]
    questions = [q.name for q in archive_questions(built / "dist" / f"{hw}-autograder.zip")]
    ours = {q: float(row[q]) for q in questions}
    assert {q: results.get_score(q) for q in questions} == ours
    assert 0 < sum(ours.values()) < POINTS[hw]  # a partial score, so the comparison bites


def test_memory_limit_must_be_a_size(tmp_path):
    proc = run_course(
        "grade",
        "hw1",
        "x.ipynb",
        "--out",
        tmp_path / "g.csv",
        "--memory",
        "lots",
    )
    assert proc.returncode == 2 and "size must look like 2G, 512M or 1048576; got 'lots'" in (
        proc.stderr
    )


# --- questions graded by hand ----------------------------------------------------


def _sections(page):
    """The answer shown for each submission of an answers page: {folder name: text}."""
    found = re.findall(r"<h3>\d+\. (.*?)</h3>\n<pre(?: class=missing)?>(.*?)</pre>", page, re.S)
    return {Path(html.unescape(f)).parent.name: html.unescape(t) for f, t in found}


def test_written_answers_are_collected_from_the_batch(graded, built):
    folder = built / "grades" / "hw1-manual"
    # and the record of what grade wrote (so that a re-grade backs up what a person changed)
    assert sorted(p.name for p in folder.iterdir()) == [
        ".course-written.json",
        "q3b.html",
        "scores.csv",
    ]
    page = (folder / "q3b.html").read_text(encoding="utf-8")
    shown = _sections(page)
    assert sorted(shown) == sorted(graded["hw1"])  # every submission, in the CSV's order
    sample = [
        c.source
        for c in nbformat.read(built / "dist" / "hw1-solutions.ipynb", as_version=4).cells
        if c.source.startswith("**Sample answer")
    ]
    assert shown["solution"] == sample[0]
    assert shown["raises"] == sample[0]  # collected although its first cell raised
    assert shown["hostile"] == HOSTILE  # word for word, once unescaped
    assert shown["untouched"] == "(no answer)"  # the placeholder is not an answer
    assert shown["corrupt"].startswith("(no answer: the file was not read")
    assert (
        shown["huge"] == "why?" * 5000 + "\n\n[answer cut: 1,048,576 characters, the first "
        "20,000 shown]"
    )
    hw4 = nbformat.read(built / "dist" / "hw4-solutions.ipynb", as_version=4)
    samples = [c.source for c in hw4.cells if c.source.startswith("**Sample answer")]
    for question, sample in zip(["q2b", "q4b"], samples, strict=True):
        shown = _sections((built / "grades" / "hw4-manual" / f"{question}.html").read_text())
        assert shown == {"solution": sample, "untouched": "(no answer)"}
    for hw, question in [("hw2", "q1b"), ("hw3", "q5b")]:  # the derivations
        sample = next(
            c.source
            for c in nbformat.read(built / "dist" / f"{hw}-solutions.ipynb", as_version=4).cells
            if c.source.startswith("**Sample answer")
        )
        shown = _sections((built / "grades" / f"{hw}-manual" / f"{question}.html").read_text())
        assert shown["solution"] == sample and shown["untouched"] == "(no answer)"


def test_hostile_answers_stay_text(graded, built):
    folder = built / "grades" / "hw1-manual"
    page = (folder / "q3b.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Content-Security-Policy\" content=\"default-src 'none'" in page
    assert len(page) < 100_000  # the 1 MiB answer is cut
    # the answers never reach a CSV: one row per submission, nothing of the text
    for name in ["hw1.csv", "hw1-manual/scores.csv"]:
        text = (built / "grades" / name).read_text(encoding="utf-8")
        assert "cmd|" not in text and "HYPERLINK" not in text and "why?why?" not in text
        with open(built / "grades" / name, newline="", encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == 9
    with open(folder / "scores.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(set(r) == {"file", "q3b"} and r["q3b"] == "" for r in rows)


def _fill_scores(built, tmp_path, scores):
    """A copy of grade's scores.csv for hw1 with ``scores`` ({folder name: q3b}) filled in."""
    with open(built / "grades" / "hw1-manual" / "scores.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["q3b"] = scores.get(Path(row["file"]).parent.name, "0")
    path = tmp_path / "scores.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "q3b"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_merge_adds_the_manual_scores(graded, built, tmp_path):
    scores = _fill_scores(built, tmp_path, {"solution": "1", "bits": "0.5", "hostile": " 0.25 "})
    out = tmp_path / "final.csv"
    printed = cli("merge", "hw1", built / "grades" / "hw1.csv", scores, "--out", out)
    assert "merged the scores of q3b for 9 submissions" in printed
    with open(out, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = {Path(r["file"]).parent.name: r for r in reader}
    assert reader.fieldnames == [
        "file",
        "q1",
        "q2",
        "q3",
        "q3b",
        "q4",
        "auto total",
        "auto max",
        "manual max",
        "manual total",
        "total",
        "max",
        "status",
    ]
    # by hand: the solution 11 auto + 1 = 12 of 13; bits 9.5 + 0.5 = 10; hostile 11 + 0.25
    expected = {
        "solution": ("1", "12"),
        "bits": ("0.5", "10"),
        "hostile": ("0.25", "11.25"),
        "untouched": ("0", "0"),
        "corrupt": ("0", "0"),
    }
    assert {k: (rows[k]["q3b"], rows[k]["total"]) for k in expected} == expected
    assert {r["max"] for r in rows.values()} == {"13"}
    assert rows["bits"]["q3"] == "1.5" and rows["bits"]["status"] == "ok"


@pytest.mark.parametrize(
    "value, shown",
    [
        ("abc", "got 'abc'"),
        ("2.5", "got '2.5'"),
        ("-0.5", "got '-0.5'"),
        ("nan", "got 'nan'"),
        ("inf", "got 'inf'"),
        ("=1+1", "got '=1+1'"),
    ],
)
def test_merge_rejects_a_score_naming_it(graded, built, tmp_path, value, shown):
    scores = _fill_scores(built, tmp_path, {"bits": value})
    proc = run_course(
        "merge",
        "hw1",
        built / "grades" / "hw1.csv",
        scores,
        "--out",
        tmp_path / "f.csv",
    )
    with open(scores, newline="") as f:
        bits = next(r["file"] for r in csv.DictReader(f) if Path(r["file"]).parent.name == "bits")
    assert proc.returncode != 0 and not (tmp_path / "f.csv").exists()
    assert (
        f"merge failed (1 problem, nothing written):\n  scores {scores}: submission "
        f"{bits!r}, question q3b: the score must be a number from 0 to 2, {shown}"
    ) in proc.stderr
