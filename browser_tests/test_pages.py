"""Every page of the built book as a reader's browser shows it, offline."""

import json
import re
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from bs4 import BeautifulSoup

from conftest import CONFIG, HTML, PAGES, ROOT, SCREENSHOTS, Visit

NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]

# Text of the article outside code, script and typeset math: where raw TeX
# delimiters would mean a formula the build did not convert to MathML.
PROSE_JS = """() => {
  const article = document.querySelector('article').cloneNode(true);
  article.querySelectorAll('pre, code, script, style, math')
         .forEach(e => e.remove());
  return article.textContent;
}"""

IMAGES_JS = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.allSettled(images.map(img => img.decode()));
  return images.map(img => ({src: img.getAttribute('src'), alt: img.getAttribute('alt'),
                             loaded: img.complete && img.naturalWidth > 0}));
}"""


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_without_console_errors(visit, path):
    page = visit(path)
    assert page.blocked == [], "requests outside the book"
    assert page.outside == [], "requests outside the book"
    assert page.console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_mathjax_typesets_every_formula(visit, path):
    page = visit(path).page
    formulas = page.locator("article span.math, article div.math")
    typeset = page.locator("article span.math > math, article div.math > math")
    assert typeset.count() == formulas.count()
    assert page.locator("merror").count() == 0, "a formula MathJax could not parse"
    # typeset by the browser: a formula has a box of its own
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('article math')]"
        ".map(m => m.getBoundingClientRect().height)"
    )
    assert all(height > 5 for height in sizes)
    prose = page.evaluate(PROSE_JS)
    for delimiter in ("\\(", "\\)", "\\[", "\\]", "$$"):
        assert delimiter not in prose, f"raw TeX {delimiter!r} left in the text"


def test_the_lecture_has_formulas_to_typeset(visit):
    # guard against the test above passing on pages where nothing is math
    page = visit("book/04_cross_entropy").page
    assert page.locator("article math").count() > 50


@pytest.mark.parametrize("path", PAGES)
def test_every_image_loads_and_says_what_it_shows(visit, path):
    images = visit(path).page.evaluate(IMAGES_JS)
    for image in images:
        assert image["loaded"], image["src"]
        alt = (image["alt"] or "").strip()
        assert alt, f"{image['src']} has no alt text"
        assert not re.search(r"\.(png|svg|jpe?g|gif)\b|_images/|jupyter_execute", alt), (
            f"{image['src']}: alt text is a file name: {alt!r}"
        )


def test_chapters_show_their_figures(visit):
    images = visit("book/04_cross_entropy").page.evaluate(IMAGES_JS)
    assert sum("_images/" in image["src"] for image in images) >= 2


@pytest.mark.parametrize("path", PAGES)
def test_no_code_line_is_cut_off(visit, path):
    # 1280 x 900, the page's table of contents beside the text: code cells
    # (lines of at most 80 characters) fit without a horizontal scroll bar.
    cut = visit(path).page.evaluate("""() => [...document.querySelectorAll(
        'div.cell_input pre, div.highlight-python pre')]
      .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
      .map(pre => pre.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b))""")
    assert cut == [], "code lines wider than the page"


@pytest.mark.parametrize("path", [p for p in PAGES if re.match(r"book/\d\d_", p)])
def test_exercise_solutions_open_and_close(visit, path):
    page = visit(path).page
    solutions = page.locator("div.solution.dropdown")
    assert solutions.count() >= 1
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        body = solution.locator("section").first
        button = solution.locator("button.toggle-button")
        solution.scroll_into_view_if_needed()
        assert not body.is_visible(), "a solution is shown before the reader asks"
        button.click()
        body.wait_for(state="visible", timeout=5_000)
        button.click()
        body.wait_for(state="hidden", timeout=5_000)


def test_search_finds_cross_entropy(context):
    page = context.new_page()
    outside = []
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(HTML.as_uri())
            else (outside.append(r.request.url), r.abort())
        ),
    )
    page.goto((HTML / "search.html").as_uri() + "?q=cross-entropy")
    # Sphinx adds the results one by one (a 5 ms timer each) and then says
    # "Search finished, found N page(s)"; count only after that.
    summary = page.locator("#search-results p.search-summary")
    summary.filter(has_text="Search finished").wait_for(timeout=30_000)
    results = page.locator("#search-results ul.search li")
    found = int(re.search(r"found (\d+) page", summary.inner_text()).group(1))
    assert results.count() == found >= 5
    titles = " ".join(results.all_inner_texts())
    assert "Cross-entropy" in titles
    assert outside == []
    page.close()


def _repository():
    url = CONFIG["repository"]["url"].rstrip("/")
    org, repo = urlparse(url).path.strip("/").split("/")[:2]
    return f"{org}/{repo}", CONFIG["repository"].get("branch", "main")


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_launch_buttons_open_this_notebook_from_the_repository(visit, path):
    page = visit(path).page
    repo, branch = _repository()
    binder = page.locator("a[href^='https://mybinder.org/']").get_attribute("href")
    colab = page.locator("a[href^='https://colab.research.google.com/']").get_attribute("href")
    assert binder == f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/{path}.ipynb"
    assert colab == f"https://colab.research.google.com/github/{repo}/blob/{branch}/{path}.ipynb"


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_download_button_gives_the_notebook(visit, path):
    page = visit(path).page
    href = page.locator("a.btn-download-source-button").get_attribute("href")
    assert href.endswith(f"_sources/{path}.ipynb")
    downloaded = json.loads((HTML / path).parent.joinpath(href).resolve().read_text())
    assert downloaded == json.loads((ROOT / f"{path}.ipynb").read_text())


def _html_files():
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts)


def test_internal_links_and_anchors_resolve():
    ids, broken = {}, []
    soups = {p: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in _html_files()}
    for p, soup in soups.items():
        ids[p] = {e["id"] for e in soup.find_all(id=True)} | {
            a["name"] for a in soup.find_all("a", attrs={"name": True})
        }
    checked = 0
    for p, soup in soups.items():
        for a in soup.find_all("a", href=True):
            href = a["href"]
            if re.match(r"[a-z][a-z0-9+.-]*:", href) or href.startswith("//"):
                continue  # external (launch buttons, repository): not part of the book
            target, fragment = urldefrag(href)
            target_path = (p.parent / unquote(target)).resolve() if target else p
            checked += 1
            if not target_path.exists():
                broken.append((p.relative_to(HTML).as_posix(), href))
            elif fragment and target_path.suffix == ".html":
                if unquote(fragment) not in ids.get(target_path, set()):
                    broken.append((p.relative_to(HTML).as_posix(), href))
    assert checked > 100
    assert broken == []


# axe-core's colour-contrast rule costs milliseconds per element, and a chapter
# has thousands of elements with text (9,000 in chapter 4, 6,600 of them
# highlighted code tokens) in a few hundred looks. Its verdict on an element
# depends only on the element's look (colour, font size and weight, text shadow,
# opacity, whether it is rendered at all) and on the backgrounds of its
# ancestors behind it; an element out of the flow (positioned, floated) or
# spanning table rows or columns may lie over other backgrounds (axe then
# cannot decide), so those also count to its look. One element of each look is
# checked on every page: an element that looks exactly like one already checked
# is marked as its twin, and only the colour-contrast rule skips twins. Every
# other rule, on every element, is checked as usual.
TWINS_JS = """() => {
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const elements = new Set();
  while (texts.nextNode()) {
    if (/\\S/.test(texts.currentNode.data)) elements.add(texts.currentNode.parentElement);
  }
  const looks = new Set();
  for (const element of elements) {
    const s = getComputedStyle(element);
    const look = [element.tagName, element.className, element.getClientRects().length > 0,
                  element.rowSpan, element.colSpan, s.position, s.cssFloat,
                  s.color, s.fontSize, s.fontWeight, s.textShadow, s.opacity];
    for (let e = element.parentElement; e; e = e.parentElement) {
      const c = getComputedStyle(e);
      look.push(c.backgroundColor, c.backgroundImage, c.opacity, c.mixBlendMode, c.filter);
    }
    const key = look.join('|');
    if (looks.has(key)) element.setAttribute('data-axe-twin', ''); else looks.add(key);
  }
}"""


def axe_violations(page, rules=None):
    """axe-core's serious and critical violations on a loaded page, as
    (rule, impact, [every element's selector]); all rules, or `rules`."""
    page.evaluate(Axe().axe_script)  # the axe-core that axe-playwright-python bundles
    page.evaluate(TWINS_JS)
    page.evaluate(
        "axe.configure({rules: [{id: 'color-contrast', selector: '*:not([data-axe-twin])'}]})"
    )
    # preload: false keeps axe from fetching the stylesheets with XHR, which
    # Chromium refuses for file:// pages (a console error axe would cause).
    options = {"resultTypes": ["violations"], "preload": False}
    if rules is not None:
        options["runOnly"] = list(rules)
    results = page.evaluate("options => axe.run(document, options)", options)
    return [
        (v["id"], v["impact"], [" ".join(n["target"]) for n in v["nodes"]])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def serious_accessibility_violations(page, rules=None):
    """(rule, impact, number of elements, first element) for each of :func:`axe_violations`."""
    return [(rule, impact, len(t), t[0]) for rule, impact, t in axe_violations(page, rules)]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(visit, path):
    assert serious_accessibility_violations(visit(path).page) == []


def test_the_contrast_check_finds_one_faint_element_among_thousands(context):
    # the one-element-per-look check above must still see a single element that
    # differs from its twins: here one inline code name in the middle of chapter
    # 1 and one paragraph of its prose (one without markup inside), made pale
    # grey. (Code blocks sit on their scroll-shadow gradient, which axe does not
    # judge: their contrast is the next test's.)
    page = Visit(context, "book/01_loss_functions").page
    try:
        names = page.locator("article code.literal span.pre:visible")
        paragraphs = page.locator("article p:not(:has(*))")
        assert names.count() > 30 and paragraphs.count() > 20
        for elements, name in [(names, "faint-code"), (paragraphs, "faint-prose")]:
            elements.nth(elements.count() // 2).evaluate(
                f"e => {{ e.style.color = '#d0d0d0'; e.id = '{name}'; }}"
            )
        found = axe_violations(page, rules=["color-contrast"])
        targets = {t for rule, _, targets in found if rule == "color-contrast" for t in targets}
        assert {"#faint-code", "#faint-prose"} <= targets, found
        assert page.locator("[data-axe-twin]").count() > 2000  # most were skipped
    finally:
        page.close()


# The WCAG contrast of every coloured token of the code blocks (and of their
# plain text) against the block's background: axe leaves these undecided, as
# the blocks' background carries the scroll shadows' gradient.
CODE_CONTRAST_JS = """() => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
    return (x + 0.05) / (y + 0.05); };
  const worst = {};
  for (const pre of document.querySelectorAll('div.highlight pre')) {
    const bg = getComputedStyle(pre).backgroundColor;
    for (const e of [pre, ...pre.querySelectorAll('span[class]')]) {
      if (!e.textContent.trim()) continue;
      const r = ratio(getComputedStyle(e).color, bg), key = e === pre ? 'text' : e.className;
      worst[key] = Math.min(worst[key] ?? Infinity, r);
    }
  }
  return worst;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_tokens_have_a_contrast_of_4_5_to_1(browser, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    try:
        page = Visit(context, "book/04_cross_entropy").page
        page.evaluate(f"document.documentElement.dataset.theme = '{scheme}'")
        worst = page.evaluate(CODE_CONTRAST_JS)
        assert {"text", "k", "o", "s2", "mi"} <= set(worst)
        assert {k: round(v, 2) for k, v in worst.items() if v < 4.5} == {}
    finally:
        context.close()


@pytest.mark.parametrize(
    "path, name",
    [("book/04_cross_entropy", "chapter-04.png"), ("book/homework/hw1", "homework-hw1.png")],
)
def test_screenshots(visit, path, name):
    page = visit(path).page
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=False)
    assert (SCREENSHOTS / name).stat().st_size > 20_000


def test_nothing_outside_the_book_and_no_errors_after_all_interactions(visit):
    # Runs last (pytest keeps file order): clicking solutions, running axe and
    # scrolling must not have made a page request anything or log an error.
    for path in PAGES:
        page = visit(path)
        assert (path, page.blocked, page.outside) == (path, [], [])
        assert (path, page.console_errors) == (path, [])
