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
"""


def _script_key(script):
    # An inline script comes back once with filename None and once with "".
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", script) or ""),
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


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


def _thebe_uses_the_book_repository(app, config):
    options = config.html_theme_options or {}
    thebe = config.thebe_config if isinstance(config.thebe_config, dict) else {}
    if options.get("repository_url"):
        thebe.setdefault("repository_url", options["repository_url"])
        thebe.setdefault("repository_branch",
                         options.get("repository_branch", "main"))
    config.thebe_config = thebe


def setup(app):
    app.connect("config-inited", _thebe_uses_the_book_repository)
    # Late priority: after every extension has added its scripts.
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
