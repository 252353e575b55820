"""Tests of the graded homework: masters, student notebooks, ``list`` and ``assign``.

One module-scoped run of ``assign`` (into a temporary folder) is shared by all
tests. The grading command is tested in test_grading.py and
test_grading_attacks.py.
"""

import json

import nbformat
import pytest

from course import read_questions
from course.assign import CHECK_CELL_TAGS, COLAB_CELL_TAG, is_check_cell, is_colab_cell
from course.master import read_master
from lecture_code.colab import public_test_files

from _course import HOMEWORK, ROOT, cli, copy_to, run_course  # noqa: E402  (tests/ is on sys.path)


def expected_questions(hw):
    return [q.summary for q in read_master(ROOT / "homework" / hw / f"{hw}.ipynb").questions]


def auto_questions(hw):
    """The questions graded by tests (not those with ``manual: true``)."""
    return [q for q in expected_questions(hw) if not q.manual]


# --- pure helpers ------------------------------------------------------------


def test_read_questions_of_masters():
    # points written in the masters' question cells: 2+3+3+(2)+3, 3+(2)+3+3+1+3+3,
    # 2+3+3+2+3+(2), 2+4+(2)+2+2+(1)+2+2, 3+2+3+3+(2), in parentheses the questions
    # graded by hand
    totals = {hw: sum(q.points for q in expected_questions(hw)) for hw in HOMEWORK}
    assert totals == {"hw1": 13, "hw2": 18, "hw3": 15, "hw4": 17, "hw5": 13}
    manual = {
        hw: [(q.name, q.points) for q in expected_questions(hw) if q.manual] for hw in HOMEWORK
    }
    assert manual == {
        "hw1": [("q3b", 2)],
        "hw2": [("q1b", 2)],
        "hw3": [("q5b", 2)],
        "hw4": [("q2b", 2), ("q4b", 1)],
        "hw5": [("q5", 2)],
    }
    assert all(len(expected_questions(hw)) >= 4 for hw in HOMEWORK)


def test_read_questions_needs_a_name():
    with pytest.raises(ValueError, match="name not specified"):
        read_questions(
            [
                {"cell_type": "raw", "source": "# BEGIN QUESTION\npoints: 1"},
                {"cell_type": "raw", "source": "# END QUESTION"},
            ]
        )


def test_check_cells_recognised():
    assert is_check_cell({"cell_type": "code", "source": 'grader.check("q2")\n'})
    assert not is_check_cell({"cell_type": "code", "source": 'x = 1\ngrader.check("q2")'})
    assert not is_check_cell({"cell_type": "markdown", "source": 'grader.check("q2")'})


# --- the committed student notebooks ----------------------------------------


def _secret_lines(hw):
    """What a student must never see: (hidden-test asserts, solution lines) of a master."""
    master = read_master(ROOT / "homework" / hw / f"{hw}.ipynb")
    hidden = {
        line.strip()
        for q in master.questions
        for t in q.hidden_tests
        for line in t.code.splitlines()
        if line.strip().startswith("assert")
    }
    public_text = master.public_text()  # prompts, given code and public tests
    secret = {
        line.strip()
        for q in master.questions
        for kind, line in q.solution
        if kind == "solution" and not line.strip().startswith("#")
    }
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
        "run `python -m course assign` and commit book/homework"
    )
    assert committed.metadata.otter.tests == fresh.metadata.otter.tests


@pytest.mark.parametrize("hw", HOMEWORK)
def test_student_notebook_checks_are_marked_for_nbval(hw):
    nb = nbformat.read(ROOT / "book" / "homework" / f"{hw}.ipynb", as_version=4)
    checks = [c for c in nb.cells if is_check_cell(c)]
    assert len(checks) == len(auto_questions(hw))
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
    long = [
        line
        for c in nb.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if len(line) > 80
    ]
    assert not long, f"book/homework/{hw}.ipynb: code lines over 80 characters: {long}"


@pytest.mark.parametrize("hw", HOMEWORK)
def test_colab_cell_and_autograder_install_the_configured_repository(hw):
    import yaml

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    nb = nbformat.read(ROOT / "book" / "homework" / f"{hw}.ipynb", as_version=4)
    first = next(c.source for c in nb.cells if c.cell_type == "code")
    assert f'REPOSITORY = "{url}"' in first and '"lecture-code @ git+{REPOSITORY}"' in first
    assert "otter-grader==7.0.0" in first and f'prepare_colab("{hw}.ipynb")' in first
    config = read_master(ROOT / "homework" / hw / f"{hw}.ipynb").config
    assert f"lecture-code @ git+{url}" in config["requirements"]  # Gradescope's requirements


@pytest.mark.parametrize("hw", HOMEWORK)
def test_colab_test_files_match_public_tests(hw):
    from course import _otter

    nb = json.loads((ROOT / "book" / "homework" / f"{hw}.ipynb").read_text())
    files = public_test_files(nb)
    assert sorted(files) == sorted(f"{q.name}.py" for q in auto_questions(hw))
    public = {
        q.name: q.public_tests
        for q in read_master(ROOT / "homework" / hw / f"{hw}.ipynb").questions
    }
    for name, source in files.items():
        test = _otter.read_test_source(name[:-3], source)
        assert test.name == name[:-3] and not any(tc.hidden for tc in test.test_cases)
        assert [tc.body for tc in test.test_cases] == [t.body for t in public[test.name]]


# --- the commands -------------------------------------------------------------


def test_list_command():
    assert cli("list").splitlines() == [
        "hw1  13 points (2 manual)  q1 (2), q2 (3), q3 (3), q3b (2, manual), q4 (3)",
        "hw2  18 points (2 manual)  q1 (3), q1b (2, manual), q2 (3), q3 (3), q3b (1), q4 (3), "
        "q4b (3)",
        "hw3  15 points (2 manual)  q1 (2), q2 (3), q3 (3), q4 (2), q5 (3), q5b (2, manual)",
        "hw4  17 points (3 manual)  q1 (2), q2 (4), q2b (2, manual), q3 (2), q4 (2), "
        "q4b (1, manual), q5 (2), q6 (2)",
        "hw5  13 points (2 manual)  q1 (3), q2 (2), q3 (3), q4 (3), q5 (2, manual)",
    ]


def test_assign_writes_only_student_notebooks_and_dist(built):
    assert sorted(p.name for p in (built / "book").iterdir()) == [f"{hw}.ipynb" for hw in HOMEWORK]
    assert sorted(p.name for p in (built / "dist").iterdir()) == sorted(
        [f"{hw}-autograder.zip" for hw in HOMEWORK] + [f"{hw}-solutions.ipynb" for hw in HOMEWORK]
    )


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
    proc = run_course(
        "--root",
        tmp_path,
        "assign",
        "--book-dir",
        book,
        "--dist-dir",
        dist,
        "--no-execute",
        "--no-run-tests",
    )
    assert proc.returncode != 0
    assert "hw2: cell " in proc.stderr
    assert "a begin question cell inside another block" in proc.stderr
    assert f"assign failed: nothing in {book} or {dist} was changed" in proc.stderr
    assert {p: p.read_bytes() for p in [*book.iterdir(), *dist.iterdir()]} == before
