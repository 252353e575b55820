"""A light, working site: what the book's HTML build does after Sphinx wrote it.

Each step is a plain function of the written files, run once at the end of
every HTML build (``html`` and ``singlehtml``; ``build-finished``):

1. Formulas as MathML, typeset by the browser. MathJax in the page weighed
   700 kB of scripts and fonts on every chapter (the whole 24 MB distribution
   was copied into the site) and held DOM-ready back. Every formula is
   converted once, at build time, by MathJax 3 itself (``mathml/tex2mml.js``,
   ``mathjax-full`` pinned in ``mathml/package-lock.json``, installed by
   ``.ci/setup`` into ``.venv/mathml``) to MathML, which Chromium, Firefox and Safari typeset
   natively (and screen readers read). The pages carry no MathJax; a formula
   MathJax cannot parse stops the build.
2. Icons from a cut font. The theme draws its icons with Font Awesome's
   ``fontawesome.js`` (1.5 MB, every icon of the set, run on every page) and,
   in its stylesheets, with the Font Awesome web fonts (300 kB). The script is
   dropped (the theme's CSS draws the same icons from the font), and the fonts
   are cut to the glyphs the pages and stylesheets use (a few kB), as are the
   stylesheets' rules for the icons no page shows.
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
7. Search: each page loaded Sphinx's search index (86 kB) for a search
   dialog that only sends the query to ``search.html``; only the search page
   loads it now.
8. The tab title: the page's title alone ("4. Cross-entropy"), not followed by
   the book's title, which the first page's title already is.
9. Code in fewer elements. Pygments wraps every token of a code cell in a
   ``<span>``, even the names, punctuation and spaces that its stylesheet draws
   in the code block's own colour: chapter 4 had 8,500 spans (39,700 nodes),
   and the style and layout of those nodes held its DOM-ready past 1 s. The
   spans of the token classes that ``pygments.css`` draws exactly like the
   block, in every colour theme, are unwrapped (their text stays); the page
   looks the same with about 4,800 fewer elements.
"""

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

MATHML_DIR = Path(__file__).resolve().parent / "mathml"
# mathjax-full, installed by .ci/setup beside the virtual environment
MATHML_MODULES = Path(__file__).resolve().parent.parent / ".venv" / "mathml" / "node_modules"
MATH_ELEMENT = re.compile(
    r'<(span|div) class="math notranslate nohighlight"([^>]*)>(.*?)</\1>', re.S
)
TEX_DELIMITERS = re.compile(r"^(.*?)(\\\(|\\\[|\$\$)(.*)(\\\)|\\\]|\$\$)\s*$", re.S)
MATHJAX_SCRIPTS = re.compile(
    r"<script>window\.MathJax = .*?</script>\s*|<script[^>]*_static/mathjax/[^>]*></script>\s*",
    re.S,
)

FA_WEBFONTS = "vendor/fontawesome/webfonts"
FA_FONTS = ["fa-solid-900", "fa-regular-400", "fa-brands-400"]
ICON_CLASS = re.compile(r'class="[^"]*"')


