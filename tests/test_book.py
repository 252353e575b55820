"""Checks of the book's structure that no build warning would catch."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
LECTURE_ORDER = ["loss_functions", "surprise", "entropy", "cross_entropy",
                 "label_smoothing", "focal_loss", "mnist"]


def _toc_files(node):
    """Every ``file:`` entry of the table of contents, in order."""
    if isinstance(node, dict):
        found = [node["file"]] if "file" in node else []
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += _toc_files(value)
        return found
    if isinstance(node, list):
        return [f for item in node for f in _toc_files(item)]
    return []


def _cells(notebook):
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def test_toc_lists_only_existing_pages():
    pages = [TOC["root"]] + _toc_files(TOC)
    missing = [p for p in pages if not any((ROOT / f"{p}{ext}").exists() for ext in (".md", ".ipynb"))]
    assert missing == []


def test_every_chapter_is_in_the_toc_in_lecture_order():
    listed = [Path(p).name for p in _toc_files(TOC) if re.match(r"book/\d\d_", p)]
    assert listed == [c.stem for c in CHAPTERS]
    names = [c.stem[3:] for c in CHAPTERS]
    assert names == [n for n in LECTURE_ORDER if n in names]
    assert names[0] == "loss_functions"


def test_colab_cell_installs_from_the_configured_repository():
    # The repository URL is one setting (_config.yml); every chapter's first
    # code cell must install the package from that same repository.
    url = CONFIG["repository"]["url"]
    for chapter in CHAPTERS:
        first_code = next("".join(c["source"]) for c in _cells(chapter) if c["cell_type"] == "code")
        assert "google.colab" in first_code, chapter.name
        assert f'REPOSITORY = "{url}"' in first_code, chapter.name
        assert "git+{REPOSITORY}" in first_code, chapter.name


def test_chapters_are_committed_executed_top_to_bottom():
    for chapter in CHAPTERS:
        code = [c for c in _cells(chapter) if c["cell_type"] == "code" and "".join(c["source"]).strip()]
        counts = [c["execution_count"] for c in code]
        assert None not in counts, f"{chapter.name} has unexecuted cells"
        assert counts == list(range(1, len(code) + 1)), f"{chapter.name} was not run top to bottom"
        errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
        assert errors == [], chapter.name


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
    assert CONFIG["execute"]["execute_notebooks"] == "force"
    assert CONFIG["execute"]["allow_errors"] is False
    for pattern in ("_build", ".venv", "tests", "README.md", "homework"):
        assert pattern in CONFIG["exclude_patterns"]
