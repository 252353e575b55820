"""hw4 is graded from data: the fitted parameters, on images the submission never sees.

One ``grade`` batch of five hw4 notebooks: the solutions, an honest but weak
model (2 hidden units), the same weak model made to *look* perfect (its
``predict``, ``predict_proba`` and ``score`` look labels up from the notebook's
own validation images, the attack of issue 19), and two models whose parameters
are wrong: a NaN weight, and nested lists with a bias of the wrong length. The
grader reads only the parameters and runs its own NumPy forward pass on MNIST's
official test images, so the lookup table gains nothing, and bad parameters
give a clear 0, never a crash. Needs the MNIST files (``MNIST_DATA_DIR``).
"""

import csv
from pathlib import Path

import nbformat
import pytest

from _course import run_course  # (tests/ is on sys.path)

ROOT = Path(__file__).resolve().parents[2]

#: The model cell of the solutions, as the master writes it.
SOLUTION = (
    "model = MLPClassifier(hidden_layer_sizes=(30,), alpha=1e-3, max_iter=40, random_state=1)"
)

FIT = """
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = MLPClassifier({}).fit(X_train, y_train)
"""

WEAK = FIT.format("hidden_layer_sizes=(2,), max_iter=30, random_state=0")

#: A real, fitted 2-unit network whose instance methods answer from a lookup table of the
#: validation images (the notebook has X_val and y_val): perfect on them, useless elsewhere.
LOOKUP = (
    WEAK
    + """
import types as _types
_table = {x.tobytes(): label for x, label in zip(X_val, y_val)}
def _lookup(self, X):
    return np.array([_table.get(np.asarray(x).tobytes(), 0) for x in X])
def _lookup_proba(self, X):
    return np.eye(10)[_lookup(self, X)] * (1 - 1e-9) + 1e-10
def _lookup_score(self, X, y):
    return float(np.mean(_lookup(self, X) == np.asarray(y)))
model.predict = _types.MethodType(_lookup, model)
model.predict_proba = _types.MethodType(_lookup_proba, model)
model.score = _types.MethodType(_lookup_score, model)
"""
)

#: The solution's network with one weight that is not a number.
BROKEN = (
    FIT.format("hidden_layer_sizes=(30,), alpha=1e-3, max_iter=40, random_state=1")
    + """
model.coefs_[0][0, 0] = np.nan
"""
)


#: The same parameters as nested lists, and the output layer's shape off by one.
RESHAPED = (
    FIT.format("hidden_layer_sizes=(30,), alpha=1e-3, max_iter=40, random_state=1")
    + """
model.coefs_ = [w.tolist() for w in model.coefs_]
model.intercepts_ = [b[:-1] for b in model.intercepts_]
"""
)


def _variant(solutions, dest, source=None):
    """The solutions with the model cell replaced by ``source`` (None: unchanged)."""
    nb = nbformat.read(solutions, as_version=4)
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and SOLUTION in c.source]
    if source is not None:
        cell.source = source
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


@pytest.fixture(scope="module")
def rows(built):
    solutions = built / "dist" / "hw4-solutions.ipynb"
    subs = built / "hw4-data-only"
    _variant(solutions, subs / "solution" / "hw4.ipynb")
    _variant(solutions, subs / "weak" / "hw4.ipynb", WEAK)
    _variant(solutions, subs / "lookup" / "hw4.ipynb", LOOKUP)
    _variant(solutions, subs / "broken" / "hw4.ipynb", BROKEN)
    _variant(solutions, subs / "reshaped" / "hw4.ipynb", RESHAPED)
    out = built / "hw4-data-only.csv"
    proc = run_course(
        "grade",
        "hw4",
        str(subs),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--timeout",
        "150",
        "--autograder",
        str(built / "dist" / "hw4-autograder.zip"),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out, newline="", encoding="utf-8") as f:
        return {Path(r["file"]).parent.name: r for r in csv.DictReader(f)}


def _scores(row):
    return {q: float(row[q]) for q in ["q1", "q2", "q3", "q4", "q5", "q6"]}


def test_the_solutions_score_full_marks(rows):
    assert rows["solution"]["status"] == "ok"
    assert _scores(rows["solution"]) == {"q1": 2, "q2": 4, "q3": 2, "q4": 2, "q5": 2, "q6": 2}


def test_a_lookup_table_model_gains_nothing(rows):
    weak, lookup = _scores(rows["weak"]), _scores(rows["lookup"])
    # the weak network: valid parameters (1 point of q2), misses 90% on the held-out images
    assert weak["q2"] == 1 and sum(weak.values()) < 14
    assert all(lookup[q] <= weak[q] for q in weak), (lookup, weak)
    # its "perfect" confusion matrix disagrees with the one its parameters give (the
    # hidden test), so the lookup loses what the honest weak model keeps
    assert lookup["q3"] < weak["q3"] and lookup["q2"] == weak["q2"] == 1


def test_a_weight_that_is_not_a_number_scores_0_without_a_crash(rows):
    broken = _scores(rows["broken"])
    # checked before use: 0 for each hidden test that reads the parameters
    assert broken["q2"] == 0 and broken["q3"] == 1 and broken["q5"] < 2
    assert broken["q1"] == 2 and broken["q4"] == 2 and broken["q6"] == 2  # the functions count
    assert rows["broken"]["status"] == "ok"


def test_parameters_of_the_wrong_type_or_shape_score_0_without_a_crash(rows):
    reshaped = _scores(rows["reshaped"])
    assert reshaped["q2"] == 0 and reshaped["q3"] < 2
    assert reshaped["q1"] == 2 and reshaped["q6"] == 2
    assert not rows["reshaped"]["status"].startswith("error: grad")  # no crash of the grader
