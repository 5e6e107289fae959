"""Process start-up for the tray app: QApplication, single instance, demo choice, event loop."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from tokenwallet.ui.single_instance import APP_ID, InstanceServer, ask_running_instance, server_name
from tokenwallet.ui.tray import tray_available

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.ui.application import TrayApp

log = logging.getLogger(__name__)


def _install_excepthook() -> None:
    """Log unexpected errors and keep the tray alive instead of dying silently."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):  # type: ignore[no-untyped-def]
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        if previous is not sys.__excepthook__:
            previous(exc_type, exc, tb)

    sys.excepthook = hook


def _report_when_docked(icon: QSystemTrayIcon) -> None:
    """Print one line when the tray host has docked the icon (read by the footprint benchmark)."""
    timer = QTimer(icon)

    def check() -> None:
        if icon.geometry().width() > 0 or not tray_available():
            timer.stop()
            print("tray-icon-visible", flush=True)

    timer.timeout.connect(check)
    timer.start(2)


def _quit_on_signals(app: TrayApp) -> None:
    """SIGTERM/SIGINT quit cleanly (timers stopped, demo home removed) instead of killing the process.

    Python runs signal handlers only between bytecodes; the wake-up fd makes the Qt event loop
    return to Python as soon as a signal arrives, with no polling timer.
    """
    if not hasattr(signal, "SIGTERM") or sys.platform.startswith("win"):
        return
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        try:
            reader.recv(64)
        except OSError:
            pass

    notifier.activated.connect(drain)
    app._signal_sockets = (reader, writer, notifier)  # keep them alive with the app

    def handler(signum: int, frame: object) -> None:
        app.quit()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def launch(ctx: AppContext, *, demo: bool, background: bool) -> int:
    """Run the tray app until the user quits; a second launch only wakes the first one."""
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("tokenwallet")
    qapp.setDesktopFileName(APP_ID)
    qapp.setQuitOnLastWindowClosed(False)
    name = server_name(str(ctx.paths.data_dir) + (":demo" if demo else ""))
    if not demo and ask_running_instance(name):
        print("tokenwallet is already running; its dashboard was brought forward.")
        return 0
    _install_excepthook()

    from tokenwallet.ui.application import TrayApp, cleanup_demo_home, demo_context

    app = TrayApp(ctx, demo=demo)
    app.tray.show()  # the icon first; the ledger and its imports come after it is visible
    qapp.processEvents()
    if os.environ.get("TOKENWALLET_STARTUP_PROBE"):
        _report_when_docked(app.tray.icon)
    if demo:
        app.ctx = app.data_ctx = demo_context()
    _quit_on_signals(app)
    server = InstanceServer(name, app)
    server.show_requested.connect(app.show_dashboard)
    has_tray = tray_available()
    if not has_tray:
        log.warning("no system tray available (e.g. GNOME without the AppIndicator extension): opening the dashboard")
    # Without --demo, a worker checks for the user's own data; none yet means the demo is shown.
    app.start(open_dashboard=not has_tray or not background, first_run_check=not demo)
    try:
        return qapp.exec()
    finally:
        server.close()
        if app.demo or app.data_ctx is not ctx:
            cleanup_demo_home(app.data_ctx)
        for demo_home in app.retired_demo_homes:
            cleanup_demo_home(demo_home)
