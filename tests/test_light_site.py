"""Tests for _ext/light_site.py's code step: the token spans it unwraps change nothing a
reader sees.

The reference is Pygments itself: the styles the theme uses for its light and
dark modes say, token by token, how each is drawn; the stylesheet the step reads
is the one Pygments writes for them, as the theme asks it to.
"""

import html
import json
import re
import sys

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token

from _course import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import light_site  # noqa: E402

# pydata-sphinx-theme's pygments_light_style and pygments_dark_style (theme.conf)
THEMES = {"light": "a11y-high-contrast-light", "dark": "a11y-high-contrast-dark"}
TOKEN_OF_CLASS = {name: token for token, name in STANDARD_TYPES.items() if name}


def theme_css():
    return "\n".join(
        HtmlFormatter(style=style).get_style_defs(f'html[data-theme="{theme}"] .highlight')
        for theme, style in THEMES.items()
    )


def chapter_code(notebook="book/04_cross_entropy.ipynb"):
    cells = json.loads((ROOT / notebook).read_text(encoding="utf-8"))["cells"]
    return [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code" and "remove-cell" not in c["metadata"].get("tags", [])
    ]


def test_unwrapped_classes_are_drawn_like_the_block_in_every_theme():
    plain = light_site.plain_token_classes(theme_css())
    assert {"n", "p", "w"} <= set(plain)  # names, punctuation and spaces
    for name in plain:
        for style_name in THEMES.values():
            style = get_style_by_name(style_name)
            drawn = style.style_for_token(TOKEN_OF_CLASS[name])
            text = style.style_for_token(Token.Text)
            assert drawn == {**text, "color": drawn["color"]}, (name, style_name)
            assert drawn["color"] in (None, text["color"]), (name, style_name)


def test_keywords_strings_and_numbers_keep_their_spans():
    plain = light_site.plain_token_classes(theme_css())
    assert not {"k", "kn", "s2", "mi", "mf", "o", "c1", "nb"} & set(plain)


def test_a_class_coloured_in_one_theme_only_is_kept():
    css = theme_css().replace(
        'html[data-theme="dark"] .highlight .n { color: #F8F8F2 }',
        'html[data-theme="dark"] .highlight .n { color: #ff0000 }',
    )
    assert css != theme_css()
    assert "n" not in light_site.plain_token_classes(css)


@pytest.mark.parametrize("source", chapter_code()[:12])
def test_unwrapping_keeps_the_code_text_and_the_coloured_spans(source):
    block = highlight(source, PythonLexer(), HtmlFormatter())
    plain = light_site.plain_token_classes(theme_css())
    page = f"<p>before</p>{block}<p>after</p>"
    done = light_site.unwrap_plain_tokens(page, plain)

    def text(markup):
        return html.unescape(re.sub(r"<[^>]+>", "", markup))

    def spans(markup):
        return re.findall(r'<span class="([^"]*)">', markup)

    assert text(done) == text(page)
    assert spans(done) == [c for c in spans(page) if c not in plain]
    assert len(spans(done)) < len(spans(page))
