"""Checks of the book's structure that no build warning would catch."""

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from _course import CHAPTERS, HOMEWORK_PAGES, PAGES, ROOT, toc_files

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
PYTEST = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
PYTEST = PYTEST["ini_options"]


def _cells(notebook):
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def test_toc_lists_only_existing_pages():
    missing = [
        p for p in PAGES if not any((ROOT / f"{p}{ext}").exists() for ext in (".md", ".ipynb"))
    ]
    assert missing == []


def test_every_chapter_is_in_the_toc_and_numbered_in_its_order():
    # _toc.yml sets the order; the files' numbers 01, 02, ... follow it
    on_disk = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(CHAPTERS) == on_disk, "a chapter notebook is missing from _toc.yml"
    numbers = [int(chapter.name[:2]) for chapter in CHAPTERS]
    assert numbers == list(range(1, len(CHAPTERS) + 1))


def test_every_homework_master_has_its_page_in_the_toc():
    assert [p for p in toc_files() if p.startswith("book/homework/")] == HOMEWORK_PAGES


def test_colab_cell_installs_from_the_configured_repository():
    # The repository URL is one setting (_config.yml); every chapter's first
    # code cell must install the package from that same repository.
    url = CONFIG["repository"]["url"]
    for chapter in CHAPTERS:
        first_code = next("".join(c["source"]) for c in _cells(chapter) if c["cell_type"] == "code")
        assert "google.colab" in first_code, chapter.name
        assert f'REPOSITORY = "{url}"' in first_code, chapter.name
        assert "git+{REPOSITORY}" in first_code, chapter.name


def _book_notebooks():
    """Every notebook the book renders (chapters and homework), from the toc."""
    pages = PAGES
    return [ROOT / f"{p}.ipynb" for p in pages if (ROOT / f"{p}.ipynb").exists()]


def test_every_rendered_notebook_is_committed_executed_top_to_bottom():
    # The book shows the stored outputs (execute_notebooks: off); nbval proves
    # they equal a fresh run's. A cell that was never run would show nothing
    # and a notebook run out of order could show outputs nbval never saw in
    # that order, so both fail here.
    notebooks = _book_notebooks()
    assert len(notebooks) >= len(CHAPTERS) + len(HOMEWORK_PAGES)
    for notebook in notebooks:
        code = [
            c for c in _cells(notebook) if c["cell_type"] == "code" and "".join(c["source"]).strip()
        ]
        counts = [c["execution_count"] for c in code]
        assert None not in counts, f"{notebook.name} has unexecuted cells"
        assert counts == list(range(1, len(code) + 1)), f"{notebook.name} was not run top to bottom"
        errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
        assert errors == [], notebook.name


def test_nbval_checks_every_rendered_notebook_strictly():
    # What makes rendering stored outputs safe: pytest's default collection
    # (bash .ci/test) runs nbval in strict mode over every notebook the book
    # renders, with no escape hatch beyond the homework's check cells.
    assert "--nbval" in PYTEST["addopts"]
    assert not any("lax" in option for option in PYTEST["addopts"])
    assert "book" in PYTEST["testpaths"]
    for notebook in _book_notebooks():
        assert notebook.relative_to(ROOT).parts[0] == "book", notebook
        for cell in _cells(notebook):
            tags = cell.get("metadata", {}).get("tags", [])
            source = "".join(cell["source"])
            assert "nbval-skip" not in tags, notebook.name
            assert "NBVAL_" not in source, notebook.name
            if "nbval-ignore-output" in tags:
                # only otter's self-checks, whose output varies run to run
                assert re.fullmatch(r'grader\.check\("\w+"\)', source.strip()), (
                    notebook.name,
                    source,
                )
    sanitized = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    assert sanitized.count("regex:") == 2  # memory addresses, timings


def test_glue_names_are_unique_across_the_book():
    seen = {}
    pattern = re.compile(r"""glue\(\s*f?["']([^"']+)["']""")
    for chapter in CHAPTERS:
        for cell in _cells(chapter):
            if cell["cell_type"] == "code":
                for name in pattern.findall("".join(cell["source"])):
                    assert seen.setdefault(name, chapter.name) == chapter.name, name


def test_build_settings_are_strict():
    assert CONFIG["only_build_toc_files"] is True
    # The book renders the stored, nbval-verified outputs (see above).
    assert CONFIG["execute"]["execute_notebooks"] == "off"
    assert CONFIG["execute"]["allow_errors"] is False
    for pattern in ("_build", ".venv", "tests", "README.md", "homework"):
        assert pattern in CONFIG["exclude_patterns"]
    # HTML and PDF builds: every warning is an error, all of them reported
    for script in ("book", "pdf"):
        assert "jupyter-book build . " in (ROOT / ".ci" / script).read_text()
        assert "-W -n --keep-going" in (ROOT / ".ci" / script).read_text()


# Conventions for chapter notebooks (issue 13): the rendered pages show the
# lecture, not the machinery, and every figure has a text alternative.


