"""Tests of the graded homework: masters, student notebooks and the grading command.

One module-scoped run of ``assign`` (into a temporary folder) and one ``grade``
run per homework are shared by all tests; the looping submission uses a short
timeout. Grading needs the MNIST files for hw4 (``MNIST_DATA_DIR``).
"""

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course import Question, read_questions
from course.assign import CHECK_CELL_TAGS, COLAB_CELL_TAG, is_check_cell, is_colab_cell
from lecture_code.colab import public_test_files
from course.grade import make_row, result_name

ROOT = Path(__file__).resolve().parents[1]
HOMEWORK = ["hw1", "hw2", "hw3", "hw4"]
LOOP_TIMEOUT = 20


def cli(*args, cwd=ROOT):
    """Run ``python -m course ARGS``; return stdout (fail on error)."""
    proc = subprocess.run([sys.executable, "-m", "course", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


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


def copy_to(src, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(Path(src).read_bytes())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``assign`` into a temporary book and dist folder (without executing notebooks)."""
    tmp = tmp_path_factory.mktemp("assign")
    cli("assign", "--book-dir", tmp / "book", "--dist-dir", tmp / "dist",
        "--no-execute", "--no-run-tests")
    return tmp


@pytest.fixture(scope="module")
def graded(built):
    """Grade each homework's solutions and untouched student notebook; hw1 also bad ones."""
    subs, out = built / "submissions", built / "grades"
    dist, book = built / "dist", built / "book"
    results = {}
    for hw in HOMEWORK:
        copy_to(dist / f"{hw}-solutions.ipynb", subs / hw / "solution" / f"{hw}.ipynb")
        copy_to(book / f"{hw}.ipynb", subs / hw / "untouched" / f"{hw}.ipynb")
    hw1, solution = subs / "hw1", dist / "hw1-solutions.ipynb"
    edited(solution, hw1 / "bits" / "hw1.ipynb",
           "weather_entropy = entropy(weather)", "weather_entropy = entropy(weather, base=2)")
    edited(solution, hw1 / "loop" / "hw1.ipynb", "import numpy as np",
           "import numpy as np\nwhile True:\n    pass")
    edited(solution, hw1 / "raises" / "hw1.ipynb", "import numpy as np", "import nump as np")
    edited(solution, hw1 / "deletes" / "hw1.ipynb", "import numpy as np",  # its grading folder
           "import numpy as np\nimport os, shutil\nshutil.rmtree('..', ignore_errors=True)")
    edited(solution, hw1 / "prints" / "hw1.ipynb", "import numpy as np",
           "import numpy as np\nprint('x' * 20_000_000)")
    edited(solution, hw1 / "exits" / "hw1.ipynb", "import numpy as np",
           "import numpy as np\nimport os\nos._exit(3)")
    (hw1 / "corrupt").mkdir()
    (hw1 / "corrupt" / "hw1.ipynb").write_text("this is not a notebook\n")
    for hw in HOMEWORK:
        start = time.monotonic()
        cli("grade", hw, subs / hw, "--out", out / f"{hw}.csv", "--jobs", 2,
            "--timeout", LOOP_TIMEOUT if hw == "hw1" else 120,
            "--autograder", dist / f"{hw}-autograder.zip")
        results[hw] = (read_csv(out / f"{hw}.csv"), time.monotonic() - start)
    return results


def expected_questions(hw):
    return read_questions(json.loads((ROOT / "homework" / hw / f"{hw}.ipynb").read_text())["cells"])


# --- pure helpers ------------------------------------------------------------

def test_read_questions_of_masters():
    # points written in the masters' question cells: 2+3+2+3, 3+3+3+3, 2+3+3+2, 2+4+2+2+2
    totals = {hw: sum(q.points for q in expected_questions(hw)) for hw in HOMEWORK}
    assert totals == {"hw1": 10, "hw2": 12, "hw3": 10, "hw4": 12}
    assert all(len(expected_questions(hw)) >= 4 for hw in HOMEWORK)


def test_read_questions_needs_name_and_points():
    with pytest.raises(ValueError, match="needs a name and points"):
        read_questions([{"cell_type": "raw", "source": "# BEGIN QUESTION\nname: q1"}])


def test_make_row_rounds_and_fills_missing_questions():
    qs = [Question("q1", 1.5), Question("q2", 1.5)]
    row = make_row("x.ipynb", qs, {"status": "ok", "scores": {"q1": {"score": 0.1 + 0.2}}})
    assert row == {"file": "x.ipynb", "q1": 0.3, "q2": 0, "total": 0.3, "max": 3, "status": "ok"}


def test_result_names_are_unique_per_folder():
    assert result_name("a/hw1.ipynb") != result_name("b/hw1.ipynb")


def test_check_cells_recognised():
    assert is_check_cell({"cell_type": "code", "source": 'grader.check("q2")\n'})
    assert not is_check_cell({"cell_type": "code", "source": 'x = 1\ngrader.check("q2")'})
    assert not is_check_cell({"cell_type": "markdown", "source": 'grader.check("q2")'})


# --- the committed student notebooks ----------------------------------------

def _secret_lines(hw):
    """What a student must never see: (hidden-test asserts, solution lines) of a master."""
    cells = json.loads((ROOT / "homework" / hw / f"{hw}.ipynb").read_text())["cells"]
    hidden, secret, public, in_block = set(), set(), [], False
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code":
            public.append(source)
            continue
        if source.startswith("# HIDDEN"):
            hidden.update(l.strip() for l in source.splitlines() if l.strip().startswith("assert"))
            continue
        for line in source.splitlines():
            stripped = line.strip()
            if stripped in ("# BEGIN SOLUTION", "# END SOLUTION"):
                in_block = stripped == "# BEGIN SOLUTION"
            elif stripped.endswith("# SOLUTION"):  # `x = answer  # SOLUTION` or `answer  # SOLUTION`
                secret.add(stripped.removesuffix("# SOLUTION").split(" = ", 1)[-1].strip())
            elif in_block and stripped and not stripped.startswith("#"):
                secret.add(stripped)
            else:
                public.append(line)
    public_text = "\n".join(public)  # prompts, given code and public tests
    return hidden, {s for s in secret if len(s) > 12 and s not in public_text}


@pytest.mark.parametrize("hw", HOMEWORK)
def test_no_hidden_tests_anywhere_in_book(hw):
    hidden, _ = _secret_lines(hw)
    assert len(hidden) >= 4
    for path in (ROOT / "book").rglob("*"):
        if path.is_file() and path.suffix in {".ipynb", ".md", ".py", ".txt", ".json", ".yml"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            leaked = [s for s in hidden if s in text]
            assert not leaked, f"{path} contains hidden tests {leaked[:3]}"


@pytest.mark.parametrize("hw", HOMEWORK)
def test_no_solutions_in_student_notebook(hw):
    _, solutions = _secret_lines(hw)
    assert len(solutions) >= 4
    text = (ROOT / "book" / "homework" / f"{hw}.ipynb").read_text(encoding="utf-8")
    leaked = [s for s in solutions if s in text]
    assert not leaked, f"book/homework/{hw}.ipynb contains solutions {leaked[:3]}"


@pytest.mark.parametrize("hw", HOMEWORK)
def test_committed_student_notebook_is_up_to_date(built, hw):
    fresh = nbformat.read(built / "book" / f"{hw}.ipynb", as_version=4)
    committed = nbformat.read(ROOT / "book" / "homework" / f"{hw}.ipynb", as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], (
        "run `python -m course assign` and commit book/homework")
    assert committed.metadata.otter.tests == fresh.metadata.otter.tests


@pytest.mark.parametrize("hw", HOMEWORK)
def test_student_notebook_checks_are_marked_for_nbval(hw):
    nb = nbformat.read(ROOT / "book" / "homework" / f"{hw}.ipynb", as_version=4)
    checks = [c for c in nb.cells if is_check_cell(c)]
    assert len(checks) == len(expected_questions(hw))
    # nbval ignores the output of the check cells, and of no other cell
    marked = [c for c in nb.cells if "nbval-ignore-output" in c.metadata.get("tags", [])]
    assert marked == checks
    assert all(set(CHECK_CELL_TAGS) <= set(c.metadata.tags) for c in checks)
    assert not any("NBVAL" in c.source for c in nb.cells)  # students see no markers


@pytest.mark.parametrize("hw", HOMEWORK)
def test_colab_cell_is_hidden_in_the_book(hw):
    nb = nbformat.read(ROOT / "book" / "homework" / f"{hw}.ipynb", as_version=4)
    colab = [c for c in nb.cells if is_colab_cell(c)]
    assert colab == [next(c for c in nb.cells if c.cell_type == "code")]  # the first code cell
    assert colab[0].metadata.tags == [COLAB_CELL_TAG]
    hidden = [c for c in nb.cells if COLAB_CELL_TAG in c.metadata.get("tags", [])]
    assert hidden == colab  # nothing else is hidden


@pytest.mark.parametrize("hw", HOMEWORK)
def test_student_code_lines_fit_the_page(hw):
    nb = nbformat.read(ROOT / "book" / "homework" / f"{hw}.ipynb", as_version=4)
    long = [line for c in nb.cells if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > 80]
    assert not long, f"book/homework/{hw}.ipynb: code lines over 80 characters: {long}"


@pytest.mark.parametrize("hw", HOMEWORK)
def test_colab_cell_and_autograder_install_the_configured_repository(hw):
    import yaml

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    nb = nbformat.read(ROOT / "book" / "homework" / f"{hw}.ipynb", as_version=4)
    first = next(c.source for c in nb.cells if c.cell_type == "code")
    assert f'REPOSITORY = "{url}"' in first and '"lecture-code @ git+{REPOSITORY}"' in first
    assert "otter-grader==7.0.0" in first and f'prepare_colab("{hw}.ipynb")' in first
    config = json.loads((ROOT / "homework" / hw / f"{hw}.ipynb").read_text())["cells"][0]
    assert f"lecture-code @ git+{url}" in "".join(config["source"])  # Gradescope's requirements


@pytest.mark.parametrize("hw", HOMEWORK)
def test_colab_test_files_match_public_tests(hw, tmp_path):
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    nb = json.loads((ROOT / "book" / "homework" / f"{hw}.ipynb").read_text())
    files = public_test_files(nb)
    assert sorted(files) == sorted(f"{q.name}.py" for q in expected_questions(hw))
    for name, source in files.items():
        (tmp_path / name).write_text(source)
        test = create_test_file(str(tmp_path / name), NBMetadataConfig())
        assert test.name == name[:-3] and not any(tc.hidden for tc in test.test_cases)


# --- the commands -------------------------------------------------------------

def test_list_command():
    assert cli("list").splitlines() == [
        "hw1  10 points  q1 (2), q2 (3), q3 (2), q4 (3)",
        "hw2  12 points  q1 (3), q2 (3), q3 (3), q4 (3)",
        "hw3  10 points  q1 (2), q2 (3), q3 (3), q4 (2)",
        "hw4  12 points  q1 (2), q2 (4), q3 (2), q4 (2), q5 (2)",
    ]


def test_assign_writes_only_student_notebooks_and_dist(built):
    assert sorted(p.name for p in (built / "book").iterdir()) == [f"{hw}.ipynb" for hw in HOMEWORK]
    assert sorted(p.name for p in (built / "dist").iterdir()) == sorted(
        [f"{hw}-autograder.zip" for hw in HOMEWORK] + [f"{hw}-solutions.ipynb" for hw in HOMEWORK])


def test_failed_assign_changes_nothing(tmp_path):
    # hw1 is a good master, hw2 a broken one (a question never ended): otter assign
    # succeeds on hw1 and fails on hw2, so neither output folder may change
    copy_to(ROOT / "homework" / "hw1" / "hw1.ipynb", tmp_path / "homework" / "hw1" / "hw1.ipynb")
    nb = json.loads((ROOT / "homework" / "hw1" / "hw1.ipynb").read_text())
    nb["cells"] = [c for c in nb["cells"] if "".join(c["source"]).strip() != "# END QUESTION"]
    (tmp_path / "homework" / "hw2").mkdir()
    (tmp_path / "homework" / "hw2" / "hw2.ipynb").write_text(json.dumps(nb))
    book, dist = tmp_path / "book", tmp_path / "dist"
    book.mkdir(), dist.mkdir()
    (book / "hw1.ipynb").write_text("the previous hw1\n")
    (dist / "hw1-autograder.zip").write_text("the previous archive\n")
    before = {p: p.read_bytes() for p in [*book.iterdir(), *dist.iterdir()]}
    proc = subprocess.run([sys.executable, "-m", "course", "--root", tmp_path, "assign",
                           "--book-dir", book, "--dist-dir", dist,
                           "--no-execute", "--no-run-tests"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Found a begin question cell inside another question" in proc.stderr
    assert f"assign failed: nothing in {book} or {dist} was changed" in proc.stderr
    assert {p: p.read_bytes() for p in [*book.iterdir(), *dist.iterdir()]} == before


@pytest.mark.parametrize("hw", HOMEWORK)
def test_master_solutions_score_full_marks(graded, hw):
    row = graded[hw][0]["solution"]
    assert row["status"] == "ok"
    assert float(row["total"]) == float(row["max"]) == sum(q.points for q in expected_questions(hw))


@pytest.mark.parametrize("hw", HOMEWORK)
def test_untouched_student_notebook_scores_zero(graded, hw):
    row = graded[hw][0]["untouched"]
    assert row["status"] == "ok"  # it runs top to bottom without raising
    assert [float(row[q.name]) for q in expected_questions(hw)] == [0.0] * len(expected_questions(hw))


def test_entropy_in_bits_loses_exactly_question_3(graded):
    row = graded["hw1"][0]["bits"]
    assert row["status"] == "ok"
    assert [row[q] for q in ["q1", "q2", "q3", "q4"]] == ["2", "3", "0", "3"]
    assert row["total"] == "8" and row["max"] == "10"


def test_looping_submission_times_out(graded, built):
    rows, seconds = graded["hw1"]
    assert rows["loop"]["status"] == "timeout" and rows["loop"]["total"] == "0"
    detail = json.loads(next((built / "grades" / "hw1-results").glob("*loop*.json")).read_text())
    assert detail["seconds"] < LOOP_TIMEOUT + 10
    assert seconds < 4 * LOOP_TIMEOUT  # the loop does not hold up the batch


def test_corrupt_submission_is_an_error(graded):
    row = graded["hw1"][0]["corrupt"]
    assert row["status"].startswith("error: not a Jupyter notebook") and row["total"] == "0"


def test_submission_raising_at_import_scores_zero_with_status(graded):
    row = graded["hw1"][0]["raises"]
    assert re.match(r"error: cell \d+ raised ModuleNotFoundError", row["status"])
    assert row["total"] == "0"


def test_hostile_submissions_get_a_row(graded, built):
    rows = graded["hw1"][0]
    assert rows["deletes"]["status"].startswith("error:") and rows["deletes"]["total"] == "0"
    assert (built / "submissions" / "hw1" / "deletes" / "hw1.ipynb").is_file()  # only a copy went
    assert rows["prints"]["status"] == "ok" and rows["prints"]["total"] == "10"
    assert rows["exits"]["status"] == "error: grading failed (worker exit code 3)"
    assert len(rows) == 9  # every submission has exactly one row


def test_csv_is_sorted_and_has_json_details(built, graded):
    with open(built / "grades" / "hw1.csv", newline="") as f:
        reader = csv.reader(f)
        header, rows = next(reader), list(reader)
    assert header == ["file", "q1", "q2", "q3", "q4", "total", "max", "status"]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    details = sorted((built / "grades" / "hw1-results").glob("*.json"))
    assert len(details) == len(rows)


def test_regrading_gives_the_same_rows(built, graded):
    subs = built / "submissions" / "hw1"
    out = built / "again" / "hw1.csv"
    cli("grade", "hw1", subs / "bits", subs / "corrupt", "--out", out, "--jobs", 2,
        "--autograder", built / "dist" / "hw1-autograder.zip")
    again = read_csv(out)
    assert again == {k: graded["hw1"][0][k] for k in ["bits", "corrupt"]}


def test_grade_without_autograder_says_what_to_do(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "course", "grade", "hw1", "x.ipynb",
                           "--out", tmp_path / "g.csv", "--autograder", tmp_path / "missing.zip"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0 and "run `python -m course assign` first" in proc.stderr


def test_scores_agree_with_otters_own_runner(built, graded, tmp_path, monkeypatch):
    # otter's standard runner executes the notebook in a Jupyter kernel: an independent
    # reference for the forked, kernel-free workers of the grade command
    from otter.api import grade_submission

    monkeypatch.chdir(tmp_path)
    submission = built / "submissions" / "hw1" / "bits" / "hw1.ipynb"
    results = grade_submission(str(submission), str(built / "dist" / "hw1-autograder.zip"),
                               quiet=True)
    row = graded["hw1"][0]["bits"]
    questions = [q.name for q in expected_questions("hw1")]
    assert {q: results.get_score(q) for q in questions} == {q: float(row[q]) for q in questions}
