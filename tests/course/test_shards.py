"""Tests of ``course.shards``: ``--shard`` values, the slices, and which shards collect takes."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.shards import ShardError, check_shards, parse_shard, shard_slice


@pytest.mark.parametrize(
    "text, environ, expected",
    [
        ("1/1", {}, (1, 1)),
        (" 3 / 4 ", {}, (3, 4)),
        ("auto/4", {"SLURM_ARRAY_TASK_ID": "0"}, (1, 4)),
        # --array=1-4: Slurm's first index is subtracted
        ("auto/4", {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1"}, (4, 4)),
        ("auto/4", {"JOB_COMPLETION_INDEX": "3"}, (4, 4)),
        ("auto/2", {"AWS_BATCH_JOB_ARRAY_INDEX": "1"}, (2, 2)),
        # Slurm first when several are set (a Slurm job started from a Kubernetes pod)
        ("auto/2", {"JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": "1"}, (2, 2)),
    ],
)
def test_parse_shard(text, environ, expected):
    assert parse_shard(text, environ) == expected


@pytest.mark.parametrize(
    "text, environ, message",
    [
        ("0/4", {}, "--shard 0/4: K must be from 1 to 4"),
        ("5/4", {}, "--shard 5/4: K must be from 1 to 4"),
        ("1/0", {}, "--shard 1/0: N must be at least 1"),
        ("2", {}, "--shard must look like 2/4 (the 2nd of 4 slices) or auto/4; got '2'"),
        ("-1/4", {}, "got '-1/4'"),
        (
            "auto/4",
            {},
            "--shard auto/4: no array index in the environment (none of "
            "SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is "
            "set); give K/N instead",
        ),
        (
            "auto/4",
            {"JOB_COMPLETION_INDEX": "x"},
            "--shard auto/4: JOB_COMPLETION_INDEX='x' is not a whole number",
        ),
        (
            "auto/4",
            {"SLURM_ARRAY_TASK_ID": "4"},
            "--shard auto/4: SLURM_ARRAY_TASK_ID=4 gives the "
            "index 4, outside 0 to 3: run an array of "
            "exactly 4 tasks",
        ),
    ],
)
def test_bad_shards_name_the_value(text, environ, message):
    with pytest.raises(ShardError) as err:
        parse_shard(text, environ)
    assert message in str(err.value)


@given(st.lists(st.text(max_size=5), unique=True, max_size=30), st.integers(1, 7))
def test_slices_cover_the_batch_once_whatever_its_order(batch, n):
    slices = [shard_slice(batch, k, n) for k in range(1, n + 1)]
    assert sorted(s for part in slices for s in part) == sorted(batch)
    assert slices == [shard_slice(list(reversed(batch)), k, n) for k in range(1, n + 1)]
    assert max(map(len, slices)) - min(map(len, slices)) <= 1  # balanced


def _shard(folder, k, n, **changes):
    path = folder / f"shard-{k}-of-{n}"
    path.mkdir(parents=True)
    manifest = {
        "format": 1,
        "homework": "hw1",
        "shard": k,
        "of": n,
        "batch": ["a", "b"],
        "autograder sha256": "00",
        "options": {"timeout": 60},
        "questions": [],
        "manual": [],
    } | changes
    (path / "shard.json").write_text(json.dumps(manifest))
    return path


def test_check_shards_lists_every_problem(tmp_path):
    _shard(tmp_path, 1, 3)
    _shard(tmp_path, 2, 3, **{"autograder sha256": "11"})
    (tmp_path / "shard-3-of-3").mkdir()
    with pytest.raises(ShardError) as err:
        check_shards(tmp_path, "hw1")
    assert err.value.problems == [
        f"{tmp_path / 'shard-3-of-3'}: not a shard (FileNotFoundError: [Errno 2] No such file "
        f"or directory: '{tmp_path / 'shard-3-of-3' / 'shard.json'}')",
        f"{tmp_path / 'shard-2-of-3'}: not of the same run as shard-1-of-3 (its autograder zip "
        "(SHA-256) differ); remove the shards of the other run",
        f"{tmp_path}: missing shard 2, 3 of 3",
    ]


def test_check_shards_of_another_number_and_none(tmp_path):
    with pytest.raises(ShardError, match="no such folder of shards"):
        check_shards(tmp_path / "nothing", "hw1")
    with pytest.raises(ShardError, match="no shards in it"):
        check_shards(tmp_path, "hw1")
    _shard(tmp_path, 1, 2)
    _shard(tmp_path, 2, 2)
    _shard(tmp_path, 1, 3, of=3)  # an older run's
    with pytest.raises(
        ShardError,
        match=r"shard-1-of-3: not of the same run as shard-1-of-2 "
        r"\(its number of shards differ\)",
    ):
        check_shards(tmp_path, "hw1")
