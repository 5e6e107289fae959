"""Background operations: run off the GUI thread, delivered on it, typed, errors in plain words, one GC owner."""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Callable

import pytest

from tokenwallet.domain.errors import TokenwalletError
from tokenwallet.ui.runtime.bridge import InlineExecutor, OperationBridge, WorkerPool
from tokenwallet.ui.runtime.gc_guard import BACKSTOP_MS

pytestmark = pytest.mark.usefixtures("qapp")


class ManualExecutor:
    """Keeps work until the test runs it (on the GUI thread, like the inline executor)."""

    threaded = False

    def __init__(self) -> None:
        self.queued: list[Callable[[], None]] = []

    def __call__(self, work: Callable[[], None]) -> None:
        self.queued.append(work)

    def run_next(self) -> None:
        self.queued.pop(0)()

    def shutdown(self, msecs: int) -> bool:
        return not self.queued


def test_an_operation_runs_on_a_worker_and_is_delivered_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = OperationBridge()
    seen: list[tuple[str, int]] = []

    def op() -> int:
        return threading.get_ident()

    def on_success(worker: int) -> None:
        seen.append(("success", worker))

    try:
        with qtbot.waitSignal(bridge.delivered, timeout=5000) as blocker:
            assert bridge.run(op, on_success)
        [(kind, worker)] = seen
        assert kind == "success"
        assert worker != threading.get_ident()  # ran off the GUI thread ...
        assert blocker.args[0].value == worker  # ... and the callback ran before the signal was heard
    finally:
        bridge.shutdown()


def test_failures_arrive_as_domain_errors_in_plain_words(app_context, caplog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.errors import LedgerBusyError
    from tokenwallet.ui.runtime.errors import explain

    bridge = OperationBridge(InlineExecutor(), explain=lambda exc: explain(exc, app_context))
    errors: list[TokenwalletError] = []

    def fail(exc: BaseException) -> Callable[[], None]:
        def op() -> None:
            raise exc

        return op

    app_context.ledger()  # this thread's connection, which met the lock below
    refused = TokenwalletError("the key was refused; paste a new one")
    bridge.run(fail(refused), print, errors.append)
    bridge.run(fail(sqlite3.OperationalError("database is locked")), print, errors.append)
    bridge.run(fail(PermissionError(13, "Permission denied", "/reports/march.pdf")), print, errors.append)
    bridge.run(fail(KeyError("bucket_start")), print, errors.append)
    assert errors[0] is refused
    assert isinstance(errors[1], LedgerBusyError)
    assert str(errors[1]) == "another tokenwallet process is writing; try again"
    assert getattr(app_context._local, "db", None) is None  # the connection that met the lock is not reused
    assert str(errors[2]) == "a file could not be read or written (/reports/march.pdf): Permission denied"
    assert str(errors[3]).startswith("something unexpected went wrong (KeyError") and "Traceback" in caplog.text
    bridge.shutdown()


def test_a_lane_runs_one_operation_at_a_time_and_only_the_newest_waits() -> None:
    executor = ManualExecutor()
    bridge = OperationBridge(executor)
    lane = bridge.lane("poll")
    seen: list[str] = []
    assert bridge.run(lambda: "first", seen.append, lane=lane)
    assert not bridge.run(lambda: "second", seen.append, lane=lane)  # waits ...
    assert not bridge.run(lambda: "third", seen.append, lane=lane)  # ... and is replaced by the newest
    assert bridge.busy(lane) and len(executor.queued) == 1
    executor.run_next()
    assert seen == ["first"] and len(executor.queued) == 1  # the waiting one started on delivery
    executor.run_next()
    assert seen == ["first", "third"] and not bridge.busy(lane) and bridge.pending() == 0
    bridge.shutdown()


def test_callbacks_of_a_deleted_window_are_not_called(qtbot) -> None:  # type: ignore[no-untyped-def]
    import shiboken6
    from PySide6.QtWidgets import QLabel

    executor = ManualExecutor()
    bridge = OperationBridge(executor)
    label = QLabel()
    bridge.run(lambda: "late figures", label.setText)
    bridge.run(lambda: "also late", print, receiver=label)
    shiboken6.delete(label)
    executor.run_next()
    executor.run_next()  # neither raises "Internal C++ object already deleted"
    assert bridge.pending() == 0
    bridge.shutdown()


def test_worker_threads_close_what_they_opened_when_they_stop(qtbot) -> None:  # type: ignore[no-untyped-def]
    closed: list[int] = []
    pool = WorkerPool(max_threads=2, on_thread_exit=lambda: closed.append(threading.get_ident()))
    bridge = OperationBridge(pool)
    workers: list[int] = []
    together = threading.Barrier(2, timeout=5)

    def op() -> int:
        together.wait()  # only passes when both operations run at once, on two threads
        return threading.get_ident()

    bridge.run(op, workers.append)
    bridge.run(op, workers.append)
    qtbot.waitUntil(lambda: len(workers) == 2, timeout=5000)
    assert len(set(workers)) == 2
    assert bridge.shutdown(5000)
    assert sorted(closed) == sorted(set(workers)) and len(closed) == 2


def test_garbage_is_collected_on_the_gui_thread_after_deliveries_with_a_slow_backstop(qtbot) -> None:  # type: ignore[no-untyped-def]
    import weakref

    bridge = OperationBridge(WorkerPool(max_threads=1))
    assert gc.isenabled() and not bridge.collector.active
    keep: list[object] = []
    try:
        with qtbot.waitSignal(bridge.delivered, timeout=5000):
            bridge.run(lambda: None, keep.append)
        assert not gc.isenabled()  # workers exist: Python no longer collects on whatever thread allocates
        assert bridge.collector.timer.interval() == BACKSTOP_MS >= 60_000  # no 2-second wake-ups

        class Node:
            other: object = None

        first = Node()
        first.other = Node()
        first.other.other = first  # type: ignore[attr-defined]
        alive = weakref.ref(first)
        del first
        garbage: list[list[object]] = []
        while gc.get_count()[0] <= gc.get_threshold()[0]:  # past the first threshold, whatever came before
            garbage.append([])
        assert alive() is not None  # automatic collection is off: nothing freed the cycle yet
        with qtbot.waitSignal(bridge.delivered, timeout=5000):
            bridge.run(lambda: None, keep.append)
        assert alive() is None  # the delivery collected it, on this thread
        del garbage
    finally:
        bridge.shutdown()
    assert gc.isenabled()  # the owner gave collection back


def test_an_inline_bridge_leaves_garbage_collection_alone() -> None:
    bridge = OperationBridge(InlineExecutor())
    bridge.run(lambda: 1, print)
    assert gc.isenabled() and not bridge.collector.active
    bridge.shutdown()


def test_a_stopped_bridge_runs_nothing() -> None:
    executor = ManualExecutor()
    bridge = OperationBridge(executor)
    bridge.shutdown()
    assert not bridge.run(lambda: 1, print)
    assert executor.queued == []
