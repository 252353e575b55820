"""Tests of :mod:`course._landlock`: the runner's second layer inside the sandbox."""

import socket
import subprocess
import sys
import textwrap

from _course import ROOT  # noqa: E402  (tests/ is on sys.path)


def test_landlock_confines_a_process(tmp_path):
    """A confined process cannot read or write outside its folder, nor connect to 127.0.0.1."""
    from course import _landlock

    assert _landlock.abi_version() >= 4, "this kernel must have Landlock with TCP rules"
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden tests")
    box = tmp_path / "box"
    box.mkdir()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    script = textwrap.dedent(f"""
        import os, socket, sys
        sys.path.insert(0, {str(ROOT / "course")!r})
        import _landlock
        print(_landlock.restrict([sys.prefix, sys.base_prefix], [{str(box)!r}]))
        open({str(box / "mine.txt")!r}, "w").write("ok")
        for attempt in [lambda: open({str(secret)!r}).read(),
                        lambda: open({str(tmp_path / "out.txt")!r}, "w"),
                        lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5)]:
            try:
                attempt()
                print("allowed")
            except PermissionError:
                print("PermissionError")
    """)
    with server:
        proc = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
    assert (
        proc.stdout.splitlines()
        == ["['filesystem', 'network', 'signals']"] + ["PermissionError"] * 3
    ), proc.stderr
    assert (box / "mine.txt").read_text() == "ok" and not (tmp_path / "out.txt").exists()
