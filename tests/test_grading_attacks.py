"""Submissions that attack the grader, graded in one batch with honest ones.

Every attack notebook is made here from the student notebook
``book/homework/hw1.ipynb``: the same honest-but-wrong answers (``WRONG``) plus
one attack. One ``grade`` run (``--jobs 2``, a short timeout) grades them all
with an honest solution; then no attack may score more than the wrong answers
on any question, every notebook has its row, and the honest ones keep full
marks. The attacks only aim at 127.0.0.1 and at files of this test's
temporary folder.
"""

import csv
import glob
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 20
QUESTIONS = ["q1", "q2", "q3", "q4"]

RIGHT = {
    "q1": """
        def surprise(p, base=None):
            s = -np.log(np.asarray(p, dtype=float))
            return s if base is None else s / np.log(base)
    """,
    "q2": """
        def entropy(p, base=None):
            p = np.asarray(p, dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                h = -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)
            return h if base is None else h / np.log(base)
    """,
    "q3": """
        weather = np.array([0.90, 0.05, 0.04, 0.01])
        weather_entropy = entropy(weather)
        uniform_entropy = entropy(np.ones(4) / 4)
        larger = "uniform"
    """,
    "q4": """
        def information_gain(parent, left, right):
            def h(labels):
                _, counts = np.unique(labels, return_counts=True)
                return entropy(counts / counts.sum(), base=2)
            n = len(parent)
            return h(parent) - len(left) / n * h(left) - len(right) / n * h(right)
    """,
}
#: Honest but wrong: q1 right, the rest wrong (entropy has the wrong sign).
WRONG = {**RIGHT, "q2": """
        def entropy(p, base=None):
            p = np.asarray(p, dtype=float)
            return np.sum(p * np.log(p), axis=-1)
    """, "q3": """
        weather = np.array([0.90, 0.05, 0.04, 0.01])
        weather_entropy = 0.5
        uniform_entropy = 1.0
        larger = "weather"
    """, "q4": """
        def information_gain(parent, left, right):
            return 0.0
    """}


