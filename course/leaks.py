"""What a student must never see, and a scanner that finds it in files and archives.

:func:`collect_secrets` reads every master (through :mod:`course.master`, so
any spelling of the markers that otter accepts) and returns the code of its
solution blocks and of its hidden tests, line by line, whitespace-normalised
(all whitespace removed). Lines that are public anyway (they occur in a
prompt, the given code or a public test of any master) and trivial lines
(``...``, ``import numpy as np``, ``return h``) are left out, so the scan has
no false positives. Lines of the student package's own source
(``lecture_code``, which students install anyway) are public too.
:func:`scan_bytes` looks for every remaining line in a file's text, in every
string of a JSON document (notebook cells *and* metadata), and inside
zip, tar and gzip archives, recursively.
"""

import gzip
import io
import json
import re
import tarfile
import zipfile
from collections import namedtuple
from pathlib import Path

#: One line a student must not see: where it comes from, and the line itself.
Secret = namedtuple("Secret", ["homework", "question", "kind", "line"])

#: One finding of the scan: the file (``a.zip!member`` inside archives) and the secret.
Leak = namedtuple("Leak", ["path", "secret"])

#: Lines shorter than this (whitespace removed) are too generic to be a leak.
MIN_CHARS = 16

_IMPORT = re.compile(r"^(from\s+[\w.]+\s+)?import\s+[\w., ]+$")
_ERRSTATE = re.compile(r"^with\s+np\.errstate\([^)]*\):$")


def normalise(text):
    """``text`` with all whitespace removed (so re-indenting or re-spacing hides nothing).

    >>> normalise("  x = np.log( p )\\n")
    'x=np.log(p)'
    """
    return re.sub(r"\s+", "", text)


def _is_trivial(line):
    """Lines that cannot identify a solution: short, imports, ``...``, bare NumPy idioms.

    >>> [_is_trivial(l) for l in ["...", "import numpy as np", "return h",
    ...                           'with np.errstate(divide="ignore"):',
    ...                           'with np.errstate(divide="raise"):  # zeros must not warn',
    ...                           "h = -np.sum(xlogy(p, p), axis=-1)"]]
    [True, True, True, True, False, False]
    """
    stripped = line.strip()
    return (
        len(normalise(stripped)) < MIN_CHARS
        or bool(_IMPORT.match(stripped))
        or bool(_ERRSTATE.match(stripped))
        or stripped.strip("#. ") == ""
    )


def read_master(cells):
    """Split a master's cells into (secret lines, public text), read by :mod:`course.master`.

    Returns a list of ``(question, kind, line)`` and the public text (prompts,
    given code, the visible part of answer cells, public tests). Any spelling
    of the markers that otter accepts is read the same way.

    >>> cells = [
    ...     {"cell_type": "raw", "source": "# BEGIN QUESTION\\nname: q1\\npoints: 1"},
    ...     {"cell_type": "raw", "source": "#  begin  solution"},
    ...     {"cell_type": "code", "source": "def f(x):\\n    # BEGIN SOLUTION\\n"
    ...                                     "    return x + 1\\n    # END SOLUTION"},
    ...     {"cell_type": "raw", "source": "# END SOLUTION"},
    ...     {"cell_type": "raw", "source": "# BEGIN TESTS"},
    ...     {"cell_type": "code", "source": "assert f(1) == 2"},
    ...     {"cell_type": "code", "source": "# HIDDEN\\nassert f(2) == 3"},
    ...     {"cell_type": "raw", "source": "# END TESTS"},
    ...     {"cell_type": "raw", "source": "# END QUESTION"}]
    >>> secrets, public = read_master(cells)
    >>> secrets
    [('q1', 'solution', '    return x + 1'), ('q1', 'hidden test', 'assert f(2) == 3')]
    >>> "def f(x):" in public and "assert f(1) == 2" in public
    True
    """
    from .master import read_cells

    master = read_cells(cells)
    return master.secrets(), master.public_text()


