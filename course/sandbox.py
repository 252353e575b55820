"""Bubblewrap: the sandbox each submission's process runs in.

A submission's process (:mod:`course._runner`) is started by its grading
process through ``bwrap`` (Debian's ``bubblewrap``, the tool Flatpak uses):

* new user, PID, IPC, network, UTS and cgroup namespaces (``--unshare-all``),
  no further user namespaces inside (``--disable-userns``), no capabilities,
  uid and gid 65534 inside; a new session; killed when its grading process dies;
* outside, an unprivileged uid too: a grader running as root drops to
  :data:`SANDBOX_UID` (``nobody``) before it executes ``bwrap``;
* a root of its own (tmpfs) holding, read-only, ``/usr`` and the Python
  installation the grader runs with (at their own paths), the runner's three
  files at ``/runner``; read-write only the submission's own folder
  (``/submission``) and a private ``/tmp``; its own ``/proc`` and a minimal
  ``/dev``; an environment of a few fixed variables;
* the memory, file-size and CPU limits (``setrlimit``) and a pids cgroup are
  set before ``bwrap`` starts; the runner adds Landlock inside as a second layer.

The only file descriptor the sandbox holds besides ``/dev/null`` is its end
of the channel. Where ``/root`` (or any folder above the Python installation)
is closed to ``nobody``, the grading process, which runs as root, first
bind-mounts each read-only folder into a staging folder ``nobody`` can reach,
in a mount namespace of its own that no other process sees.
"""

import ctypes
import importlib.util
import os
import py_compile
import shutil
import signal
import subprocess
import sys
from pathlib import Path

#: The uid and gid that a grader running as root gives the sandbox, outside and inside.
SANDBOX_UID = 65534
#: Where the submission's folder, the runner's files and the temporary folder are inside.
SUBMISSION, RUNNER, TMP = "/submission", "/runner", "/tmp"
#: The runner's files: the only code of this package the sandbox can read.
RUNNER_FILES = ["_runner.py", "_channel.py", "_landlock.py"]
#: Packages whose source the sandbox must not read even if installed in site-packages.
HIDDEN_PACKAGES = ["lecture_code", "course", "otter"]
#: The environment of the runner: nothing of the grader's.
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "HOME": SUBMISSION,
    "TMPDIR": TMP,
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": TMP,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}

_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


class SandboxUnavailable(RuntimeError):
    """Bubblewrap is missing or cannot create its namespaces on this machine."""


def bwrap_path():
    """The ``bwrap`` executable on ``PATH``, or None."""
    return shutil.which("bwrap")


def python_paths():
    """The folders of the Python installation the grader runs with (sorted, no duplicates).

    ``sys.prefix`` (a virtual environment), ``sys.base_prefix`` (the interpreter
    and standard library) and every ``site-packages`` folder on ``sys.path``
    outside them, so a CI clone or a system Python work alike.
    """
    found = [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.dirname(sys.executable),
        os.path.dirname(os.path.realpath(sys.executable)),
    ]
    found += [p for p in sys.path if p and "-packages" in p and os.path.isdir(p)]
    paths = {os.path.abspath(p) for p in found} | {os.path.realpath(p) for p in found}
    kept = []
    for path in sorted(paths):  # a folder inside one already kept comes with it
        if not any(path == k or path.startswith(k + os.sep) for k in kept):
            kept.append(path)
    return [p for p in kept if not _inside_system(p)]


def _inside_system(path):
    return path == "/usr" or path.startswith("/usr/")


def hidden_paths(python):
    """Folders of :data:`HIDDEN_PACKAGES` inside the bound ``python`` folders (to mask)."""
    hidden = []
    for folder in python:
        for site in Path(folder).glob("lib/python3*/site-packages"):
            hidden.extend(str(site / name) for name in HIDDEN_PACKAGES if (site / name).is_dir())
    return hidden


def read_only_paths(python):
    """What the runner may read inside the sandbox (its Landlock rules)."""
    return sorted({"/usr", "/etc/ld.so.cache", "/dev/urandom", RUNNER, *python})


#: What the runner may write inside the sandbox besides its folder (its Landlock rules).
READ_WRITE = [TMP, "/dev/shm"]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, source, target, flags, fstype=None, options=None):
    if (
        libc.mount(
            source and source.encode(),
            target.encode(),
            fstype and fstype.encode(),
            ctypes.c_ulong(flags),
            options and options.encode(),
        )
        != 0
    ):
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def private_mounts():
    """Give this (single-threaded, root) process a mount namespace of its own."""
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare(CLONE_NEWNS): {os.strerror(err)}")
    _mount(libc, None, "/", _MS_REC | _MS_PRIVATE)


def stage(folder, python):
    """Bind ``python`` folders under ``folder/stage`` (read-only); return {inside: outside}.

    Needs :func:`private_mounts` first: the bind mounts exist only in this
    process's namespace and die with it. ``folder`` must be reachable by
    :data:`SANDBOX_UID` (mode 0711 up to ``/``).
    """
    libc = _libc()
    base = Path(folder, "stage")
    base.mkdir(mode=0o755)
    sources = {}
    for i, path in enumerate(python):
        target = base / str(i)
        target.mkdir(mode=0o755)
        _mount(libc, path, str(target), _MS_BIND | _MS_REC)
        _mount(libc, None, str(target), _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_REC)
        sources[path] = str(target)
    return sources


def writable_folder(path, size):
    """Make ``path`` a tmpfs of ``size`` bytes owned by :data:`SANDBOX_UID` (after
    :func:`private_mounts`): what the submission writes is bounded and dies with this process."""
    _mount(
        _libc(),
        "tmpfs",
        str(path),
        0,
        "tmpfs",
        f"size={int(size)},mode=0700,uid={SANDBOX_UID},gid={SANDBOX_UID}",
    )


