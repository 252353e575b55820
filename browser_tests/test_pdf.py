"""The PDF of the book (bash .ci/pdf): every chapter, rendered math, figures."""

import base64
import json
import os
import re
import struct
from collections import Counter

import pypdfium2 as pdfium
import pytest

from _course import CHAPTERS, TOC
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
    embedded = Counter(
        tuple(image.get_px_size())
        for page in document
        for image in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=4)
    )
    # SVG figures are vectors in the PDF; every PNG one is embedded whole
    assert not figures - embedded


# ---- The typeset book (issue 22) -----------------------------------------


def _bookmarks(document):
    return [
        (b.level, re.sub(r"\s+", "", b.get_title()), b.get_dest().get_index())
        for b in document.get_toc()
    ]


def test_bookmarks_for_parts_chapters_and_sections(pdf):
    document, _ = pdf
    marks = _bookmarks(document)
    levels = {level for level, _, _ in marks}
    titles = [t for _, t, _ in marks]
    assert {0, 1, 2} <= levels
    romans = ["I", "II", "III", "IV", "V", "VI"]
    parts = [f"Part{romans[i]}.{p['caption']}".replace(" ", "") for i, p in enumerate(TOC["parts"])]
    assert [t for t in titles if t.startswith("Part")] == parts
    chapters = [t for level, t, _ in marks if level == 1 and re.match(r"\d\.", t)]
    assert len(chapters) == len(CHAPTERS)


def test_contents_list_gives_each_chapter_its_page(pdf):
    document, _ = pdf
    marks = {t: page + 1 for level, t, page in _bookmarks(document) if level == 1}
    contents = "".join(document[i].get_textpage().get_text_bounded() for i in range(1, 6))
    contents = re.sub(r"\s+", "", contents)
    checked = 0
    for title, page in marks.items():
        if re.match(r"\d\.", title):
            assert re.search(re.escape(title) + str(page), contents), title
            checked += 1
    assert checked == len(CHAPTERS)


def test_every_chapter_starts_a_page(pdf):
    document, _ = pdf
    for level, title, index in _bookmarks(document):
        if level == 1 and re.match(r"\d\.|Homework\d", title):
            first_text = re.sub(r"\s+", "", document[index].get_textpage().get_text_bounded())
            assert first_text.startswith(title[:12]), (title, first_text[:40])


def test_nothing_is_cut_at_the_margins(pdf):
    # every text and image of every page lies inside the paper's text block
    # (A4, 18 mm side margins: .ci/print_pdf.py), measured in the printed
    # layout itself (drawn frames and backgrounds may reach into the margin)
    document, _ = pdf
    cut = []
    for number, page in enumerate(document, start=1):
        width = page.get_width()
        for obj in page.get_objects(
            filter=[pdfium.raw.FPDF_PAGEOBJ_TEXT, pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=4
        ):
            left, _, right, _ = obj.get_bounds()
            if right - left > width:
                continue  # text laid out but not drawn (hidden for screen readers)
            if left < 18 / 25.4 * 72 - 2 or right > width - 18 / 25.4 * 72 + 2:
                cut.append((number, obj.type, round(left), round(right)))
    assert cut[:10] == []


def test_a_spread_of_the_pdf_for_the_eye(pdf):
    from PIL import Image

    from conftest import SCREENSHOTS

    document, _ = pdf
    chapter = next(
        index
        for level, title, index in _bookmarks(document)
        if level == 1 and title.startswith("4.")
    )
    images = [document[i].render(scale=1).to_pil() for i in (1, chapter)]
    spread = Image.new(
        "RGB", (sum(i.width for i in images), max(i.height for i in images)), "white"
    )
    spread.paste(images[0], (0, 0))
    spread.paste(images[1], (images[0].width, 0))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    spread.save(SCREENSHOTS / "pdf-contents-and-chapter-4.png")
    assert (SCREENSHOTS / "pdf-contents-and-chapter-4.png").stat().st_size > 20_000