def attacks(tmp, port):
    """Attack name -> (where, code): code replaces an answer ("q2") or is a cell
    inserted after the set-up ("start"), after q1's check ("middle") or at the end."""
    zip_path, subs = tmp / "dist" / "hw1-autograder.zip", tmp / "submissions"
    master = ROOT / "homework" / "hw1" / "hw1.ipynb"
    return {
        "forges_result": ("end", """
            import glob, json, os
            fake = {"status": "ok", "scores": {q: {"score": 9, "possible": 9}
                                              for q in ["q1", "q2", "q3", "q4"]}}
            for d in [".", "..", "../..", "/tmp", *glob.glob("/tmp/course-grade-*/*")]:
                try:
                    with open(os.path.join(d, "result.json"), "w") as f:
                        json.dump(fake, f)
                except OSError:
                    pass
            os._exit(0)
        """),
        "patches_otter": ("start", """
            import sys
            for name, module in list(sys.modules.items()):
                if name.startswith("otter"):
                    for attr in ["Checker", "GradingResults", "TestFile", "OKTestFile"]:
                        if hasattr(module, attr):
                            setattr(module, attr, None)
            try:
                import otter.test_files.abstract_test as at
                at.TestFile.score = property(lambda self: self.possible)
            except Exception:
                pass
            grader.check = lambda *args, **kwargs: None
        """),
        "patches_numpy": ("start", """
            np.isclose = np.allclose = np.array_equal = lambda *a, **k: True
            np.shape = lambda x: (2, 3)
        """),
        "patches_builtins": ("start", """
            import builtins, doctest
            builtins.isinstance = lambda *a: True
            builtins.len = lambda x: 2
            builtins.AssertionError = type("Never", (Exception,), {})
            doctest.DocTestRunner.run = lambda *a, **k: doctest.TestResults(0, 1)
            def list(*a):
                return [False, False, False, True, True, True]
        """),
        "reads_tests": ("middle", f"""
            import glob, os, re, shutil, zipfile
            stolen = ""
            for path in [{str(zip_path)!r}, {str(master)!r},
                         *glob.glob("/tmp/course-grade-*/*/work/tests/*.py"),
                         *glob.glob("../**/*.py", recursive=True)]:
                try:
                    if path.endswith(".zip"):
                        with zipfile.ZipFile(path) as zf:
                            stolen += zf.read("tests/q3.py").decode()
                    else:
                        stolen += open(path).read()
                    shutil.copy(path, ".")
                except Exception:
                    pass
            found = re.findall(r"0\\.4194178", stolen)
            weather_entropy = float(found[0]) if found else 0.5
        """),
        "kills_parent": ("start", """
            import os, signal
            for kill in [lambda: os.kill(os.getppid(), signal.SIGKILL),
                         lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
                         lambda: os.killpg(0, signal.SIGTERM)]:
                try:
                    kill()
                except OSError:
                    pass
        """),
        "exits": ("middle", "import os\nos._exit(0)"),
        "system_exit": ("middle", "raise SystemExit(0)"),
        "keyboard_interrupt": ("middle", "raise KeyboardInterrupt"),
        "interrupts_tests": ("q2", """
            def entropy(p, base=None):
                raise KeyboardInterrupt
        """),
        "allocates": ("start", """
            hog = []
            while True:
                hog.append(bytearray(2**28))
        """),
        "forks": ("start", """
            import os, time
            for _ in range(1000):
                if os.fork() == 0:
                    time.sleep(1000)
                    os._exit(0)
        """),
        "prints_gigabytes": ("start", """
            import sys
            line = "x" * 2**20
            for _ in range(1024):
                print(line)
                sys.stderr.write(line)
        """),
        "sleeps": ("end", "import time\ntime.sleep(10**6)"),
        "deletes": ("start", f"""
            import os, shutil
            shutil.rmtree("..", ignore_errors=True)
            shutil.rmtree({str(subs)!r}, ignore_errors=True)
            for path in [{str(zip_path)!r}, {str(master)!r}]:
                try:
                    os.remove(path)
                except OSError:
                    pass
        """),
        "connects": ("start", f"""
            import socket
            for attempt in [lambda: socket.create_connection(("127.0.0.1", {port}),
                                                             timeout=2).sendall(b"stolen"),
                            lambda: socket.create_server(("127.0.0.1", 0)),
                            lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                                          .sendto(b"stolen", ("127.0.0.1", {port}))]:
                try:
                    attempt()
                except OSError:
                    pass
        """),
        "delegates": ("q2", """
            from lecture_code import entropy as _entropy
            def entropy(p, base=None):
                return _entropy(p, base=base)
        """),
        "delegates_hidden": ("q2", """
            import importlib, sys
            _name = bytes([108, 101, 99, 116, 117, 114, 101, 95, 99, 111, 100, 101]).decode()
            sys.modules.pop(_name, None)
            _lc = importlib.import_module(_name)
            def entropy(p, base=None):
                return _lc.entropy(p, base=base)
        """),
        "crafted_objects": ("q2", """
            class Yes(np.ndarray):
                def __eq__(self, other):
                    return np.ones(np.shape(self), bool).view(Yes)
                def __bool__(self):
                    return True
            class Always:
                def __eq__(self, other):
                    return True
                def __bool__(self):
                    return True
                def __float__(self):
                    return 0.5
                def __len__(self):
                    return 2
            def entropy(p, base=None):  # the wrong answers' values, in disguise
                p = np.asarray(p, dtype=float)
                return np.asarray(np.sum(p * np.log(p), axis=-1)).view(Yes)
            weather_entropy = Always()
        """),
        "forges_replies": ("start", """
            import json, os, struct
            reply = json.dumps({"value": True}).encode()
            for fd in range(3, 64):
                try:
                    os.write(fd, struct.pack(">I", len(reply)) + reply)
                except OSError:
                    pass
        """),
    }


