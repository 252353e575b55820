"""Tests of ``python -m course grade``: scores, statuses, the channel and the confinement.

One module-scoped ``assign`` (into a temporary folder) and one ``grade`` run per
homework are shared by the tests here; hw4 needs the MNIST files
(``MNIST_DATA_DIR``). The attacks are in test_grading_attacks.py.
"""

import csv
import json
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course import Question
from course import _channel
from course.grade import archive_questions, make_row, result_name
from course.worker import setup_of, uses_lecture_code

from _course import HOMEWORK, ROOT, cli, copy_to  # noqa: E402  (tests/ is on sys.path)
POINTS = {"hw1": 10, "hw2": 12, "hw3": 10, "hw4": 12}


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
    edited(solution, hw1 / "bits" / "hw1.ipynb",
           "weather_entropy = entropy(weather)", "weather_entropy = entropy(weather, base=2)")
    edited(solution, hw1 / "raises" / "hw1.ipynb", "import numpy as np", "import nump as np")
    (hw1 / "corrupt").mkdir()
    (hw1 / "corrupt" / "hw1.ipynb").write_text("this is not a notebook\n")
    # Jupyter's autosaved copy is not a submission
    copy_to(solution, hw1 / "bits" / ".ipynb_checkpoints" / "hw1-checkpoint.ipynb")
    # two paths whose old result names collided
    copy_to(book / "hw1.ipynb", hw1 / "a__b" / "c" / "hw1.ipynb")
    copy_to(book / "hw1.ipynb", hw1 / "a" / "b__c" / "hw1.ipynb")
    # hw2: a table without eps loses exactly its hidden test of table_exact
    edited(dist / "hw2-solutions.ipynb", subs / "hw2" / "partial" / "hw2.ipynb",
           "table_exact = cross_entropy(np.broadcast_to(p, Q.shape), Q, eps=0)",
           "table_exact = cross_entropy(np.broadcast_to(p, Q.shape), Q)")
    for hw in HOMEWORK:
        cli("grade", hw, subs / hw, "--out", out / f"{hw}.csv", "--jobs", 2,
            "--timeout", 120, "--autograder", dist / f"{hw}-autograder.zip")
        results[hw] = read_csv(out / f"{hw}.csv")
    return results


# --- pure helpers ------------------------------------------------------------

def test_make_row_rounds_and_fills_missing_questions():
    qs = [Question("q1", 1.5), Question("q2", 1.5)]
    row = make_row("x.ipynb", qs, {"status": "ok", "scores": {"q1": {"score": 0.1 + 0.2}}})
    assert row == {"file": "x.ipynb", "q1": 0.3, "q2": 0, "total": 0.3, "max": 3, "status": "ok"}


def test_result_names_are_injective():
    paths = ["a__b/c.ipynb", "a/b__c.ipynb", "a_b/c.ipynb", "a/b_c.ipynb", "a b/c.ipynb",
             "a/hw1.ipynb", "b/hw1.ipynb", "a_2fb/c.ipynb"]
    names = [result_name(p) for p in paths]
    assert len(set(names)) == len(paths)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+\.json", n) for n in names)


def test_questions_and_points_come_from_the_archive(built):
    assert archive_questions(built / "dist" / "hw4-autograder.zip") == [
        Question("q1", 2), Question("q2", 4), Question("q3", 2), Question("q4", 2),
        Question("q5", 2)]


def test_setup_of_master_lists_imports_and_given_cells():
    cells = json.loads((ROOT / "homework" / "hw4" / "hw4.ipynb").read_text())["cells"]
    setup = setup_of(cells)
    assert "import numpy as np" in setup["imports"]
    assert "from lecture_code import mnist_sample" in setup["imports"]
    assert not any("MLPClassifier(hidden_layer_sizes" in g for g in setup["given"])


@pytest.mark.parametrize("source", [
    "import lecture_code", "import lecture_code.information as info",
    "from lecture_code import entropy", "from lecture_code.losses import focal_loss",
    "import importlib\nm = importlib.import_module('lecture_code')",
    "import sys\nf = sys.modules['lecture_code'].entropy",
    "m = __import__('lecture' + '_code')",
])
def test_uses_of_lecture_code_are_found_in_the_source(source):
    assert uses_lecture_code(source, [("lecture_code", "mnist_sample")])


def test_allowed_imports_and_other_code_are_not_uses_of_lecture_code():
    allowed = [("lecture_code", "mnist_sample")]
    assert not uses_lecture_code("from lecture_code import mnist_sample", allowed)
    assert not uses_lecture_code("import numpy as np\nx = np.log(2)  # no lecture", allowed)
    assert uses_lecture_code("from lecture_code import mnist_sample, entropy", allowed)


# --- the channel --------------------------------------------------------------

