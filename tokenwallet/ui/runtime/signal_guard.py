"""A guard against PySide6 builds whose ``SignalInstance.emit`` drops a reference to ``True``.

PySide6 6.12.0 on Python 3.11 releases one reference to ``True`` on every Python-side ``emit()``
(connected or not).  ``True`` is not immortal before Python 3.12, so a process that emits a few
thousand times dies with "Fatal Python error: bool_dealloc".  The tray app emits on every
background job, i.e. several times a minute for as long as it runs, so it would crash after
hours.  :func:`emit` measures the loss once (on a private signal nobody listens to) and gives
the references back after each emit; on a build without the bug it is a plain ``emit``.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_lost_per_emit: int | None = None


class _Probe(QObject):
    ping = Signal()


def lost_per_emit() -> int:
    """How many references to ``True`` one ``emit()`` drops in this process (0 on a sound build)."""
    global _lost_per_emit
    if _lost_per_emit is None:
        probe = _Probe()
        rounds = 8
        before = sys.getrefcount(True)
        for _ in range(rounds):
            probe.ping.emit()
        lost = (before - sys.getrefcount(True)) // rounds
        _restore(lost * rounds)
        _lost_per_emit = max(0, lost)
    return _lost_per_emit


def _restore(count: int) -> None:
    if count <= 0:
        return
    import ctypes

    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    for _ in range(count):
        incref(True)


def emit(signal: Any, *args: object) -> None:
    """``signal.emit(*args)``, giving back the references a faulty PySide6 build takes from ``True``."""
    signal.emit(*args)
    _restore(lost_per_emit())
