"""The untrusted side of grading: run one submission's code and answer the grader's requests.

Started by the grader as a fresh interpreter (``python -I _runner.py FD``)
inside the submission's sandbox (:mod:`course.sandbox`: bubblewrap), never
forked from a process that holds tests, in a folder that holds only a copy of
the submission. Its one channel to the grader is the socket FD; it closes
every other descriptor it inherited. Before it runs any submission code it

1. receives its configuration and the data the homework needs (e.g. MNIST
   samples) as the first message, limits itself again (``RLIMIT_AS`` memory,
   ``RLIMIT_FSIZE`` file size, ``RLIMIT_CPU``; the grader set them before
   starting it and put it in a pids cgroup), sends its output to /dev/null;
2. replaces ``lecture_code`` by a stand-in with only the names that the
   homework's set-up cells import (``mnist_sample`` serves the sample the
   grader sent; there is no other data), and ``otter`` by one whose
   ``Notebook`` does nothing (the grader runs the checks);
3. confines itself with Landlock as a second layer (read the Python
   environment, read and write only its folder and ``/tmp``, no TCP, no
   signals outside itself).

Then it serves requests on the socket (see :mod:`_channel`): run a cell,
give names of the namespace, get an attribute or item, call, length. Replies
are plain data or handles of at most ``_channel.MAX_REPLY`` bytes; a reply is
only ever a claim that the grader checks. This file imports only the standard
library, NumPy and IPython.
"""

import errno
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
    for name, key in [
        ("RLIMIT_AS", "memory"),
        ("RLIMIT_FSIZE", "file_size"),
        ("RLIMIT_CPU", "cpu"),
    ]:
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
                setattr(modules[".".join(parts[: i - 1])], parts[i - 1], modules[sub])
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
                raise FileNotFoundError(
                    f"while grading only mnist_sample's "
                    f"{', '.join(data) or 'no'} samples are available"
                )
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
        return {
            "$": "handle",
            "id": key,
            "type": str(getattr(t, "__qualname__", "object")),
            "module": str(getattr(t, "__module__", "")),
            "callable": callable(obj),
        }

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
                _channel.send(self.sock, reply, limit=_channel.MAX_REPLY)
            except _channel.ProtocolError as exc:  # e.g. a reply over the size limit
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

    Only for a grader run without the sandbox (``--unsafe-no-sandbox``), where
    it needs CAP_SYS_ADMIN (the grader running as root); bubblewrap gives the
    sandbox a network namespace of its own.
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


def _close_other_fds(keep):
    """Close every inherited file descriptor but 0, 1, 2 and ``keep``."""
    top = os.sysconf("SC_OPEN_MAX")
    os.closerange(3, keep)
    os.closerange(keep + 1, top if top > 0 else 65536)


def main(fd):
    _close_other_fds(fd)
    sock = socket.socket(fileno=fd)
    hello = _channel.receive(sock)  # the configuration and the data the homework needs
    config = hello.get("config", {})
    _limit(config)
    import numpy as np

    data = {}
    for key, (X, y) in hello.get("mnist", {}).items():
        data[key] = (_channel.decode(X, None), _channel.decode(y, None))
    del hello
    for module in config.get("preload", []):
        try:
            __import__(module)
        except Exception:
            pass
    shell = _shell()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a submission that prints gigabytes fills nothing
    os.dup2(devnull, 2)
    os.close(devnull)
    _stand_in([tuple(pair) for pair in config.get("allowed", [])], data)
    _stand_in_otter()
    confinement = []
    if config.get("own_network") and _own_network():
        confinement.append("network namespace")
    if config.get("landlock", True):
        confinement += _landlock.restrict(
            config["read_only"], [os.getcwd(), *config.get("read_write", []), os.devnull]
        )
    _channel.send(sock, {"confinement": confinement, "pid": os.getpid()}, limit=_channel.MAX_REPLY)
    del np
    Server(sock, shell).serve()


if __name__ == "__main__":
    main(int(sys.argv[1]))
