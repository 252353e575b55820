"""Tests of what :mod:`course.grade` reads before anything runs: the tests and the submissions."""

import os
import zipfile

import pytest

from course.grade import read_submission, read_tests

SPEC = (
    "OK_FORMAT = True\n\ntest = {'name': 'q1', 'points': 2, 'suites': [{'cases': "
    "[{'code': '>>> assert x == 1\\n', 'hidden': False, 'locked': False}], "
    "'scored': True, 'setup': '', 'teardown': '', 'type': 'doctest'}]}\n"
)


def _archive(tmp_path, **files):
    path = tmp_path / "autograder.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"tests/{name}.py", text)
    return path


def test_tests_are_read_as_data(tmp_path):
    tests = read_tests(_archive(tmp_path, q10=SPEC.replace("q1", "q10"), q2=SPEC, q1=SPEC))
    assert list(tests) == ["q1", "q2", "q10"]  # natural order
    assert tests["q1"]["points"] == 2
    assert tests["q1"]["suites"][0]["cases"][0]["code"] == ">>> assert x == 1\n"


def test_a_test_file_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('ran')\n" + SPEC
    with pytest.raises(ValueError):  # a call is not an assignment: refused, not run
        read_tests(_archive(tmp_path, q1=code))
    assert not marker.exists()
    computed = SPEC.replace("test = {", f"test = open({str(marker)!r}, 'w') or {{")
    with pytest.raises(ValueError):  # not a literal: refused, not evaluated
        read_tests(_archive(tmp_path, q1=computed))
    assert not marker.exists()


def test_a_test_file_of_another_form_is_named(tmp_path):
    with pytest.raises(ValueError, match="test file q1: not an OK-format test file"):
        read_tests(_archive(tmp_path, q1="OK_FORMAT = False\n"))


def test_only_a_regular_file_is_read(tmp_path):
    notebook = tmp_path / "hw1.ipynb"
    notebook.write_bytes(b'{"cells": []}')
    assert read_submission(notebook) == (b'{"cells": []}', None)
    link = tmp_path / "link.ipynb"
    link.symlink_to(notebook)
    assert read_submission(link) == (
        None,
        "error: not a submission: a symbolic link, not a regular file",
    )
    fifo = tmp_path / "fifo.ipynb"
    os.mkfifo(fifo)
    assert read_submission(fifo)[1] == "error: not a submission: a FIFO, not a regular file"
    assert read_submission(tmp_path)[1] == "error: not a submission: a folder, not a regular file"
    assert read_submission(notebook, limit=5) == (
        None,
        "error: file too large (13 bytes; the limit is 5)",
    )
    assert read_submission(tmp_path / "missing.ipynb")[1] == (
        "error: cannot read the file (No such file or directory)"
    )