def _code_cells(notebook):
    return [c for c in _cells(notebook) if c["cell_type"] == "code"]


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _called_name(node):
    """Name of the function an expression statement calls, else None."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        return getattr(func, "id", None) or getattr(func, "attr", None)
    return None


def _is_machinery(source):
    """True for a cell that only glues values or sets up the plotting style.

    A cell that also imports what the chapter uses (``from lecture_code import
    ...``) is content, not machinery: the reader sees where each function
    comes from. Imports of ``glue`` and ``use_book_style`` alone do not count.
    """
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython magics: not a glue-only cell
        return False
    machinery = {"glue", "use_book_style"}
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(alias.name not in machinery for alias in node.names):
                return False
    calls = [
        _called_name(node) for node in body if not isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    return bool(calls) and all(
        name is not None and (name.startswith("glue") or name == "use_book_style") for name in calls
    )


def test_is_machinery_tells_glue_only_cells_from_computing_cells():
    assert _is_machinery('glue("ch1_a", 1.0, display=False)\nglue_number("ch1_b", 2)')
    assert _is_machinery("from lecture_code.plotting import use_book_style\nuse_book_style()")
    assert not _is_machinery('x = f(1)\nglue("ch1_x", float(x), display=False)')
    assert not _is_machinery("import numpy as np")
    # the chapter's import cell stays visible even when it also sets the style
    assert not _is_machinery(
        "import numpy as np\nfrom lecture_code.plotting import COLORS, "
        "use_book_style\n\nuse_book_style()"
    )
    assert not _is_machinery('print("hi")')


def test_colab_install_cell_is_removed_from_the_pages():
    for chapter in CHAPTERS:
        first_code = _code_cells(chapter)[0]
        assert "google.colab" in "".join(first_code["source"]), chapter.name
        assert "remove-cell" in _tags(first_code), chapter.name


def test_glue_only_and_style_cells_are_removed_from_the_pages():
    visible = [
        (chapter.name, "".join(c["source"])[:60])
        for chapter in CHAPTERS
        for c in _code_cells(chapter)
        if _is_machinery("".join(c["source"])) and "remove-cell" not in _tags(c)
    ]
    assert visible == []


def test_every_figure_has_a_text_alternative():
    missing = []
    for chapter in CHAPTERS:
        for index, cell in enumerate(_cells(chapter)):
            if cell["cell_type"] != "code":
                continue
            figures = ("image/png", "image/svg+xml")
            if not any(k in o.get("data", {}) for o in cell["outputs"] for k in figures):
                continue
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
            # a few words that say what it shows, not a file name or path
            if len(alt.split()) < 4 or re.search(r"\.(png|svg|jpe?g)\b|_images/", alt):
                missing.append((chapter.name, index, alt))
    assert missing == [], "figures without a short description (mystnb.image.alt)"


MAX_FIGURE_INCHES = 8.25  # 6.4 by default; panels are stacked, not side by side


def test_figures_are_at_most_8_inches_wide():
    # side by side at 10-13 in, four multi-panel figures shrank to 4-5 px labels on a phone
    wide = []
    for chapter in CHAPTERS:
        for index, cell in enumerate(_code_cells(chapter)):
            for output in cell.get("outputs", []):
                svg = "".join(output.get("data", {}).get("image/svg+xml", ""))
                match = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
                if svg and not match:
                    wide.append((chapter.name, index, "an SVG without a width in pt"))
                elif match and float(match.group(1)) / 72 > MAX_FIGURE_INCHES:
                    wide.append((chapter.name, index, f"{float(match.group(1)) / 72:.1f} in"))
    assert wide == []


def test_code_lines_fit_the_page():
    long_lines = [
        (chapter.name, line)
        for chapter in CHAPTERS
        for cell in _code_cells(chapter)
        for line in "".join(cell["source"]).splitlines()
        if len(line) > 80
    ]
    assert long_lines == []


WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def test_publishing_workflow_passes_actionlint():
    actionlint = Path(sys.executable).with_name("actionlint")
    result = subprocess.run(
        [str(actionlint), "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    # the check above is only worth something if actionlint really lints
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.evnt }}\n"
    )
    actionlint = Path(sys.executable).with_name("actionlint")
    result = subprocess.run(
        [str(actionlint), "-no-color", str(broken)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "evnt" in result.stdout


def test_publishing_workflow_builds_with_the_ci_command_and_deploys_pages():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [step.get("run") for step in build["steps"]]
    assert "bash .ci/book" in runs
    uses = {step.get("uses", "").split("@")[0]: step for step in build["steps"] + deploy["steps"]}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in uses
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"


def test_readme_is_a_newcomers_first_screen():
    # at most 150 lines; the two commands, their times and the offline line in
    # the first screen; no measurement logs, no folder a clone does not have
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    assert len(lines) <= 150
    first_screen = "\n".join(lines[:40])
    for needed in ("bash .ci/book", "bash .ci/test", "MNIST_DATA_DIR", "2-core machine", "laptop"):
        assert needed in first_screen, needed
    assert "../shared" not in readme and "load average" not in readme.lower()
    for guide in (
        "docs/authors.md",
        "docs/instructors.md",
        "docs/security.md",
        "benchmarks/README.md",
    ):
        assert guide in readme, guide
    assert (ROOT / "docs" / "authors.md").is_file() and (
        ROOT / "benchmarks" / "README.md"
    ).is_file()


def test_no_document_refers_to_folders_a_clone_does_not_have():
    documents = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "benchmarks" / "README.md",
        ROOT / "course" / "student" / "README.md",
    ]
    for document in documents:
        assert "../shared" not in document.read_text(encoding="utf-8"), document.name
