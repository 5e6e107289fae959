"""Alert delivery through the tray icon's own messages (Windows, macOS; Linux uses D-Bus Notify)."""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon

from tokenwallet.alerts.delivery import Notice

_ICONS = {
    "critical": QSystemTrayIcon.MessageIcon.Critical,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
    "info": QSystemTrayIcon.MessageIcon.Information,
}


class TrayNotifier:
    """A :class:`~tokenwallet.alerts.delivery.Delivery` that calls ``QSystemTrayIcon.showMessage``.

    Call it on the GUI thread (the tray app runs alerts there after each poll result arrives).
    """

    def __init__(self, tray: QSystemTrayIcon, *, timeout_ms: int = 8000) -> None:
        self.tray = tray
        self.timeout_ms = timeout_ms

    def __call__(self, notice: Notice) -> None:
        """Show ``notice`` as a tray balloon."""
        icon = _ICONS.get(notice.severity, QSystemTrayIcon.MessageIcon.Warning)
        self.tray.showMessage(notice.title, notice.body, icon, self.timeout_ms)
