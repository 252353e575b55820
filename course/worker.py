"""Grade one submission: the trusted side, which never executes submission code.

The submission's code runs in another process (:mod:`course._runner`), started
fresh for it in a bubblewrap sandbox (:mod:`course.sandbox`) whose only
writable folder holds its copy of the notebook. This process walks through
the notebook's code cells and asks that process to run each one; where the
notebook has one of otter's check cells (``grader.check("q1")``) it runs that
question's tests right then, as otter's grading does, and at the end every
test not yet run. The tests exist only in this process's memory: otter's
``OKTestFile`` objects built from the specs the batch read once from the
autograder archive (never a file a submission could reach), run in a
namespace where the submission's names are data fetched through the channel
(:mod:`course._channel`) or :class:`Remote` handles, so ``surprise(_p)`` or
``model.predict(X)`` becomes a request and its answer comes back as data that
the tests' own NumPy compares.

What the submission cannot change: the test code, NumPy and the builtins the
tests use, names the homework's set-up cells import (the grader imports them
itself), and the scores. What it can answer: only data.
"""

import ast
import builtins
import importlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import _channel
from .master import allowed_lecture_code, setup_of, uses_lecture_code  # noqa: F401
from .master import normalise_lines as _normalise

#: Submission modules that tests may use as the grader's own copy (by name only).
TRUSTED_MODULES = re.compile(
    r"(numpy|scipy|sklearn|math|statistics|itertools|functools"
    r"|collections|types|warnings)(\.\w+)*"
)
#: Python exceptions a call in the submission may raise on the grader's side by name.
MIRRORED_EXCEPTIONS = {
    name: getattr(builtins, name)
    for name in [
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "FloatingPointError",
        "IndexError",
        "KeyError",
        "LookupError",
        "NameError",
        "NotImplementedError",
        "OverflowError",
        "RecursionError",
        "RuntimeError",
        "TypeError",
        "ValueError",
        "ZeroDivisionError",
    ]
}
_CHECK = re.compile(r"""^\s*grader\.check\(\s*["'](\w+)["']\s*\)\s*$""")
_RUNNER = Path(__file__).with_name("_runner.py")


class SubmissionError(Exception):
    """The submission's process is gone, too slow, or broke the protocol."""


class RemoteError(Exception):
    """An exception raised in the submission's process, of a type the grader does not mirror."""


def _safe_name(text, default="object"):
    text = str(text)[:200]
    return text if all(p.isidentifier() for p in text.split(".")) and text else default


class Remote:
    """A handle to an object in the submission's process: every use is a request.

    Dunder attributes are never asked for (NumPy and Python probe them), and a
    handle has no truth value, so ``assert handle`` fails instead of passing.
    """

    __slots__ = ("_sub", "_id")
    _types = {}

    def __init__(self, sub, key):
        self._sub, self._id = sub, key

    @classmethod
    def make(cls, sub, value):
        key = value.get("id")
        if type(key) is not int:
            raise _channel.ProtocolError("a handle needs an integer id")
        qualname = _safe_name(value.get("type"))
        module = _safe_name(value.get("module"), "")
        kind = cls._types.get((module, qualname))
        if kind is None:  # type(model).__name__ == "MLPClassifier" works on a handle
            kind = type(
                qualname.rsplit(".", 1)[-1],
                (cls,),
                {"__slots__": (), "__module__": module, "__qualname__": qualname},
            )
            cls._types[module, qualname] = kind
        return kind(sub, key)

    def _ref(self):
        return {"$": "ref", "id": self._id}

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._sub.ask({"op": "getattr", "handle": self._ref(), "name": name})

    def __call__(self, *args, **kwargs):
        import numpy as np

        return self._sub.ask(
            {
                "op": "call",
                "handle": self._ref(),
                "args": [self._sub.encode(a) for a in args],
                "kwargs": {k: self._sub.encode(v) for k, v in kwargs.items()},
                "errstate": np.geterr(),
            }
        )

    def __getitem__(self, key):
        return self._sub.ask({"op": "getitem", "handle": self._ref(), "key": self._sub.encode(key)})

    def __len__(self):
        n = self._sub.ask({"op": "len", "handle": self._ref()})
        if type(n) is not int or n < 0:
            raise TypeError("the submission gave no valid length")
        return n

    def __iter__(self):
        items = self._sub.ask({"op": "iter", "handle": self._ref()})
        if type(items) is not list:
            raise TypeError("the submission gave no valid items")
        return iter(items)

    def __bool__(self):
        raise TypeError(
            f"a {type(self).__qualname__} of the submission has no truth value for the grader"
        )

    def __repr__(self):
        return f"<submission's {type(self).__qualname__}>"


