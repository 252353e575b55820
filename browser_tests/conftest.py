"""Browser tests of the built book: Debian's Chromium driven by Playwright.

They read the HTML in ``_build/html`` (or ``$BOOK_HTML``), opened from disk
(file://) as a reader without a network would, and block every request that
leaves the book. They are not part of ``bash .ci/test`` (they need the built
book); run them with ``bash .ci/browser`` after ``bash .ci/book``.
"""

import os
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import sync_playwright

from _course import PAGES, ROOT

HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = Path(os.environ.get("BOOK_SCREENSHOTS", HTML.parent / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
# Every page of the book, as its path without suffix (book/04_cross_entropy),
# read from _toc.yml by the tests' one reader (tests/ is on pytest's pythonpath).
__all__ = ["PAGES"]


def in_book(url):
    """True for a URL inside the built book (file://.../_build/html/...)."""
    return url.startswith(HTML.as_uri() + "/") or url.startswith(("data:", "blob:", "about:"))


class Visit:
    """One page loaded in Chromium, with what happened while it loaded."""

    def __init__(self, context, path):
        self.path = path
        self.blocked, self.outside, self.console_errors = [], [], []
        self.page = page = context.new_page()
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: in_book(r.url) or self.outside.append(r.url))
        page.route("**/*", self._route)
        # The formulas are MathML in the page (typeset by the browser itself).
        page.goto((HTML / f"{path}.html").as_uri(), wait_until="load")

    def _route(self, route):
        if in_book(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


@pytest.fixture(scope="session")
def browser():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built book in {HTML}: run `bash .ci/book` first")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="session")
def visit(context):
    """visit(path) loads a page once per session and returns its Visit."""
    visits = {}

    def _visit(path):
        if path not in visits:
            visits[path] = Visit(context, path)
        # Chromium throttles timers and animation frames of background tabs;
        # the page under test is the one in front.
        visits[path].page.bring_to_front()
        return visits[path]

    return _visit


@pytest.fixture(scope="session")
def server():
    """The built book served over HTTP on localhost (a reader's browser fetches
    pages, measures transfer and runs Sphinx's search as from a web server)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
