"""The one place that imports otter-grader's internals (pinned: otter-grader 7.0.0).

:mod:`course.master` reads a master notebook with otter's own readers of its
markers, through the names here: how a cell's source is split into lines
(``get_source``), which cells are ignored, configuration or block boundaries
(``otter/assign/blocks.py``: raw cells ``# BEGIN QUESTION`` etc., any spacing
and case, also fenced in a Markdown ```` ```otter ```` block), the YAML of a
config cell, a question's configuration (``QuestionConfig``), how a test cell
becomes a test case and how points are resolved (``AssignmentTestsManager``),
and which lines of a solution cell a student sees (``replace_solutions``).
A new otter release that changes one of these shows up here and in
``tests/course/test_master.py``, nowhere else.
"""

import ast
import re
import zipfile

import nbformat
from otter.assign import blocks as _blocks
from otter.assign import solutions as _solutions
from otter.assign.assignment import Assignment
from otter.assign.question_config import QuestionConfig
from otter.assign.tests_manager import AssignmentTestsManager
from otter.assign.utils import is_ignore_cell
from otter.test_files.abstract_test import TestFile
from otter.test_files.ok_test import OKTestFile
from otter.utils import get_source as _get_source

#: otter's block kinds, by the word in their marker: question, prompt, solution, tests.
BLOCKS = tuple(b.value for b in _blocks.BlockType)

#: A solution cell's line that a student sees as ``...`` (otter's ``BLOCK_PROMPT``).
BLOCK_PROMPT = _solutions.BLOCK_PROMPT

_MARKER_SUFFIX = re.compile(r"\s*# ?SOLUTION.*$")


def as_cell(cell):
    """A notebook cell as an ``nbformat`` node (otter reads ``cell.source``)."""
    if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
        raise ValueError(f"a notebook cell must be a dict with a cell_type, got {cell!r:.80}")
    node = nbformat.from_dict(cell)
    node.setdefault("metadata", {})
    node.setdefault("source", "")
    if node.cell_type == "code":
        node.setdefault("outputs", [])
    return node


def get_source(cell):
    """A cell's source as lines without line breaks (otter's ``get_source``).

    >>> get_source({"cell_type": "raw", "source": ["# BEGIN TESTS\\n"]})
    ['# BEGIN TESTS']
    """
    return _get_source(as_cell(cell))


def source_text(cell):
    """A cell's source as one string (a list of lines joined, as Jupyter stores it)."""
    return "\n".join(get_source(cell))


def unfence(cells):
    """``cells`` with each fenced ```` ```otter ```` block made a raw cell (as otter does)."""
    return list(_blocks.extract_all_fenced_otter_cells([as_cell(c) for c in cells]))


def is_ignored(cell):
    """Whether otter drops the cell (first line ``# ignore`` or ``## ignore ##``)."""
    return is_ignore_cell(as_cell(cell))


def is_config(cell):
    """Whether the cell is otter's ``# ASSIGNMENT CONFIG`` cell."""
    return _blocks.is_assignment_config_cell(as_cell(cell))


def boundary(cell, kind, *, end=False):
    """Whether the cell begins (or with ``end``, ends) a block of ``kind`` (see :data:`BLOCKS`)."""
    return _blocks.is_block_boundary_cell(as_cell(cell), _blocks.BlockType(kind), end=end)


def cell_config(cell):
    """The YAML of a config or question cell (its first line is a comment), as otter reads it."""
    return _blocks.get_cell_config(as_cell(cell))


def question_config(config):
    """otter's ``QuestionConfig`` of a question cell's YAML (``name`` is required)."""
    return QuestionConfig(config)


def new_tests(config):
    """A collector of test cases for an assignment with the YAML ``config``."""
    assignment = Assignment()
    assignment.update({k: v for k, v in config.items() if k in ("name", "tests", "lang")})
    return AssignmentTestsManager(assignment)


def read_test(tests, cell, question):
    """Add the test case of a test cell to ``question`` (otter's parsing: ``# HIDDEN`` etc.)."""
    tests.read_test(as_cell(cell), question)


def resolved_tests(tests, question):
    """The question's test cases with otter's resolved points, and its point total."""
    cases = list(tests._tests_by_question.get(question.name, []))
    total = tests.determine_question_point_value(question)
    if not cases:
        return [], total
    info = tests._create_test_file_info(question.name)
    return TestFile.resolve_test_file_points(info["points"], info["test_cases"]), total


