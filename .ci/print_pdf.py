"""Typeset the single-page build of the book as a PDF with Debian's Chromium.

Usage: .venv/bin/python .ci/print_pdf.py [SINGLEHTML_DIR] [PDF]
(defaults: _build/singlehtml, _build/pdf/book.pdf). `bash .ci/pdf` builds the
single page first and copies the PDF into the site (_build/html/book.pdf).

The page is opened from disk with every request outside the book blocked.
When every figure has loaded (the formulas are MathML already), the page
is rearranged as a book (BOOK_JS): a title page, a contents list, the
introduction, then each part with its own title page and each chapter on a
new page; the headings become parts (h1), chapters (h2) and sections (h3), so
Chromium's tagged PDF has bookmarks at those levels. Solutions are shown;
links to the web print their address; a formula, table or figure wider than
the text is scaled to the text's width, and code lines wrap (print.css).

The contents list needs page numbers that only exist once the book is
printed, so it is printed twice: the first print's bookmarks give the page of
every heading; their numbers go into the contents list, whose space is kept
the same in both prints, and the second print is the book. The page as
printed is saved beside the PDF (book-print.html) for the
tests that measure the print layout (browser_tests/test_pdf.py).
"""

import os
import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium
import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PRINT_CSS = Path(__file__).resolve().parent / "print.css"
# A4 with these margins: the text block the layout is measured against.
MARGIN_MM = {"top": 20, "bottom": 20, "left": 18, "right": 18}
PAGE_MM = (210, 297)
TEXT_WIDTH_PX = round((PAGE_MM[0] - MARGIN_MM["left"] - MARGIN_MM["right"]) / 25.4 * 96)

BOOK_JS = """({title, author, copyright, parts}) => {
  const main = document.querySelector('main') || document.body;
  const article = document.querySelector('article') || main;
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  };
  // The site around the text (and the theme's own print header) goes.
  document.querySelectorAll('#jb-print-docs-body, .bd-header-article, .bd-sidebar-primary,' +
                            ' .bd-sidebar-secondary, .bd-footer-article, .bd-footer, #pst-header')
          .forEach(e => e.remove());
  // Solutions and other folded blocks are shown; their buttons are not.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('button.toggle-button, .headerlink, .copybtn')
          .forEach(e => e.remove());
  // Headings: the book title page's own heading is the introduction's.
  const intro = article.querySelector('h1');
  if (intro) intro.firstChild.textContent = 'Introduction';
  // Parts, each on its own title page, before its first chapter.
  parts.forEach(([caption, first], i) => {
    const anchor = document.getElementById('document-' + first);
    if (!anchor) throw new Error('no chapter ' + first);
    const part = el('section', 'book-part');
    const h1 = el('h1', null, `Part ${['I', 'II', 'III', 'IV'][i]}. ${caption}`);
    h1.id = 'book-part-' + (i + 1);
    part.appendChild(h1);
    anchor.parentNode.insertBefore(part, anchor);
  });
  // Each chapter (the section after a document anchor) opens a page.
  document.querySelectorAll('span[id^="document-"]').forEach(anchor => {
    const chapter = anchor.nextElementSibling;
    if (chapter && chapter.tagName === 'SECTION') chapter.classList.add('book-chapter');
  });
  // Links to the web print their address (on paper nothing is clickable).
  article.querySelectorAll('a[href^="http"]').forEach(a => {
    if (a.closest('.bd-header-article, nav')) return;
    const href = a.getAttribute('href');
    if (a.textContent.trim() !== href) a.appendChild(el('span', 'book-url', href));
  });
  // Contents: parts, chapters and sections, each with a place for its page.
  const contents = el('nav', 'book-contents');
  const heading = el('h1', null, 'Contents');
  heading.id = 'book-contents';
  contents.appendChild(heading);
  const list = el('ol', 'book-contents-list');
  article.querySelectorAll('h1, h2, h3').forEach(h => {
    // parts, the introduction, chapters and their sections
    const chapter = h.closest('section.book-chapter');
    if (h.tagName !== 'H1' && !chapter) return;
    const target = h.id || (h.closest('section') || {}).id;
    if (!target) return;
    const item = el('li', 'book-toc-' + h.tagName.toLowerCase());
    const link = el('a', null, h.textContent.trim());
    link.href = '#' + target;
    // the heading as the PDF's bookmark reads it: without its formulas
    const plain = h.cloneNode(true);
    plain.querySelectorAll('math, .headerlink').forEach(m => m.remove());
    link.dataset.bookmark = plain.textContent;
    link.dataset.full = h.textContent;
    item.appendChild(link);
    item.appendChild(el('span', 'book-toc-page', '000'));
    list.appendChild(item);
  });
  contents.appendChild(list);
  // The title page.
  const titlePage = el('section', 'book-title-page');
  titlePage.appendChild(el('p', 'book-title', title));
  titlePage.appendChild(el('p', 'book-author', author));
  titlePage.appendChild(el('p', 'book-copyright', '\\u00a9 ' + copyright + ' ' + author));
  article.insertBefore(contents, article.firstChild);
  article.insertBefore(titlePage, contents);
  // Wide blocks are scaled to the text's width (measured in the print layout).
  return document.querySelectorAll('.book-toc-page').length;
}"""

