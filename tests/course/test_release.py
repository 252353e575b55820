"""Tests of the two audiences and of the student release (``python -m course release``).

- ``lecture_code`` (what students install) holds and imports no instructor tooling;
  ``course/`` declares its own dependencies, pinned as in ``requirements.txt``.
- The release holds what students need and nothing else, carries no solution,
  hidden test or name of the instructors' repository, refuses to clobber a
  folder, is byte-identical when re-run, and its scanner catches planted leaks.
- The release works on its own (``test_release_works_on_binder`` and
  ``test_release_works_on_colab``): fresh virtual environments built the way
  Binder and the Colab cell build them, from the committed release.
"""

import ast
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from course.leaks import collect_secrets, describe, read_master, scan_bytes, scan_tree
from course.master import read_master as read_master_file
from course.masters import find_masters
from course.release import (
    CI_SCRIPTS,
    INSTRUCTOR_ONLY,
    MARKER,
    STUDENT_PACKAGES,
    ReleaseError,
    canonical,
    read_pins,
    student_script,
)

from _course import CHAPTERS, HOMEWORK, ROOT, points

INSTRUCTOR_MODULES = {"otter", "course", "nbformat", "nbclient", "nbconvert", "yaml"}
PRIVATE = "instructors-of-the-course/cross-entropy-private"


