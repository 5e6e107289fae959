"""Single instance: a lock and a socket in the runtime folder, claimed before the icon.

A live instance's socket is never removed; a dead one's is replaced.
"""

from __future__ import annotations

import os
import socket
import stat
import sys

import pytest

from tokenwallet.ui.runtime.single_instance import (
    LOCK_NAME,
    SOCKET_NAME,
    AlreadyRunning,
    InstanceServer,
    Listening,
    NotAnswering,
    claim_instance,
    socket_path,
)

pytestmark = [
    pytest.mark.usefixtures("qapp"),
    pytest.mark.skipif(sys.platform.startswith("win"), reason="the socket and the lock are the Unix path"),
]


@pytest.fixture
def run_dir(tmp_path):  # type: ignore[no-untyped-def]
    return tmp_path / "home" / "run"


def _claim(run_dir, **kwargs) -> Listening:  # type: ignore[no-untyped-def]
    claim = claim_instance(run_dir, **kwargs)
    assert isinstance(claim, Listening), claim
    return claim


def test_the_first_launch_listens_in_the_runtime_folder(run_dir) -> None:  # type: ignore[no-untyped-def]
    first = _claim(run_dir)
    try:
        mode = os.stat(run_dir / SOCKET_NAME).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) & 0o077 == 0  # the user's alone, not in /tmp
        assert stat.S_IMODE(os.stat(run_dir).st_mode) == 0o700
        assert (run_dir / LOCK_NAME).exists()
    finally:
        first.close()
    assert not (run_dir / SOCKET_NAME).exists()  # a clean exit leaves no socket behind


def test_a_second_launch_reaches_the_first_and_it_shows_its_dashboard(run_dir, qtbot) -> None:  # type: ignore[no-untyped-def]
    first = _claim(run_dir)
    # The second launch comes before the first has built its app: it waits in the backlog.
    assert isinstance(claim_instance(run_dir), AlreadyRunning)
    server = InstanceServer(first)
    try:
        with qtbot.waitSignal(server.show_requested, timeout=3000):
            pass  # the request that waited is read on the event loop's first turn
        with qtbot.waitSignal(server.show_requested, timeout=3000):
            assert isinstance(claim_instance(run_dir), AlreadyRunning)
    finally:
        server.close()


def test_a_stale_socket_of_a_dead_instance_is_replaced(run_dir) -> None:  # type: ignore[no-untyped-def]
    run_dir.mkdir(parents=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(run_dir / SOCKET_NAME))
    dead.close()  # the file stays, as after a crash; nobody holds the lock
    first = _claim(run_dir)
    try:
        assert isinstance(claim_instance(run_dir), AlreadyRunning)  # the new socket answers
    finally:
        first.close()


def test_a_live_instance_that_does_not_answer_keeps_its_socket(run_dir) -> None:  # type: ignore[no-untyped-def]
    import fcntl

    run_dir.mkdir(parents=True)
    holder = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)  # an instance that holds the home but has not listened yet
    (run_dir / SOCKET_NAME).write_text("not a socket")  # whatever is there is not ours to remove
    try:
        claim = claim_instance(run_dir, ask_for_ms=150)
        assert isinstance(claim, NotAnswering) and claim.where == str(run_dir / SOCKET_NAME)
        assert (run_dir / SOCKET_NAME).read_text() == "not a socket"
    finally:
        os.close(holder)
    first = _claim(run_dir)  # once the holder is gone, the next launch takes over
    first.close()


def test_the_lock_outlives_no_process_but_ours(run_dir) -> None:  # type: ignore[no-untyped-def]
    """A forked child (the log importer's workers) neither keeps the lock nor answers launches."""
    first = _claim(run_dir)
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os.write(ready_w, b"x")
        os.read(done_r, 1)  # stay alive until the parent has checked
        os._exit(0)
    try:
        os.read(ready_r, 1)
        first.close()  # the parent quits while its child still runs
        second = _claim(run_dir, ask_for_ms=500)
        second.close()
    finally:
        os.write(done_w, b"x")
        os.waitpid(child, 0)
        for fd in (ready_r, ready_w, done_r, done_w):
            os.close(fd)


def test_a_very_deep_home_still_gets_a_socket(tmp_path) -> None:  # type: ignore[no-untyped-def]
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6) / "run"
    path = socket_path(deep)
    assert len(os.fsencode(path)) <= 100
    if sys.platform.startswith("linux"):
        assert path.startswith("\0")  # the abstract namespace: no file to go stale
    first = _claim(deep)
    try:
        assert isinstance(claim_instance(deep), AlreadyRunning)
    finally:
        first.close()