class Submission:
    """The submission's process and the channel to it; every request has the deadline.

    ``sandbox`` is None (``--unsafe-no-sandbox``: the runner runs as this
    process's user, with only its limits, Landlock and a network namespace) or
    ``{"runner": folder of the runner's files, "sources": {path inside: path to
    bind}}`` for :mod:`course.sandbox`. ``config`` is the runner's configuration
    (limits and Landlock rules), sent as the first message with ``data``.
    """

    def __init__(self, folder, config, deadline, data=None, cgroup=None, sandbox=None):
        from . import sandbox as _sandbox

        self.folder, self.deadline, self.gone, self.cgroup = folder, deadline, None, cgroup
        self.proc = self.code = None
        mine, theirs = socket.socketpair()
        fd = theirs.fileno()
        quiet = {
            "stdin": subprocess.DEVNULL,
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
        }
        try:
            if sandbox is not None:
                args = _sandbox.command(
                    folder, sandbox["runner"], sandbox["sources"], fd, tmp_size=sandbox["tmp_size"]
                )
                uid = _sandbox.SANDBOX_UID if os.geteuid() == 0 else None
                self.proc = _sandbox.start(
                    args,
                    fd,
                    config,
                    uid=uid,
                    env={},
                    cwd="/",
                    cgroup_procs=cgroup and cgroup.procs_files,
                    **quiet,
                )
            else:
                env = {
                    **_sandbox.ENVIRONMENT,
                    "HOME": str(folder),
                    "TMPDIR": str(folder),
                    "MPLCONFIGDIR": str(folder),
                }
                self.proc = subprocess.Popen(
                    [sys.executable, "-I", str(_RUNNER), str(fd)],
                    cwd=folder,
                    env=env,
                    pass_fds=[fd],
                    start_new_session=True,
                    preexec_fn=_sandbox.preexec(config, cgroup and cgroup.procs_files),
                    **quiet,
                )
        finally:
            theirs.close()
        self.pid = self.proc.pid
        self.sock = mine
        self._send(
            {
                "config": config,
                "mnist": {
                    key: [self.encode(X), self.encode(y)] for key, (X, y) in (data or {}).items()
                },
            }
        )
        self.confinement = self._receive().get("confinement", [])

    @property
    def returncode(self):
        """The exit code of the submission's process (negative: killed by that signal)."""
        return self.code

    # -- channel -------------------------------------------------------------
    def _remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._fail("timeout")
        return left

    def _fail(self, reason):
        if self.gone is None:
            self.gone = reason
            if reason == "exited" and self.proc is not None:
                try:  # it closed the channel: give it a moment to end with its own exit code
                    self.code = self.proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
            self.kill()
        return SubmissionError(f"the submission's process is gone ({self.gone})")

    def _send(self, message):
        if self.gone:
            raise SubmissionError(f"the submission's process is gone ({self.gone})")
        try:
            self.sock.settimeout(self._remaining())
            _channel.send(self.sock, message)
        except (OSError, _channel.ProtocolError) as exc:
            raise self._fail("timeout" if isinstance(exc, socket.timeout) else "exited") from None

    def _receive(self):
        try:
            self.sock.settimeout(self._remaining())
            return _channel.receive(self.sock, limit=_channel.MAX_REPLY, deadline=self.deadline)
        except socket.timeout:
            raise self._fail("timeout") from None
        except (EOFError, OSError):
            raise self._fail("exited") from None
        except _channel.ProtocolError as exc:
            raise self._fail(f"protocol: {exc}") from None

    def encode(self, value):
        return _channel.encode(value, self._ref_of)

    def _ref_of(self, obj):
        if isinstance(obj, Remote) and obj._sub is self:
            return obj._ref()
        raise TypeError(f"a {type(obj).__name__} cannot be sent to the submission")

    def _from_reply(self, value):
        tag = value.get("$")
        if tag == "handle":
            return Remote.make(self, value)
        if tag == "module":
            name = str(value.get("name"))
            if TRUSTED_MODULES.fullmatch(name):
                return importlib.import_module(name)  # the grader's own copy
            return Remote.make(self, {"id": -1, "type": "module", "module": ""})
        raise _channel.ProtocolError(f"unexpected {tag!r} in a reply")

    def request(self, message):
        """Send a request; return the raw reply (a dict) after checking its form."""
        self._send(message)
        reply = self._receive()
        if not any(k in reply for k in ("value", "error", "raise")):
            raise self._fail("protocol: a reply without value")
        return reply

    def ask(self, message):
        """A request whose reply is a value: decoded and checked, or its exception raised here."""
        reply = self.request(message)
        if "raise" in reply:
            info = reply["raise"] if isinstance(reply["raise"], dict) else {}
            kind = MIRRORED_EXCEPTIONS.get(str(info.get("type")), RemoteError)
            raise kind(
                f"{_safe_name(info.get('type'), 'Exception')} in the submission: "
                f"{str(info.get('message'))[:300]}"
            )
        try:
            return _channel.decode(reply.get("value"), self._from_reply)
        except _channel.ProtocolError as exc:
            raise self._fail(f"protocol: {exc}") from None

    # -- the process ---------------------------------------------------------
    def kill(self):
        """Kill the submission's process, its process group and everything it started."""
        for pid in [self.pid, *(self.cgroup.pids() if self.cgroup else [])]:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if self.cgroup:
            self.cgroup.kill_all()
        if self.proc is not None and self.code is None:
            try:
                self.code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.sock.close()


