"""Background operations: every ledger, keyring and network call of the tray app runs here, off the GUI thread.

One API for all of them::

    bridge.run(op, on_success, on_error)

``op`` is a plain function with no arguments; it runs on a worker thread and never touches a
widget.  Its return value (an immutable value) or its failure (always a
:class:`~tokenwallet.domain.errors.TokenwalletError` in plain words: the bridge's ``explain``
turns anything else into one, on the worker that met it) comes back to the GUI thread, where
:attr:`OperationBridge.delivered` carries it to a slot that calls ``on_success`` or
``on_error``.  Operations that must not overlap (polls, snapshot reads) share a :class:`Lane`:
while one runs, the newest request waits and older waiting ones are dropped.

Results travel from the worker by a posted event, not by emitting a Qt signal on the worker:
PySide6 6.12.0 mishandles references there (see :mod:`~tokenwallet.ui.runtime.signal_guard`),
while ``postEvent`` is plain thread-safe C++.  The bridge also owns the garbage-collection
policy while workers run (:class:`~tokenwallet.ui.runtime.gc_guard.GuiThreadCollector`).
Tests pass an :class:`InlineExecutor`, so every operation runs at once, in order, on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal, Slot

from tokenwallet.domain.errors import TokenwalletError
from tokenwallet.ui.runtime.gc_guard import GuiThreadCollector
from tokenwallet.ui.runtime.signal_guard import emit, lost_per_emit

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[], None]
OnError = Callable[[TokenwalletError], None]
Explain = Callable[[BaseException], TokenwalletError]

_DELIVERY_EVENT = QEvent.Type(QEvent.registerEventType())


class Executor(Protocol):
    """Where operations run."""

    threaded: bool
    """True when work runs on other threads than the caller's (garbage collection then matters)."""

    def __call__(self, work: Work) -> None:
        """Run ``work`` (now or later, on some thread)."""

    def shutdown(self, msecs: int) -> bool:
        """Let queued work finish (up to ``msecs``) and stop; True when everything finished."""


class InlineExecutor:
    """Runs work at once on the calling thread (tests: deterministic, no threads)."""

    threaded = False

    def __call__(self, work: Work) -> None:
        """Run ``work`` now."""
        work()

    def shutdown(self, msecs: int) -> bool:
        """Nothing is ever left running."""
        return True


class WorkerPool:
    """A few plain Python worker threads, started as work arrives (polls are I/O bound).

    Python threads rather than QRunnables, so nothing Qt owns is ever freed on a worker.  Each
    thread calls ``on_thread_exit`` as it stops, so what it opened for itself (its ledger
    connection) is closed on the thread that opened it.
    """

    threaded = True

    def __init__(self, max_threads: int = 4, *, on_thread_exit: Callable[[], None] | None = None) -> None:
        self._max = max_threads
        self._on_thread_exit = on_thread_exit
        self._queue: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for work
        self._queued = 0  # work no thread has taken yet
        self._pending = 0  # work queued or running
        self._all_done = threading.Condition(self._lock)
        self._stopped = False

    def __call__(self, work: Work) -> None:
        """Queue ``work``; start another thread when no idle one is left for it (up to ``max_threads``)."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("the worker pool has been shut down")
            self._pending += 1
            self._queued += 1
            if self._queued > self._idle and len(self._threads) < self._max:
                # Daemon threads: an app that forgot to shut its pool down still exits.
                thread = threading.Thread(
                    target=self._loop, name=f"tokenwallet-worker-{len(self._threads) + 1}", daemon=True
                )
                self._threads.append(thread)
                self._idle += 1
                thread.start()
        self._queue.put(work)

    def _loop(self) -> None:
        try:
            while True:
                work = self._queue.get()
                if work is None:
                    return
                with self._lock:
                    self._idle -= 1
                    self._queued -= 1
                try:
                    work()
                finally:
                    with self._lock:
                        self._idle += 1
                        self._pending -= 1
                        if self._pending == 0:
                            self._all_done.notify_all()
        finally:
            if self._on_thread_exit is not None:
                self._on_thread_exit()

    def wait(self, msecs: int = 5000) -> bool:
        """Wait until queued and running work has finished; True when it did within ``msecs``."""
        with self._lock:
            return self._all_done.wait_for(lambda: self._pending == 0, timeout=msecs / 1000)

    def shutdown(self, msecs: int = 5000) -> bool:
        """Finish queued work, then stop every thread, within ``msecs`` in all; True when all stopped in time.

        HTTP timeouts bound a poll; a thread still busy after ``msecs`` is left to end with the process.
        """
        deadline = time.monotonic() + msecs / 1000
        finished = self.wait(msecs)
        with self._lock:
            self._stopped = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return finished and not any(thread.is_alive() for thread in threads)


def default_explain(exc: BaseException) -> TokenwalletError:
    """A domain error as it is, anything else as an unexpected error in plain words (logged in full)."""
    if isinstance(exc, TokenwalletError):
        return exc
    log.error("unexpected error in a background operation", exc_info=exc)
    return TokenwalletError(f"something unexpected went wrong ({type(exc).__name__}); the log has the details")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A finished operation: its value, or the error it ended with, and how long it ran."""

    ticket: int
    value: object = None
    error: TokenwalletError | None = None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class _Waiting:
    on_success: Callable[[Any], None]
    on_error: OnError | None
    lane: Lane | None
    receiver: QObject | None

    def alive(self, callback: Callable[..., None]) -> bool:
        """False when the callbacks' Qt object (``receiver``, or the method's own) was deleted meanwhile."""
        owners = [self.receiver, getattr(callback, "__self__", None)]
        return all(shiboken6.isValid(owner) for owner in owners if isinstance(owner, QObject))


