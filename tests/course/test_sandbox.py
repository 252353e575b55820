"""Tests of :mod:`course.sandbox`: what a process inside the bubblewrap sandbox can see and do.

A probe stands in for the runner: the sandbox is built exactly as for a
submission (the same staging, limits, uid and ``bwrap`` options), and the
probe reports from inside what it finds; the test looks from outside too.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from course import sandbox

from _course import ROOT, run_course  # noqa: E402  (tests/ is on sys.path)

#: Runs inside the sandbox as ``/runner/_runner.py FD``: reports what it can reach.
PROBE = r"""
import ctypes, errno, importlib.util, json, os, socket, sys
fd = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)

def attempt(f):
    try:
        f()
        return "allowed"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))

def sysv():
    if libc.shmget(ctypes.c_int(KEY), ctypes.c_size_t(0), 0) < 0:
        raise OSError(ctypes.get_errno(), "shmget")

def userns():
    if libc.unshare(0x10000000) != 0:
        raise OSError(ctypes.get_errno(), "unshare")

def status(field):
    return next(l.split()[1:] for l in open("/proc/self/status") if l.startswith(field + ":"))

def write(path):
    with open(path, "w") as f:
        f.write("x")

r = {"uid": status("Uid"), "gid": status("Gid"), "groups": status("Groups"),
     "cap_eff": status("CapEff")[0], "env": dict(os.environ), "argv": sys.argv,
     "fds": sorted(os.listdir("/proc/self/fd")), "root": sorted(os.listdir("/")),
     "cmdline1": open("/proc/1/cmdline", "rb").read().decode(errors="replace"),
     "unix": open("/proc/net/unix").read().splitlines()[1:],
     "hostname": socket.gethostname(),
     "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
     "lecture_code": getattr(importlib.util.find_spec("lecture_code"), "origin", None),
     "otter": getattr(importlib.util.find_spec("otter"), "origin", None),
     "numpy": importlib.util.find_spec("numpy") is not None,
     "write_usr": attempt(lambda: write("/usr/x")),
     "write_prefix": attempt(lambda: write(sys.prefix + "/x")),
     "write_runner": attempt(lambda: write("/runner/x")),
     "write_box": attempt(lambda: write("/submission/x")),
     "write_tmp": attempt(lambda: write("/tmp/x")),
     "big_tmp": attempt(lambda: write("/tmp/big") or open("/tmp/big", "wb").write(b"x" * 2**21)),
     "read_batch": attempt(lambda: os.listdir(BATCH)),
     "read_tests": attempt(lambda: open(ZIP, "rb")),
     "tcp": attempt(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=2)),
     "udp": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
         b"x", ("127.0.0.1", PORT))),
     "abstract": attempt(lambda: socket.socket(socket.AF_UNIX).connect("\0" + ABSTRACT)),
     "sysv": attempt(sysv), "userns": attempt(userns),
     "kill_1": attempt(lambda: os.kill(1, 0)),
     "python_in_tmp": os.path.isdir(PYTHON_IN_TMP) and sorted(os.listdir(PYTHON_IN_TMP))}
sock = socket.socket(fileno=fd)
sock.sendall(json.dumps(r).encode() + b"\n")
sock.recv(10)
"""

#: Run as root, like a grading process: build the sandbox around PROBE, report both sides.
HOST = r"""
import json, os, socket, subprocess, sys, tempfile, time
sys.path.insert(0, ROOT)
import psutil
from course import sandbox
base = tempfile.mkdtemp(prefix="course-sandbox-test-")
os.chmod(base, 0o711)
runner = os.path.join(base, "runner")
os.mkdir(runner, 0o755)
with open(os.path.join(runner, "_runner.py"), "w") as f:
    f.write(f"BATCH = {base!r}\n" + PROBE)