def _no_handles(value):
    raise AssertionError(f"unexpected handle {value}")


def test_channel_round_trips_plain_data():
    from types import SimpleNamespace

    value = [None, True, 3, 2.5, "x", (1, 2), {"a": np.arange(6).reshape(2, 3)},
             np.float64(0.25), np.array([True, False]), SimpleNamespace(w=np.zeros(2))]
    back = _channel.decode(json.loads(json.dumps(_channel.encode(value, _no_handles))),
                           _no_handles)
    assert back[:5] == value[:5] and back[5] == (1, 2)
    assert type(back[6]["a"]) is np.ndarray and np.array_equal(back[6]["a"], value[6]["a"])
    assert type(back[7]) is np.float64 and back[7] == 0.25
    assert back[8].dtype == bool and np.array_equal(back[9].w, np.zeros(2))


def test_channel_sends_ndarray_subclasses_as_plain_arrays():
    class Always(np.ndarray):
        def __eq__(self, other):
            return True

    crafted = np.zeros(3).view(Always)
    back = _channel.decode(_channel.encode(crafted, _no_handles), _no_handles)
    assert type(back) is np.ndarray and not (back == 1).any()


@pytest.mark.parametrize("value, message", [
    ({"$": "nd", "v": "bm90IGFuIGFycmF5"}, "not a plain NumPy array"),
    ({"$": "pickle", "v": "gASVAAAA"}, "unknown value tag"),
    ({"x": 1}, "not a channel value"),
    ({"$": "np", "v": None}, "unknown value tag"),
])
def test_channel_rejects_what_is_not_plain_data(value, message):
    with pytest.raises(_channel.ProtocolError, match=message):
        _channel.decode(value, _no_handles)


def test_channel_rejects_object_arrays_and_pickles():
    import base64
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([object()]), allow_pickle=True)
    value = {"$": "nd", "v": base64.b64encode(buf.getvalue()).decode()}
    with pytest.raises(_channel.ProtocolError, match="not a plain NumPy array"):
        _channel.decode(value, _no_handles)


def test_channel_rejects_structured_arrays():
    value = _channel.encode(np.zeros(2), _no_handles)
    import base64
    import io

    buf = io.BytesIO()
    np.save(buf, np.zeros(2, dtype=[("a", "f8")]), allow_pickle=False)
    value["v"] = base64.b64encode(buf.getvalue()).decode()
    with pytest.raises(_channel.ProtocolError, match="not plain data"):
        _channel.decode(value, _no_handles)


def test_channel_rejects_too_deep_and_too_large_messages():
    deep = 0
    for _ in range(_channel.MAX_DEPTH + 2):
        deep = {"$": "list", "v": [deep]}
    with pytest.raises(_channel.ProtocolError, match="nested too deeply"):
        _channel.decode(deep, _no_handles)
    a, b = socket.socketpair()
    with a, b:
        a.sendall((_channel.MAX_MESSAGE + 1).to_bytes(4, "big"))
        with pytest.raises(_channel.ProtocolError, match="over the"):
            _channel.receive(b)


# --- the confinement ----------------------------------------------------------

def test_landlock_confines_a_process(tmp_path):
    """A confined process cannot read or write outside its folder, nor connect to 127.0.0.1."""
    from course import _landlock

    assert _landlock.abi_version() >= 4, "this kernel must have Landlock with TCP rules"
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden tests")
    box = tmp_path / "box"
    box.mkdir()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    script = textwrap.dedent(f"""
        import os, socket, sys
        sys.path.insert(0, {str(ROOT / "course")!r})
        import _landlock
        print(_landlock.restrict([sys.prefix, sys.base_prefix], [{str(box)!r}]))
        open({str(box / "mine.txt")!r}, "w").write("ok")
        for attempt in [lambda: open({str(secret)!r}).read(),
                        lambda: open({str(tmp_path / "out.txt")!r}, "w"),
                        lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5)]:
            try:
                attempt()
                print("allowed")
            except PermissionError:
                print("PermissionError")
    """)
    with server:
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=60)
    assert proc.stdout.splitlines() == ["['filesystem', 'network', 'signals']"] + [
        "PermissionError"] * 3, proc.stderr
    assert (box / "mine.txt").read_text() == "ok" and not (tmp_path / "out.txt").exists()


# --- the grade command ------------------------------------------------------------

@pytest.mark.parametrize("hw", HOMEWORK)
def test_master_solutions_score_full_marks(graded, hw):
    row = graded[hw]["solution"]
    assert row["status"] == "ok"
    assert float(row["total"]) == float(row["max"]) == POINTS[hw]


@pytest.mark.parametrize("hw", HOMEWORK)
def test_untouched_student_notebook_scores_zero(graded, hw):
    row = graded[hw]["untouched"]
    assert row["status"] == "ok"  # it runs top to bottom without raising
    assert float(row["total"]) == 0


