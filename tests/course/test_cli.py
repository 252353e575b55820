"""Tests of ``python -m course`` as an instructor uses it: re-grading, errors, shards, merge.

Each test grades a few copies of hw1 (fast: about a second each) from the
session's ``assign`` (``built``), through the command line, and checks what
the command prints, its exit status and the files it leaves.
"""

import csv
import filecmp
import json
import subprocess
import sys
from pathlib import Path

import pytest

from _course import ROOT, cli, copy_to, run_course  # noqa: E402  (tests/ is on sys.path)


def run(*args):
    """``python -m course ARGS``: (exit status, stdout, stderr), whatever the status."""
    proc = run_course(*args)
    return proc.returncode, proc.stdout, proc.stderr


def batch(built, folder, solved=(), untouched=()):
    """Submissions ``folder/<name>/hw1.ipynb``: the solutions, or the untouched notebook."""
    for name in solved:
        copy_to(built / "dist" / "hw1-solutions.ipynb", folder / name / "hw1.ipynb")
    for name in untouched:
        copy_to(built / "book" / "hw1.ipynb", folder / name / "hw1.ipynb")
    return folder


def grade(built, *args):
    return run("grade", "hw1", *args, "--autograder", built / "dist" / "hw1-autograder.zip")


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_regrading_keeps_the_scores_entered_by_hand(built, tmp_path):
    subs = batch(built, tmp_path / "subs", solved=["ann", "bob"], untouched=["cy"])
    out = tmp_path / "grades" / "hw1.csv"
    status, printed, _ = grade(built, subs, "--out", out)
    assert status == 0 and "graded 3 submissions (3 ok, 0 with a status)" in printed
    sheet = out.parent / "hw1-manual" / "scores.csv"
    # the instructor grades q3b by hand
    sheet.write_text(
        sheet.read_text()
        .replace("ann/hw1.ipynb,", "ann/hw1.ipynb,1")
        .replace("cy/hw1.ipynb,", "cy/hw1.ipynb,0.5")
    )
    filled = sheet.read_text()
    # a late submission arrives, and cy's is withdrawn: grade the folder again
    batch(built, subs, solved=["dee"])
    (subs / "cy" / "hw1.ipynb").unlink()
    (subs / "cy").rmdir()
    status, printed, warned = grade(built, subs, "--out", out)
    assert status == 0, warned
    assert [(r["file"], r["q3b"]) for r in read(sheet)] == [
        (str(subs / "ann" / "hw1.ipynb"), "1"),
        (str(subs / "bob" / "hw1.ipynb"), ""),
        (str(subs / "dee" / "hw1.ipynb"), ""),
    ]
    backups = sorted(sheet.parent.glob("scores-backup-*.csv"))
    assert len(backups) == 1 and backups[0].read_text() == filled
    assert f"backed up {sheet} (changed by hand) as {backups[0]}" in printed
    assert "kept the scores of 1 submission, 1 new submission with empty cells" in printed
    assert (
        f"warning: the scores of submission '{subs / 'cy' / 'hw1.ipynb'}' (no longer in the "
        f"batch) are not in the new {sheet}, only in its backup {backups[0]}"
    ) in warned
    assert f"1 submission of the previous {out} is not in this batch" in warned
    assert sorted(p.name for p in (out.parent / "hw1-results").iterdir()) == [
        "ann__hw1.json",
        "bob__hw1.json",
        "dee__hw1.json",
    ]
    # nothing changed since: a third run changes no file and backs up nothing
    status, printed, _ = grade(built, subs, "--out", out)
    assert status == 0 and "backed up" not in printed
    assert len(list(sheet.parent.glob("scores-backup-*.csv"))) == 1
    # the kept scores merge
    sheet.write_text(
        sheet.read_text()
        .replace("bob/hw1.ipynb,", "bob/hw1.ipynb,0")
        .replace("dee/hw1.ipynb,", "dee/hw1.ipynb,1")
    )
    final = tmp_path / "final" / "hw1.csv"  # merge creates the folder
    printed = cli("merge", "hw1", out, sheet, "--out", final)
    assert "for 3 submissions" in printed
    assert [r["total"] for r in read(final)] == ["12", "11", "12"]