def collect_secrets(masters, public_files=()):
    """Map each normalised secret line to its :class:`Secret`, over all ``masters``.

    ``masters`` maps homework names to master notebook paths. Lines that occur in
    the public text of any master or in one of ``public_files`` (the student
    package's source), and trivial lines, are left out.
    """
    from .master import read_master as read

    found = []
    public = [Path(f).read_text(encoding="utf-8") for f in public_files]
    for name, path in masters.items():
        master = read(path)
        found.extend(Secret(name, q, kind, line.strip()) for q, kind, line in master.secrets())
        public.append(master.public_text())
    public = normalise("\n".join(public))
    secrets = {}
    for secret in found:
        key = normalise(secret.line)
        if not _is_trivial(secret.line) and key not in public:
            secrets.setdefault(key, secret)
    return secrets


def _json_strings(value):
    """Every string (keys too) inside a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _texts(data):
    """The texts in which a file's bytes are searched."""
    text = data.decode("utf-8", errors="replace")
    yield text
    yield text.replace('\\"', '"').replace("\\'", "'")  # string literals in code
    try:
        parsed = json.loads(text)
    except ValueError:
        return
    # a notebook's sources and metadata: "\n"-escaped strings, decoded here
    yield "\n".join(_json_strings(parsed))


def _members(name, data):
    """``(name, bytes)`` of each member if ``data`` is an archive, else None."""
    if data[:2] == b"\x1f\x8b":
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError):
            return None
        if tarfile.is_tarfile(io.BytesIO(inner)):
            return _members(name, inner)
        return [(f"{name}!{Path(name).stem}", inner)]
    # tar before zip: a tar holding a zip ends like a zip, a zip never looks like a tar
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            return [
                (f"{name}!{member.name}", archive.extractfile(member).read())
                for member in archive.getmembers()
                if member.isfile()
            ]
    except tarfile.TarError:
        pass
    buffer = io.BytesIO(data)
    if zipfile.is_zipfile(buffer):
        try:
            with zipfile.ZipFile(buffer) as archive:
                return [
                    (f"{name}!{info.filename}", archive.read(info))
                    for info in archive.infolist()
                    if not info.is_dir()
                ]
        except zipfile.BadZipFile:
            pass
    return None


def scan_bytes(name, data, secrets, forbidden=()):
    """Leaks in one file's content (``name`` is only used to report them).

    ``forbidden`` holds extra strings (compared case-insensitively, not
    normalised) that must not occur, such as the name of the instructors'
    repository; a hit is reported as a :class:`Secret` of kind ``"forbidden"``.
    """
    members = _members(name, data)
    if members is not None:
        return [
            leak
            for member, content in members
            for leak in scan_bytes(member, content, secrets, forbidden)
        ]
    leaks, seen = [], set()
    for text in _texts(data):
        flat = normalise(text)
        for key, secret in secrets.items():
            if key not in seen and key in flat:
                seen.add(key)
                leaks.append(Leak(name, secret))
        lower = text.lower()
        for word in forbidden:
            if word not in seen and word.lower() in lower:
                seen.add(word)
                leaks.append(Leak(name, Secret(None, None, "forbidden", word)))
    return leaks


def scan_tree(root, secrets, forbidden=()):
    """Leaks in every file under ``root`` (paths reported relative to it)."""
    root = Path(root)
    return [
        leak
        for path in sorted(p for p in root.rglob("*") if p.is_file())
        for leak in scan_bytes(
            path.relative_to(root).as_posix(), path.read_bytes(), secrets, forbidden
        )
    ]


def describe(leak):
    """One line naming the file and where the leaked line comes from."""
    s = leak.secret
    if s.kind == "forbidden":
        return f"{leak.path}: contains {s.line!r}"
    return f"{leak.path}: {s.kind} of {s.homework} {s.question}: {s.line!r}"
