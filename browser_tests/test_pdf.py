"""The PDF of the book (bash .ci/pdf): every chapter, rendered math, figures."""

import json
import os
import re

import pytest
from pypdf import PdfReader

from conftest import HTML, PAGES, ROOT

PDF = os.environ.get("BOOK_PDF", HTML.parent / "pdf" / "book.pdf")


@pytest.fixture(scope="module")
def pdf():
    if not os.path.exists(PDF):
        pytest.fail(f"no PDF at {PDF}: run `bash .ci/pdf` first")
    reader = PdfReader(PDF)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def _title(path):
    """The page's title: the first Markdown heading of its notebook."""
    if (ROOT / f"{path}.ipynb").exists():
        cells = json.loads((ROOT / f"{path}.ipynb").read_text())["cells"]
        source = next("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        source = (ROOT / f"{path}.md").read_text()
    return re.search(r"^# (.+)$", source, re.M).group(1).strip()


def test_every_chapter_and_homework_is_in_the_pdf(pdf):
    _, text = pdf
    missing = [_title(p) for p in PAGES[1:] if _title(p) not in text]
    assert missing == []


def test_math_is_rendered_not_raw_tex(pdf):
    _, text = pdf
    for delimiter in ("\\(", "\\)", "\\[", "\\]", "$$"):
        assert delimiter not in text


def _images(resources):
    """Image XObjects drawn from a page's resources (Chromium nests some in forms).

    Counted from the PDF's objects, without decoding any image (pypdf's
    ``page.images`` decodes every one: seconds per figure).
    """
    xobjects = (resources or {}).get("/XObject")
    if xobjects is None:
        return 0
    xobjects = xobjects.get_object()
    count = 0
    for name in xobjects:
        xobject = xobjects[name]
        if xobject.get("/Subtype") == "/Image":
            count += 1
        elif xobject.get("/Subtype") == "/Form":
            count += _images(xobject.get("/Resources"))
    return count


def test_every_figure_is_embedded(pdf):
    reader, _ = pdf
    figures = sum(1 for p in PAGES if (ROOT / f"{p}.ipynb").exists()
                  for c in json.loads((ROOT / f"{p}.ipynb").read_text())["cells"]
                  if c["cell_type"] == "code" and "remove-cell" not in c["metadata"].get("tags", [])
                  for o in c["outputs"] if "image/png" in o.get("data", {}))
    embedded = sum(_images(page.get("/Resources")) for page in reader.pages)
    assert figures > 30
    assert embedded >= figures
