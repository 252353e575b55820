"""One model of a homework master, read once with otter's own readers of its markers.

A master (``homework/<hw>/<hw>.ipynb``, otter-grader 7.0.0's assign format)
is read by :func:`read_master` into a :class:`Master`: its ``# ASSIGNMENT
CONFIG``, its set-up cells (code outside questions) and their imports, and its
questions, each with its name, points, manual flag, prompt, solution lines,
public and hidden tests and sample answer, and the data its hidden tests load.
Every consumer (``list``, ``assign``, the leak scan and ``release``, manual
grading, the grader and the tests) reads a master through this model, and the
markers are recognised by otter's own code (:mod:`course._otter`), so any
spelling otter accepts (``#  BEGIN SOLUTION``, ``# begin tests``, a fenced
```` ```otter ```` block) is read the same way here.

A line that looks like a marker but that otter would not read as one (say
``#BEGIN SOLUTION`` in a raw cell, or ``#  BEGIN SOLUTION`` inside a code
cell, where otter only knows ``# BEGIN SOLUTION``) is an error: otter would
show it, and what follows it, to students.
"""

import ast
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import _otter
from .masters import Question, natural_key, tidy_number

#: Anything that looks like one of otter's block markers, however spelled.
_LOOSE_MARKER = re.compile(
    r"^\s*#+\s*(begin|end)\s*(question|prompt|solution|tests)\b", re.IGNORECASE
)
#: The data loaders of ``lecture_code`` whose calls a master's cells may make.
_LOADERS = ("mnist_sample", "load_mnist")


@dataclass(frozen=True)
class Test:
    """One test of a question: otter's doctest ``body``, the master's ``code``, its points."""

    body: str
    code: str
    hidden: bool
    points: float


@dataclass(frozen=True)
class MasterQuestion:
    """A question of a master.

    ``prompt`` is its first Markdown cell (what a student reads first; manual
    grading finds the answer after it), ``text`` all its public cells;
    ``solution`` the ``(kind, line)`` pairs a student must never see (code
    removed by otter, and the Markdown of its solution block); ``sample`` that
    Markdown (the sample answer and rubric of a manual question); ``shown`` the
    lines of its solution cells that students do see.
    """

    name: str
    points: float
    manual: bool
    prompt: str
    text: str
    solution: tuple
    sample: str
    shown: tuple
    tests: tuple
    config: dict = field(default_factory=dict, compare=False)

    @property
    def summary(self):
        """The :class:`course.masters.Question` (name, points, manual) of this question."""
        return Question(self.name, self.points, self.manual)

    @property
    def hidden_tests(self):
        return tuple(t for t in self.tests if t.hidden)

    @property
    def public_tests(self):
        return tuple(t for t in self.tests if not t.hidden)


@dataclass(frozen=True)
class Master:
    """A master notebook, read once (see the module's docstring)."""

    name: str
    config: dict
    setup: tuple
    public_markdown: tuple
    questions: tuple

    @property
    def imports(self):
        """The import statements of the set-up cells, in order, each once."""
        found = []
        for source in self.setup:
            tree = _python(source)
            for node in ast.walk(tree) if tree else []:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found.append(ast.unparse(node))
        return list(dict.fromkeys(found))

    @property
    def given(self):
        """The set-up cells' sources, whitespace-normalised (a submission's copy is no answer)."""
        return [normalise_lines(s) for s in self.setup]

    @property
    def samples(self):
        """``(n, random_state)`` of each ``mnist_sample`` call of the set-up cells (sorted).

        These are the only data a submission's process is sent while graded.
        """
        return sorted({call[1:] for call in _data_calls(self.setup) if call[0] == "mnist_sample"})

    @property
    def test_data(self):
        """The data calls of the hidden tests: ``("mnist_sample", n, seed)`` or ``("load_mnist",)``.

        They run on the grader's side only; the submission never gets this data.
        """
        return sorted(set(_data_calls(t.code for q in self.questions for t in q.hidden_tests)))

    @property
    def manual_questions(self):
        return tuple(q for q in self.questions if q.manual)

    @property
    def auto_questions(self):
        return tuple(q for q in self.questions if not q.manual)

    def secrets(self):
        """``(question, kind, line)`` of every line a student must not see."""
        found = []
        for q in self.questions:
            found.extend((q.name, kind, line) for kind, line in q.solution)
            for test in q.hidden_tests:
                found.extend((q.name, "hidden test", line) for line in test.code.splitlines())
        return found

    def public_text(self):
        """Everything a student sees of the master: prompts, given code, public tests."""
        parts = [*self.public_markdown, *self.setup]
        for q in self.questions:
            parts.extend([q.text, *q.shown, *(t.code for t in q.public_tests)])
        return "\n".join(parts)