def test_a_grades_csv_changed_by_hand_is_backed_up(built, tmp_path):
    subs = batch(built, tmp_path / "subs", solved=["ann"])
    out = tmp_path / "hw1.csv"
    grade(built, subs, "--out", out)
    out.write_text(out.read_text().replace(",ok", ",ok (checked)"))
    status, printed, _ = grade(built, subs, "--out", out)
    (saved,) = tmp_path.glob("hw1-backup-*.csv")
    assert status == 0 and f"backed up {out} (changed by hand) as {saved}" in printed
    assert "ok (checked)" in saved.read_text() and "ok (checked)" not in out.read_text()
    assert "graded 1 submission (1 ok, 0 with a status)" in printed  # singular


def test_paths_that_cannot_be_graded_are_errors_naming_them(built, tmp_path):
    subs = batch(built, tmp_path / "subs", solved=["ann"])
    (tmp_path / "empty").mkdir()
    copy_to(ROOT / "book" / "homework" / "hw4.ipynb", tmp_path / "other" / "bob" / "hw1.ipynb")
    out = tmp_path / "grades" / "hw1.csv"
    paths = [subs, tmp_path / "nobody.ipynb", tmp_path / "empty", tmp_path / "other"]
    status, printed, said = grade(built, *paths, "--out", out)
    assert status == 1 and printed == "" and "Traceback" not in said
    assert said.splitlines() == [
        "grade: 3 paths cannot be graded as hw1:",
        f"  {tmp_path / 'empty'}: no notebooks (*.ipynb) in this folder",
        f"  {tmp_path / 'nobody.ipynb'}: not found",
        f"  {tmp_path / 'other' / 'bob' / 'hw1.ipynb'}: a notebook of hw4, not hw1",
        "nothing was graded; fix the paths, or pass --keep-going to grade the others and give "
        "these a row with that status",
    ]
    assert not out.parent.exists()
    # --keep-going: a row for each, with that status and no points
    status, printed, said = grade(built, *paths, "--out", out, "--keep-going")
    assert status == 0, said
    assert [
        (Path(r["file"]).relative_to(tmp_path).as_posix(), r["status"], r["auto total"])
        for r in read(out)
    ] == [
        ("empty", "error: no notebooks (*.ipynb) in this folder", "0"),
        ("nobody.ipynb", "error: not found", "0"),
        ("other/bob/hw1.ipynb", "error: a notebook of hw4, not hw1", "0"),
        ("subs/ann/hw1.ipynb", "ok", "11"),
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--timeout", "-1"], "argument --timeout: must be a number above 0, got '-1'"),
        (["--timeout", "nan"], "argument --timeout: must be a number above 0, got 'nan'"),
        (["--jobs", "0"], "argument --jobs: must be a number above 0, got '0'"),
    ],
)
def test_bad_numbers_are_usage_errors(built, tmp_path, args, message):
    status, _, said = grade(built, tmp_path, "--out", tmp_path / "g.csv", *args)
    assert status == 2 and said.splitlines()[-1].endswith(message)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--shard", "0/4"], "grade: --shard 0/4: K must be from 1 to 4"),
        (
            ["--shard", "2"],
            "grade: --shard must look like 2/4 (the 2nd of 4 slices) or auto/4; got '2'",
        ),
        (["--shard", "auto/4"], "grade: --shard auto/4: no array index in the environment"),
    ],
)
def test_bad_shards_are_errors(built, tmp_path, args, message):
    status, _, said = grade(built, tmp_path, "--out", tmp_path / "g.csv", *args)
    assert status == 1 and said.startswith(message) and "Traceback" not in said


@pytest.mark.parametrize(
    "command", [["grade", "hw1", "x.ipynb"], ["merge", "hw1", "g.csv", "s.csv"], ["collect", "hw1"]]
)
def test_out_must_be_a_csv_file(built, tmp_path, command):
    zip_ = ["--autograder", built / "dist" / "hw1-autograder.zip"] if command[0] == "grade" else []
    for out in [tmp_path, tmp_path / "grades"]:
        status, printed, said = run(*command, "--out", out, *zip_)
        assert (
            status == 1
            and printed == ""
            and said
            == (
                f"{command[0]}: --out must name a CSV file, such as grades/hw1.csv; got "
                f"{str(out)!r}\n"
            )
        )


