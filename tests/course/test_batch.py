"""Tests of ``course.batch``: the paths of a batch, result file names, and writing outputs
without losing what a person wrote."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.batch import (
    WRITTEN,
    backup,
    expand,
    homework_of,
    keep_scores,
    plural,
    preflight,
    result_names,
    write_output,
)
from course.manual import ManualQuestion

from _course import ROOT  # noqa: E402  (tests/ is on sys.path)


def notebook(path, homework=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"otter": {"assignment_name": homework}} if homework else {}
    path.write_text(
        json.dumps({"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def test_expand_skips_checkpoints_and_names_each_problem(tmp_path):
    notebook(tmp_path / "subs" / "b" / "hw1.ipynb")
    notebook(tmp_path / "subs" / "a" / "hw1.ipynb")
    notebook(tmp_path / "subs" / "a" / ".ipynb_checkpoints" / "hw1-checkpoint.ipynb")
    (tmp_path / "subs" / "a" / "notes.txt").write_text("not a notebook")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    files, problems = expand([tmp_path / "subs", tmp_path / "empty", "typo/hw1.ipynb"])
    assert files == [
        str(tmp_path / "subs" / "a" / "hw1.ipynb"),
        str(tmp_path / "subs" / "b" / "hw1.ipynb"),
    ]
    assert problems == {
        str(tmp_path / "empty"): "no notebooks (*.ipynb) in this folder",
        "typo/hw1.ipynb": "not found",
    }


def test_a_file_given_twice_is_one_submission(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebook(tmp_path / "a" / "hw1.ipynb", "hw1")
    batch, files, statuses = preflight("hw1", ["a/hw1.ipynb", "./a/hw1.ipynb", "a"])
    assert batch == files == ["a/hw1.ipynb"] and statuses == {}


def test_the_homework_of_the_student_notebooks_is_in_their_metadata():
    # what `otter assign` writes: the committed student notebooks say which homework they are
    for hw in ["hw1", "hw2", "hw3", "hw4"]:
        assert homework_of(ROOT / "book" / "homework" / f"{hw}.ipynb") == hw


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        b'{"metadata": {"otter": 3}}',
        b'{"metadata": {"otter": {"assignment_name": 1}}}',
        b"\xff\xfe",
    ],
)
def test_a_notebook_that_does_not_say_its_homework_is_not_judged(tmp_path, content):
    (tmp_path / "x.ipynb").write_bytes(content)
    assert homework_of(tmp_path / "x.ipynb") is None


def test_preflight_marks_other_homework_and_slices_shards(tmp_path):
    for name, hw in [("ann", "hw1"), ("bob", "hw4"), ("cy", None), ("dee", "hw1")]:
        notebook(tmp_path / name / "hw1.ipynb", hw)
    paths = [tmp_path, tmp_path / "gone.ipynb"]
    batch, files, statuses = preflight("hw1", paths)
    assert [Path(p).relative_to(tmp_path).as_posix() for p in batch] == [
        "ann/hw1.ipynb",
        "bob/hw1.ipynb",
        "cy/hw1.ipynb",
        "dee/hw1.ipynb",
        "gone.ipynb",
    ]
    assert files == [batch[0], batch[2], batch[3]]
    assert statuses == {batch[1]: "error: a notebook of hw4, not hw1", batch[4]: "error: not found"}
    # a shard judges only its own slice; the batch is the same for every shard
    shards = [preflight("hw1", paths, (k, 2)) for k in (1, 2)]
    assert all(s[0] == batch for s in shards)
    assert shards[0][1:] == ([batch[0], batch[2]], {batch[4]: "error: not found"})
    assert shards[1][1:] == ([batch[3]], {batch[1]: "error: a notebook of hw4, not hw1"})


def test_plural():
    assert [plural(n, "submission") for n in (0, 1, 2)] == [
        "0 submissions",
        "1 submission",
        "2 submissions",
    ]


def test_result_names_are_readable():
    names = result_names(
        [
            "subs/alice/hw1.ipynb",
            "subs/bob/hw1.ipynb",
            "subs/c d/x/hw1.ipynb",
            "subs/=cmd|x/hw1.ipynb",
        ]
    )
    assert list(names.values()) == [
        "alice__hw1.json",
        "bob__hw1.json",
        "c_d__x__hw1.json",
        "cmd_x__hw1.json",
    ]
    assert result_names(["subs/../../etc/hw1.ipynb", "subs/x.ipynb"]) == {
        "subs/../../etc/hw1.ipynb": "etc__hw1.json",
        "subs/x.ipynb": "subs__x.json",
    }


def test_result_names_collide_only_with_a_hash():
    paths = [
        "a__b/c.ipynb",
        "a/b__c.ipynb",
        "A/b__c.ipynb",
        "a_b/c.ipynb",
        "a b/c.ipynb",
        "x/hw1.ipynb",
    ]
    names = result_names(paths)
    assert names["x/hw1.ipynb"] == "x__hw1.json"
    hashed = [names[p] for p in paths[:3]]
    assert all(re.fullmatch(r"[aA]__b__c-[0-9a-f]{8}\.json", n) for n in hashed)
    assert len({n.lower() for n in names.values()}) == len(paths)  # case-insensitive disks too
    # the name of a path does not depend on the order or the machine
    assert result_names(list(reversed(paths))) == names


@given(st.lists(st.text(alphabet="ab_/. -Aé", min_size=1, max_size=12), max_size=12))
def test_result_names_are_distinct_safe_file_names(paths):
    paths = [p + ".ipynb" for p in dict.fromkeys(paths)]
    names = result_names(paths)
    assert len({n.lower() for n in names.values()}) == len(paths)
    assert all(
        re.fullmatch(r"[A-Za-z0-9._-]+\.json", n) and not n.startswith(".") for n in names.values()
    )


def test_backup_never_overwrites_a_backup(tmp_path):
    for text in ["one", "two"]:
        (tmp_path / "scores.csv").write_text(text)
        backup(tmp_path / "scores.csv", now=86400)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "scores-backup-19700102-000000-2.csv",
        "scores-backup-19700102-000000.csv",
    ]
    assert (tmp_path / "scores-backup-19700102-000000.csv").read_text() == "one"


def test_write_output_backs_up_only_what_a_person_changed(tmp_path):
    path = tmp_path / "out" / "g.csv"
    assert write_output(path, "a\n") is None  # creates the folder
    assert write_output(path, "b\n") is None and list(path.parent.glob("g-backup-*")) == []
    path.write_text("b, edited\n")
    saved = write_output(path, "c\n")
    assert saved.read_text() == "b, edited\n" and path.read_text() == "c\n"
    # a file the tooling never wrote (no record) is a person's
    (tmp_path / "out" / WRITTEN).unlink()
    saved = write_output(path, "d\n")
    assert saved.read_text() == "c\n" and path.read_text() == "d\n"


Q = [ManualQuestion("q1b", 1, "", ""), ManualQuestion("q2b", 2, "", "")]


def test_keep_scores_matches_by_submission(tmp_path):
    old = tmp_path / "scores.csv"
    old.write_text(
        "file,q2b,q1b,q9\nb.ipynb,2,,\n'=c.ipynb,,0.5,\ngone.ipynb,1,,\n"
        "left.ipynb,,,\nx.ipynb,,,note\n"
    )
    rows, report = keep_scores(old, ["=c.ipynb", "a.ipynb", "b.ipynb"], Q)
    assert rows == [
        {"file": "=c.ipynb", "q1b": "0.5", "q2b": ""},
        {"file": "a.ipynb", "q1b": "", "q2b": ""},
        {"file": "b.ipynb", "q1b": "", "q2b": "2"},
    ]
    assert report == {
        "existed": True,
        "kept": 2,
        "new": 1,
        "dropped": [
            "submission 'gone.ipynb' (no longer in the batch)",
            "submission 'x.ipynb' (no longer in the batch)",
            "column 'q9' (not a manual question)",
        ],
    }


def test_keep_scores_of_an_unreadable_file(tmp_path):
    old = tmp_path / "scores.csv"
    old.write_bytes(b"\xff\xfe\x00")
    rows, report = keep_scores(old, ["a.ipynb"], Q)
    assert rows == [{"file": "a.ipynb", "q1b": "", "q2b": ""}]
    assert report["dropped"][0].startswith("everything: the old file cannot be read")
