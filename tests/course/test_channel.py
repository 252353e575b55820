"""Tests of the grader's channel (:mod:`course._channel`): plain data only, bounded in size
and time."""

import json
import socket
import threading
import time

import numpy as np
import pytest

from course import _channel


def _no_handles(value):
    raise AssertionError(f"unexpected handle {value}")


def test_channel_round_trips_plain_data():
    from types import SimpleNamespace

    value = [
        None,
        True,
        3,
        2.5,
        "x",
        (1, 2),
        {"a": np.arange(6).reshape(2, 3)},
        np.float64(0.25),
        np.array([True, False]),
        SimpleNamespace(w=np.zeros(2)),
    ]
    back = _channel.decode(json.loads(json.dumps(_channel.encode(value, _no_handles))), _no_handles)
    assert back[:5] == value[:5] and back[5] == (1, 2)
    assert type(back[6]["a"]) is np.ndarray and np.array_equal(back[6]["a"], value[6]["a"])
    assert type(back[7]) is np.float64 and back[7] == 0.25
    assert back[8].dtype == bool and np.array_equal(back[9].w, np.zeros(2))


def test_channel_sends_ndarray_subclasses_as_plain_arrays():
    class Always(np.ndarray):
        def __eq__(self, other):
            return True

    crafted = np.zeros(3).view(Always)
    back = _channel.decode(_channel.encode(crafted, _no_handles), _no_handles)
    assert type(back) is np.ndarray and not (back == 1).any()


@pytest.mark.parametrize(
    "value, message",
    [
        ({"$": "nd", "v": "bm90IGFuIGFycmF5"}, "not a plain NumPy array"),
        ({"$": "pickle", "v": "gASVAAAA"}, "unknown value tag"),
        ({"x": 1}, "not a channel value"),
        ({"$": "np", "v": None}, "unknown value tag"),
    ],
)
def test_channel_rejects_what_is_not_plain_data(value, message):
    with pytest.raises(_channel.ProtocolError, match=message):
        _channel.decode(value, _no_handles)


def test_channel_rejects_object_arrays_and_pickles():
    import base64
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([object()]), allow_pickle=True)
    value = {"$": "nd", "v": base64.b64encode(buf.getvalue()).decode()}
    with pytest.raises(_channel.ProtocolError, match="not a plain NumPy array"):
        _channel.decode(value, _no_handles)


def test_channel_rejects_structured_arrays():
    value = _channel.encode(np.zeros(2), _no_handles)
    import base64
    import io

    buf = io.BytesIO()
    np.save(buf, np.zeros(2, dtype=[("a", "f8")]), allow_pickle=False)
    value["v"] = base64.b64encode(buf.getvalue()).decode()
    with pytest.raises(_channel.ProtocolError, match="not plain data"):
        _channel.decode(value, _no_handles)


def test_channel_rejects_too_deep_and_too_large_messages():
    deep = 0
    for _ in range(_channel.MAX_DEPTH + 2):
        deep = {"$": "list", "v": [deep]}
    with pytest.raises(_channel.ProtocolError, match="nested too deeply"):
        _channel.decode(deep, _no_handles)
    a, b = socket.socketpair()
    with a, b:
        a.sendall((_channel.MAX_MESSAGE + 1).to_bytes(4, "big"))
        with pytest.raises(_channel.ProtocolError, match="over the"):
            _channel.receive(b)


def test_a_reply_over_its_limit_is_refused_before_it_is_read():
    # the header claims 100 MB: refused at once, with none of the body sent or read
    a, b = socket.socketpair()
    with a, b:
        a.sendall((100 * 2**20).to_bytes(4, "big") + b"[")
        with pytest.raises(
            _channel.ProtocolError, match=f"104857600 bytes is over the {_channel.MAX_REPLY} limit"
        ):
            _channel.receive(b, limit=_channel.MAX_REPLY)


def test_a_message_over_the_limit_is_not_sent():
    a, b = socket.socketpair()
    with a, b, pytest.raises(_channel.ProtocolError, match="over the 10 limit"):
        _channel.send(a, {"v": "x" * 20}, limit=10)


def test_a_dripped_reply_ends_at_the_deadline():
    # one byte every 0.2 s of a 1000-byte message: without a deadline, 200 s
    a, b = socket.socketpair()
    stop = threading.Event()

    def drip():
        a.sendall((1000).to_bytes(4, "big"))
        while not stop.is_set():
            a.sendall(b" ")
            time.sleep(0.2)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    start = time.monotonic()
    with a, b, pytest.raises(socket.timeout):
        b.settimeout(1)
        _channel.receive(b, deadline=start + 1.0)
    stop.set()
    assert time.monotonic() - start < 3