def test_autograder_must_be_a_zip(tmp_path):
    (tmp_path / "a.zip").write_text("not a zip")
    status, _, said = run(
        "grade", "hw1", tmp_path, "--out", tmp_path / "g.csv", "--autograder", tmp_path / "a.zip"
    )
    assert status == 1 and said == (
        f"{tmp_path / 'a.zip'} is not a zip archive: run `python -m course assign` again\n"
    )


def test_merge_reports_every_problem_and_writes_nothing(built, tmp_path):
    subs = batch(built, tmp_path / "subs", solved=["ann", "bob"])
    out = tmp_path / "hw1.csv"
    grade(built, subs, "--out", out)
    sheet = tmp_path / "hw1-manual" / "scores.csv"
    sheet.write_text(sheet.read_text().replace("ann/hw1.ipynb,", "ann/hw1.ipynb,one"))
    status, printed, said = run("merge", "hw1", out, sheet, "--out", tmp_path / "f" / "f.csv")
    assert status == 1 and "Traceback" not in said
    assert said.splitlines() == [
        "merge failed (2 problems, nothing written):",
        f"  scores {sheet}: submission '{subs / 'ann' / 'hw1.ipynb'}', question q3b: the score "
        "must be a number from 0 to 2, got 'one'",
        f"  scores {sheet}: submission '{subs / 'bob' / 'hw1.ipynb'}', question q3b: the score "
        "is missing (a number from 0 to 2)",
    ]
    assert not (tmp_path / "f").exists()


def test_shards_collect_into_what_one_machine_writes(built, tmp_path):
    subs = batch(built, tmp_path / "subs", solved=["ann", "bob", "dee"], untouched=["cy", "eve"])
    one = tmp_path / "one" / "hw1.csv"
    assert grade(built, subs, "--out", one, "--jobs", 2)[0] == 0
    out = tmp_path / "sharded" / "hw1.csv"
    for k in [2, 1, 3]:
        status, printed, said = grade(built, subs, "--out", out, "--shard", f"{k}/3")
        assert status == 0, said
        assert f"shard {k} of 3 -> {out.parent / 'hw1-shards' / f'shard-{k}-of-3'}" in printed
    status, printed, said = run("collect", "hw1", "--out", out)
    assert status == 0, said
    assert "collected 5 submissions (5 ok, 0 with a status)" in printed
    same = filecmp.dircmp(one.parent, out.parent, ignore=["hw1-shards"])
    assert same.left_only == same.right_only == same.diff_files == [] and not same.funny_files
    for sub in ["hw1-results", "hw1-manual"]:
        cmp = filecmp.dircmp(one.parent / sub, out.parent / sub)
        assert cmp.left_only == cmp.right_only == cmp.diff_files == []
        assert filecmp.cmpfiles(
            one.parent / sub, out.parent / sub, cmp.common_files, shallow=False
        )[1:] == ([], [])
    assert filecmp.cmp(one, out, shallow=False)