FIT_JS = """() => {
  const scaled = [];
  const blocks = document.querySelectorAll(
    'article div.math, article table, article img, article math[display="block"],' +
    ' article div.output.text_html, article .pst-scrollable-table-container');
  for (const b of blocks) {
    const box = b.parentElement.getBoundingClientRect().width;
    const wide = b.scrollWidth;
    if (wide > box + 1 && box > 0) {
      b.style.zoom = (box / wide).toFixed(4);
      scaled.push([b.tagName, Math.round(wide), Math.round(box)]);
    }
  }
  return scaled;
}"""

# A code cell taller than a third of a page may break (between lines of its
# code, or between its code and its output; print.css): kept whole, it left
# most of a page blank before it (chapter 4's imports after its opening).
TALL_JS = """() => {
  const third = 297 / 3 * 96 / 25.4;  // a third of an A4 page, in CSS px
  const cells = [...document.querySelectorAll('article div.cell')];
  const tall = cells.filter(cell => cell.getBoundingClientRect().height > third);
  tall.forEach(cell => cell.classList.add('book-tall'));
  return tall.length;
}"""

TOC_PAGES_JS = """(pages) => {
  const items = [...document.querySelectorAll('.book-contents-list li')];
  items.forEach((li, i) => { li.querySelector('.book-toc-page').textContent = pages[i]; });
}"""


def _normal(text):
    # Chromium drops the space where a heading's source had a line break, and
    # the invisible operators of MathML (function application, U+2061-2064);
    # it writes a formula's italic letters as mathematical italics (NFKC: p)
    return re.sub(r"[\s\u2061-\u2064]+", "", unicodedata.normalize("NFKC", text))


def _toc_parts():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [(part["caption"], part["chapters"][0]["file"]) for part in toc["parts"]]


def heading_pages(pdf_path, titles):
    """The page (1-based) of each heading, in order, from the PDF's bookmarks;
    a heading is given as its texts without and with its formulas."""
    document = pdfium.PdfDocument(pdf_path)
    marks = [
        (_normal(item.get_title()), item.get_dest().get_index()) for item in document.get_toc()
    ]
    pages, start = [], 0
    for title in titles:
        for index in range(start, len(marks)):
            if marks[index][0] in {_normal(t) for t in title}:
                pages.append(marks[index][1] + 1)
                start = index + 1
                break
        else:
            raise SystemExit(
                f"no bookmark for the heading {title!r} among {marks[start : start + 3]}"
            )
    document.close()
    return pages


def _print(page, target):
    page.pdf(
        path=str(target),
        format="A4",
        print_background=True,
        outline=True,
        tagged=True,
        margin={k: f"{v}mm" for k, v in MARGIN_MM.items()},
        display_header_footer=True,
        header_template="<span></span>",
        footer_template='<div style="font-size:9px;width:100%;text-align:center;'
        'font-family:serif"><span class="pageNumber"></span></div>',
    )


def main(
    source="_build/singlehtml",
    target="_build/pdf/book.pdf",
    chromium=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
):
    started = time.monotonic()
    source, target = Path(source).resolve(), Path(target)
    index = source / "index.html"
    if not index.exists():
        sys.exit(f"no single-page book at {index}: run `bash .ci/pdf`")
    target.parent.mkdir(parents=True, exist_ok=True)
    # With the root page in book/, Jupyter Book writes the single page to
    # book/intro.html (index.html redirects there) but makes its links
    # relative to the build root; a copy at the root resolves them.
    redirect = re.search(r'url=([^"]+)"', index.read_text(encoding="utf-8"))
    page_file = source / redirect.group(1) if redirect else index
    printable = source / "print.html"
    printable.write_text(page_file.read_text(encoding="utf-8"), encoding="utf-8")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    blocked = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # The screen layout at the text block's width, so that what fits on
        # screen fits on paper; print media for the rest.
        page = browser.new_page(viewport={"width": TEXT_WIDTH_PX, "height": 1000})

        def route(request_route):
            url = request_route.request.url
            if url.startswith(source.as_uri() + "/") or url.startswith("data:"):
                request_route.continue_()
            else:
                blocked.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.goto(printable.as_uri(), wait_until="load")
        page.evaluate("""async () => {
            const images = [...document.images];
            images.forEach(img => { img.loading = 'eager'; });
            await Promise.allSettled(images.map(img => img.decode()));
        }""")
        page.emulate_media(media="print")
        page.add_style_tag(content=PRINT_CSS.read_text(encoding="utf-8"))
        entries = page.evaluate(
            BOOK_JS,
            {
                "title": config["title"],
                "author": config["author"],
                "copyright": str(config["copyright"]),
                "parts": _toc_parts(),
            },
        )
        scaled = page.evaluate(FIT_JS)
        page.evaluate(TALL_JS)
        titles = page.evaluate(
            "() => [...document.querySelectorAll('.book-contents-list a')]"
            ".map(a => [a.dataset.bookmark, a.dataset.full])"
        )
        with tempfile.TemporaryDirectory() as scratch:
            first = Path(scratch) / "first.pdf"
            _print(page, first)
            pages = heading_pages(first, titles)
        page.evaluate(TOC_PAGES_JS, pages)
        _print(page, target)
        (target.parent / "book-print.html").write_text(
            page.content().replace("<head>", f'<head><base href="{source.as_uri()}/">', 1),
            encoding="utf-8",
        )
        browser.close()
    if blocked:
        sys.exit(f"the book requested {len(blocked)} URLs outside itself: {blocked[:5]}")
    document = pdfium.PdfDocument(target)
    print(
        f"PDF written: {target} ({len(document)} pages, {target.stat().st_size / 1e6:.1f} MB, "
        f"{entries} contents entries, {len(scaled)} wide blocks scaled to the text width) "
        f"in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
