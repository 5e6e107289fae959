"""Emitting through the guard keeps ``True`` alive however often the app emits."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.usefixtures("qapp")


def test_guarded_emits_keep_the_refcount_of_true() -> None:
    from PySide6.QtCore import QObject, Signal

    from tokenwallet.ui.runtime.signal_guard import emit

    class Source(QObject):
        value = Signal(object)

    source = Source()
    seen: list[object] = []
    source.value.connect(seen.append)
    emit(source.value, -1)  # the first call measures the build (and loads ctypes when it must)
    seen.clear()
    before = sys.getrefcount(True)
    for n in range(2000):
        emit(source.value, n)
    assert abs(sys.getrefcount(True) - before) <= 2  # no drift per emit (a faulty build alone: -2000)
    assert len(seen) == 2000


def test_a_bridge_survives_many_more_jobs_than_true_has_references() -> None:
    """Without the guard, PySide6 6.12.0 aborts this process with 'bool_dealloc'."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "from tokenwallet.ui.runtime.bridge import InlineExecutor, OperationBridge\n"
        "bridge = OperationBridge(InlineExecutor())\n"
        "jobs = sys.getrefcount(True) * 2\n"
        "seen = []\n"
        "for n in range(jobs):\n"
        "    bridge.run(lambda: n, seen.append)\n"
        "assert seen == list(range(jobs))\n"
        "print('ok', jobs)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")
