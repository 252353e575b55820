"""The untrusted side of grading: run one submission's code and answer the grader's requests.

Started by the grader as a fresh interpreter (``python -I _runner.py FD CONFIG``),
never forked from it, in a folder that holds only a copy of the submission;
the tests and the autograder archive are nowhere it can read. Before it runs
any submission code it

1. limits itself (``RLIMIT_AS`` memory, ``RLIMIT_FSIZE`` file size,
   ``RLIMIT_CPU``; the grader has put it in a pids cgroup), sends its output
   to /dev/null;
2. replaces ``lecture_code`` by a stand-in with only the names that the
   homework's set-up cells import (``mnist_sample`` serves the sample the
   grader sent; there is no other data), and ``otter`` by one whose
   ``Notebook`` does nothing (the grader runs the checks);
3. moves into an empty network namespace where it can (as root), and
   confines itself with Landlock (read the Python environment, read and write
   only its folder, no TCP, no signals outside itself).

Then it serves requests on the socket FD (see :mod:`_channel`): run a cell,
give names of the namespace, get an attribute or item, call, length. Replies
are plain data or handles; a reply is only ever a claim that the grader checks.
This file imports only the standard library, NumPy and IPython.
"""

import errno
import json
import os
import resource
import signal
import socket
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _channel  # noqa: E402
import _landlock  # noqa: E402


def _limit(config):
    """Apply the resource limits of ``config`` to this process (and its children)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too-large writes raise OSError instead
    # not RLIMIT_NPROC: it counts the user's processes everywhere, and never root's;
    # the grader puts this process in a pids cgroup instead
    for name, key in [("RLIMIT_AS", "memory"), ("RLIMIT_FSIZE", "file_size"),
                      ("RLIMIT_CPU", "cpu")]:
        if config.get(key):
            resource.setrlimit(getattr(resource, name), (config[key], config[key]))


def _stand_in(allowed, data):
    """A ``lecture_code`` module holding only the allowed names (see the module doc)."""
    package = types.ModuleType("lecture_code")
    package.__path__ = []
    modules = {"lecture_code": package}
    for module, name in allowed:
        parts = module.split(".")
        for i in range(2, len(parts) + 1):
            sub = ".".join(parts[:i])
            if sub not in modules:
                modules[sub] = types.ModuleType(sub)
                setattr(modules[".".join(parts[:i - 1])], parts[i - 1], modules[sub])
        setattr(modules[module], name, _provided(name, data))
    sys.modules.update(modules)


class _Notebook:
    """Stands in for ``otter.Notebook``: the grader runs the checks, on its side."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


def _stand_in_otter():
    """An ``otter`` module with only ``Notebook`` (the real one takes seconds to import)."""
    otter = types.ModuleType("otter")
    otter.Notebook = _Notebook
    sys.modules["otter"] = otter


def _provided(name, data):
    if name == "mnist_sample":
        def mnist_sample(n=5000, *, random_state=0, data_dir=None):
            key = f"{int(n)}-{int(random_state)}"
            if key not in data:
                raise FileNotFoundError(f"while grading only mnist_sample's "
                                        f"{', '.join(data) or 'no'} samples are available")
            X, y = data[key]
            return X.copy(), y.copy()
        return mnist_sample

    def unavailable(*args, **kwargs):
        return None  # e.g. prepare_colab: nothing to prepare while grading
    unavailable.__name__ = name
    return unavailable


class Server:
    """Answers the grader's requests about one IPython namespace."""

    def __init__(self, sock, shell):
        self.sock, self.shell, self.objects = sock, shell, {}

    def handle_of(self, obj):
        key = len(self.objects) + 1
        self.objects[key] = obj
        t = type(obj)
        return {"$": "handle", "id": key, "type": str(getattr(t, "__qualname__", "object")),
                "module": str(getattr(t, "__module__", "")), "callable": callable(obj)}

    def from_handle(self, value):
        if value.get("$") != "ref" or value.get("id") not in self.objects:
            raise _channel.ProtocolError("unknown handle")
        return self.objects[value["id"]]

    def encode(self, value):
        return _channel.encode(value, self.handle_of)

    def decode(self, value):
        return _channel.decode(value, self.from_handle)

    def op_run(self, req):
        result = self.shell.run_cell(req["source"], store_history=False)
        exc = result.error_before_exec or result.error_in_exec
        return {"value": None} if exc is None else {"error": _describe(exc)}

    def op_names(self, req):
        ns = self.shell.user_ns
        return {"value": self.encode({n: ns[n] for n in req["names"] if n in ns})}

    def op_getattr(self, req):
        return {"value": self.encode(getattr(self.from_handle(req["handle"]), req["name"]))}

    def op_getitem(self, req):
        obj = self.from_handle(req["handle"])
        return {"value": self.encode(obj[self.decode(req["key"])])}

    def op_len(self, req):
        return {"value": len(self.from_handle(req["handle"]))}

    def op_iter(self, req):
        return {"value": self.encode(list(self.from_handle(req["handle"])))}

    def op_call(self, req):
        import numpy as np

        fn = self.from_handle(req["handle"])
        args = [self.decode(a) for a in req["args"]]
        kwargs = {str(k): self.decode(v) for k, v in req["kwargs"].items()}
        with np.errstate(**req.get("errstate", {})):
            return {"value": self.encode(fn(*args, **kwargs))}

    def serve(self):
        while True:
            try:
                req = _channel.receive(self.sock)
            except (EOFError, OSError):
                os._exit(0)
            try:
                reply = getattr(self, "op_" + str(req.get("op")))(req)
            except BaseException as exc:  # the grader decides what an error means
                reply = {"raise": _describe(exc)}
            try:
                _channel.send(self.sock, reply)
            except _channel.ProtocolError as exc:
                _channel.send(self.sock, {"raise": _describe(exc)})


