"""Small fixes to the HTML pages that Jupyter Book 1 and its extensions make.

1. Inline scripts registered twice. sphinx-thebe and sphinx-togglebutton add
   their inline configuration scripts with ``app.add_js_file(None, body=...)``
   from an event handler, and Sphinx 7 puts such a script on the page twice
   (once with the file name None, once with ""). sphinx-thebe's body declares
   ``const THEBE_JS_URL``, so the second copy is a SyntaxError in the console
   of every page. Each page keeps the first copy of every script with the same
   file and attributes, so nothing else changes.
2. sphinx-thebe's kernel configuration defaults to a foreign example
   repository; point it at the book's own repository (``repository.url`` in
   ``_config.yml``, the one setting for it) and branch.
3. The theme's colour mode. pydata-sphinx-theme starts from the template
   variable ``default_mode``, which nothing sets, so on a first visit (and on
   every page opened from disk) it logs "Got invalid theme mode" as a console
   error. The book starts in "auto": the reader's system preference, light or
   dark (figures keep a white ground in dark mode); the button switches.
4. The bibliography. docutils writes it as ``<div role="list">`` whose
   children have the role ``doc-biblioentry``, not ``listitem``: an ARIA list
   without list items, which axe-core reports as a critical violation
   (aria-required-children). The role is dropped; the entries keep theirs.
5. Code cells fit the page: ``static/book.css`` sets their font so that a
   line of 80 characters (the book's limit) is not cut off beside the page's
   table of contents; wide formulas, tables and output scroll in their own box.
After the build, ``light_site.py`` trims and fixes the written site.
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


def _script_key(script):
    # An inline script comes back once with filename None and once with "".
    attributes = getattr(script, "attributes", {}) or {}
    return (
        str(getattr(script, "filename", script) or ""),
        tuple(sorted((k, str(v)) for k, v in attributes.items())),
    )


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _bibliography_is_not_an_aria_list(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and 'role="list" class="citation-list"' in body:
        context["body"] = body.replace(
            '<div role="list" class="citation-list">', '<div class="citation-list">'
        )


def _configure_thebe_and_colour_mode(app, config):
    options = config.html_theme_options or {}
    thebe = config.thebe_config if isinstance(config.thebe_config, dict) else {}
    if options.get("repository_url"):
        thebe.setdefault("repository_url", options["repository_url"])
        thebe.setdefault("repository_branch", options.get("repository_branch", "main"))
    config.thebe_config = thebe
    config.html_context.setdefault("default_mode", "auto")


def _add_static(app):
    app.config.html_static_path.append(str(STATIC))


def _hidden_code_cells_in_single_page(app):
    """myst-nb renders a ``hide-input`` cell only for the ``html`` builder's handlers; the
    single-page build of the PDF has handlers of its own, so it gets the same ones."""
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput

    app.add_node(
        HideCodeCellNode, override=True, singlehtml=(visit_HideCellInput, depart_HideCellInput)
    )


def setup(app):
    _hidden_code_cells_in_single_page(app)
    app.connect("config-inited", _configure_thebe_and_colour_mode)
    app.connect("builder-inited", _add_static)
    app.add_css_file("book.css")
    app.add_js_file("book.js", loading_method="defer")  # tab stops on scroll boxes
    # Late priority: after every extension has added its scripts.
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _bibliography_is_not_an_aria_list)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
