"""Tests of :mod:`course.master`: one reading of a master, the same as otter's.

The reference is otter itself: the test files ``otter assign`` wrote into each
autograder zip (the ``built`` fixture), otter's own ``replace_solutions`` for
what students see, and ``otter assign`` run on a master rewritten with the
other spellings otter accepts.
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from otter.assign.solutions import replace_solutions

from course import _otter
from course.leaks import collect_secrets, scan_bytes
from course.manual import manual_questions
from course.master import allowed_lecture_code, read_cells, read_master, samples_needed, setup_of
from course.masters import find_masters

ROOT = Path(__file__).resolve().parents[2]
MASTERS = find_masters(ROOT)


def _cells(hw):
    return json.loads(MASTERS[hw].read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def respell(cells):
    """The same master in otter's other accepted spellings.

    Block markers in lower case with extra spaces (``#   begin   solution``), the
    first line of a hidden test as ``#  Hidden``, and the assignment config and
    every question config as fenced ```` ```otter ```` Markdown cells.
    """
    out = []
    for cell in copy.deepcopy(cells):
        source = _source(cell)
        first, _, rest = source.partition("\n")
        words = first.split()
        if (
            cell["cell_type"] == "raw"
            and words[:1] == ["#"]
            and len(words) >= 3
            and (words[1] in ("BEGIN", "END") or words[1:3] == ["ASSIGNMENT", "CONFIG"])
        ):
            first = "#   " + "   ".join(w.lower() for w in words[1:])
            if rest:  # a config: fenced in Markdown, as otter also reads it
                cell = {
                    "cell_type": "markdown",
                    "metadata": {},
                    "source": f"```otter\n{first}\n{rest}\n```",
                }
            else:
                cell["source"] = first
        elif cell["cell_type"] == "code" and first.strip() == "# HIDDEN":
            cell["source"] = "#  Hidden\n" + rest
        else:
            cell["source"] = source
        out.append(cell)
    return out


@pytest.mark.parametrize("hw", sorted(MASTERS))
def test_tests_and_points_equal_the_autograder_zip(built, hw):
    master = read_master(MASTERS[hw])
    archive = _otter.archive_tests(built / "dist" / f"{hw}-autograder.zip")
    with_tests = {q.name: q for q in master.questions if q.tests}
    assert sorted(archive) == sorted(with_tests)
    assert all(not q.tests for q in master.manual_questions)
    for name, test_file in archive.items():
        q = with_tests[name]
        assert test_file.possible == pytest.approx(q.points), name
        zipped = [(c.body, c.hidden, c.points) for c in test_file.test_cases]
        assert zipped == [(t.body, t.hidden, pytest.approx(t.points)) for t in q.tests], name
    assert sum(t.hidden for q in master.questions for t in q.tests) >= 4


@pytest.mark.parametrize("hw", sorted(MASTERS))
def test_what_students_see_is_what_otter_writes(hw):
    """``split_solution`` shows exactly otter's ``replace_solutions`` of every code cell."""
    for cell in _cells(hw):
        if cell["cell_type"] == "code":
            lines = _otter.get_source(cell)
            assert _otter.split_solution(lines)[0] == replace_solutions(lines, "python")


@pytest.mark.parametrize("hw", sorted(MASTERS))
def test_other_spellings_are_read_identically(hw):
    original, respelled = _cells(hw), respell(_cells(hw))
    assert respelled != original
    assert read_cells(respelled) == read_cells(original)
    assert setup_of(respelled) == setup_of(original)
    assert [q.config for q in read_cells(respelled).questions] == [
        q.config for q in read_cells(original).questions
    ]
    assert manual_questions(respelled) == manual_questions(original)
    assert samples_needed(respelled) == samples_needed(original)


def test_otter_accepts_the_other_spellings(built, tmp_path):
    """otter assign writes the same tests from the respelled hw1 as from the original."""
    nb = json.loads(MASTERS["hw1"].read_text(encoding="utf-8"))
    nb["cells"] = respell(nb["cells"])
    (tmp_path / "hw1.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "otter",
            "assign",
            "--no-run-tests",
            str(tmp_path / "hw1.ipynb"),
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (zip_path,) = (tmp_path / "out" / "autograder").glob("*.zip")
    ours, theirs = (
        _otter.archive_tests(p) for p in [zip_path, built / "dist" / "hw1-autograder.zip"]
    )
    assert {n: [(c.body, c.hidden, c.points) for c in t.test_cases] for n, t in ours.items()} == {
        n: [(c.body, c.hidden, c.points) for c in t.test_cases] for n, t in theirs.items()
    }


def test_leak_scan_finds_the_secrets_of_a_respelled_master(tmp_path):
    for hw, path in MASTERS.items():
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb["cells"] = respell(nb["cells"])
        (tmp_path / f"{hw}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    respelled = collect_secrets({hw: tmp_path / f"{hw}.ipynb" for hw in MASTERS})
    original = collect_secrets(MASTERS)
    assert respelled == original and len(original) > 100
    kinds = {s.kind for s in respelled.values()}
    assert kinds == {"solution", "hidden test", "written solution"}
    # a student notebook with one hidden-test line and one solution line pasted in
    nb = nbformat.v4.new_notebook()
    planted = [
        next(s for s in respelled.values() if s.kind == kind and len(s.line) > 30)
        for kind in ("solution", "hidden test")
    ]
    nb.cells = [nbformat.v4.new_code_cell(f"x = 1\n    {s.line}  \n") for s in planted]
    leaks = scan_bytes("hw.ipynb", nbformat.writes(nb).encode(), respelled)
    assert {leak.secret for leak in leaks} == set(planted)


def _question(*cells):
    head = [
        {"cell_type": "raw", "source": "# BEGIN QUESTION\nname: q1\npoints: 1"},
        {"cell_type": "markdown", "source": "Write f."},
    ]
    return head + list(cells) + [{"cell_type": "raw", "source": "# END QUESTION"}]


def _raw(text):
    return {"cell_type": "raw", "source": text}


def _code(text):
    return {"cell_type": "code", "source": text, "outputs": [], "metadata": {}}


@pytest.mark.parametrize("marker", ["#BEGIN SOLUTION", "## BEGIN SOLUTION", "#  begin solution"])
def test_a_marker_otter_would_not_read_in_code_is_refused(marker):
    cells = _question(
        _raw("# BEGIN SOLUTION"),
        _code(f"def f(x):\n    {marker}\n    return x + 1\n    # END SOLUTION"),
        _raw("# END SOLUTION"),
    )
    with pytest.raises(ValueError, match="looks like a marker"):
        read_cells(cells)


@pytest.mark.parametrize("line", ["# BEGIN SOLUTION", "x = 42  # SOLUTION"])
def test_a_solution_marker_outside_a_solution_block_is_refused(line):
    with pytest.raises(ValueError, match="would show|shows it to students"):
        read_cells(_question(_code(f"y = 1\n{line}")))
    with pytest.raises(ValueError, match="would show|shows it to students"):
        read_cells([_code(f"y = 1\n{line}")])  # a set-up cell


def test_a_raw_cell_otter_would_not_read_as_a_marker_is_refused():
    cells = _question(_raw("#BEGIN SOLUTION"), _code("f = 1  # SOLUTION"), _raw("# END SOLUTION"))
    with pytest.raises(ValueError, match="otter does not read it as one"):
        read_cells(cells)


@pytest.mark.parametrize(
    "cells, message",
    [
        ([_raw("# BEGIN QUESTION\npoints: 1"), _raw("# END QUESTION")], "name"),
        (
            [_raw("# BEGIN QUESTION\nname: q1\nmanual: true"), _raw("# END QUESTION")],
            "points must be a number",
        ),
        (_question(_raw("# BEGIN TESTS")), "an end question cell inside an unended tests block"),
        (
            [_raw("# BEGIN QUESTION\nname: q1\npoints: 1"), _raw("# BEGIN TESTS")],
            "a tests block is never ended",
        ),
        ([_raw("# END TESTS")], "without its begin"),
        ([_raw("# BEGIN SOLUTION")], "outside a question"),
        (_question(_raw("# BEGIN QUESTION\nname: q2\npoints: 1")), "inside another block"),
        (
            _question(
                _raw("# BEGIN TESTS"), {"cell_type": "markdown", "source": "x"}, _raw("# END TESTS")
            ),
            "markdown cell in a tests block",
        ),
        (_question() + _question(), "two questions are named 'q1'"),
    ],
)
def test_malformed_masters_are_refused(cells, message):
    with pytest.raises(ValueError, match=message):
        read_cells(cells)


def test_solution_lines_and_sample_answers():
    cells = _question(
        _raw("# BEGIN SOLUTION"),
        _code(
            "def f(x):\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n"
            "    # END SOLUTION\ng = f(1)  # SOLUTION\n"
            "h = 2  # SOLUTION NO PROMPT"
        ),
        {"cell_type": "markdown", "source": "**Sample.** Because."},
        _raw("# END SOLUTION"),
    )
    (q,) = read_cells(cells).questions
    assert q.solution == (
        ("solution", "    y = x + 1"),
        ("solution", "    return y"),
        ("solution", "f(1)"),
        ("solution", "h = 2"),
        ("written solution", "**Sample.** Because."),
    )
    assert q.shown == ("def f(x):", "    ...", "g = ...")
    assert q.sample == "**Sample.** Because." and q.prompt == "Write f."


def test_hw4_data_the_submission_and_the_grader_need():
    master = read_master(MASTERS["hw4"])
    assert master.samples == [(5000, 0)]  # sent to the submission: its set-up cells load it
    # the hidden tests also load MNIST's official test images: on the grader's side only
    assert master.test_data == [("load_mnist",), ("mnist_sample", 5000, 0)]
    assert ("lecture_code", "mnist_sample") in allowed_lecture_code(master.imports)


@pytest.mark.parametrize("hw", sorted(MASTERS))
def test_archive_tests_are_read_as_otter_reads_them_without_running_them(built, hw, tmp_path):
    import zipfile

    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    ours = _otter.archive_tests(built / "dist" / f"{hw}-autograder.zip")
    with zipfile.ZipFile(built / "dist" / f"{hw}-autograder.zip") as zf:
        zf.extractall(tmp_path, [m for m in zf.namelist() if m.startswith("tests/")])
    for name, test in ours.items():
        theirs = create_test_file(str(tmp_path / "tests" / f"{name}.py"), NBMetadataConfig())
        assert (test.name, test.possible) == (theirs.name, theirs.possible)
        assert test.test_cases == theirs.test_cases


@pytest.mark.parametrize(
    "source",
    [
        "OK_FORMAT = True\nimport os\ntest = {'name': 'q1', 'points': 1, 'suites': []}",
        "OK_FORMAT = True\ntest = dict(name='q1')",
        "OK_FORMAT = False\ntest = {'name': 'q1'}",
        "test = {",
    ],
)
def test_a_test_file_that_is_not_a_literal_is_refused(source):
    with pytest.raises(ValueError, match="test file q1: not an OK-format test file"):
        _otter.read_test_source("q1", source)
