"""A throwaway single-node Slurm cluster on localhost, for tests (Debian's slurm-wlm and munge).

:func:`slurm_cluster` starts ``munged`` with a fresh key, ``slurmctld`` and
``slurmd`` with a configuration in a temporary folder (their own ports, state,
logs and socket: nothing of the machine's own Slurm or munge is used or
changed), yields the environment that points ``sbatch`` and ``squeue`` at it,
and stops the three daemons at the end, by their process ids.

The folder has a short path of its own under /tmp, not pytest's ``tmp_path``:
slurmd names each job step's Unix socket after its spool folder, and a socket's
path has at most 108 bytes. Under pytest-xdist's deeper ``tmp_path``
(``/tmp/pytest-of-root/pytest-136/popen-gw1/test_slurm_.../slurm/spool/``)
every task failed to launch ("Unix socket path ... is too long. (110 > 108)")
and Slurm held it for ever.
"""

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DAEMONS = ["munged", "slurmctld", "slurmd"]
CLIENTS = ["sbatch", "squeue", "sinfo", "scontrol"]


def missing_programs():
    """The Slurm and munge programs this machine lacks (``.ci/run`` installs them)."""
    dirs = os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/sbin"]
    return [
        p
        for p in DAEMONS + CLIENTS
        if not any(Path(d, p).is_file() and os.access(Path(d, p), os.X_OK) for d in dirs)
    ]


def _which(name):
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


CONFIG = """\
ClusterName=course-test
SlurmctldHost={host}(127.0.0.1)
SlurmUser={user}
SlurmdUser={user}
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
PluginDir=/usr/lib/x86_64-linux-gnu/slurm-wlm
NodeName=course-node NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=course Nodes=course-node Default=YES MaxTime=INFINITE State=UP
"""


def _wait(check, seconds, what, logs):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tails = "\n".join(
        f"--- {p.name}:\n{p.read_text(errors='replace')[-2000:]}" for p in logs if p.exists()
    )
    raise RuntimeError(f"{what} did not start in {seconds} s\n{tails}")


def report(env):
    """What the cluster says about its node and jobs, and the tail of each daemon's log:
    the message of a test whose jobs did not finish."""
    folder = Path(env["SLURM_CONF"]).parent
    parts = []
    for args in [["sinfo", "-N", "-l"], ["squeue", "-l"], ["scontrol", "show", "job"]]:
        try:
            proc = subprocess.run(
                [_which(args[0]), *args[1:]], env=env, capture_output=True, text=True, timeout=30
            )
            parts.append(f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}")
        except (OSError, subprocess.TimeoutExpired) as error:
            parts.append(f"$ {' '.join(args)}\n{error}")
    for log in ["slurmctld.log", "slurmd.log", "munged.log"]:
        path = folder / log
        if path.exists():
            parts.append(f"--- {log} (tail):\n{path.read_text(errors='replace')[-3000:]}")
    return "\n".join(parts)


# slurmd's step sockets are SlurmdSpoolDir/<node>_<job>.<step>: the step id
# alone is up to 10 digits (4294967291 for a batch step)
SOCKET_NAME_BYTES = len("/course-node_4294967295.4294967291")
UNIX_PATH_MAX = 108


@contextlib.contextmanager
def slurm_cluster(cpus=4):
    """Start munge and a one-node Slurm in a new folder; yield the environment for its clients.

    The folder (configuration, state, logs) is removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp" if Path("/tmp").is_dir() else None))
    if len(str(folder / "spool").encode()) + SOCKET_NAME_BYTES > UNIX_PATH_MAX:
        raise RuntimeError(f"{folder} is too long a path for slurmd's Unix sockets")
    for sub in ["state", "spool"]:
        (folder / sub).mkdir(parents=True)
    folder.chmod(0o755)
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    host = socket.gethostname().split(".")[0]
    ctld_port, d_port = _free_ports(2)
    conf = folder / "slurm.conf"
    conf.write_text(
        CONFIG.format(
            host=host,
            user=getpass.getuser(),
            ctld_port=ctld_port,
            d_port=d_port,
            folder=folder,
            cpus=cpus,
        )
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    for var in [v for v in env if v.startswith(("SLURM_", "SBATCH_")) and v != "SLURM_CONF"]:
        del env[var]  # a test run inside a Slurm job must not reach that job's cluster
    procs = []
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    try:
        with open(folder / "munged.out", "w") as out:
            procs.append(
                subprocess.Popen(
                    [
                        _which("munged"),
                        "--foreground",
                        "--force",
                        f"--key-file={key}",
                        f"--socket={folder}/munge.socket",
                        f"--pid-file={folder}/munged.pid",
                        f"--log-file={folder}/munged.log",
                        f"--seed-file={folder}/munged.seed",
                    ],
                    env=env,
                    **{**quiet, "stdout": out},
                )
            )
        _wait(
            lambda: (folder / "munge.socket").exists(),
            20,
            "munged",
            [folder / "munged.log", folder / "munged.out"],
        )
        procs.append(
            subprocess.Popen([_which("slurmctld"), "-D", "-i", "-f", str(conf)], env=env, **quiet)
        )
        procs.append(
            subprocess.Popen(
                [_which("slurmd"), "-D", "-f", str(conf), "-N", "course-node"], env=env, **quiet
            )
        )

        def node_idle():
            proc = subprocess.run(
                [_which("sinfo"), "-h", "-o", "%T"], env=env, capture_output=True, text=True
            )
            return proc.returncode == 0 and proc.stdout.strip() == "idle"

        _wait(
            node_idle, 60, "slurmctld and slurmd", [folder / "slurmctld.log", folder / "slurmd.log"]
        )
        yield env
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
