"""Tests of grading on a cluster: the shipped Slurm script on a real one-node Slurm, and the
Kubernetes Indexed Job manifest.

The Slurm test starts munge and a one-node Slurm (Debian's ``munge`` and
``slurm-wlm``, which ``.ci/run`` installs) in a temporary folder
(``tests/course/_slurm.py``), submits ``course/cluster/grade.sbatch`` as an
array of 4 tasks over 9 hw1 submissions, collects the shards in a job that
depends on the array (as docs/instructors.md shows), and compares
every file with what grading the batch on this machine writes, byte for byte.
"""

import filecmp
import subprocess
import time

import pytest
import yaml
from _slurm import missing_programs, report, slurm_cluster  # noqa: E402

from _course import ROOT, cli, copy_to  # noqa: E402  (tests/ is on sys.path)

SCRIPT = ROOT / "course" / "cluster" / "grade.sbatch"
MANIFEST = ROOT / "course" / "cluster" / "grade-job.yaml"


def tree(folder):
    """Every file under ``folder`` (shards aside): {relative path: bytes}."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "hw1-shards" not in p.parts
    }


def wait_for(proc, env, seconds):
    """Wait for ``proc`` (``sbatch --wait``), watching the queue: a problem, or None."""
    deadline = time.monotonic() + seconds
    while proc.poll() is None:
        queue = subprocess.run(
            ["squeue", "-h", "-o", "%i %T %r"], env=env, capture_output=True, text=True
        ).stdout
        stuck = [line for line in queue.splitlines() if "held" in line or "fail" in line.lower()]
        if stuck or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            if stuck:
                return "jobs that Slurm will not run:\n" + "\n".join(stuck)
            return f"the array and collect did not end in {seconds} s"
        time.sleep(2)
    return None


def test_slurm_array_grades_what_one_machine_grades(built, tmp_path):
    missing = missing_programs()
    assert not missing, (
        f"{', '.join(missing)} not installed: apt-get install slurm-wlm munge (.ci/run does)"
    )
    subs = tmp_path / "subs"
    for name in ["ann", "bob", "cy", "dee", "eve"]:
        copy_to(built / "dist" / "hw1-solutions.ipynb", subs / name / "hw1.ipynb")
    for name in ["fay", "gus", "hal"]:
        copy_to(built / "book" / "hw1.ipynb", subs / name / "hw1.ipynb")
    (subs / "ivy").mkdir()
    (subs / "ivy" / "hw1.ipynb").write_text("not a notebook\n")
    zip_ = built / "dist" / "hw1-autograder.zip"
    one, sharded = tmp_path / "one", tmp_path / "cluster"
    cli("grade", "hw1", subs, "--out", one / "hw1.csv", "--jobs", 2, "--autograder", zip_)

    with slurm_cluster() as env:
        start = time.monotonic()
        # as the guide says: the array, then collect in a job that waits for it
        array = subprocess.run(
            [
                "sbatch",
                "--parsable",
                "--array=0-3",
                "--cpus-per-task=1",
                f"--output={tmp_path}/task-%a.out",
                str(SCRIPT),
                "hw1",
                str(subs),
                "--out",
                str(sharded / "hw1.csv"),
                "--autograder",
                str(zip_),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert array.returncode == 0, array.stderr
        job = array.stdout.strip().split(";")[0]
        # --kill-on-invalid-dep: if a task fails, the collect job ends at once (and
        # sbatch --wait with it) instead of waiting for a dependency never satisfied
        collect = subprocess.Popen(
            [
                "sbatch",
                "--wait",
                f"--dependency=afterok:{job}",
                "--kill-on-invalid-dep=yes",
                f"--output={tmp_path}/collect.out",
                "--wrap",
                f".venv/bin/python -m course collect hw1 --out {sharded / 'hw1.csv'}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # a task Slurm could not start is held, not failed: stop at once, with the reason
        problem = wait_for(collect, env, seconds=600)  # 40 s alone, 100 s beside the other tests
        seconds = time.monotonic() - start
        state = report(env) if problem or collect.returncode else ""
    logs = "\n".join(f"--- {p.name}:\n{p.read_text()}" for p in sorted(tmp_path.glob("*.out")))
    assert not problem, f"{problem}\n{state}\n{logs}"
    assert collect.returncode == 0, collect.stdout.read() + logs + state
    print(f"4 Slurm array tasks over 9 submissions, then collect: {seconds:.1f} s")
    for k in range(1, 5):
        assert f"shard {k} of 4 -> {sharded / 'hw1-shards' / f'shard-{k}-of-4'}" in logs
    assert "collected 9 submissions (8 ok, 1 with a status)" in logs

    assert tree(one) == tree(sharded)
    assert len([p for p in tree(one) if p.startswith("hw1-results/")]) == 9
    assert not filecmp.dircmp(one, sharded, ignore=["hw1-shards"]).diff_files


def test_kubernetes_manifest_is_an_indexed_job_over_shards():
    job = yaml.safe_load(MANIFEST.read_text())
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    n = spec["completions"]
    assert isinstance(n, int) and 1 <= spec["parallelism"] <= n
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    (container,) = pod["containers"]
    command = container["command"]
    assert all(isinstance(part, str) for part in command)
    assert command[:4] == [".venv/bin/python", "-m", "course", "grade"]
    assert command[command.index("--shard") + 1] == f"auto/{n}"
    out = command[command.index("--out") + 1]
    # the grades folder is on the volume every pod mounts, as collect needs
    mounts = [m["mountPath"] for m in container["volumeMounts"]]
    assert any(f"{container['workingDir']}/{out}".startswith(m) for m in mounts)
    assert {v["name"] for v in pod["volumes"]} == {m["name"] for m in container["volumeMounts"]}


def test_the_manifest_command_parses_as_a_grade_command():
    from course.__main__ import build_parser

    command = yaml.safe_load(MANIFEST.read_text())["spec"]["template"]["spec"]["containers"][0][
        "command"
    ]
    args = build_parser().parse_args(command[3:])
    assert (args.command, args.homework, args.shard) == ("grade", "hw4", "auto/4")


def test_slurm_script_passes_its_arguments_to_grade(tmp_path):
    # without Slurm: the script run by hand as task 2 of an array of 3, with a stand-in python
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\"\n")
    fake.chmod(0o755)
    env = {
        "PATH": "/usr/bin:/bin",
        "SLURM_SUBMIT_DIR": str(tmp_path),
        "COURSE_PYTHON": str(fake),
        "SLURM_ARRAY_TASK_COUNT": "3",
        "SLURM_CPUS_PER_TASK": "2",
    }
    proc = subprocess.run(
        ["bash", SCRIPT, "hw1", "subs dir", "--out", "g/hw1.csv"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.splitlines() == [
        "-m",
        "course",
        "grade",
        "hw1",
        "subs dir",
        "--out",
        "g/hw1.csv",
        "--shard",
        "auto/3",
        "--jobs",
        "2",
    ]
    del env["SLURM_ARRAY_TASK_COUNT"]
    proc = subprocess.run(["bash", SCRIPT, "hw1", "subs"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "not a job array" in proc.stderr


@pytest.mark.parametrize(
    "variable", ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]
)
def test_auto_shard_reads_each_schedulers_index(variable):
    from course.shards import INDEX_VARIABLES, parse_shard

    assert variable in INDEX_VARIABLES
    assert [parse_shard("auto/3", {variable: str(i)}) for i in range(3)] == [(1, 3), (2, 3), (3, 3)]