class Lane:
    """Operations that must not overlap (see :meth:`OperationBridge.run`); ``name`` is for the log."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.running = False
        self.next: _Queued | None = None

    def __repr__(self) -> str:
        return f"Lane({self.name!r}, running={self.running})"


@dataclass(frozen=True, slots=True)
class _Queued:
    op: Callable[[], Any]
    on_success: Callable[[Any], None]
    on_error: OnError | None
    receiver: QObject | None


class OperationBridge(QObject):
    """Runs operations on an executor and delivers each result to the GUI thread."""

    delivered = Signal(object)
    """A :class:`Delivery`, emitted on the GUI thread after the operation's callback ran."""

    def __init__(
        self,
        executor: Executor | None = None,
        *,
        explain: Explain = default_explain,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._executor: Executor = executor if executor is not None else WorkerPool()
        self._explain = explain
        self._tickets = itertools.count(1)
        self._waiting: dict[int, _Waiting] = {}
        self._results: queue.SimpleQueue[Delivery] = queue.SimpleQueue()
        self._gui_thread = threading.get_ident()
        self.collector = GuiThreadCollector(self)
        self._stopped = False
        self.delivered.connect(self._dispatch)  # first receiver: the callback runs before anyone else hears
        lost_per_emit()  # measured here, on the GUI thread, before any worker runs

    @property
    def executor(self) -> Executor:
        """The executor operations run on."""
        return self._executor

    def lane(self, name: str) -> Lane:
        """A new lane for operations that must not overlap."""
        return Lane(name)

    def busy(self, lane: Lane) -> bool:
        """True while an operation of ``lane`` runs."""
        return lane.running

    def pending(self) -> int:
        """How many operations have not been delivered yet."""
        return len(self._waiting)

    def run(
        self,
        op: Callable[[], T],
        on_success: Callable[[T], None],
        on_error: OnError | None = None,
        *,
        lane: Lane | None = None,
        receiver: QObject | None = None,
    ) -> bool:
        """Run ``op`` off the GUI thread; ``on_success(value)`` or ``on_error(error)`` follow on the GUI thread.

        Without ``on_error`` a failure is logged and otherwise dropped.  With a ``lane`` that is
        busy, ``op`` waits until the running one is delivered, replacing any that already waited;
        returns False then (and True when ``op`` started).  The callbacks are not called once
        ``receiver`` (or the Qt object whose method a callback is) has been deleted.
        """
        if self._stopped:
            log.debug("bridge stopped: %s not run", getattr(op, "__qualname__", op))
            return False
        if lane is not None:
            if lane.running:
                lane.next = _Queued(op, on_success, on_error, receiver)
                return False
            lane.running = True
        ticket = next(self._tickets)
        self._waiting[ticket] = _Waiting(on_success, on_error, lane, receiver)
        if self._executor.threaded and not self.collector.active:
            self.collector.start()  # from now on garbage is collected on this thread only
        explain, deliver = self._explain, self._deliver

        def work() -> None:
            started = time.perf_counter()
            try:
                value = op()
            except Exception as exc:
                delivery = Delivery(ticket, error=explain(exc), seconds=time.perf_counter() - started)
            else:
                delivery = Delivery(ticket, value=value, seconds=time.perf_counter() - started)
            deliver(delivery)

        self._executor(work)
        return True

    def _deliver(self, delivery: Delivery) -> None:
        """Hand ``delivery`` to the GUI thread: at once on it (inline executor), else by a posted event."""
        if threading.get_ident() == self._gui_thread:
            self._on_delivery(delivery)
            return
        self._results.put(delivery)
        QCoreApplication.postEvent(self, QEvent(_DELIVERY_EVENT))

    def event(self, e: QEvent) -> bool:
        """Deliver what workers queued (one posted event per result)."""
        if e.type() == _DELIVERY_EVENT:
            while True:
                try:
                    delivery = self._results.get_nowait()
                except queue.Empty:
                    return True
                self._on_delivery(delivery)
        return super().event(e)

    def _on_delivery(self, delivery: Delivery) -> None:
        # Every operation passes here, all day long: emit through the guard (see signal_guard).
        emit(self.delivered, delivery)

    @Slot(object)
    def _dispatch(self, delivery: Delivery) -> None:
        """Call the operation's callback, start what waited in its lane, then collect garbage if due."""
        waiting = self._waiting.pop(delivery.ticket, None)
        if waiting is None:
            return
        try:
            if delivery.error is None:
                if waiting.alive(waiting.on_success):
                    waiting.on_success(delivery.value)
            elif waiting.on_error is not None:
                if waiting.alive(waiting.on_error):
                    waiting.on_error(delivery.error)
            else:
                log.warning("background operation failed: %s", delivery.error)
        finally:
            lane = waiting.lane
            if lane is not None:
                lane.running = False
                queued, lane.next = lane.next, None
                if queued is not None:
                    self.run(queued.op, queued.on_success, queued.on_error, lane=lane, receiver=queued.receiver)
            self.collector.after_delivery()

    def shutdown(self, msecs: int = 5000) -> bool:
        """Stop taking operations, let running ones finish (up to ``msecs``) and stop the workers.

        Results that arrive meanwhile are not delivered.  Garbage collection goes back to Python.
        """
        self._stopped = True
        finished = self._executor.shutdown(msecs)
        self._waiting.clear()
        self.collector.stop()
        return finished
