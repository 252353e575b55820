"""Landlock, the Linux security module, through its three system calls (ctypes only).

The untrusted grading process calls :func:`restrict` on itself before it runs
any submission code: from then on the kernel lets it (and every process it
starts) read only the given folders, write only its own folder, bind or
connect no TCP socket and send no signal outside itself. Nothing can lift the
restriction later in the process.

Why not the PyPI package ``landlock``: its ruleset has no field for network
rules or scopes (Landlock ABI 4 and 6), and both are needed here. The kernel
interface is small and stable, so it is written out below (``linux/landlock.h``).
This module imports only the standard library: the untrusted runner loads it
from its own file.
"""

import ctypes
import os

# linux/landlock.h; the system call numbers are the same on every architecture
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS = 38

_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_BY_ABI = {
    1: (1 << 13) - 1,
    2: (1 << 14) - 1,
    3: (1 << 15) - 1,
    4: (1 << 15) - 1,
    5: (1 << 16) - 1,
}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2

_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_RULESET_SIZE_BY_ABI = {1: 8, 2: 8, 3: 8, 4: 16, 5: 16}  # later ABIs: 24


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(number, *args):
    result = _libc.syscall(number, *args)
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock system call {number}: {os.strerror(err)}")
    return result


def abi_version():
    """The kernel's Landlock ABI version, or 0 where Landlock is missing or disabled."""
    try:
        return _syscall(
            _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
        )
    except OSError:
        return 0


def restrict(read_only, read_write):
    """Confine this process: read ``read_only`` and ``read_write``, write only ``read_write``.

    Also (where the kernel's ABI allows it) no TCP bind or connect at all
    (ABI 4), and no signals or abstract Unix sockets outside the process (ABI 6).
    Returns the list of guarantees that the kernel enforces, e.g.
    ``["filesystem", "network", "signals"]``; an empty list if Landlock is missing.
    """
    abi = abi_version()
    if abi < 1:
        return []
    fs_all = _FS_ALL_BY_ABI.get(abi, (1 << 16) - 1)
    attr = _RulesetAttr(handled_access_fs=fs_all)
    guarantees = ["filesystem"]
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        guarantees.append("network")
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        guarantees.append("signals")
    size = _RULESET_SIZE_BY_ABI.get(abi, ctypes.sizeof(_RulesetAttr))
    ruleset = _syscall(
        _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
    )
    try:
        rules = [(path, _READ) for path in read_only] + [(path, fs_all) for path in read_write]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                if not os.path.isdir(path):  # files take only file rights
                    access &= fs_all & (
                        _FS_EXECUTE | _FS_READ_FILE | _FS_WRITE_FILE | 1 << 14 | 1 << 15
                    )
                rule = _PathBeneathAttr(allowed_access=access, parent_fd=fd)
                _syscall(
                    _ADD_RULE,
                    ctypes.c_int(ruleset),
                    ctypes.c_int(_RULE_PATH_BENEATH),
                    ctypes.byref(rule),
                    ctypes.c_uint32(0),
                )
            finally:
                os.close(fd)
        # no TCP rule is added: every bind and connect is refused
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        _syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return guarantees