class Cgroup:
    """A pids cgroup (v1 or v2) that limits and later kills every process a submission starts.

    Where the kernel has a writable v1 memory hierarchy, a memory cgroup beside
    it bounds the memory of all the submission's processes together (and of the
    tmpfs folders they write), which ``RLIMIT_AS`` bounds only per process.
    """

    MEMORY = "/sys/fs/cgroup/memory"

    def __init__(self, path, max_pids, memory=None):
        self.path = Path(path)
        self.path.mkdir()
        (self.path / "pids.max").write_text(str(max_pids))
        self.memory = None
        if memory and (self.path / "memory.max").is_file():  # v2: the same group
            try:
                (self.path / "memory.max").write_text(str(int(memory)))
                (self.path / "memory.swap.max").write_text("0")
            except OSError:
                pass
        elif memory and os.access(self.MEMORY, os.W_OK):  # v1: a group of its own
            try:
                group = Path(self.MEMORY, self.path.name)
                group.mkdir()
                self.memory = group
                (group / "memory.limit_in_bytes").write_text(str(int(memory)))
                (group / "memory.memsw.limit_in_bytes").write_text(str(int(memory)))
            except OSError:
                pass

    @classmethod
    def create(cls, name, max_pids, memory=None):
        """A new cgroup under the first writable pids hierarchy, or None."""
        for base in ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]:
            if Path(base, "cgroup.procs").is_file() and os.access(base, os.W_OK):
                try:
                    return cls(Path(base, name), max_pids, memory)
                except OSError:
                    continue
        return None

    @classmethod
    def remove(cls, name):
        """Kill whatever is left in the cgroup ``name`` and remove it (if it exists)."""
        for base in ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]:
            if Path(base, name, "cgroup.procs").is_file():
                group = cls.__new__(cls)
                group.path = Path(base, name)
                memory = Path(cls.MEMORY, name)
                group.memory = memory if (memory / "cgroup.procs").is_file() else None
                group.kill_all()

    @property
    def procs_files(self):
        """The files a process writes its pid to, to join the cgroups (with its children)."""
        return [str(self.path / "cgroup.procs")] + (
            [str(self.memory / "cgroup.procs")] if self.memory else []
        )

    def out_of_memory(self):
        """Whether the kernel killed a process of the submission at the memory cgroup's limit."""
        try:
            events = (
                (
                    self.memory / "memory.oom_control"
                    if self.memory is not None
                    else self.path / "memory.events"
                )
                .read_text()
                .split()
            )
            return int(dict(zip(events[::2], events[1::2])).get("oom_kill", 0)) > 0
        except (OSError, ValueError):
            return False

    def pids(self):
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self):
        for _ in range(200):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        for path in [self.path, self.memory]:
            for _ in range(100):  # a memory cgroup goes once its pages are uncharged
                try:
                    if path is not None:
                        path.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)