def course_cli(*args, cwd=ROOT, ok=True):
    proc = subprocess.run(
        [sys.executable, "-m", "course", *map(str, args)], cwd=cwd, capture_output=True, text=True
    )
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def file_hashes(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def secrets():
    return collect_secrets(find_masters(ROOT), sorted((ROOT / "lecture_code").rglob("*.py")))


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """One release of this repository, written by the command line."""
    out = tmp_path_factory.mktemp("release") / "student"
    course_cli("release", out, "--private-repo", PRIVATE)
    return out


# --- two audiences ------------------------------------------------------------


def test_lecture_code_imports_no_instructor_tooling():
    for path in sorted((ROOT / "lecture_code").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            bad = [n for n in names if n.split(".")[0] in INSTRUCTOR_MODULES]
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
    code = (
        "import sys, lecture_code, lecture_code.colab, lecture_code.plotting\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {INSTRUCTOR_MODULES!r}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_student_package_ships_only_lecture_code():
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["project"]["name"] == "lecture-code"
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(where=ROOT, include=include)
    assert "lecture_code" in packages
    assert all(p.split(".")[0] == "lecture_code" for p in packages), packages


def test_course_requirements_agree_with_root_pins():
    _, root_pins = read_pins((ROOT / "requirements.txt").read_text())
    _, course_pins = read_pins((ROOT / "course" / "requirements.txt").read_text())
    assert {"otter-grader", "nbformat", "nbclient", "pyyaml", "psutil"} <= set(course_pins)
    assert {n: root_pins.get(n) for n in course_pins} == course_pins


def test_course_declares_every_package_it_imports():
    # third-party imports of course/*.py must come from course/requirements.txt
    # or from lecture-code and its declared dependencies
    import importlib.metadata

    _, course_pins = read_pins((ROOT / "course" / "requirements.txt").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(course_pins) | {canonical(d) for d in project["dependencies"]}
    dists = importlib.metadata.packages_distributions()
    for path in sorted((ROOT / "course").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                modules = [node.module.split(".")[0]]
            else:
                continue
            for module in modules:
                if module in sys.stdlib_module_names or module in {"course", "lecture_code"}:
                    continue
                if (ROOT / "course" / f"{module}.py").is_file():
                    continue  # a sibling imported by a script (the runner imports _channel)
                providers = {canonical(d) for d in dists.get(module, [])}
                assert providers & declared, (
                    f"{path.relative_to(ROOT)} imports {module} ({providers or 'not installed'}), "
                    "which course/requirements.txt does not declare"
                )


def test_every_direct_requirement_is_for_students_or_instructors():
    top, pins = read_pins((ROOT / "requirements.txt").read_text())
    assert not set(STUDENT_PACKAGES) & set(INSTRUCTOR_ONLY)
    assert [n for n in top if n not in STUDENT_PACKAGES + INSTRUCTOR_ONLY] == []
    assert set(STUDENT_PACKAGES) <= set(pins)


# --- what the release holds -----------------------------------------------------


def test_release_holds_what_students_need(released):
    files = set(file_hashes(released))
    chapters = {p.relative_to(ROOT).as_posix() for p in CHAPTERS}
    assert chapters and chapters <= files
    assert {f"book/homework/{hw}.ipynb" for hw in HOMEWORK} <= files
    assert {
        "book/intro.md",
        "lecture_code/__init__.py",
        "lecture_code/colab.py",
        "_config.yml",
        "_toc.yml",
        "references.bib",
        "pyproject.toml",
        "requirements.txt",
        "runtime.txt",
        "README.md",
        "LICENSE.md",
        ".ci/setup",
        ".ci/book",
        ".ci/test",
        MARKER,
    } <= files
    workflows = (
        {p.relative_to(ROOT).as_posix() for p in (ROOT / ".github").rglob("*") if p.is_file()}
        if (ROOT / ".github").is_dir()
        else set()
    )
    assert workflows <= files
    for name in [
        "_config.yml",
        "_toc.yml",
        "references.bib",
        "LICENSE.md",
        "runtime.txt",
        *chapters,
        "book/homework/hw1.ipynb",
        "lecture_code/losses.py",
    ]:
        assert (released / name).read_bytes() == (ROOT / name).read_bytes(), name
    for script in ["setup", "book", "test"]:
        assert os.access(released / ".ci" / script, os.X_OK)
    toc = yaml.safe_load((released / "_toc.yml").read_text())
    pages = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert pages and all(
        any(f"{page}{ext}" in files for ext in (".md", ".ipynb")) for page in pages
    )  # the book's table of contents is complete


def test_a_release_script_needs_its_source_and_closed_blocks(tmp_path):
    (tmp_path / ".ci").mkdir()
    with pytest.raises(ReleaseError, match=r"\.ci/test is missing"):
        student_script(tmp_path, "test")
    (tmp_path / ".ci" / "test").write_text("a\n# >>> instructors only\nruff check .\n")
    with pytest.raises(ReleaseError, match="an instructors-only block is not closed"):
        student_script(tmp_path, "test")


def test_release_scripts_are_the_instructors_own_without_their_blocks(released):
    # generated from .ci/, not kept by hand: every line of the student's script
    # is in ours, in the same order, and only the instructors-only blocks are gone
    for script in CI_SCRIPTS:
        ours = (ROOT / ".ci" / script).read_text().splitlines()
        theirs = (released / ".ci" / script).read_text().splitlines()
        kept, inside = [], False
        for line in ours:
            if line.startswith("# >>> instructors only"):
                inside = True
            elif line.startswith("# <<< instructors only"):
                inside = False
            elif not inside:
                kept.append(line)
        assert theirs == kept, script
    test = (released / ".ci" / "test").read_text()
    assert "ruff" not in test and "instructors only" not in test
    assert "-n auto" in test  # every core
    assert "ruff" in (ROOT / ".ci" / "test").read_text()


def _strings(value):
    if isinstance(value, str):
        return [value]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    return [s for _, v in items for s in _strings(v)]


def test_release_holds_nothing_for_instructors(released):
    files = file_hashes(released)
    for top in ["homework", "course", "tests", "dist", "benchmarks", ".venv", "_build"]:
        assert not (released / top).exists(), top
    assert not [
        f
        for f in files
        if f.endswith((".zip", "-solutions.ipynb", ".pyc"))
        or "__pycache__" in f
        or ".ipynb_checkpoints" in f
    ]
    # every master's hidden tests and solution lines, searched independently of the
    # release's own scan: the whole text of each hidden-test cell, whitespace removed
    hidden_cells = []
    for hw in HOMEWORK:
        cells = json.loads((ROOT / "homework" / hw / f"{hw}.ipynb").read_text())["cells"]
        hidden_cells += [
            "".join("".join(c["source"]).split())
            for c in cells
            if c["cell_type"] == "code" and "".join(c["source"]).startswith("# HIDDEN")
        ]
    assert len(hidden_cells) >= 8
    for name in files:
        text = (released / name).read_text(errors="replace")
        if name.endswith(".ipynb"):  # sources and metadata, "\n"-escapes decoded
            text += "\n".join(_strings(json.loads(text)))
        flat = "".join(text.split())
        assert not [c for c in hidden_cells if c[len("#HIDDEN") :] in flat], name
    assert scan_tree(released, secrets()) == []


def test_student_requirements_leave_out_instructor_packages(released):
    top, pins = read_pins((released / "requirements.txt").read_text())
    _, root_pins = read_pins((ROOT / "requirements.txt").read_text())
    assert top == [canonical(n) for n in STUDENT_PACKAGES]
    assert all(root_pins[n] == line for n, line in pins.items())  # the same exact versions
    assert not set(top) & set(INSTRUCTOR_ONLY)
    # an instructor-only package stays out unless a student package needs it
    # (playwright comes with otter-grader's nbconvert[webpdf])
    assert "hypothesis" not in pins and "sortedcontainers" not in pins
    assert "-e ." in (released / "requirements.txt").read_text().splitlines()
    assert (released / "runtime.txt").read_text() == (ROOT / "runtime.txt").read_text()


def test_student_pyproject_builds_only_lecture_code_and_tests_the_book(released):
    config = tomllib.loads((released / "pyproject.toml").read_text())
    source = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert (
        config["project"] == source["project"] and config["build-system"] == source["build-system"]
    )
    assert config["tool"]["setuptools"] == source["tool"]["setuptools"]
    pytest_options = config["tool"]["pytest"]["ini_options"]
    assert pytest_options["testpaths"] == ["lecture_code", "book"]
    assert "--nbval-sanitize-with=.ci/nbval_sanitize.cfg" in pytest_options["addopts"]


def test_release_names_only_the_student_repository(released):
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert yaml.safe_load((released / "_config.yml").read_text())["repository"]["url"] == url
    readme = (released / "README.md").read_text()
    assert f"git+{url}" in readme and "{{" not in readme
    colab_cells = 0
    for path in sorted(released.rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if "google.colab" in cell.source and "%pip" in cell.source:
                colab_cells += 1
                assert f'REPOSITORY = "{url}"' in cell.source, path
    assert colab_cells >= 4 + 5  # every homework and the chapters that install the package
    text = "\n".join((released / f).read_text(errors="replace") for f in file_hashes(released))
    assert PRIVATE not in text


# --- writing the release --------------------------------------------------------


def test_rerun_is_byte_identical_and_keeps_git(released, tmp_path):
    before = file_hashes(released)
    (released / ".git").mkdir(exist_ok=True)
    (released / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (released / "book" / "stale.md").write_text("left over from an earlier release\n")
    course_cli("release", released)
    assert file_hashes(released) == before  # stale.md is gone, nothing else changed
    assert (released / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"


def test_refuses_a_folder_that_is_not_a_release(tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("months of work\n")
    proc = course_cli("release", folder, ok=False)
    assert proc.returncode != 0
    assert "is not empty and is not a previous release" in proc.stderr and "--force" in proc.stderr
    assert [p.name for p in folder.iterdir()] == ["chapter1.tex"]
    course_cli("release", folder, "--force")
    assert not (folder / "chapter1.tex").exists() and (folder / MARKER).is_file()


@pytest.mark.parametrize("target", [".", "..", "book"])
def test_refuses_to_write_over_the_sources(target):
    before = file_hashes(ROOT / "book")
    proc = course_cli("release", (ROOT / target).resolve(), "--force", ok=False)
    assert proc.returncode != 0 and "holds or is inside the course's sources" in proc.stderr
    assert file_hashes(ROOT / "book") == before


def test_an_empty_clone_is_a_valid_target(tmp_path):
    (tmp_path / "clone" / ".git").mkdir(parents=True)
    course_cli("release", tmp_path / "clone")
    assert (tmp_path / "clone" / MARKER).is_file()


# --- the scanner against planted leaks -------------------------------------------


def _secret(hw, kind):
    return next(
        s for s in secrets().values() if s.homework == hw and s.kind == kind and len(s.line) > 30
    )


def test_scanner_knows_every_master():
    keys = secrets()
    # the masters with questions graded by hand have sample answers
    written = {hw for hw in HOMEWORK if points(hw)[1]}
    assert written  # the course has such questions: the check below bites
    for hw in HOMEWORK:
        kinds = {s.kind for s in keys.values() if s.homework == hw}
        assert kinds == {"solution", "hidden test"} | (
            {"written solution"} if hw in written else set()
        ), hw
    assert len(keys) > 100
    # every hidden-test cell has lines the scan looks for: none can be copied whole
    # without being caught
    for hw in HOMEWORK:
        for q in read_master_file(ROOT / "homework" / hw / f"{hw}.ipynb").questions:
            for test in q.hidden_tests:
                lines = test.code.splitlines()
                assert any("".join(l.split()) in keys for l in lines), (hw, q.name, test.code)


def test_scanner_covers_the_answers_of_the_open_sub_questions():
    # issue 12 item 6: named answers, multiple choice and written sample answers
    keys = secrets()
    for line in [
        "entropy(np.full(4, 1 / 4))",
        "float(table_eps[3] / 0.8)",
        'assert type(larger) is str and larger == "uniform"',
        'assert type(exp_safe) is str and exp_safe == "b"',
        "assert [int(i) for i in changed_rows] == _changed.tolist() == [3, 4, 5]",
        "assert np.isclose(clip_nats, 15 * np.log(10), rtol=1e-6) or "
        "np.isclose(clip_nats, _theirs(), rtol=1e-6)",
    ]:
        assert "".join(line.split()) in keys, line
    # the short answers themselves ("uniform", "b", [3, 4, 5]) are too generic to scan for:
    # the hidden tests above, which hold them, are what the scan protects
    for line in ['"uniform"', '"b"', "[3, 4, 5]"]:
        assert "".join(line.split()) not in keys
    samples = {(s.homework, s.question) for s in keys.values() if s.kind == "written solution"}
    assert samples == {(hw, q) for hw in HOMEWORK for q in points(hw)[1]}
    # otter's answer cell and the prompts of the manual questions are public, not secrets
    for hw in sorted({hw for hw, _ in samples}):
        student = (ROOT / "book" / "homework" / f"{hw}.ipynb").read_bytes()
        assert b"_Type your answer here, replacing this text._" in student
        assert scan_bytes(f"book/homework/{hw}.ipynb", student, keys) == []


def test_scanner_finds_a_sample_answer_in_a_page():
    # an instructor's sample answer to a question graded by hand, pasted into the book
    secret = _secret("hw4", "written solution")
    page = f"# Notes\n\nA good answer: {secret.line}\n".encode()
    leaks = scan_bytes("book/intro.md", page, secrets())
    assert secret in [l.secret for l in leaks]
    assert f"book/intro.md: written solution of hw4 {secret.question}: " in "\n".join(
        map(describe, leaks)
    )


def test_scanner_ignores_trivial_and_public_lines():
    keys = secrets()
    for line in ["...", "import numpy as np", 'grader.check("q1")', "weather_entropy"]:
        assert "".join(line.split()) not in keys
    # a public test is public even when a hidden test repeats it
    cells = json.loads((ROOT / "homework" / "hw1" / "hw1.ipynb").read_text())["cells"]
    _, public = read_master(cells)
    flat_public = "".join(public.split())
    assert not [k for k in keys if k in flat_public]


def test_scanner_finds_a_solution_line_in_a_chapter():
    secret = _secret("hw1", "solution")
    nb = nbformat.read(ROOT / "book" / "02_surprise.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("def helper(p):\n    " + secret.line))
    leaks = scan_bytes("book/02_surprise.ipynb", nbformat.writes(nb).encode(), secrets())
    assert secret in [l.secret for l in leaks]
    assert {l.path for l in leaks} == {"book/02_surprise.ipynb"}
    assert f"book/02_surprise.ipynb: solution of hw1 {secret.question}: " in "\n".join(
        map(describe, leaks)
    )


def test_scanner_finds_a_respaced_hidden_test_in_notebook_metadata():
    secret = _secret("hw2", "hidden test")
    nb = nbformat.read(ROOT / "book" / "homework" / "hw2.ipynb", as_version=4)
    nb.metadata["otter"]["tests"]["q9"] = {"code": "  ".join(secret.line.split(" ")) + "\n"}
    leaks = scan_bytes("book/homework/hw2.ipynb", nbformat.writes(nb).encode(), secrets())
    assert secret in [l.secret for l in leaks]
    assert f"hidden test of hw2 {secret.question}: " in "\n".join(map(describe, leaks))


def test_scanner_looks_inside_archives():
    secret, hidden = _secret("hw3", "solution"), _secret("hw4", "hidden test")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "nothing here\n")
        archive.writestr("tests/q2.py", f"test = {{'code': {hidden.line!r}}}\n")
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w") as tar:
        data = f"    {secret.line}\n".encode()
        info = tarfile.TarInfo("answers/hw3.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("nested.zip")
        info.size = len(buffer.getvalue())
        tar.addfile(info, io.BytesIO(buffer.getvalue()))
    leaks = scan_bytes("extra.tar.gz", gzip.compress(inner.getvalue(), mtime=0), secrets())
    found = {(l.path, l.secret) for l in leaks}
    assert {
        ("extra.tar.gz!answers/hw3.py", secret),
        ("extra.tar.gz!nested.zip!tests/q2.py", hidden),
    } <= found
    assert {path for path, _ in found} == {
        "extra.tar.gz!answers/hw3.py",
        "extra.tar.gz!nested.zip!tests/q2.py",
    }


@pytest.fixture()
def source_copy(tmp_path):
    """A copy of this repository's sources, to plant leaks in."""
    src = tmp_path / "source"
    for name in ["book", "lecture_code", "homework", "course", "tests", ".ci"]:
        shutil.copytree(
            ROOT / name,
            src / name,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
    for name in [
        "_config.yml",
        "_toc.yml",
        "references.bib",
        "LICENSE.md",
        "runtime.txt",
        "requirements.txt",
        "pyproject.toml",
    ]:
        shutil.copyfile(ROOT / name, src / name)
    return src


def test_a_leak_fails_the_release_and_writes_nothing(source_copy, tmp_path):
    secret = _secret("hw4", "solution")
    intro = source_copy / "book" / "intro.md"
    intro.write_text(intro.read_text() + f"\n```python\n{secret.line}\n```\n")
    out = tmp_path / "student"
    proc = course_cli("--root", source_copy, "release", out, ok=False)
    assert proc.returncode != 0
    assert f"book/intro.md: solution of hw4 {secret.question}" in proc.stderr
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["source"]


def test_the_instructors_repository_is_named_nowhere(source_copy, tmp_path):
    subprocess.run(["git", "init", "-q", source_copy], check=True)
    subprocess.run(
        ["git", "-C", source_copy, "remote", "add", "origin", f"git@github.com:{PRIVATE}.git"],
        check=True,
    )
    chapter = source_copy / "book" / "intro.md"
    chapter.write_text(chapter.read_text() + f"\nSources: https://github.com/{PRIVATE}\n")
    proc = course_cli("--root", source_copy, "release", tmp_path / "student", ok=False)
    assert f"book/intro.md: contains '{PRIVATE}'" in proc.stderr
    chapter.write_text((ROOT / "book" / "intro.md").read_text())
    course_cli("--root", source_copy, "release", tmp_path / "student")


def test_the_config_must_name_the_student_repository(source_copy, tmp_path):
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    subprocess.run(["git", "init", "-q", source_copy], check=True)
    subprocess.run(["git", "-C", source_copy, "remote", "add", "origin", url], check=True)
    proc = course_cli("--root", source_copy, "release", tmp_path / "student", ok=False)
    assert "must be the student repository, not the instructors' one" in proc.stderr


# --- the release works on its own, where students run it -----------------------------
# Both tests build one fresh environment from PyPI each and reuse it for all their
# checks: the Binder test with the release's own .ci/setup (uv, from its cache), the
# Colab test with uv for what Colab's image has and real pip for the notebook's %pip.

CORRECT_Q1 = """
def surprise(p, base=None):
    s = -np.log(np.asarray(p, dtype=float))
    return s if base is None else s / np.log(base)
"""
WRONG_Q1 = """
def surprise(p, base=None):  # ignores base: always nats
    return -np.log(np.asarray(p, dtype=float))
"""

FAKE_MESSAGE = '''"""Stand-in for google.colab._message: the front end's answer to get_ipynb."""
import json
import os


def blocking_request(request_type, request="", timeout_sec=5, parent=None):
    assert request_type == "get_ipynb", request_type
    with open(os.environ["FAKE_COLAB_NOTEBOOK"], encoding="utf-8") as f:
        return {"ipynb": json.load(f)}
'''
FAKE_SHELL = '''"""Stand-in for Colab's IPython shell class (otter recognises Colab by its name)."""
from IPython.core.interactiveshell import InteractiveShell


class Shell(InteractiveShell):
    pass
'''
# Runs a homework's cells the way Colab does: in Colab's shell, with google.colab
# imported before the first cell. Prints what the checks said, as JSON.
COLAB_DRIVER = """
import json, os, sys
import google.colab
from google.colab._shell import Shell

shell = Shell.instance()
cells = json.loads(sys.argv[1])
for i, source in enumerate(cells):
    result = shell.run_cell(source)
    if not result.success:
        sys.exit(f"cell {i} failed: {result.error_in_exec or result.error_before_exec}")
print(json.dumps({name: shell.user_ns[name].passed_all for name in ["right", "wrong"]}))
"""


# What this machine's environment has and Binder's and Colab's do not: our venv,
# and a switch that makes every Python process compile every module it imports
# again (neither service sets it; their Python caches bytecode).
UNLIKE_THE_SERVICES = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")


def git(*args, cwd):
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Course",
            "-c",
            "user.email=course@example.org",
            "-c",
            "init.defaultBranch=main",
            *map(str, args),
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A release committed as a git repository, and a clone of it (what Binder checks out)."""
    tmp = tmp_path_factory.mktemp("published")
    course_cli("release", tmp / "student")
    git("init", "-q", cwd=tmp / "student")
    git("add", "-A", cwd=tmp / "student")
    git("commit", "-q", "-m", "release", cwd=tmp / "student")
    git("clone", "-q", tmp / "student", tmp / "clone", cwd=tmp)
    return tmp / "student", tmp / "clone"


def test_release_works_on_binder(published):
    # the release's own `bash .ci/test`: a fresh .venv with exactly the pins of ITS
    # requirements.txt (what Binder installs), then one chapter and one homework
    # under nbval
    _, clone = published
    env = {k: v for k, v in os.environ.items() if k not in UNLIKE_THE_SERVICES}
    env["PYTHON"] = sys._base_executable
    proc = subprocess.run(
        ["bash", ".ci/test", "book/02_surprise.ipynb", "book/homework/hw1.ipynb", "-q"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
    python = clone / ".venv" / "bin" / "python"
    code = (
        "import importlib.util, lecture_code; print(lecture_code.__file__); "
        "print([m for m in ['course', 'hypothesis'] if importlib.util.find_spec(m)])"
    )
    out = subprocess.run(
        [python, "-c", code], cwd="/", capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert Path(out[0]).resolve().is_relative_to(clone.resolve())  # the release's package
    assert out[1] == "[]"  # no instructor tooling, no instructor-only packages
    # the README's way to open the notebooks works: JupyterLab is installed
    lab = subprocess.run(
        [clone / ".venv" / "bin" / "jupyter", "lab", "--version"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lab.returncode == 0 and lab.stdout.strip()[0].isdigit(), lab.stdout + lab.stderr


# Runs a homework's cells in IPython, as Jupyter does, in the working folder.
# Prints what the checks said, as JSON.
LOCAL_DRIVER = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
cells = json.loads(sys.argv[1])
for i, source in enumerate(cells):
    result = shell.run_cell(source)
    if not result.success:
        sys.exit(f"cell {i} failed: {result.error_in_exec or result.error_before_exec}")
print(json.dumps({name: shell.user_ns[name].passed_all for name in ["right", "wrong"]}))
"""


def test_a_renamed_homework_self_checks_in_the_release(published, tmp_path):
    # a browser saves a second download as "hw1 (1).ipynb": its set-up cells, run
    # in that file's folder with the release's environment, still find the tests
    _, clone = published
    python = clone / ".venv" / "bin" / "python"
    if not python.exists():  # the Binder test builds it; alone, this test builds it too
        env = {k: v for k, v in os.environ.items() if k not in UNLIKE_THE_SERVICES}
        env["PYTHON"] = sys._base_executable
        subprocess.run(
            ["bash", ".ci/setup"], cwd=clone, env=env, check=True, capture_output=True, timeout=1800
        )
    folder = tmp_path / "Downloads"
    folder.mkdir()
    shutil.copyfile(clone / "book" / "homework" / "hw1.ipynb", folder / "hw1 (1).ipynb")
    code = [
        c.source
        for c in nbformat.read(folder / "hw1 (1).ipynb", as_version=4).cells
        if c.cell_type == "code"
    ]
    assert "notebook_file(" in code[1]
    cells = [
        code[0],
        code[1],
        CORRECT_Q1,
        'right = grader.check("q1")',
        WRONG_Q1,
        'wrong = grader.check("q1")',
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in UNLIKE_THE_SERVICES and k != "JPY_SESSION_NAME"
    }
    proc = subprocess.run(
        [python, "-c", LOCAL_DRIVER, json.dumps(cells)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"right": True, "wrong": False}


def test_release_works_on_colab(published, tmp_path):
    # a fresh environment with only IPython (Colab's shell), a stand-in google.colab,
    # and the homework's own first cells: its %pip installs otter-grader and the
    # package from the committed release (git+file), prepare_colab writes the tests
    release, _ = published
    url = yaml.safe_load((release / "_config.yml").read_text())["repository"]["url"]
    venv = tmp_path / "colab-venv"
    subprocess.run(
        [sys._base_executable, "-m", "venv", "--without-pip", venv], check=True, capture_output=True
    )
    python = venv / "bin" / "python"
    # Colab's image comes with a current pip (the venv module's bundled pip 23
    # rejects git+file:///), IPython, the scientific stack and the Jupyter
    # packages: installed here with uv, quickly. The notebook's %pip (real pip)
    # adds otter-grader and lecture-code. Constrained to the course's pins, so the
    # same versions every time.
    _, pins = read_pins((ROOT / "requirements.txt").read_text())
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("\n".join(pins.values()) + "\n")
    colab_image = [
        "pip",
        "ipython",
        "numpy",
        "scipy",
        "scikit-learn",
        "matplotlib",
        "pandas",
        "ipywidgets",
        "nbformat",
        "nbconvert",
        "jinja2",
        "pyyaml",
        "requests",
        "dill",
        "wrapt",
        "click",
    ]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            python,
            "-c",
            constraints,
            *colab_image,
        ],
        check=True,
        capture_output=True,
    )
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab."""\n')
    (fake / "google" / "colab" / "_message.py").write_text(FAKE_MESSAGE)
    (fake / "google" / "colab" / "_shell.py").write_text(FAKE_SHELL)
    notebook = release / "book" / "homework" / "hw1.ipynb"
    code = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    assert f'REPOSITORY = "{url}"' in code[0] and "%pip install" in code[0]
    cells = [
        code[0].replace(f'"{url}"', f'"file://{release}"'),  # the Colab cell
        code[1],  # import otter; grader = otter.Notebook(notebook_file("hw1"))
        CORRECT_Q1,
        'right = grader.check("q1")',
        WRONG_Q1,
        'wrong = grader.check("q1")',
    ]
    content = tmp_path / "content"  # Colab's working folder: empty
    content.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in UNLIKE_THE_SERVICES}
    env.update(
        PYTHONPATH=str(fake), FAKE_COLAB_NOTEBOOK=str(notebook), PIP_CONSTRAINT=str(constraints)
    )
    proc = subprocess.run(
        [python, "-c", COLAB_DRIVER, json.dumps(cells)],
        cwd=content,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"right": True, "wrong": False}
    # prepare_colab saved the notebook and its public tests, and only those
    assert (content / "hw1.ipynb").is_file()
    assert sorted(p.name for p in (content / "tests").iterdir()) == [
        "q1.py",
        "q2.py",
        "q3.py",
        "q4.py",
    ]
    check = (
        "import importlib.util, lecture_code; print(lecture_code.__file__); "
        "print(importlib.util.find_spec('course'))"
    )
    out = subprocess.run(
        [python, "-c", check], cwd="/", capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert Path(out[0]).is_relative_to(venv) and out[1] == "None"  # installed, not editable
