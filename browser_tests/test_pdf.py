"""The PDF of the book (bash .ci/pdf): every chapter, rendered math, figures."""

import base64
import json
import os
import re
import struct
from collections import Counter

import pypdfium2 as pdfium
import pytest

from conftest import HTML, PAGES, ROOT

PDF = os.environ.get("BOOK_PDF", HTML.parent / "pdf" / "book.pdf")


@pytest.fixture(scope="module")
def pdf():
    if not os.path.exists(PDF):
        pytest.fail(f"no PDF at {PDF}: run `bash .ci/pdf` first")
    document = pdfium.PdfDocument(PDF)
    text = "\n".join(page.get_textpage().get_text_bounded() for page in document)
    return document, re.sub(r"\s+", " ", text)


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


def _figure_sizes():
    """Width and height in pixels of every figure the book's pages show: the PNG
    outputs of their notebooks (read from each PNG's header)."""
    sizes = Counter()
    for path in PAGES:
        if not (ROOT / f"{path}.ipynb").exists():
            continue
        for cell in json.loads((ROOT / f"{path}.ipynb").read_text())["cells"]:
            if cell["cell_type"] != "code" or "remove-cell" in cell["metadata"].get("tags", []):
                continue
            for output in cell["outputs"]:
                if "image/png" in output.get("data", {}):
                    png = base64.b64decode(output["data"]["image/png"])
                    sizes[struct.unpack(">II", png[16:24])] += 1
    return sizes


def test_every_figure_is_embedded_at_full_resolution(pdf):
    document, _ = pdf
    figures = _figure_sizes()
    # images drawn on the pages, also inside form XObjects (Chromium nests some)
    embedded = Counter(tuple(image.get_px_size()) for page in document
                       for image in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE],
                                                     max_depth=4))
    assert sum(figures.values()) > 30
    assert embedded == figures