box = os.path.join(base, "box")
os.mkdir(box)
python = sandbox.python_paths() + [PYTHON_IN_TMP]  # and a Python installed under /tmp
sandbox.private_mounts()
sources = sandbox.stage(base, python)
sandbox.writable_folder(box, 2**20)
mine, theirs = socket.socketpair()
args = sandbox.command(box, runner, sources, theirs.fileno(), tmp_size=2**20)
proc = sandbox.start(args, theirs.fileno(), {"memory": 2**30}, uid=sandbox.SANDBOX_UID,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
theirs.close()
mine.settimeout(60)
data = b""
while not data.endswith(b"\n"):
    chunk = mine.recv(2**20)
    if not chunk:
        break
    data += chunk
tree = [proc.pid] + [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
host_uids = sorted({u for pid in tree for u in psutil.Process(pid).uids()})
try:
    mine.sendall(b"bye")
except OSError:
    pass
proc.wait(30)
print(json.dumps({"inside": json.loads(data or b"null"), "host_uids": host_uids,
                  "base": base, "stderr": proc.stderr.read().decode()[-500:]}))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    import ctypes
    import socket

    if os.geteuid() != 0:
        pytest.fail("these tests build the sandbox as the grader does: run them as root")
    tmp = tmp_path_factory.mktemp("sandbox")
    # a Python folder under /tmp (a clone in /tmp with its .venv), beside the sandbox's own /tmp
    python_in_tmp = tempfile.mkdtemp(prefix="course-python-", dir="/tmp")
    os.chmod(python_in_tmp, 0o755)
    Path(python_in_tmp, "module.py").write_text("")
    secret = tmp / "autograder.zip"
    secret.write_bytes(b"hidden tests")
    libc = ctypes.CDLL(None, use_errno=True)
    key = 0x5EC0DE00 + os.getpid() % 256
    shm = libc.shmget(ctypes.c_int(key), ctypes.c_size_t(4096), 0o1666)  # IPC_CREAT | 0666
    assert shm >= 0
    server = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", server.getsockname()[1]))
    server.setblocking(False)
    udp.setblocking(False)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0course-sandbox-test-{os.getpid()}")
    abstract.listen()
    abstract.setblocking(False)
    constants = (
        f"KEY = {key}\nPORT = {server.getsockname()[1]}\nZIP = {str(secret)!r}\n"
        f"ABSTRACT = 'course-sandbox-test-{os.getpid()}'\nPYTHON_IN_TMP = {python_in_tmp!r}\n"
    )
    probe = constants + textwrap.dedent(PROBE)
    host = f"ROOT = {str(ROOT)!r}\n{constants}PROBE = {probe!r}\n" + HOST
    try:
        proc = subprocess.run(
            [sys.executable, "-c", host], capture_output=True, text=True, timeout=120
        )
        received = []
        for receive in [server.accept, lambda: udp.recv(100), abstract.accept]:
            try:
                received.append(receive())
            except BlockingIOError:
                pass
    finally:
        libc.shmctl(shm, 0, None)  # IPC_RMID
        shutil.rmtree(python_in_tmp)
        for sock in (server, udp, abstract):
            sock.close()
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    shutil.rmtree(report["base"])  # its bind mounts died with the process that made them
    assert report["inside"], report["stderr"] + proc.stderr
    report["received"] = received
    return report


def test_the_sandbox_runs_as_nobody_inside_and_outside(probe):
    inside = probe["inside"]
    assert inside["uid"] == ["65534"] * 4 and inside["gid"] == ["65534"] * 4
    assert inside["groups"] == [] or inside["groups"] == ["65534"]
    assert int(inside["cap_eff"], 16) == 0  # no capability at all
    assert probe["host_uids"] == [sandbox.SANDBOX_UID]  # bwrap and the runner, on the host


def test_the_sandbox_sees_no_path_or_socket_of_the_grader(probe):
    inside = probe["inside"]
    assert set(inside["env"]) - {"PWD"} == set(sandbox.ENVIRONMENT)
    assert inside["argv"] == ["/runner/_runner.py", inside["argv"][1]]
    assert probe["base"] not in inside["cmdline1"] and "stage" not in inside["cmdline1"]
    # 0, 1, 2, the channel and the descriptor listing /proc/self/fd
    assert len(inside["fds"]) == 5
    assert inside["unix"] == []  # no Unix socket of the host, by path or abstract name
    assert inside["hostname"] == "sandbox"
    assert inside["pids"] == ["1", "2"]  # bubblewrap's init and itself
    assert inside["read_batch"] == "ENOENT" and inside["read_tests"] == "ENOENT"
    assert set(inside["root"]) <= {
        "usr",
        "bin",
        "lib",
        "lib64",
        "lib32",
        "libx32",
        "sbin",
        "etc",
        "proc",
        "dev",
        "tmp",
        "runner",
        "submission",
        *(p.strip("/").split("/")[0] for p in sandbox.python_paths()),
    }
    # no source of lecture_code, of the course package or of otter (its folder is empty)
    assert inside["lecture_code"] is None and inside["otter"] is None and inside["numpy"]


def test_python_installed_under_tmp_is_not_hidden_by_the_sandboxs_tmp(probe):
    assert probe["inside"]["python_in_tmp"] == ["module.py"]


def test_the_sandbox_writes_only_its_folder_and_tmp_within_a_size(probe):
    inside = probe["inside"]
    assert [inside[k] for k in ["write_usr", "write_prefix", "write_runner"]] == ["EROFS"] * 3
    assert inside["write_box"] == inside["write_tmp"] == "allowed"
    assert inside["big_tmp"] == "ENOSPC"  # 2 MiB into a 1 MiB /tmp


def test_the_sandbox_has_no_network_ipc_or_user_namespaces_of_the_host(probe):
    inside = probe["inside"]
    # its own network namespace: its loopback has nobody listening, the host's heard nothing
    assert inside["tcp"] == inside["abstract"] == "ECONNREFUSED"
    assert probe["received"] == []
    assert inside["sysv"] == "ENOENT"  # the host's segment is not in its IPC namespace
    assert inside["userns"] in ("EPERM", "ENOSPC")  # --disable-userns


def test_python_paths_cover_the_interpreter_and_site_packages():
    paths = sandbox.python_paths()
    assert any(sys.executable.startswith(p + os.sep) for p in paths)
    assert any(os.path.realpath(sys.executable).startswith(p + os.sep) for p in paths)
    import numpy

    assert any(numpy.__file__.startswith(p + os.sep) for p in paths)
    assert not any(str(ROOT / "lecture_code").startswith(p + os.sep) for p in paths)


def test_a_missing_bubblewrap_is_named_with_its_package(tmp_path):
    import tempfile

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
        with pytest.raises(sandbox.SandboxUnavailable, match="install the package `bubblewrap`"):
            sandbox.check()
    folder = tempfile.mkdtemp()  # a bwrap that fails as on a kernel without user namespaces
    try:
        os.chmod(folder, 0o755)
        fake = os.path.join(folder, "bwrap")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
        os.chmod(fake, 0o755)
        with pytest.raises(
            sandbox.SandboxUnavailable, match="cannot create its namespaces here .*No permissions"
        ):
            sandbox.check(bwrap=fake)
    finally:
        shutil.rmtree(folder)


def test_grade_refuses_without_the_sandbox_unless_told(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no bwrap on PATH
    (tmp_path / "a.zip").write_bytes(b"")
    proc = run_course(
        "grade",
        "hw1",
        tmp_path / "x.ipynb",
        "--out",
        tmp_path / "g.csv",
        "--autograder",
        tmp_path / "a.zip",
        env=env,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("grade refused: bubblewrap (`bwrap`) is not installed")
    assert "--unsafe-no-sandbox" in proc.stderr and not (tmp_path / "g.csv").exists()


def test_unsafe_no_sandbox_grades_and_every_row_says_so(built, tmp_path):
    import csv

    from course.grade import UNSAFE

    subs = tmp_path / "subs"
    for name, source in [("solution", "hw1-solutions.ipynb")]:
        (subs / name).mkdir(parents=True)
        (subs / name / "hw1.ipynb").write_bytes((built / "dist" / source).read_bytes())
    (subs / "link").mkdir()
    (subs / "link" / "hw1.ipynb").symlink_to(built / "dist" / "hw1-solutions.ipynb")
    env = {**os.environ, "PATH": str(tmp_path)}  # no bwrap on PATH
    proc = run_course(
        "grade",
        "hw1",
        str(subs),
        "--out",
        str(tmp_path / "g.csv"),
        "--unsafe-no-sandbox",
        "--autograder",
        str(built / "dist" / "hw1-autograder.zip"),
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "grading WITHOUT a sandbox" in proc.stderr
    with open(tmp_path / "g.csv", newline="") as f:
        rows = {os.path.basename(os.path.dirname(r["file"])): r for r in csv.DictReader(f)}
    assert rows["solution"]["status"] == f"ok; {UNSAFE}"
    assert rows["solution"]["auto total"] == "11"
    assert rows["link"]["status"] == (
        f"error: not a submission: a symbolic link, not a regular file; {UNSAFE}"
    )


#: A ``bwrap`` that hides one folder (its first line's HIDDEN) just before the
#: command: what the sandbox's own /tmp once did to a Python installed under /tmp.
HIDING_BWRAP = """#!/bin/sh
hidden=HIDDEN
seen=0
for arg in "$@"; do
  if [ "$seen" = 0 ] && [ "$arg" = "--" ]; then set -- "$@" --tmpfs "$hidden"; seen=1; fi
  set -- "$@" "$arg"
  shift
done
exec REAL "$@"
"""


def test_grade_refuses_when_python_cannot_start_in_the_sandbox(built, tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="course-bwrap-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        hidden = os.path.realpath(sys.base_prefix)
        script = HIDING_BWRAP.replace("HIDDEN", hidden).replace("REAL", shutil.which("bwrap"))
        (folder / "bwrap").write_text(script)
        (folder / "bwrap").chmod(0o755)
        subs = tmp_path / "subs" / "ann"
        subs.mkdir(parents=True)
        (subs / "hw1.ipynb").write_bytes((built / "dist" / "hw1-solutions.ipynb").read_bytes())
        out = tmp_path / "g.csv"
        proc = run_course(
            "grade",
            "hw1",
            str(subs.parent),
            "--out",
            str(out),
            "--autograder",
            str(built / "dist" / "hw1-autograder.zip"),
            env={**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"},
            timeout=300,
        )
    finally:
        shutil.rmtree(folder)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith(f"grade refused: Python ({sys.executable}) does not start")
    assert not out.exists()