def test_entropy_in_bits_loses_exactly_question_3(graded):
    row = graded["hw1"]["bits"]
    assert row["status"] == "ok"
    assert [row[q] for q in ["q1", "q2", "q3", "q4"]] == ["2", "3", "0", "3"]
    assert row["total"] == "8" and row["max"] == "10"


def test_checkpoints_are_not_graded_and_names_do_not_collide(graded, built):
    rows = graded["hw1"]
    assert not any(".ipynb_checkpoints" in r["file"] for r in rows.values())
    assert len(rows) == 7 and {"c", "b__c"} <= set(rows)  # two rows, not one
    details = sorted((built / "grades" / "hw1-results").glob("*.json"))
    assert len(details) == 7


def test_corrupt_submission_is_an_error(graded):
    row = graded["hw1"]["corrupt"]
    assert row["status"].startswith("error: not a Jupyter notebook") and row["total"] == "0"


def test_submission_raising_at_import_scores_zero_with_status(graded):
    row = graded["hw1"]["raises"]
    assert re.match(r"error: cell \d+ raised ModuleNotFoundError", row["status"])
    assert row["total"] == "0"


def test_csv_is_sorted_and_has_json_details(built, graded):
    with open(built / "grades" / "hw1.csv", newline="") as f:
        reader = csv.reader(f)
        header, rows = next(reader), list(reader)
    assert header == ["file", "q1", "q2", "q3", "q4", "total", "max", "status"]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    detail = json.loads((built / "grades" / "hw1-results" / result_name(rows[0][0])).read_text())
    assert detail["file"] == rows[0][0]
    assert {"filesystem", "network", "signals"} <= set(detail["confinement"])


def test_regrading_gives_the_same_rows(built, graded):
    subs = built / "submissions" / "hw1"
    out = built / "again" / "hw1.csv"
    cli("grade", "hw1", subs / "bits", subs / "corrupt", "--out", out, "--jobs", 2,
        "--autograder", built / "dist" / "hw1-autograder.zip")
    again = read_csv(out)
    assert again == {k: graded["hw1"][k] for k in ["bits", "corrupt"]}


def test_grade_without_autograder_says_what_to_do(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "course", "grade", "hw1", "x.ipynb",
                           "--out", tmp_path / "g.csv", "--autograder", tmp_path / "missing.zip"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0 and "run `python -m course assign` first" in proc.stderr


@pytest.mark.parametrize("hw, name", [("hw1", "bits"), ("hw2", "partial")])
def test_scores_agree_with_otters_own_runner(built, graded, tmp_path, monkeypatch, hw, name):
    # otter's standard runner executes the notebook and the tests in one Jupyter
    # kernel: an independent reference for the two processes of the grade command
    from otter.api import grade_submission

    monkeypatch.chdir(tmp_path)
    submission = built / "submissions" / hw / name / f"{hw}.ipynb"
    results = grade_submission(str(submission), str(built / "dist" / f"{hw}-autograder.zip"),
                               quiet=True)
    row = graded[hw][name]
    questions = [q.name for q in archive_questions(built / "dist" / f"{hw}-autograder.zip")]
    ours = {q: float(row[q]) for q in questions}
    assert {q: results.get_score(q) for q in questions} == ours
    assert 0 < sum(ours.values()) < POINTS[hw]  # a partial score, so the comparison bites


def test_a_runner_started_cold_grades_the_same(built, tmp_path):
    # without the batch's zygote (e.g. a socket path too long), each runner starts fresh
    from course.grade import DEFAULT_LIMITS
    from course.worker import grade

    (tmp_path / "work").mkdir()
    (tmp_path / "run").mkdir()
    cells = json.loads((ROOT / "homework" / "hw1" / "hw1.ipynb").read_text())["cells"]
    result = grade(str(built / "dist" / "hw1-solutions.ipynb"),
                   str(built / "dist" / "hw1-autograder.zip"), "hw1", work=tmp_path / "work",
                   run_dir=tmp_path / "run", setup=setup_of(cells),
                   limits={**DEFAULT_LIMITS, "cpu": 120}, timeout=120)
    assert result["status"] == "ok"
    assert {q: s["score"] for q, s in result["scores"].items()} == {
        "q1": 2, "q2": 3, "q3": 2, "q4": 3}
    assert {"filesystem", "network", "signals"} <= set(result["confinement"])


def test_memory_limit_must_be_a_size(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "course", "grade", "hw1", "x.ipynb",
                           "--out", tmp_path / "g.csv", "--memory", "lots"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "size must look like 2G, 512M or 1048576; got 'lots'" in (
        proc.stderr)
