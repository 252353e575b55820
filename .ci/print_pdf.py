"""Print the single-page build of the book to a PDF with Debian's Chromium.

Usage: .venv/bin/python .ci/print_pdf.py [SINGLEHTML_DIR] [PDF]
(defaults: _build/singlehtml, _build/pdf/book.pdf). `bash .ci/pdf` builds the
single page first. The page is opened from disk with every request outside
the book blocked; printing waits until MathJax has typeset every formula and
every image has loaded, so the PDF has rendered math and embedded figures.
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def main(source="_build/singlehtml", target="_build/pdf/book.pdf",
         chromium="/usr/bin/chromium"):
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
    blocked = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()

        def route(request_route):
            url = request_route.request.url
            if url.startswith(source.as_uri() + "/") or url.startswith("data:"):
                request_route.continue_()
            else:
                blocked.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.goto(printable.as_uri(), wait_until="load")
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=60_000)
        page.evaluate("MathJax.startup.promise")
        page.evaluate("""async () => {
            const images = [...document.images];
            images.forEach(img => { img.loading = 'eager'; });
            await Promise.allSettled(images.map(img => img.decode()));
        }""")
        # On paper nothing scrolls: long code and output lines wrap.
        page.add_style_tag(content="@media print { pre { white-space: pre-wrap;"
                                   " overflow-wrap: anywhere; } }")
        page.emulate_media(media="print")
        page.pdf(path=str(target), format="A4", print_background=True,
                 margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                 display_header_footer=True, header_template="<span></span>",
                 footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                 '<span class="pageNumber"></span></div>')
        browser.close()
    if blocked:
        sys.exit(f"the book requested {len(blocked)} URLs outside itself: {blocked[:5]}")
    print(f"PDF written: {target} ({target.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(*sys.argv[1:])
