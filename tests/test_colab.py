"""Tests of lecture_code.colab: the homework's self-checks find their tests anywhere.

The reference is otter itself: ``otter.Notebook`` given the file that
:func:`notebook_file` finds runs a question's public tests, which pass for a
right answer and fail for a wrong one, under any file name.
"""

import json
import os
import shutil

import numpy as np
import pytest

from lecture_code.colab import assignment_name, notebook_file, public_test_files

from _course import ROOT

STUDENT_HW1 = ROOT / "book" / "homework" / "hw1.ipynb"


def right_surprise(p, base=None):
    s = -np.log(np.asarray(p, dtype=float))
    return s if base is None else s / np.log(base)


def wrong_surprise(p, base=None):  # ignores base: always nats
    return -np.log(np.asarray(p, dtype=float))


def write_notebook(path, name):
    nb = {"cells": [], "metadata": {"otter": {"assignment_name": name, "tests": {}}}}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.mark.parametrize("filename", ["hw1 (1).ipynb", "hw1-copy.ipynb", "Homework 1.ipynb"])
def test_a_renamed_homework_still_self_checks(tmp_path, monkeypatch, filename):
    import otter

    shutil.copyfile(STUDENT_HW1, tmp_path / filename)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    # what the set-up cell does
    grader = otter.Notebook(notebook_file("hw1"))
    right = grader.check("q1", global_env={"np": np, "surprise": right_surprise})
    wrong = grader.check("q1", global_env={"np": np, "surprise": wrong_surprise})
    assert right.passed_all and not wrong.passed_all
    # otter alone, given the usual name, cannot open the renamed file
    with pytest.raises(FileNotFoundError):
        otter.Notebook("hw1.ipynb")


def test_the_expected_name_comes_first(tmp_path, monkeypatch):
    write_notebook(tmp_path / "hw1 (1).ipynb", "hw1")
    write_notebook(tmp_path / "hw1.ipynb", "hw1")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "hw1 (1).ipynb"))
    assert notebook_file("hw1", tmp_path) == str(tmp_path / "hw1.ipynb")


def test_the_running_notebook_comes_next(tmp_path, monkeypatch):
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    running = write_notebook(elsewhere / "my homework.ipynb", "hw1")
    monkeypatch.setenv("JPY_SESSION_NAME", str(running))
    assert notebook_file("hw1", tmp_path) == str(running)
    # but not a running notebook of another homework
    monkeypatch.setenv("JPY_SESSION_NAME", str(write_notebook(elsewhere / "x.ipynb", "hw2")))
    with pytest.raises(FileNotFoundError):
        notebook_file("hw1", tmp_path)


def test_the_latest_saved_copy_of_the_same_homework(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    old = write_notebook(tmp_path / "hw1 (1).ipynb", "hw1")
    new = write_notebook(tmp_path / "hw1 (2).ipynb", "hw1")
    write_notebook(tmp_path / "hw2.ipynb", "hw2")  # another homework: never chosen
    (tmp_path / "broken.ipynb").write_text("not json")  # ignored, not an error
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    assert notebook_file("hw1", tmp_path) == str(new)
    assert notebook_file("hw2", tmp_path) == str(tmp_path / "hw2.ipynb")


def test_no_notebook_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    write_notebook(tmp_path / "hw2.ipynb", "hw2")
    with pytest.raises(FileNotFoundError, match=r"save this notebook there as hw1\.ipynb"):
        notebook_file("hw1", tmp_path)


def test_assignment_name_of_files():
    assert assignment_name(STUDENT_HW1) == "hw1"
    assert assignment_name(ROOT / "book" / "02_surprise.ipynb") is None  # a chapter
    assert assignment_name(ROOT / "no such file.ipynb") is None


def test_public_test_files_are_the_notebooks_public_tests():
    nb = json.loads(STUDENT_HW1.read_text(encoding="utf-8"))
    files = public_test_files(nb)
    assert sorted(files) == sorted(f"{q}.py" for q in nb["metadata"]["otter"]["tests"])
    namespace = {}
    exec(files["q1.py"], namespace)  # a valid otter OK-format test file
    assert namespace["test"]["name"] == "q1" and namespace["OK_FORMAT"] is True