def make_notebook(student, answers, dest, attack=None):
    """The student notebook with ``answers`` in its answer cells, plus an attack."""
    nb = nbformat.read(student, as_version=4)
    answer_cells = [c for c in nb.cells if c.cell_type == "code"  # not q3b's written answer
                    and "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answer_cells) == len(QUESTIONS)
    where, code = attack or (None, None)
    for q, cell in zip(QUESTIONS, answer_cells):
        cell.source = textwrap.dedent(code if where == q else answers[q]).strip()
    if where in ("start", "middle", "end"):
        checks = [i for i, c in enumerate(nb.cells) if c.source.startswith("grader.check(")]
        setup = next(i for i, c in enumerate(nb.cells) if "otter.Notebook(" in c.source)
        at = {"start": setup + 1, "middle": checks[0] + 1, "end": len(nb.cells)}[where]
        nb.cells.insert(at, nbformat.v4.new_code_cell(textwrap.dedent(code).strip()))
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


def _cgroups(grader_pid):
    """The pids cgroups that the grading run ``grader_pid`` made and left behind.

    Only this run's: another grading run on the machine has cgroups of its own.
    """
    return set(glob.glob(f"/sys/fs/cgroup/pids/course-grade-{grader_pid}-*")
               + glob.glob(f"/sys/fs/cgroup/course-grade-{grader_pid}-*"))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Assign hw1, make the notebooks, grade them in one run; return rows and what leaked."""
    tmp = tmp_path_factory.mktemp("attacks")
    subprocess.run([sys.executable, "-m", "course", "assign", "hw1", "--book-dir", tmp / "book",
                    "--dist-dir", tmp / "dist", "--no-execute", "--no-run-tests"],
                   cwd=ROOT, check=True, capture_output=True)
    server = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", server.getsockname()[1]))
    udp.settimeout(0.2)
    server.settimeout(0.2)
    received, stop = [], threading.Event()

    def listen():
        while not stop.is_set():
            for sock in (server, udp):
                try:
                    received.append(sock.accept() if sock is server else sock.recv(100))
                except OSError:
                    pass

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    student, subs = ROOT / "book" / "homework" / "hw1.ipynb", tmp / "submissions"
    make_notebook(student, RIGHT, subs / "honest" / "hw1.ipynb")
    make_notebook(student, WRONG, subs / "wrong" / "hw1.ipynb")
    (subs / "solution").mkdir()
    (subs / "solution" / "hw1.ipynb").write_bytes((tmp / "dist" / "hw1-solutions.ipynb")
                                                 .read_bytes())
    names = attacks(tmp, server.getsockname()[1])
    for name, attack in names.items():
        make_notebook(student, WRONG, subs / name / "hw1.ipynb", attack)
    grading = subprocess.Popen([sys.executable, "-m", "course", "grade", "hw1", subs,
                                "--out", tmp / "grades.csv", "--jobs", "2",
                                "--timeout", str(TIMEOUT),
                                "--autograder", tmp / "dist" / "hw1-autograder.zip"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    stdout, stderr = grading.communicate(timeout=900)
    proc = subprocess.CompletedProcess(grading.args, grading.returncode, stdout, stderr)
    stop.set()
    listener.join()
    server.close()
    udp.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(tmp / "grades.csv", newline="") as f:
        rows = {Path(r["file"]).parent.name: r for r in csv.DictReader(f)}
    return {"rows": rows, "names": list(names), "received": received, "tmp": tmp,
            "leftover_cgroups": _cgroups(grading.pid)}


def test_every_submission_has_one_row(batch):
    assert sorted(batch["rows"]) == sorted(batch["names"] + ["honest", "wrong", "solution"])


def test_honest_solutions_keep_full_marks(batch):
    for name in ["honest", "solution"]:
        row = batch["rows"][name]
        assert (row["status"], row["auto total"], row["auto max"]) == ("ok", "11", "11"), row
        assert row["q3b"] == "" and row["manual max"] == "2"  # graded by hand, not here


def test_wrong_answers_score_what_they_earn(batch):
    row = batch["rows"]["wrong"]
    assert row["status"] == "ok" and row["q1"] == "2" and float(row["auto total"]) < 11


@pytest.mark.parametrize("name", list(attacks(Path("/x"), 0)))
def test_no_attack_gains_a_point(batch, name):
    row, wrong = batch["rows"][name], batch["rows"]["wrong"]
    assert all(float(row[q]) <= float(wrong[q]) for q in QUESTIONS), (name, row)


@pytest.mark.parametrize("name, status", [
    ("allocates", "error: memory limit (2 GiB)"),
    ("forks", "error: process limit (64)"),
    ("sleeps", f"timeout ({TIMEOUT} s)"),
    ("exits", "error: submission process exited (exit code 0)"),
    ("forges_result", "error: submission process exited (exit code 0)"),
])
def test_limits_and_exits_are_named_in_the_status(batch, name, status):
    assert batch["rows"][name]["status"] == status


def test_delegating_to_lecture_code_scores_zero_with_a_note(batch):
    row = batch["rows"]["delegates"]
    assert "q2, q3, q4: 0 (lecture_code used in cell" in row["status"]
    assert [row[q] for q in QUESTIONS] == ["2", "0", "0", "0"]
    hidden = batch["rows"]["delegates_hidden"]  # the stand-in lecture_code has no entropy
    assert "raised" in hidden["status"] and float(hidden["q2"]) == 0


def test_nothing_leaked_or_was_deleted(batch):
    assert batch["received"] == []  # no TCP connection, no UDP datagram reached 127.0.0.1
    tmp = batch["tmp"]
    assert (tmp / "dist" / "hw1-autograder.zip").is_file()
    assert (ROOT / "homework" / "hw1" / "hw1.ipynb").is_file()
    assert (tmp / "submissions" / "wrong" / "hw1.ipynb").is_file()
    assert batch["leftover_cgroups"] == set()  # every process of every submission is gone