def test_collect_refuses_missing_duplicated_and_mismatched_shards(built, tmp_path):
    subs = batch(built, tmp_path / "subs", solved=["ann", "bob", "cy"])
    out = tmp_path / "hw1.csv"
    shards = tmp_path / "hw1-shards"
    grade(built, subs, "--out", out, "--shard", "1/3")
    grade(built, subs, "--out", out, "--shard", "3/3", "--timeout", 30)
    status, _, said = run("collect", "hw1", "--out", out)
    assert status == 1 and said.splitlines() == [
        "collect failed, nothing written:",
        f"{shards / 'shard-3-of-3'}: not of the same run as shard-1-of-3 (its options (timeout, "
        "limits) differ); remove the shards of the other run",
        f"{shards}: missing shard 2, 3 of 3",
    ]
    assert not out.exists()
    grade(built, subs, "--out", out, "--shard", "3/3")
    grade(built, subs, "--out", out, "--shard", "2/3")
    (shards / "shard-2-of-3").rename(shards / "shard-2-of-3 (copy)")
    grade(built, subs, "--out", out, "--shard", "2/3")
    status, _, said = run("collect", "hw1", "--out", out)
    assert (
        status == 1
        and (f"{shards / 'shard-2-of-3 (copy)'}: shard 2 twice (also {shards / 'shard-2-of-3'})")
        in said
    )
    (shards / "shard-2-of-3 (copy)" / "shard.json").write_text(
        json.dumps(
            {**json.loads((shards / "shard-2-of-3" / "shard.json").read_text()), "homework": "hw2"}
        )
    )
    status, _, said = run("collect", "hw1", "--out", out)
    assert status == 1 and "shard-2-of-3 (copy): a shard of hw2, not hw1" in said
    (shards / "shard-2-of-3 (copy)" / "shard.json").unlink()
    (shards / "shard-2-of-3 (copy)").rename(shards / "shard-2-of-3.incomplete-99")
    status, _, said = run("collect", "hw1", "--out", out)
    assert status == 1 and "shard-2-of-3.incomplete-99: incomplete" in said
    (shards / "shard-2-of-3.incomplete-99" / "results.json").unlink()
    (shards / "shard-2-of-3.incomplete-99" / "answers.json").unlink()
    (shards / "shard-2-of-3.incomplete-99").rmdir()
    status, printed, said = run("collect", "hw1", "--out", out)
    assert status == 0 and "collected 3 submissions" in printed, said


def test_assign_prints_no_kernel_warnings(tmp_path):
    # ipykernel warns at every start that its local TCP sockets are not encrypted: no news
    status, printed, said = run(
        "assign",
        "hw1",
        "--book-dir",
        tmp_path / "book",
        "--dist-dir",
        tmp_path / "dist",
        "--no-run-tests",
    )
    assert status == 0 and said == "", said
    assert printed.splitlines() == [
        "hw1: generated",
        f"hw1: wrote {tmp_path / 'book' / 'hw1.ipynb'} and "
        f"{tmp_path / 'dist' / 'hw1-autograder.zip'}",
    ]


def test_a_reader_that_stops_reading_gets_no_traceback():
    # `python -m course list | head -1`: here a pipe whose reader is already gone
    import os

    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "course", "list"],
            cwd=ROOT,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr


def test_a_class_s_files_are_git_ignored():
    paths = [
        "grades/hw1.csv",
        "grades/hw1-manual/scores.csv",
        "final/hw1.csv",
        "dist/hw1-autograder.zip",
        "submissions/ann/hw1.ipynb",
        "elsewhere/hw1-shards/shard-1-of-4/shard.json",
    ]
    proc = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.stdout.splitlines() == paths


def guide_commands():
    """Every ``python -m course`` command line in the instructors' guide's code blocks."""
    import re
    import shlex

    text = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)  # a command continued on the next line
    found = []
    for line in re.findall(
        r"^(?:\$ |job=\$\()?(\.venv/bin/python -m course .*|sbatch .*)$", text, re.M
    ):
        words = shlex.split(line.split(" && ")[0].split(" # ")[0].removesuffix(")"))
        if "--wrap" in words:  # a job that runs one command
            words = shlex.split(words[words.index("--wrap") + 1])
        if words[0] == "sbatch":  # the script's arguments go to grade, with --shard added
            words = [
                "grade",
                *words[words.index("course/cluster/grade.sbatch") + 1 :],
                "--shard",
                "auto/4",
            ]
        else:
            words = words[words.index("course") + 1 :]
        found.append(words)
    return found


def test_the_guide_shows_commands_that_parse():
    # the README once showed `--jobs 2 [--timeout 60]`, which fails when pasted
    from course.__main__ import build_parser

    commands = guide_commands()
    assert {c[0] for c in commands} == {"list", "assign", "grade", "merge", "collect", "release"}
    for words in commands:
        try:
            build_parser().parse_args(words)
        except SystemExit:
            pytest.fail(f"docs/instructors.md: `python -m course {' '.join(words)}` does not parse")