def tex_to_mathml(formulas):
    """MathML for each (tex, display) pair, from MathJax 3 in Node.js."""
    if not formulas:
        return []
    venv_bin = Path(__file__).resolve().parent.parent / ".venv" / "bin"
    node = shutil.which("node", path=str(venv_bin)) or shutil.which("node")
    if node is None or not (MATHML_MODULES / "mathjax-full").is_dir():
        raise RuntimeError(
            "the book's formulas need Node.js and mathjax-full: run "
            f"`bash .ci/setup` (it installs them into {MATHML_MODULES})"
        )
    done = subprocess.run(
        [node, str(MATHML_DIR / "tex2mml.js")],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NODE_PATH": str(MATHML_MODULES)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"TeX to MathML failed: {done.stderr.strip()}")
    return [_compact(mathml) for mathml in json.loads(done.stdout)]


THIN_SPACE = '<mspace width="0.1667em"></mspace>'
OPERATOR_NAME_AFTER_ORD = re.compile(
    r"(</mi>|</mn>|</msub>|</msup>|</mrow>|[)\]]</mo>)"
    r"(<mi>[A-Za-z]{2,}</mi>|<msub><mi>[A-Za-z]{2,}</mi>)"
)


def _compact(mathml):
    mathml = re.sub(r">\s+<", "><", mathml.strip())
    mathml = re.sub(r' data-mjx-[\w-]+="[^"]*"', "", mathml)
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")
    # TeX puts a thin space around an operator name (\log p, t \log q); MathML
    # Core gives the invisible function application (U+2061) none: "tlogp".
    # (none before a bracket: \log(x))
    mathml = re.sub(
        r"<mo>&#x2061;</mo>(?!<mo[^>]*>[(\[])", "<mo>&#x2061;</mo>" + THIN_SPACE, mathml
    )
    return OPERATOR_NAME_AFTER_ORD.sub(r"\1" + THIN_SPACE + r"\2", mathml)


def typeset_math(texts):
    """The pages with every formula (``\\(..\\)``, ``\\[..\\]``) as MathML and
    without the MathJax scripts."""
    found = []
    for text in texts:
        for match in MATH_ELEMENT.finditer(text):
            parts = TEX_DELIMITERS.match(match.group(3))
            if parts is None:
                raise RuntimeError(f"a formula without TeX delimiters: {match.group(0)[:200]}")
            found.append((html.unescape(parts.group(3)), parts.group(2) != "\\("))
    mathml = iter(tex_to_mathml(found))

    def replace(match):
        prefix = TEX_DELIMITERS.match(match.group(3)).group(1)
        tag = match.group(1)
        return f'<{tag} class="math"{match.group(2)}>{prefix}{next(mathml)}</{tag}>'

    return [MATHJAX_SCRIPTS.sub("", MATH_ELEMENT.sub(replace, text)) for text in texts]


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


ICON_RULE = re.compile(r'((?:\.fa-[\w-]+:before,?)+)\{content:"\\[ef][0-9a-f]{3}"\}')


def drop_unused_icon_rules(static, html_texts):
    """Remove the stylesheets' 2,000 ``.fa-NAME:before`` rules of icons no page
    names (90 kB of the theme's CSS)."""
    used = {
        name
        for text in html_texts
        for classes in ICON_CLASS.findall(text)
        for name in classes[7:-1].split()
        if name.startswith("fa-")
    }

    def keep(match):
        names = re.findall(r"\.(fa-[\w-]+):before", match.group(1))
        return match.group(0) if used.intersection(names) else ""

    for stylesheet in static.rglob("*.css"):
        text = stylesheet.read_text(encoding="utf-8")
        trimmed = ICON_RULE.sub(keep, text)
        if trimmed != text:
            stylesheet.write_text(trimmed, encoding="utf-8")


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
            text = re.sub(
                rf'url\([^)]*{FA_WEBFONTS}/{name}\.woff2\) format\("woff2"\),'
                rf'url\([^)]*{FA_WEBFONTS}/{name}\.ttf\) format\("truetype"\)',
                f'url({prefix}{name}.subset.woff) format("woff")',
                text,
            )
        if FA_WEBFONTS in text:
            raise RuntimeError(f"{stylesheet} still names a Font Awesome font")
        stylesheet.write_text(text, encoding="utf-8")
    shutil.rmtree(static / "vendor" / "fontawesome")


PYGMENTS_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def plain_token_classes(pygments_css):
    """The token classes that ``pygments_css`` draws exactly like the code block
    itself in every theme (only a ``color``, the block's): their spans change
    nothing on the page.

    >>> plain_token_classes(
    ...     'html[data-theme="light"] .highlight { background: #fff; color: #000 }'
    ...     'html[data-theme="light"] .highlight .n { color: #000 }'
    ...     'html[data-theme="light"] .highlight .k { color: #60c }'
    ...     'html[data-theme="dark"] .highlight { background: #222; color: #eee }'
    ...     'html[data-theme="dark"] .highlight .n { color: #eee }'
    ...     'html[data-theme="dark"] .highlight .k { color: #eee; font-weight: bold }'
    ... )
    ['n']
    """
    base, tokens = {}, {}
    for selector, declarations in PYGMENTS_RULE.findall(pygments_css):
        selector = re.sub(r"/\*.*?\*/", "", selector, flags=re.S).strip()
        match = re.fullmatch(r"(.*?)\s*\.highlight(?:\s+\.([\w-]+))?", selector)
        if not match:
            continue
        theme, token = match.groups()
        decls = dict(
            (k.strip().lower(), v.strip().lower())
            for k, _, v in (d.partition(":") for d in declarations.split(";"))
            if k.strip()
        )
        if token is None:
            base[theme] = decls.get("color")
        else:
            tokens.setdefault(token, {})[theme] = decls
    if not base or not all(base.values()):  # a theme without a text colour of its own
        return []
    return sorted(
        token
        for token, by_theme in tokens.items()
        if set(by_theme) == set(base) and all(by_theme[t] == {"color": base[t]} for t in base)
    )


def unwrap_plain_tokens(text, classes):
    """``text`` with the spans of the token ``classes`` inside code blocks
    (``<div class="highlight">``) replaced by their text."""
    if not classes:
        return text
    span = re.compile(rf'<span class="(?:{"|".join(map(re.escape, classes))})">([^<]*)</span>')
    return re.sub(
        r'<div class="highlight">.*?</pre>',
        lambda block: span.sub(r"\1", block.group(0)),
        text,
        flags=re.S,
    )


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
        inner = re.sub(
            r'\s*<button class="pst-navbar-icon sidebar-toggle '
            r'(?:primary|secondary)-toggle".*?</button>',
            "",
            header.group(0),
            flags=re.S,
        )
        inner = re.sub(r'<button class="btn search-button-field.*?</button>', "", inner, flags=re.S)
        text = text[: header.start()] + inner + text[header.end() :]
    # 5. Bootstrap tooltips: keep the title, drop the tooltip
    text = re.sub(r'\s*data-bs-toggle="tooltip"', "", text)
    text = text.replace(
        'aria-label="Color mode" data-bs-title="Color mode"',
        'aria-label="Color mode" title="Color mode"',
    )
    # 2. icons: the stylesheet instead of the script
    text = re.sub(
        r'<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\s*', "", text
    )
    # 6. the whole book's PDF
    text = re.sub(
        r'<button onclick="window\.print\(\)"\s*class="([^"]*)"[^>]*>(.*?)</button>',
        lambda m: (
            f'<a href="{root}book.pdf" class="{m.group(1)}" '
            f'title="The whole book as a PDF">{m.group(2)}</a>'
        ),
        text,
        flags=re.S,
    )
    # 7. the search index only where it is searched
    if not search_page:
        for name in ("_static/searchtools.js", "_static/language_data.js", "searchindex.js"):
            text = re.sub(rf'<script src="{re.escape(root + name)}"></script>\s*', "", text)
    # 8. the tab title
    return text.replace(f" &#8212; {book_title}</title>", "</title>", 1)


def finish_site(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    static = outdir / "_static"
    shutil.rmtree(static / "mathjax", ignore_errors=True)
    # 3. source maps
    for source_map in static.rglob("*.map"):
        source_map.unlink()
    for script in list(static.rglob("*.js")) + list(static.rglob("*.css")):
        text = script.read_text(encoding="utf-8")
        if "sourceMappingURL" in text:
            script.write_text(
                re.sub(r"\n?(//|/\*)# sourceMappingURL=\S+( \*/)?", "", text), encoding="utf-8"
            )
    pages = sorted(p for p in outdir.rglob("*.html") if "_static" not in p.parts)
    texts = dict(zip(pages, typeset_math([p.read_text(encoding="utf-8") for p in pages])))
    css = [p.read_text(encoding="utf-8") for p in static.rglob("*.css")]
    subset_icon_fonts(static, icon_codepoints(texts.values(), css))
    drop_unused_icon_rules(static, texts.values())
    plain = plain_token_classes((static / "pygments.css").read_text(encoding="utf-8"))
    for page, text in texts.items():
        text = unwrap_plain_tokens(text, plain)
        page.write_text(
            fix_page(
                text,
                _relative_root(page, outdir),
                html.escape(app.config.html_title),
                search_page=page == outdir / "search.html",
            ),
            encoding="utf-8",
        )
    for script in ("fontawesome.js", "fontawesome.js.LICENSE.txt"):
        (static / "scripts" / script).unlink(missing_ok=True)


def setup(app):
    # after the theme's own build-finished handlers (priority 500): pydata-sphinx-theme
    # writes the final pygments.css, with its light and dark rules, there
    app.connect("build-finished", finish_site, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
