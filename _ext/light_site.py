"""A light, working site: what the book's HTML build does after Sphinx wrote it.

Each step is a plain function of the written files, run once at the end of
every HTML build (``html`` and ``singlehtml``; ``build-finished``):

1. MathJax: only the components the pages use. sphinx-mathjax-offline copies
   the whole 24 MB MathJax 3 distribution, and its combined ``tex-chtml.js``
   (1.2 MB) carries the context menu (430 kB) and every loader. The book loads
   ``startup.js`` with ``MathJax.loader.load`` set in ``_config.yml``
   (``mathjax3_config``); exactly those components, their fonts and nothing
   else are copied from the distribution the sphinx-mathjax-offline package
   ships (``MATHJAX_COMPONENTS``). A formula that needs another TeX package
   fails to typeset, and the browser tests catch it (``mjx-merror``).
2. Icons from a cut font. The theme draws its icons with Font Awesome's
   ``fontawesome.js`` (1.5 MB, every icon of the set, run on every page) and,
   in its stylesheets, with the Font Awesome web fonts (300 kB). The script is
   dropped (the theme's CSS draws the same icons from the font), and the fonts
   are cut to the glyphs the pages and stylesheets use (a few kB).
3. No source maps in the published site (3 MB): the ``.map`` files and the
   comments that point to them are removed.
4. The theme's navigation (pydata-sphinx-theme 0.17, upstream issue #2451):
   its hidden header (``#pst-header``) holds a second pair of drawer buttons
   before the visible ones, and the theme binds the drawers to the first
   ``.primary-toggle``/``.secondary-toggle`` in the page, so the visible
   buttons did nothing. The hidden copies, and that header's hidden search
   fields, are removed; the theme then binds to the buttons the reader sees.
5. Tooltips: Bootstrap's tooltips stay on screen after a tap and covered the
   search button. The buttons keep their ``title`` (the browser's own
   tooltip, shown on hover only) and lose Bootstrap's.
6. The download menu's "Print to PDF" printed only the page on screen; it
   becomes a link to the whole book's PDF (``book.pdf`` at the site's root,
   copied there by ``bash .ci/pdf``).
8. The tab title: the page's title alone ("4. Cross-entropy"), not followed by
   the book's title, which the first page's title already is.
7. Search: each page loaded Sphinx's search index (86 kB) for a search
   dialog that only sends the query to ``search.html``; only the search page
   loads it now.
"""

import html
import re
import shutil
from pathlib import Path

import sphinx

# The MathJax 3 components the book loads (mathjax3_config in _config.yml)
# and the font data and fonts of the CommonHTML output.
MATHJAX_COMPONENTS = ["startup.js", "core.js", "input/tex-base.js",
                      "input/tex/extensions/ams.js", "output/chtml.js",
                      "output/chtml/fonts/tex.js", "a11y/assistive-mml.js"]
MATHJAX_FONTS = "output/chtml/fonts/woff-v2"
MATHJAX_SOURCE = (Path(sphinx.__file__).resolve().parents[1]
                  / "sphinx-mathjax-offline" / "static" / "mathjax")

FA_WEBFONTS = "vendor/fontawesome/webfonts"
FA_FONTS = ["fa-solid-900", "fa-regular-400", "fa-brands-400"]
ICON_CLASS = re.compile(r'class="[^"]*"')


def copy_mathjax(static):
    """Copy the MathJax components the book uses into ``static/mathjax``."""
    target = static / "mathjax"
    shutil.rmtree(target, ignore_errors=True)
    for name in MATHJAX_COMPONENTS:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MATHJAX_SOURCE / name, target / name)
    shutil.copytree(MATHJAX_SOURCE / MATHJAX_FONTS, target / MATHJAX_FONTS)


def icon_codepoints(html_texts, css_texts):
    """The Font Awesome code points the site draws: those of the ``fa-NAME``
    classes the pages use, and those the stylesheets put in ``content`` (the
    theme's admonition, breadcrumb and link icons, as ``--pst-icon-*``)."""
    by_class, in_css = {}, set()
    for selectors, declarations in re.findall(r"([^{}]*)\{([^{}]*)\}", "\n".join(css_texts)):
        codes = {int(c, 16) for c in re.findall(r'"\\([ef][0-9a-f]{3})"', declarations)}
        names = re.findall(r"\.(fa-[\w-]+):before", selectors)
        if names and re.fullmatch(r"(\s*\.fa-[\w-]+:before\s*,?)+", selectors):
            by_class.update((name, code) for name in names for code in codes)
        else:
            in_css |= codes
    used = set()
    for text in html_texts:
        for classes in ICON_CLASS.findall(text):
            used.update(by_class[n] for n in classes[7:-1].split() if n in by_class)
    return used | in_css