def normalise_lines(source):
    """A cell's source without blank lines or indentation (for comparing given cells)."""
    return "\n".join(line.strip() for line in source.splitlines() if line.strip())


def _python(source):
    """A cell's source as a Python AST (IPython magics turned into calls), or None."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError, TypeError):
        return None


def _data_calls(sources):
    """``("mnist_sample", n, random_state)`` and ``("load_mnist",)`` calls with literal arguments.

    A loader imported under another name (``from lecture_code import mnist_sample as _s``)
    is followed.

    >>> _data_calls(["from lecture_code import mnist_sample as _s\\n"
    ...              "X, y = _s(200, random_state=1)"])
    [('mnist_sample', 200, 1)]
    """
    found = []
    for source in sources:
        tree = _python(source)
        nodes = list(ast.walk(tree)) if tree else []
        names = {name: name for name in _LOADERS}
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                names.update(
                    {a.asname: a.name for a in node.names if a.asname and a.name in _LOADERS}
                )
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = names.get(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
            if called == "mnist_sample":
                args = dict(zip(["n"], node.args)) | {k.arg: k.value for k in node.keywords}
                try:
                    found.append(
                        (
                            called,
                            ast.literal_eval(args.get("n", ast.Constant(5000))),
                            ast.literal_eval(args.get("random_state", ast.Constant(0))),
                        )
                    )
                except ValueError:
                    pass
            elif called == "load_mnist":
                found.append((called,))
    return found


def _check_markers(lines, where, *, solution=True):
    """Refuse a line that looks like a solution marker but that otter would show to students.

    In a solution block's code otter reads only ``# BEGIN SOLUTION`` and ``#
    END SOLUTION`` as block markers; outside one (set-up code, a question's
    own code) it reads no marker at all, not even ``# SOLUTION``.
    """
    for line in lines:
        strict = re.fullmatch(r"\s*# (BEGIN|END) SOLUTION( NO PROMPT)?\s*", line)
        if _LOOSE_MARKER.match(line) and not (solution and strict):
            raise ValueError(
                f"{where}: {line.strip()!r} looks like a marker, but otter only "
                "reads '# BEGIN SOLUTION' and '# END SOLUTION' inside the code of a "
                "solution block (it would show this line and what follows to "
                "students)"
            )
        if not solution and re.search(r"# ?SOLUTION\b", line):
            raise ValueError(
                f"{where}: {line.strip()!r} is marked as a solution outside a "
                "solution block, where otter shows it to students"
            )


def read_cells(cells, name=None):
    """The :class:`Master` of a master notebook's ``cells`` (dicts as in the ``.ipynb`` file).

    Raises ``ValueError`` for what otter refuses (a block never ended, a test
    outside a tests block, points that do not add up) and for a line that
    looks like a marker that otter would not read as one.

    >>> cells = [{"cell_type": "raw", "source": "# ASSIGNMENT CONFIG\\nname: hw0"},
    ...          {"cell_type": "code", "source": "import numpy as np"},
    ...          {"cell_type": "raw", "source": "#  begin  question\\nname: q1\\npoints: 2"},
    ...          {"cell_type": "markdown", "source": "Write f."},
    ...          {"cell_type": "raw", "source": "# BEGIN SOLUTION"},
    ...          {"cell_type": "code", "source": "f = lambda x: x + 1  # SOLUTION"},
    ...          {"cell_type": "raw", "source": "# END SOLUTION"},
    ...          {"cell_type": "raw", "source": "# BEGIN TESTS"},
    ...          {"cell_type": "code", "source": "assert f(1) == 2"},
    ...          {"cell_type": "code", "source": "# HIDDEN\\nassert f(2) == 3"},
    ...          {"cell_type": "raw", "source": "# END TESTS"},
    ...          {"cell_type": "raw", "source": "# END QUESTION"}]
    >>> m = read_cells(cells)
    >>> m.name, m.imports, [q.summary for q in m.questions]
    ('hw0', ['import numpy as np'], [Question(name='q1', points=2, manual=False)])
    >>> m.secrets()
    [('q1', 'solution', 'lambda x: x + 1'), ('q1', 'hidden test', 'assert f(2) == 3')]
    """
    cells = _otter.unfence(cells)
    config, setup, public, questions = {}, [], [], []
    stack, current = [], None
    tests = None
    for i, cell in enumerate(cells):
        where = f"cell {i + 1}" + (f" (question {current['config'].name})" if current else "")
        if _otter.is_ignored(cell):
            continue
        if _otter.is_config(cell):
            extra = _otter.cell_config(cell)
            if not isinstance(extra, dict):
                raise ValueError(f"{where}: the assignment config must be a YAML mapping")
            config.update(extra)
            continue
        kind = cell.cell_type
        source = _otter.source_text(cell)
        if stack and _otter.boundary(cell, stack[-1], end=True):
            if stack.pop() == "question":
                questions.append(_finish(current, tests))
                current = None
            continue
        ended = [b for b in _otter.BLOCKS if _otter.boundary(cell, b, end=True)]
        if ended:
            raise ValueError(
                f"{where}: an end {ended[0]} cell "
                + (
                    f"inside an unended {stack[-1]} block"
                    if ended[0] in stack
                    else "without its begin cell"
                )
            )
        begun = [b for b in _otter.BLOCKS if _otter.boundary(cell, b)]
        if begun:
            block = begun[0]
            if (block == "question") != (not stack) or len(stack) > 1:
                raise ValueError(
                    f"{where}: a begin {block} cell "
                    + ("inside another block" if stack else "outside a question")
                )
            if block == "question":
                question_config = _otter.cell_config(cell)
                if not isinstance(question_config, dict):
                    raise ValueError(f"{where}: the question config must be a YAML mapping")
                tests = tests or _otter.new_tests(config)
                current = {
                    "config": _otter.question_config(question_config),
                    "yaml": question_config,
                    "text": [],
                    "solution": [],
                    "sample": [],
                    "shown": [],
                    "prompt": None,
                }
                tests.add_question(current["config"])
            stack.append(block)
            continue
        if kind == "raw" and _LOOSE_MARKER.match(source.strip().split("\n", 1)[0]):
            raise ValueError(
                f"{where}: {source.splitlines()[0]!r} looks like a marker but "
                "otter does not read it as one (write e.g. '# BEGIN SOLUTION')"
            )
        block = stack[-1] if stack else None
        if block is None:
            if kind == "code":
                _check_markers(source.split("\n"), where, solution=False)
                setup.append(source)
            elif kind == "markdown":
                public.append(source)
        elif block == "tests":
            if kind != "code":
                raise ValueError(f"{where}: a {kind} cell in a tests block")
            _otter.read_test(tests, cell, current["config"])
            lines = source.split("\n")
            header = lines[0].lstrip().startswith("#")
            current.setdefault("codes", []).append("\n".join(lines[1:] if header else lines))
        elif block == "solution" and kind == "code":
            lines = source.split("\n")
            _check_markers(lines, where)
            shown, secret = _otter.split_solution(lines)
            current["shown"].extend(shown)
            current["solution"].extend(("solution", line) for line in secret)
        elif block == "solution" and kind == "markdown":
            current["sample"].append(source)
            current["solution"].extend(("written solution", l) for l in source.splitlines())
        else:  # the question's own cells and its prompt block: what students read
            if kind == "code":
                _check_markers(source.split("\n"), where, solution=False)
            if kind == "markdown" and block == "question" and current["prompt"] is None:
                current["prompt"] = source
            current["text"].append(source)
    if stack:
        raise ValueError(f"a {stack[-1]} block is never ended")
    names = [q.name for q in questions]
    if len(set(names)) != len(names):
        twice = sorted(n for n in names if names.count(n) > 1)[0]
        raise ValueError(f"two questions are named {twice!r}")
    return Master(
        str(config.get("name") or name or ""), config, tuple(setup), tuple(public), tuple(questions)
    )


def _finish(current, tests):
    """A :class:`MasterQuestion` from the state collected between its begin and end cells."""
    question = current["config"]
    name = str(question.name)
    points = current["yaml"].get("points")
    if question.manual or not tests._tests_by_question.get(name):
        # otter counts a manual question's points as given; we require them to be given
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise ValueError(f"question {name!r}: points must be a number >= 0, got {points!r}")
    try:
        cases, total = _otter.resolved_tests(tests, question)
    except (ValueError, TypeError, AssertionError) as exc:
        raise ValueError(f"question {name!r}: {exc}") from None
    codes = current.get("codes", [])
    return MasterQuestion(
        name=name,
        points=tidy_number(total),
        manual=bool(question.manual),
        prompt=current["prompt"] or "",
        text="\n".join(current["text"]),
        solution=tuple(current["solution"]),
        sample="\n\n".join(current["sample"]),
        shown=tuple(current["shown"]),
        tests=tuple(Test(c.body, code, bool(c.hidden), c.points) for c, code in zip(cases, codes)),
        config=dict(current["yaml"]),
    )


def read_master(path):
    """The :class:`Master` of the master notebook at ``path``."""
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    return read_cells(cells, path.stem)


# --- what the grader needs of a master ---------------------------------------------------


def setup_of(master):
    """What a master gives every student: ``{"imports": [...], "given": [...]}``.

    ``master`` is a :class:`Master` or a master's cells. The imports of the
    set-up cells are run by the grader itself (the tests use its own ``np``,
    never the submission's); names they import from ``lecture_code`` are the
    only ones an answer may use from it. A submission's cell equal to a given
    one (whitespace-normalised) is not an answer.
    """
    master = master if isinstance(master, Master) else read_cells(master)
    return {"imports": master.imports, "given": master.given}


def samples_needed(master):
    """``(n, random_state)`` of the ``mnist_sample`` calls of a master's set-up cells.

    >>> samples_needed([{"cell_type": "code",
    ...                  "source": "X, y = mnist_sample(n=5000, random_state=0)"}])
    [(5000, 0)]
    """
    master = master if isinstance(master, Master) else read_cells(master)
    return master.samples


def allowed_lecture_code(imports):
    """``(module, name)`` pairs that ``from lecture_code... import name`` lines give."""
    pairs = []
    for line in imports:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lecture_code":
            pairs.extend((node.module, alias.name) for alias in node.names)
    return pairs


def uses_lecture_code(source, allowed):
    """Whether a cell uses ``lecture_code`` beyond the allowed imports (decided from its AST).

    >>> uses_lecture_code("from lecture_code import entropy", [])
    True
    >>> uses_lecture_code("from lecture_code import mnist_sample",
    ...                   [("lecture_code", "mnist_sample")])
    False
    >>> uses_lecture_code("m = __import__('lecture_' 'code')", [])
    True
    >>> uses_lecture_code("import numpy as np", [])
    False
    """
    tree = _python(source)
    if tree is None:
        return "lecture_code" in source
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    strings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lecture_code":
            if any((node.module, a.name) not in allowed for a in node.names):
                return True
        elif isinstance(node, ast.Import):
            if any(a.name.split(".")[0] == "lecture_code" for a in node.names):
                return True
        elif isinstance(node, ast.Name) and node.id == "lecture_code":
            return True
        elif isinstance(node, ast.Attribute) and node.attr == "lecture_code":
            return True
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (str, bytes))
            and id(node) not in docstrings
        ):
            value = node.value
            strings.append(value if isinstance(value, str) else value.decode("latin-1"))
    # strings put together ("lecture" + "_code"), any case and separators
    joined = re.sub(r"[^a-z]", "", "".join(strings).lower())
    return "lecturecode" in joined


def archive_questions(autograder):
    """The questions and points of an autograder zip, from its test files (natural order)."""
    try:
        tests = _otter.archive_tests(autograder).values()
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{autograder}: not an autograder zip ({exc})") from None
    return [
        Question(t.name, tidy_number(t.possible))
        for t in sorted(tests, key=lambda t: natural_key(t.name))
    ]


def read_questions(cells):
    """The questions (name, points, manual) of a master's ``cells``, in notebook order.

    Read by :func:`read_cells` (otter's own readers of the markers).
    ``points`` may be a list (otter's points per test case): the question's
    points are its sum.

    >>> cells = [{"cell_type": "raw", "source": "# BEGIN QUESTION\\nname: q1\\npoints: 2"},
    ...          {"cell_type": "raw", "source": "# END QUESTION"},
    ...          {"cell_type": "raw",
    ...           "source": "# BEGIN QUESTION\\nname: q1b\\nmanual: true\\npoints: 1"},
    ...          {"cell_type": "raw", "source": "# END QUESTION"}]
    >>> read_questions(cells)  # doctest: +NORMALIZE_WHITESPACE
    [Question(name='q1', points=2, manual=False), Question(name='q1b', points=1, manual=True)]
    """
    return [q.summary for q in read_cells(cells).questions]


def load_questions(master):
    """The questions of the master notebook at path ``master``."""
    return [q.summary for q in read_master(master).questions]
