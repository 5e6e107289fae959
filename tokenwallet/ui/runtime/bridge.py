"""Runs ledger reads and polls off the GUI thread and hands immutable results back through signals.

Worker code never touches a widget.  A worker puts its result in a queue and posts an event to
the bridge, which lives in the GUI thread, so :meth:`PollBridge._on_delivered` runs on the GUI thread.
Tests pass :func:`inline_executor` so everything runs synchronously and deterministically.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from tokenwallet.ui.runtime.signal_guard import emit, lost_per_emit

log = logging.getLogger(__name__)

Job = Callable[[], object]
Executor = Callable[[Callable[[], None]], None]


@dataclass(frozen=True, slots=True)
class JobResult:
    """What a finished job returned, or the plain-words error it raised."""

    kind: str
    value: object = None
    error: str = ""


def inline_executor(work: Callable[[], None]) -> None:
    """Run ``work`` at once on the calling thread (tests)."""
    work()


class PoolExecutor:
    """Runs work on a few plain Python worker threads (polls are I/O bound).

    Python threads rather than QRunnables: nothing Qt owns has to be freed on a worker thread,
    and results still reach the GUI thread only through the bridge's queued signal.
    """

    def __init__(self, max_threads: int = 4) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="tokenwallet-job")
        self._running: set[Future[None]] = set()
        self._lock = threading.Lock()

    def __call__(self, work: Callable[[], None]) -> None:
        """Queue ``work`` on the pool."""
        future = self.pool.submit(work)
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)

    def wait(self, msecs: int = 5000) -> bool:
        """Wait for queued and running work to finish (on quit; HTTP timeouts bound it)."""
        with self._lock:
            pending = list(self._running)
        _done, not_done = wait_futures(pending, timeout=msecs / 1000)
        return not not_done


class PollBridge(QObject):
    """Starts jobs on an executor; at most one job of each kind runs at a time."""

    snapshot_ready = Signal(object)  # LedgerSnapshot
    poll_finished = Signal(object)  # whatever the poll job returned (PollOutcome list)
    setup_done = Signal(object)  # the start-up check's result
    job_failed = Signal(str, str)  # kind, message in plain words
    job_done = Signal(str, object)  # kind, value: every job that finished without raising

    def __init__(self, executor: Executor | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: Executor = executor or PoolExecutor()
        self._in_flight: set[str] = set()
        self._pending: dict[str, Job] = {}
        self.last_duration: dict[str, float] = {}
        self._results: queue.SimpleQueue[JobResult] = queue.SimpleQueue()
        self._gui_thread = threading.get_ident()
        lost_per_emit()  # measured here, on the GUI thread, before any worker runs

    @property
    def executor(self) -> Executor:
        """The executor jobs run on."""
        return self._executor

    def busy(self, kind: str) -> bool:
        """True while a job of ``kind`` runs."""
        return kind in self._in_flight

    def submit(self, kind: str, job: Job) -> bool:
        """Run ``job`` off the GUI thread; if one of ``kind`` runs, run it again once it is done."""
        if kind in self._in_flight:
            self._pending[kind] = job
            return False
        self._in_flight.add(kind)
        deliver = self._deliver

        def work() -> None:
            started = time.perf_counter()
            try:
                result = JobResult(kind, value=job())
            except Exception as exc:
                log.warning("%s failed: %s", kind, exc)
                result = JobResult(kind, error=str(exc) or type(exc).__name__)
            self.last_duration[kind] = time.perf_counter() - started
            deliver(result)

        self._executor(work)
        return True

    def _deliver(self, result: JobResult) -> None:
        """Hand ``result`` to the GUI thread: at once on it (inline executor), else by a posted event.

        Worker threads do not emit Qt signals from Python: PySide6 6.12.0 mishandles references
        there (see signal_guard), while ``postEvent`` is plain thread-safe C++.
        """
        if threading.get_ident() == self._gui_thread:
            self._on_delivered(result)
            return
        self._results.put(result)
        QCoreApplication.postEvent(self, QEvent(QEvent.Type.User))

    def event(self, e: QEvent) -> bool:
        """Deliver the results workers queued (one posted event per result)."""
        if e.type() == QEvent.Type.User:
            while True:
                try:
                    result = self._results.get_nowait()
                except queue.Empty:
                    return True
                self._on_delivered(result)
        return super().event(e)

    def _on_delivered(self, result: Any) -> None:
        self._in_flight.discard(result.kind)
        # Every job emits here, all day long: through the guard (see signal_guard).
        if result.error:
            emit(self.job_failed, result.kind, result.error)
        elif result.kind == "snapshot":
            emit(self.snapshot_ready, result.value)
        elif result.kind == "setup":
            emit(self.setup_done, result.value)
        elif result.kind == "poll" or result.kind == "demo":
            emit(self.poll_finished, result.value)
        if not result.error:
            emit(self.job_done, result.kind, result.value)
        pending = self._pending.pop(result.kind, None)
        if pending is not None:
            self.submit(result.kind, pending)
