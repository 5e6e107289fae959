"""Python's cyclic garbage collector, run on the GUI thread only while worker threads exist.

The collector runs in whichever thread happens to allocate when a threshold is crossed.  When
that is a worker (a poll or a ledger read) and the garbage holds Qt objects, Qt destroys them
off the GUI thread, which crashes.  So while workers run, automatic collection is off and this
class collects on the GUI thread instead: after each delivered operation (when a generation has
passed its threshold, as the automatic collector would) and from a slow backstop timer for the
hours when nothing is delivered.  :class:`~tokenwallet.ui.runtime.bridge.OperationBridge` owns it
(it is the one that starts workers); nothing else switches collection on or off.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

BACKSTOP_MS = 5 * 60_000  # 288 wake-ups a day; deliveries (every poll) do most of the collecting


class GuiThreadCollector(QObject):
    """:meth:`start` switches automatic collection off, :meth:`stop` gives it back to Python."""

    def __init__(self, parent: QObject | None = None, *, backstop_ms: int = BACKSTOP_MS) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(backstop_ms)
        self.timer.timeout.connect(self.after_delivery)
        self._was_enabled = gc.isenabled()
        self.active = False

    def start(self) -> None:
        """Collect from now on only on this (the GUI) thread."""
        if self.active:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.active = True
        self.timer.start()

    def stop(self) -> None:
        """Give collection back to Python (as it was before :meth:`start`)."""
        if not self.active:
            return
        self.timer.stop()
        self.active = False
        if self._was_enabled:
            gc.enable()

    @Slot()
    def after_delivery(self) -> int:
        """Collect the oldest generation whose threshold is passed; returns the generation or -1."""
        if not self.active:
            return -1
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return generation
        return -1
