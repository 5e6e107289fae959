"""Python's cyclic garbage collector, run on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed.  When
that is a worker (a poll or a ledger read) and the garbage holds Qt objects, Qt destroys them
off the GUI thread, which crashes.  So automatic collection is switched off and a timer on the
GUI thread collects each generation once its threshold is passed, as the automatic collector
would.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 2_000  # gc.get_count() is a few attribute reads: cheap enough to stay within the idle budget


class GuiThreadCollector(QObject):
    """Owns the timer; :meth:`start` disables automatic collection, :meth:`stop` restores it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()

    def start(self) -> None:
        """Collect from now on only on this (the GUI) thread."""
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Give collection back to Python."""
        self.timer.stop()
        if self._was_enabled:
            gc.enable()

    def check(self) -> int:
        """Collect the oldest generation whose threshold is passed; returns the generation or -1."""
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return generation
        return -1
