"""Worker processes that never outlive the import that started them.

A killed import must not leave its workers behind (each holds tens of MB and would scan on for
minutes).  Three guards:

- On Linux each worker asks the kernel for SIGKILL when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), and then checks that the parent is still the process that
  started it (it may have died between the fork and the ``prctl``).  Elsewhere a small thread in
  each worker exits it once its parent is gone.
- Workers ignore SIGINT and take the default action on SIGTERM: the importing process decides
  what happens to them, not a signal meant for it.
- :func:`pool` terminates the workers at once when the import stops early: an error, Ctrl-C, or
  SIGTERM (turned into ``SystemExit(143)`` while the pool runs on the main thread, so the
  import's transaction rolls back and the process exits as a terminated one would).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal this process gets when its parent (thread) ends (Linux)."""
_PARENT_POLL_SECONDS = 1.0


def _parent_gone(parent: int) -> bool:
    return os.getppid() != parent


def _watch_parent(parent: int) -> None:
    """Exit this worker once ``parent`` is gone (where the kernel cannot be asked to do it)."""
    stop = threading.Event()
    while not stop.wait(_PARENT_POLL_SECONDS):
        if _parent_gone(parent):
            os._exit(1)


def init_worker(parent: int) -> None:
    """Initializer of every worker process: die with ``parent`` and leave its signals to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: fall back to watching
            threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    elif sys.platform != "win32":
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if sys.platform != "win32" and _parent_gone(parent):
        os._exit(1)  # the parent died before the guard was in place


def kill_workers(executor: ProcessPoolExecutor) -> None:
    """Stop ``executor``'s workers now, dropping queued tasks (``shutdown`` would wait for them).

    What ``ProcessPoolExecutor.kill_workers`` does from Python 3.14 on; before it the processes
    are only reachable through the executor's ``_processes``.
    """
    processes: dict[int, Any] = dict(getattr(executor, "_processes", None) or {})
    for process in processes.values():
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(5)


@contextlib.contextmanager
def pool(workers: int, mp_context: Any) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers die with this process and stop at once if the block fails."""
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=mp_context, initializer=init_worker, initargs=(os.getpid(),)
    )
    with _sigterm_exits(executor):
        try:
            yield executor
        except BaseException:
            kill_workers(executor)
            raise
    executor.shutdown(wait=True)


@contextlib.contextmanager
def _sigterm_exits(executor: ProcessPoolExecutor) -> Iterator[None]:
    """While the block runs on the main thread, SIGTERM stops the workers and raises ``SystemExit(143)``."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can handle signals; the app that runs this in a thread has its own
        return

    def terminated(signum: int, frame: object) -> None:
        kill_workers(executor)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