def runner_folder(folder):
    """A root-owned, read-only copy of the runner's files in ``folder/runner``."""
    here = Path(__file__).parent
    runner = Path(folder, "runner")
    runner.mkdir(mode=0o755)
    for name in RUNNER_FILES:
        (runner / name).write_bytes((here / name).read_bytes())
        (runner / name).chmod(0o444)
        if name != "_runner.py":  # its modules' bytecode, so no runner compiles them again
            py_compile.compile(
                str(runner / name),
                doraise=True,
                cfile=importlib.util.cache_from_source(str(runner / name)),
            )
    for path in [runner / "__pycache__", runner]:
        path.chmod(0o555)
    return runner


#: bwrap's options for a process of its own: new namespaces of every kind (a user
#: namespace it may not nest), no capability, the unprivileged uid and gid, its
#: own session, and an end with its parent.
ISOLATION = [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--uid",
    str(SANDBOX_UID),
    "--gid",
    str(SANDBOX_UID),
]


def system_binds():
    """bwrap's options that show the system's programs and libraries read-only:
    ``/usr``, and ``/bin``, ``/lib``... as this system has them (links or folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ["bin", "lib", "lib32", "lib64", "libx32", "sbin"]:
        top = Path("/", name)
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    return args


def command(box, runner, sources, fd, *, tmp_size=64 * 2**20, bwrap=None):
    """The ``bwrap`` command line that runs the runner on channel ``fd`` (a list of str).

    ``box`` is the submission's writable folder, ``runner`` the folder of the
    runner's files, ``sources`` maps each read-only path inside to the path
    bwrap binds from (the same path, or its staged copy); ``/tmp`` and
    ``/dev/shm`` are tmpfs of ``tmp_size`` bytes each. The caller passes the
    arguments after the first through ``--args FD``, so no path of the grader's
    is in the sandbox's ``/proc/1/cmdline``.
    """
    args = [
        bwrap or bwrap_path() or "bwrap",
        *ISOLATION,
        "--hostname",
        "sandbox",
        "--clearenv",
        *system_binds(),
    ]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # the fresh /proc, /dev, /tmp and /dev/shm before Python's folders: bwrap
    # mounts in order, and a tmpfs on /tmp mounted after them hid a Python
    # installed under /tmp (a clone in /tmp/x with its .venv: no submission started)
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(int(tmp_size)),
        "--tmpfs",
        TMP,
        "--size",
        str(int(tmp_size)),
        "--tmpfs",
        "/dev/shm",
    ]
    for inside, outside in sources.items():
        args += ["--ro-bind", outside, inside]
    for path in hidden_paths(list(sources)):
        args += ["--tmpfs", path, "--remount-ro", path]
    args += [
        "--ro-bind",
        str(runner),
        RUNNER,
        "--bind",
        str(box),
        SUBMISSION,
        "--chdir",
        SUBMISSION,
    ]
    for key, value in ENVIRONMENT.items():
        args += ["--setenv", key, value]
    return args + ["--", os.path.abspath(sys.executable), "-I", f"{RUNNER}/_runner.py", str(fd)]


def start(args, fd, limits, *, cgroup_procs=None, uid=None, **popen):
    """Start ``bwrap`` with the :func:`command` ``args`` and the channel ``fd``; a Popen.

    The options go through a pipe (``--args``), so the sandbox's ``/proc/1/cmdline``
    names no path of the grader's; only the command after ``--`` is on the command line.
    """
    end = args.index("--")
    options, w = os.pipe()
    try:
        os.write(w, b"".join(a.encode() + b"\0" for a in args[1:end]))
        os.close(w)
        return subprocess.Popen(
            [args[0], "--args", str(options), *args[end:]],
            pass_fds=[fd, options],
            start_new_session=True,
            preexec_fn=preexec(limits, cgroup_procs, uid),
            **popen,
        )
    finally:
        os.close(options)


def preexec(limits, cgroup_procs=None, uid=None):
    """What the child does between fork and exec: cgroups, limits, then the unprivileged uid.

    ``cgroup_procs`` is a list of ``cgroup.procs`` files to join (or None).
    """
    import resource

    values = [
        (resource.RLIMIT_AS, limits.get("memory")),
        (resource.RLIMIT_FSIZE, limits.get("file_size")),
        (resource.RLIMIT_CPU, limits.get("cpu")),
        (resource.RLIMIT_CORE, 0),
    ]

    def run():
        for procs in cgroup_procs or []:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        for kind, value in values:
            if value is not None:
                resource.setrlimit(kind, (int(value), int(value)))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too-large writes raise OSError
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)

    return run


def check(bwrap=None):
    """Raise :class:`SandboxUnavailable` unless bwrap can build the sandbox here."""
    bwrap = bwrap or bwrap_path()
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (`bwrap`) is not installed: install the package "
            "`bubblewrap` (apt-get install bubblewrap)"
        )
    uid = SANDBOX_UID if os.geteuid() == 0 else None
    args = [
        bwrap,
        *ISOLATION,
        *system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--",
        "/usr/bin/env",
        "true",
    ]
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=30,
            preexec_fn=preexec({}, uid=uid),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bubblewrap did not run ({type(exc).__name__}: {exc})") from None
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["no message"])[-1][:200]
        raise SandboxUnavailable(
            f"bubblewrap cannot create its namespaces here ({reason}); "
            "user namespaces may be disabled "
            "(sysctl kernel.unprivileged_userns_clone)"
        )