def _describe(exc):
    """Type, message and the limit an exception points to (memory, file size, processes)."""
    limit = None
    if isinstance(exc, MemoryError):
        limit = "memory"
    elif isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        limit = "file_size"
    elif isinstance(exc, OSError) and exc.errno == errno.EAGAIN and "fork" in repr(exc).lower():
        limit = "processes"
    elif isinstance(exc, BlockingIOError):
        limit = "processes"
    return {"type": type(exc).__name__, "message": str(exc)[:300], "limit": limit}


def _own_network():
    """Move into a new, empty network namespace (no interface is up: no UDP, no TCP).

    Only possible with CAP_SYS_ADMIN (the grader running as root); Landlock's TCP
    rules hold either way.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.unshare(0x40000000) == 0  # CLONE_NEWNET


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


def main(fd, config, in_zygote=False):
    sock = socket.socket(fileno=fd)
    if in_zygote:  # forked from the zygote: its own session, folder and environment
        os.setsid()
        os.chdir(config["folder"])
        for var in ["HOME", "TMPDIR", "MPLCONFIGDIR"]:
            os.environ[var] = config["folder"]
    _limit(config)
    import numpy as np

    data = {}
    hello = _channel.receive(sock)  # the data the homework needs, e.g. MNIST samples
    for key, (X, y) in hello.get("mnist", {}).items():
        data[key] = (_channel.decode(X, None), _channel.decode(y, None))
    for module in config.get("preload", []):
        __import__(module)
    shell = _shell()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a submission that prints gigabytes fills nothing
    os.dup2(devnull, 2)
    _stand_in([tuple(pair) for pair in config.get("allowed", [])], data)
    _stand_in_otter()
    confinement = ["network namespace"] if in_zygote and config.get("netns") or _own_network() else []
    if config.get("landlock", True):
        confinement += _landlock.restrict(config["read_only"], [os.getcwd(), os.devnull])
    _channel.send(sock, {"confinement": confinement, "pid": os.getpid()})
    del np
    Server(sock, shell).serve()


def zygote(path, config):
    """Fork a runner for each grading process that connects to the Unix socket ``path``.

    Started fresh by the batch (never forked from a process that holds tests),
    it imports the libraries once, so each runner starts warm. A request is a
    folder name (its limits and confinement are the zygote's own ``config``,
    not the request's) and the channel's file descriptor (``SCM_RIGHTS``). For
    each, an intermediate process forks the runner, tells the grading process
    its pid and, when it ends, its wait status.
    """
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    netns = _own_network()
    import numpy  # noqa: F401

    for module in config.get("preload", []):
        try:
            __import__(module)
        except Exception:
            pass
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    base = os.path.realpath(os.path.dirname(path))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the intermediate processes reap themselves
    while True:
        conn, _ = listener.accept()
        try:
            message, fds, _, _ = socket.recv_fds(conn, 4096, 1)
            folder = os.path.realpath(os.path.join(base, json.loads(message)["folder"]))
            if len(fds) != 1 or os.path.dirname(os.path.dirname(folder)) != base:
                raise ValueError("bad request")
        except Exception:
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            pid = os.fork()
            if pid == 0:
                conn.close()
                main(fds[0], {**config, "folder": folder, "netns": netns}, in_zygote=True)
                os._exit(0)
            os.close(fds[0])
            _channel.send(conn, {"pid": pid})
            _, status = os.waitpid(pid, 0)
            try:
                _channel.send(conn, {"status": status})
            except OSError:
                pass
            os._exit(0)
        conn.close()
        os.close(fds[0])


if __name__ == "__main__":
    if sys.argv[1] == "--zygote":
        zygote(sys.argv[2], json.loads(sys.argv[3]))
    else:
        main(int(sys.argv[1]), json.loads(sys.argv[2]))
