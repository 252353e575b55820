"""The request/reply channel between the grader and a submission's process: plain data only.

A message is a 4-byte big-endian length and that many bytes of UTF-8 JSON.
Values inside messages are JSON scalars (None, bool, int, float, str) or
tagged objects ``{"$": tag, ...}``:

- ``list``, ``tuple``, ``dict`` (as a list of key/value pairs), ``ns`` (a
  ``types.SimpleNamespace`` of plain data);
- ``nd``: a NumPy array of a numeric or boolean dtype, as the bytes of
  ``np.save(..., allow_pickle=False)`` in base64; ``np``: a NumPy scalar, the
  same way as a 0-d array;
- ``module``: a module, by name only;
- ``handle``: an opaque reference to any other object of the submission, with
  its type's name (for messages and ``type(x).__name__``) and whether it is
  callable. The grader can ask for an attribute or an item of a handle, call
  it, or take its length; it never receives the object.

Never pickle, never code. :func:`decode` checks everything it is given: the
grader uses it on every reply (``trusted=True``), so a reply that is not plain
data of bounded size raises :class:`ProtocolError`. This module imports only
the standard library and NumPy: the submission's process loads it from its file.
"""

import base64
import io
import json
import socket
import struct
import time
import types

import numpy as np

#: Largest request the submission's process accepts (the first carries MNIST samples).
MAX_MESSAGE = 128 * 2**20
#: Largest reply the grader accepts from a submission, checked before a byte of it is read
#: (hw4's ``X_test``, 1000 x 784 float64, is about 8.4 MB in base64).
MAX_REPLY = 24 * 2**20
#: Deepest nesting of lists, dicts and tuples in a value.
MAX_DEPTH = 32
#: dtype kinds that cross the channel as data: bool, signed, unsigned, float, complex.
DATA_KINDS = "biufc"


class ProtocolError(Exception):
    """A message that is not plain data of bounded size, or a broken channel."""


def send(sock, message, limit=MAX_MESSAGE):
    """Send one message (a JSON-able dict) of at most ``limit`` bytes on a connected socket."""
    data = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(data) > limit:
        raise ProtocolError(f"message of {len(data)} bytes is over the {limit} limit")
    sock.sendall(struct.pack(">I", len(data)) + data)


def _recv_exactly(sock, n, deadline=None):
    chunks, got = [], 0
    while got < n:
        if deadline is not None:  # a reply dripped a byte at a time still ends at the deadline
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("the deadline passed")
            sock.settimeout(left)
        chunk = sock.recv(min(n - got, 2**20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(sock, limit=MAX_MESSAGE, deadline=None):
    """Receive one message; raise ProtocolError if it is over ``limit`` bytes or not JSON.

    The size is checked from the 4-byte header, before the message is read.
    With a ``deadline`` (``time.monotonic()``), raise ``socket.timeout`` once it
    passes, however the bytes arrive.
    """
    (n,) = struct.unpack(">I", _recv_exactly(sock, 4, deadline))
    if n > limit:
        raise ProtocolError(f"message of {n} bytes is over the {limit} limit")
    try:
        message = json.loads(_recv_exactly(sock, n, deadline).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"not a JSON message ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def _array_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _load_array(text):
    try:
        a = np.load(
            io.BytesIO(base64.b64decode(text.encode("ascii"), validate=True)), allow_pickle=False
        )
    except Exception as exc:  # bad base64, bad header, object dtype, ...
        raise ProtocolError(f"not a plain NumPy array ({type(exc).__name__})") from None
    if type(a) is not np.ndarray or a.dtype.kind not in DATA_KINDS or a.dtype.names:
        raise ProtocolError(f"array of dtype {a.dtype} is not plain data")
    return a


def encode(value, handle_of, depth=0):
    """Encode ``value`` for the channel; objects that are not data go through ``handle_of``.

    ``handle_of(obj)`` returns the JSON for an object that cannot be sent as data
    (a handle), or raises TypeError on a side that sends no handles.
    """
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in DATA_KINDS and not value.dtype.names:
        return {"$": "nd", "v": _array_bytes(np.ascontiguousarray(np.asarray(value)))}
    if isinstance(value, np.generic) and value.dtype.kind in DATA_KINDS:
        return {"$": "np", "v": _array_bytes(np.asarray(value))}
    if kind in (list, tuple):
        return {"$": kind.__name__, "v": [encode(v, handle_of, depth + 1) for v in value]}
    if kind is dict:
        return {
            "$": "dict",
            "v": [
                [encode(k, handle_of, depth + 1), encode(v, handle_of, depth + 1)]
                for k, v in value.items()
            ],
        }
    if kind is types.SimpleNamespace:
        return {
            "$": "ns",
            "v": {k: encode(v, handle_of, depth + 1) for k, v in vars(value).items()},
        }
    if kind is types.ModuleType:
        return {"$": "module", "name": value.__name__}
    return handle_of(value)


def decode(value, from_handle, depth=0):
    """Decode a channel value; tagged handles and modules go through ``from_handle(dict)``.

    Every branch checks its input: anything but the forms above raises ProtocolError.
    """
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is not dict or not isinstance(value.get("$"), str):
        raise ProtocolError(f"not a channel value: {kind.__name__}")
    tag, v = value["$"], value.get("v")
    if tag in ("list", "tuple") and type(v) is list:
        items = [decode(x, from_handle, depth + 1) for x in v]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and type(v) is list:
        out = {}
        for pair in v:
            if type(pair) is not list or len(pair) != 2:
                raise ProtocolError("a dict is a list of key/value pairs")
            key = decode(pair[0], from_handle, depth + 1)
            if type(key) not in (str, int, float, bool, tuple) and key is not None:
                raise ProtocolError("dict keys must be plain scalars")
            out[key] = decode(pair[1], from_handle, depth + 1)
        return out
    if tag == "ns" and type(v) is dict:
        return types.SimpleNamespace(
            **{
                str(k): decode(x, from_handle, depth + 1)
                for k, x in v.items()
                if str(k).isidentifier()
            }
        )
    if tag in ("nd", "np") and type(v) is str:
        a = _load_array(v)
        if tag == "np":
            if a.ndim != 0:
                raise ProtocolError("a NumPy scalar is a 0-d array")
            return a[()]
        return a
    if tag in ("handle", "module", "ref"):
        return from_handle(value)
    raise ProtocolError(f"unknown value tag {tag!r}")
