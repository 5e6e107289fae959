"""Runs ledger reads and polls off the GUI thread and hands immutable results back through signals.

Worker code never touches a widget.  The runnable emits ``_delivered`` on a bridge that lives in
the GUI thread, so Qt queues the call and :meth:`PollBridge._on_delivered` runs on the GUI thread.
Tests pass :func:`inline_executor` so everything runs synchronously and deterministically.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

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


class _Runnable(QRunnable):
    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self._work = work
        self.setAutoDelete(True)

    def run(self) -> None:
        self._work()


class PoolExecutor:
    """Runs work on a dedicated QThreadPool (a few threads; polls are I/O bound)."""

    def __init__(self, max_threads: int = 4) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)

    def __call__(self, work: Callable[[], None]) -> None:
        """Queue ``work`` on the pool."""
        self.pool.start(_Runnable(work))

    def wait(self, msecs: int = 5000) -> bool:
        """Wait for running work to finish (on quit; HTTP timeouts bound it)."""
        return bool(self.pool.waitForDone(msecs))


class PollBridge(QObject):
    """Starts jobs on an executor; at most one job of each kind runs at a time."""

    snapshot_ready = Signal(object)  # LedgerSnapshot
    poll_finished = Signal(object)  # whatever the poll job returned (PollOutcome list)
    setup_done = Signal(object)  # the start-up check's result
    job_failed = Signal(str, str)  # kind, message in plain words
    _delivered = Signal(object)

    def __init__(self, executor: Executor | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: Executor = executor or PoolExecutor()
        self._in_flight: set[str] = set()
        self._pending: dict[str, Job] = {}
        self.last_duration: dict[str, float] = {}
        self._delivered.connect(self._on_delivered)

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
        delivered = self._delivered

        def work() -> None:
            started = time.perf_counter()
            try:
                result = JobResult(kind, value=job())
            except Exception as exc:
                log.warning("%s failed: %s", kind, exc)
                result = JobResult(kind, error=str(exc) or type(exc).__name__)
            self.last_duration[kind] = time.perf_counter() - started
            delivered.emit(result)

        self._executor(work)
        return True

    @Slot(object)
    def _on_delivered(self, result: Any) -> None:
        self._in_flight.discard(result.kind)
        if result.error:
            self.job_failed.emit(result.kind, result.error)
        elif result.kind == "snapshot":
            self.snapshot_ready.emit(result.value)
        elif result.kind == "setup":
            self.setup_done.emit(result.value)
        else:
            self.poll_finished.emit(result.value)
        pending = self._pending.pop(result.kind, None)
        if pending is not None:
            self.submit(result.kind, pending)