def subset_icon_fonts(static, codepoints):
    """Replace the Font Awesome fonts by subsets holding ``codepoints`` (as WOFF:
    fontTools writes WOFF2 only with brotli) and point the stylesheets'
    @font-face rules at them."""
    from fontTools import subset

    for name in FA_FONTS:
        options = subset.Options()
        options.flavor = "woff"
        font = subset.load_font(str(static / FA_WEBFONTS / f"{name}.ttf"), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        subset.save_font(font, str(static / f"{name}.subset.woff"), options)
    for stylesheet in static.rglob("*.css"):
        text = stylesheet.read_text(encoding="utf-8")
        if FA_WEBFONTS not in text:
            continue
        prefix = "../" * (len(stylesheet.relative_to(static).parts) - 1)
        for name in FA_FONTS:
            text = re.sub(rf'url\([^)]*{FA_WEBFONTS}/{name}\.woff2\) format\("woff2"\),'
                          rf'url\([^)]*{FA_WEBFONTS}/{name}\.ttf\) format\("truetype"\)',
                          f'url({prefix}{name}.subset.woff) format("woff")', text)
        if FA_WEBFONTS in text:
            raise RuntimeError(f"{stylesheet} still names a Font Awesome font")
        stylesheet.write_text(text, encoding="utf-8")
    shutil.rmtree(static / "vendor" / "fontawesome")


def _relative_root(page, outdir):
    depth = len(page.relative_to(outdir).parts) - 1
    return "../" * depth


def fix_page(text, root, book_title, search_page=False):
    """The page's HTML with the theme's hidden duplicates, Bootstrap tooltips,
    the icon script and (except on the search page) the search index removed,
    and the PDF button pointing at the whole book."""
    # 4. the hidden header's drawer buttons and search fields
    header = re.search(r'<header id="pst-header".*?</header>', text, flags=re.S)
    if header:
        inner = re.sub(r'\s*<button class="pst-navbar-icon sidebar-toggle '
                       r'(?:primary|secondary)-toggle".*?</button>', "", header.group(0),
                       flags=re.S)
        inner = re.sub(r'<button class="btn search-button-field.*?</button>', "", inner,
                       flags=re.S)
        text = text[:header.start()] + inner + text[header.end():]
    # 5. Bootstrap tooltips: keep the title, drop the tooltip
    text = re.sub(r'\s*data-bs-toggle="tooltip"', "", text)
    text = text.replace('aria-label="Color mode" data-bs-title="Color mode"',
                        'aria-label="Color mode" title="Color mode"')
    # 2. icons: the stylesheet instead of the script
    text = re.sub(r'<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\s*',
                  "", text)
    # 6. the whole book's PDF
    text = re.sub(r'<button onclick="window\.print\(\)"\s*class="([^"]*)"[^>]*>(.*?)</button>',
                  lambda m: (f'<a href="{root}book.pdf" class="{m.group(1)}" '
                             f'title="The whole book as a PDF">{m.group(2)}</a>'),
                  text, flags=re.S)
    # 8. the tab title
    text = text.replace(f" &#8212; {book_title}</title>", "</title>", 1)
    # 7. the search index only where it is searched
    if not search_page:
        for name in ("_static/searchtools.js", "_static/language_data.js", "searchindex.js"):
            text = re.sub(rf'<script src="{re.escape(root + name)}"></script>\s*', "", text)
    return text


def finish_site(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    static = outdir / "_static"
    copy_mathjax(static)
    # 3. source maps
    for source_map in static.rglob("*.map"):
        source_map.unlink()
    for script in list(static.rglob("*.js")) + list(static.rglob("*.css")):
        text = script.read_text(encoding="utf-8")
        if "sourceMappingURL" in text:
            script.write_text(re.sub(r"\n?(//|/\*)# sourceMappingURL=\S+( \*/)?", "", text),
                              encoding="utf-8")
    pages = sorted(p for p in outdir.rglob("*.html") if "_static" not in p.parts)
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    css = [p.read_text(encoding="utf-8") for p in static.rglob("*.css")]
    subset_icon_fonts(static, icon_codepoints(texts.values(), css))
    for page, text in texts.items():
        page.write_text(fix_page(text, _relative_root(page, outdir),
                                 html.escape(app.config.html_title),
                                 search_page=page == outdir / "search.html"),
                        encoding="utf-8")
    for script in ("fontawesome.js", "fontawesome.js.LICENSE.txt"):
        (static / "scripts" / script).unlink(missing_ok=True)


def setup(app):
    app.connect("build-finished", finish_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