# --- reading the notebook on the trusted side (no submission code runs) -------


def _names_in(test_file):
    """Every name the code of a test file's cases mentions."""
    import doctest

    names = set()
    for case in test_file.test_cases:
        for example in doctest.DocTestParser().get_examples(case.body):
            try:
                tree = ast.parse(example.source)
            except SyntaxError:
                continue
            names.update(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    return names


def _describe_error(cell_number, info, limits):
    """A row's status for an error that a cell raised in the submission's process.

    >>> _describe_error(3, {"type": "NameError", "message": "name 'x' is not defined"}, {})
    "error: cell 3 raised NameError: name 'x' is not defined"
    >>> _describe_error(4, {"type": "MemoryError", "limit": "memory"}, {"memory": 2**31})
    'error: memory limit (2 GiB)'
    """
    info = info if isinstance(info, dict) else {}
    limit = info.get("limit")
    if limit == "memory":
        return f"error: memory limit ({_size(limits['memory'])})"
    if limit == "file_size":
        return f"error: file size limit ({_size(limits['file_size'])})"
    if limit == "processes":
        return f"error: process limit ({limits['processes']})"
    kind = _safe_name(info.get("type"), "Exception")
    return f"error: cell {cell_number} raised {kind}: {info.get('message', '')}".splitlines()[0][
        :200
    ]


def _size(n):
    for unit, factor in [("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)]:
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} B"


def test_files(tests):
    """otter's test objects, built in memory from the specs of :func:`course.grade.read_tests`.

    Each call gives fresh objects (a test object holds its results).
    """
    # the specs were read by course._otter.read_test_spec (the one reader of the
    # format); not through course._otter here, which imports otter's assign side
    # (pandas, nbconvert) into every grading process (see course/_preload.py)
    from otter.test_files import OKTestFile

    return {q: OKTestFile.from_spec(spec, path=f"tests/{q}.py") for q, spec in tests.items()}


def grade(
    content,
    tests,
    name,
    *,
    folder,
    setup,
    limits,
    timeout,
    data=None,
    cgroup_name=None,
    sandbox=True,
):
    """Grade the notebook ``content`` (bytes) against ``tests``; return a result dict.

    ``tests`` maps each question to its OK-format test spec (plain data, read
    once from the autograder archive by the batch; never a file). ``folder`` is
    a private folder of this process (mode 0711): the submission's own folder
    and the sandbox's read-only files are made in it. With ``sandbox`` false
    (``--unsafe-no-sandbox``) the runner runs without bubblewrap.
    Returns ``{"status", "scores": {question: {"score", "possible", "summary"}},
    "confinement"}``.
    """
    import nbformat
    from otter.test_files import GradingResults

    from . import sandbox as _sandbox

    start = time.monotonic()
    questions = test_files(tests)
    possible = {q: t.possible for q, t in questions.items()}
    empty = {q: {"score": 0, "possible": possible[q], "summary": ""} for q in tests}

    try:
        nb = nbformat.reads(content.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # any unreadable file is one row with a status
        # only the kind of error: the message of nbformat's may quote the file
        return {"status": f"error: not a Jupyter notebook ({type(exc).__name__})", "scores": empty}
    cells = [
        (i, c)
        for i, c in enumerate(nb.cells, start=1)
        if c.cell_type == "code" and "otter_ignore" not in c.metadata.get("tags", [])
    ]

    # which questions a use of lecture_code could have helped: those checked after it
    allowed = allowed_lecture_code(setup["imports"])
    given = set(setup["given"])
    banned, unchecked = {}, list(tests)
    for i, cell in cells:
        match = _CHECK.match(cell.source)
        if match:
            if match.group(1) in unchecked:
                unchecked.remove(match.group(1))
        elif _normalise(cell.source) not in given and uses_lecture_code(cell.source, allowed):
            for q in unchecked:
                banned.setdefault(q, i)

    trusted_env = {}
    for line in setup["imports"]:
        try:
            exec(line, trusted_env)  # the master's own import lines
        except Exception:
            pass
    trusted_env.pop("__builtins__", None)
    if data:
        _serve_samples(data)
    reserved = set(dir(builtins))

    box = Path(folder, "submission")
    box.mkdir(mode=0o700)
    config = {**limits, "allowed": allowed, "landlock": limits.get("landlock", True)}
    disk = 2 * limits["file_size"]  # each of the submission's folder, /tmp and /dev/shm
    if sandbox:
        python = _sandbox.python_paths()
        if os.geteuid() == 0:  # nobody cannot reach e.g. /root/.pyenv: bind it where it can
            _sandbox.private_mounts()
            sources = _sandbox.stage(folder, python)
            _sandbox.writable_folder(box, disk + len(content))
        else:
            sources = {p: p for p in python}
        Path(box, f"{name}.ipynb").write_bytes(content)
        if os.geteuid() == 0:
            os.chown(Path(box, f"{name}.ipynb"), _sandbox.SANDBOX_UID, _sandbox.SANDBOX_UID)
        runner = _sandbox.runner_folder(folder)
        config.update(read_only=_sandbox.read_only_paths(python), read_write=_sandbox.READ_WRITE)
        sandbox = {"runner": runner, "sources": sources, "tmp_size": disk}
    else:
        Path(box, f"{name}.ipynb").write_bytes(content)
        config.update(read_only=_read_only_paths(), own_network=True)
        sandbox = None
    deadline = start + timeout
    # all processes together: one process's --memory and the three tmpfs folders
    cgroup = (
        Cgroup.create(cgroup_name, limits["processes"], limits["memory"] + 3 * disk)
        if cgroup_name
        else None
    )
    status = None
    checked = {}
    sub = None
    try:
        sub = Submission(box, config, deadline, data, cgroup, sandbox)

        def check(question):
            names = sorted(_names_in(questions[question]) - reserved)
            try:
                values = sub.ask({"op": "names", "names": names})
            except Exception:
                values = {}
            values = values if type(values) is dict else {}
            env = {n: v for n, v in values.items() if n in names and n not in trusted_env}
            env.update({n: v for n, v in trusted_env.items() if n in values})
            test = test_files({question: tests[question]})[question]
            test.run(env)
            checked[question] = test

        for i, cell in cells:
            match = _CHECK.match(cell.source)
            if match:
                if match.group(1) in tests and match.group(1) not in checked:
                    check(match.group(1))
                continue
            if sub.gone:
                break
            try:
                reply = sub.request({"op": "run", "source": cell.source})
            except SubmissionError:
                break
            if "error" in reply and status is None:
                status = _describe_error(i, reply["error"], limits)
        for question in tests:
            if question not in checked:
                check(question)
    except SubmissionError:
        pass
    finally:
        confinement = sub.confinement if sub else []
        out_of_memory = cgroup is not None and cgroup.out_of_memory()
        if sub:
            sub.kill()
        elif cgroup:
            cgroup.kill_all()
    gone = sub.gone if sub else "did not start"
    if gone == "timeout":
        status = f"timeout ({timeout:g} s)"
    elif gone and gone.startswith("protocol"):
        status = f"error: submission broke the channel {gone}"[:250]
    elif gone:
        code = sub.returncode if sub else None
        if out_of_memory:
            status = f"error: memory limit ({_size(limits['memory'])})"
        elif code is not None and code < 0:
            sig = signal.Signals(-code).name
            status = (
                f"error: CPU time limit ({limits['cpu']} s)"
                if sig == "SIGXCPU"
                else f"error: submission process killed by {sig}"
            )
        else:
            status = f"error: submission process {gone}" + (
                f" (exit code {code})" if code is not None else ""
            )

    if out_of_memory and status is None:  # a process of it was killed, not the runner
        status = f"error: memory limit ({_size(limits['memory'])})"
    results = GradingResults(list(checked.values()))
    scores = {
        q: {"score": t.score, "possible": t.possible, "summary": t.summary()}
        for q, t in results.results.items()
    }
    for q in tests:
        scores.setdefault(q, empty[q])
    notes = [status or "ok"]
    if banned:
        for q in banned:
            scores[q]["score"] = 0
        cells_used = sorted(set(banned.values()))
        notes.append(
            f"{', '.join(banned)}: 0 (lecture_code used in cell {', '.join(map(str, cells_used))})"
        )
    if sandbox:
        confinement = ["bubblewrap", *[c for c in confinement if type(c) is str][:8]]
    else:
        confinement = [c for c in confinement if type(c) is str][:8]
    return {"status": "; ".join(notes), "scores": scores, "confinement": confinement}


def _serve_samples(data):
    """Make this process's ``mnist_sample`` return the batch's samples (the hidden tests' data)."""
    import lecture_code
    import lecture_code.data

    original = lecture_code.data.mnist_sample

    def mnist_sample(n=5000, *, random_state=0, data_dir=None):
        key = f"{int(n)}-{int(random_state)}"
        if key in data and data_dir is None:
            return data[key][0].copy(), data[key][1].copy()
        return original(n, random_state=random_state, data_dir=data_dir)

    mnist_sample.__doc__ = original.__doc__
    lecture_code.mnist_sample = lecture_code.data.mnist_sample = mnist_sample


def _read_only_paths():
    """What the runner may read without the sandbox: the Python installation, its own code."""
    paths = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.dirname(_RUNNER),
        "/usr",
        "/lib",
        "/lib64",
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/dev/urandom",
    }
    paths.update(p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p)
    return sorted(paths)


def run(content, tests, name, out, folder, options):
    """Entry point of a grading process: grade, write the JSON result to ``out``.

    The process limits its own memory first (``options["grader_memory"]``, soft
    ``RLIMIT_AS``): whatever a submission answers, the trusted side stays bounded.
    """
    import resource

    os.setsid()  # a session of its own: the batch kills the whole group if it hangs
    options = dict(options)
    memory = options.pop("grader_memory", None)
    if memory:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
    try:
        result = grade(content, tests, name, folder=folder, **options)
    except MemoryError:
        result = {"status": "error: the grading process ran out of memory", "scores": {}}
    except BaseException as exc:  # the worker must always leave a result
        result = {
            "status": f"error: grading failed ({type(exc).__name__}: {exc})"[:250],
            "scores": {},
        }
    Path(out).write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    os._exit(0)
