"""The tray icon: renders a TrayViewState as the meter icon, a tooltip and a menu rebuilt when opened."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from tokenwallet.ui.tray.meter_icon import COLOURS, meter_icon
from tokenwallet.ui.tray.meter_state import Badge, Severity

if TYPE_CHECKING:
    from tokenwallet.ui.tray.icon_cache import CachedIcon
    from tokenwallet.ui.tray.view_state import TrayViewState


def _dot(severity: Severity) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(COLOURS[severity]))
    return QIcon(pixmap)


class TrayController(QObject):
    """Owns the QSystemTrayIcon; emits what the user asked for, does no I/O itself."""

    refresh_requested = Signal()
    dashboard_requested = Signal()
    settings_requested = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None, *, build_menu: bool = True) -> None:
        super().__init__(parent)
        self.state: TrayViewState | None = None
        self.paused = False
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        if build_menu:  # start-up builds it after the icon is docked; it is rebuilt on every open anyway
            self.rebuild_menu()

    def show(self, cached: CachedIcon | None = None) -> None:
        """Dock the icon in the tray.

        Until the first status arrives it shows ``cached`` (the previous run's last meter, drawn
        without its number so no font is set up yet) or an empty ring.
        """
        if self.state is None and (cached is not None or self.icon.icon().isNull()):
            percent, severity = (None, Severity.NONE) if cached is None else cached
            self.icon.setIcon(meter_icon(percent, severity, self._badge(), text=False))
            tip = "tokenwallet: loading…"
            if percent is not None:
                tip += f" ({round(percent)}% used when last seen)"
            self.icon.setToolTip(tip)
        self.icon.show()

    def _badge(self) -> Badge:
        return Badge.PAUSED if self.paused else Badge.NONE

    def render(self, state: TrayViewState) -> None:
        """Show ``state``: redraw the icon only when what it shows changed."""
        previous = self.state
        self.state = state
        shown = (round(state.percent or 0), state.severity, state.badge)
        if previous is None or shown != (round(previous.percent or 0), previous.severity, previous.badge):
            self.icon.setIcon(meter_icon(state.percent, state.severity, state.badge))
        self.icon.setToolTip(state.tooltip)

    @Slot()
    def rebuild_menu(self) -> None:
        """Rebuild the menu from the newest state (called when the menu is about to open)."""
        menu = self.menu
        menu.clear()
        state = self.state
        if state is not None and state.demo:
            header = menu.addAction("Demo data — add your own in Settings")
            header.setEnabled(False)
        if state is None or not state.lines:
            empty = menu.addAction("No allowance yet — add one in Settings")
            empty.setEnabled(False)
        else:
            for line in state.lines:
                action = menu.addAction(_dot(line.severity), line.text)
                action.triggered.connect(self.dashboard_requested)
        if state is not None and state.limit_lines:
            menu.addSeparator()
            header = menu.addAction("Provider limits")
            header.setEnabled(False)
            for line in state.limit_lines:
                action = menu.addAction(_dot(line.severity), line.text)
                action.triggered.connect(self.dashboard_requested)
        menu.addSeparator()
        menu.addAction("Refresh now").triggered.connect(self.refresh_requested)
        menu.addAction("Open dashboard").triggered.connect(self.dashboard_requested)
        pause = QAction("Pause polling", menu)
        pause.setCheckable(True)
        pause.setChecked(self.paused)
        pause.toggled.connect(self._on_pause)
        menu.addAction(pause)
        menu.addAction("Settings…").triggered.connect(self.settings_requested)
        menu.addSeparator()
        menu.addAction("Quit").triggered.connect(self.quit_requested)

    @Slot(bool)
    def _on_pause(self, paused: bool) -> None:
        self.paused = paused
        self.pause_toggled.emit(paused)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # Left click opens the dashboard on X11/Wayland desktops and Windows; macOS shows only the
        # menu on click, which Qt already does.
        if (
            reason == QSystemTrayIcon.ActivationReason.Trigger and sys.platform != "darwin"
        ) or reason == QSystemTrayIcon.ActivationReason.DoubleClick:
            self.dashboard_requested.emit()

    def action_texts(self) -> list[str]:
        """The menu's entries as text (for tests and diagnostics)."""
        return [a.text() for a in self.menu.actions() if not a.isSeparator()]


def tray_available() -> bool:
    """True when a tray host is running (false e.g. on GNOME without the AppIndicator extension)."""
    if os.environ.get("TOKENWALLET_NO_TRAY"):
        return False
    return bool(QSystemTrayIcon.isSystemTrayAvailable())