def student_lines(lines):
    """The lines of a solution cell that otter gives students (``replace_solutions``)."""
    return _solutions.replace_solutions(list(lines), "python")


def split_solution(lines):
    """``(shown, secret)``: the lines a student sees and the answers otter removes.

    Walks the lines as otter's ``replace_solutions`` does, with its regular
    expressions, but also keeps what it removes: the lines of ``# BEGIN
    SOLUTION`` blocks and the answer part of ``# SOLUTION`` lines (for
    ``x = answer  # SOLUTION`` the student sees ``x = ...``, the secret is
    ``answer``). ``shown`` equals ``replace_solutions(lines)`` (tested).

    >>> split_solution(["def f(x):", "    # BEGIN SOLUTION", "    return x + 1",
    ...                 "    # END SOLUTION", "y = f(2)  # SOLUTION"])
    (['def f(x):', '    ...', 'y = ...'], ['    return x + 1', 'f(2)'])
    """
    shown, secret, inside = [], [], False
    for line in lines:
        end = line.rstrip()
        if any(end.endswith(s) for s in _solutions.skip_suffixes):
            if end.endswith("# SOLUTION NO PROMPT"):
                secret.append(_MARKER_SUFFIX.sub("", line))
            continue
        if inside and not end.endswith("# END SOLUTION"):
            secret.append(line)
            continue
        if end.endswith("# END SOLUTION"):
            inside = False
            continue
        begin = _solutions.begin_solution_regex.match(line)
        if begin:
            inside = True
            if begin.group(2):
                continue
            line = begin.group(1) + BLOCK_PROMPT
        for regex, substitute in _solutions.SUBSTITUTIONS["python"]:
            match = regex.match(line)
            if match:
                new = substitute(match)
                kept = new.removesuffix("...").removesuffix(" ")
                secret.append(_MARKER_SUFFIX.sub("", line[len(kept) :]).strip())
                line = new
                break
        shown.append(line)
    if inside:
        raise ValueError(f"BEGIN SOLUTION without END SOLUTION in {lines}")
    return shown, secret


def read_test_spec(name, source):
    """The spec (plain data) of one OK-format test file's ``source`` (a ``tests/<name>.py``).

    The file is parsed, never run: otter writes ``OK_FORMAT = True`` and a
    literal ``test = {...}``, read with :func:`ast.literal_eval`. Anything else
    is a ``ValueError``. This is the one reader of otter's test files: the
    grader keeps the specs in memory and builds otter's test objects from them
    (:func:`test_file`).
    """
    try:
        tree = ast.parse(source)
        if not all(
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            for node in tree.body
        ):
            raise ValueError("a statement other than NAME = literal")
        values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}
    except (SyntaxError, ValueError, TypeError) as exc:
        raise ValueError(f"test file {name}: not an OK-format test file ({exc})") from None
    if values.get("OK_FORMAT") is not True or not isinstance(values.get("test"), dict):
        raise ValueError(
            f"test file {name}: not an OK-format test file (OK_FORMAT = True and "
            "a literal test = {...})"
        )
    return values["test"]


def test_file(name, spec):
    """otter's test object of question ``name`` from its spec (a fresh object each call)."""
    return OKTestFile.from_spec(spec, path=f"tests/{name}.py")


def read_test_source(name, source):
    """otter's test object of one OK-format test file's ``source`` (see :func:`read_test_spec`)."""
    return test_file(name, read_test_spec(name, source))


def archive_specs(autograder):
    """The specs of an autograder zip's ``tests/*.py``, by question name (never executed)."""
    with zipfile.ZipFile(autograder) as zf:
        members = [m for m in zf.namelist() if re.fullmatch(r"tests/\w+\.py", m)]
        return {m[6:-3]: read_test_spec(m[6:-3], zf.read(m).decode("utf-8")) for m in members}


def archive_tests(autograder):
    """otter's test file objects of an autograder zip's ``tests/*.py``, by question name."""
    with zipfile.ZipFile(autograder) as zf:
        members = [m for m in zf.namelist() if re.fullmatch(r"tests/\w+\.py", m)]
        return {m[6:-3]: read_test_source(m[6:-3], zf.read(m).decode("utf-8")) for m in members}
