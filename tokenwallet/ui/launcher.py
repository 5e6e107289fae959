"""Process start-up for the tray app: QApplication, single instance, the first icon, then the rest.

Start-up is ordered for a fast first icon: only Qt, the tray controller and the icon painter are
loaded before the icon is shown (drawn from the previous run's cached meter when there is one).
Settings, logging, the ledger, the single-instance server and the worker pool follow once the
tray host has docked the icon, so they do not compete with the docking for the GUI thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from tokenwallet.ui.single_instance import APP_ID, ask_running_instance, server_name
from tokenwallet.ui.tray import TrayController, tray_available

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.paths import AppPaths
    from tokenwallet.ui.application import TrayApp
    from tokenwallet.ui.single_instance import InstanceServer

DOCK_WAIT_MS = 1500  # continue start-up after this long even when no tray host docks the icon
DOCK_POLL_MS = 5
AFTER_DOCK_MS = 15  # let the docked icon paint before the heavy imports take the GUI thread


def _install_excepthook() -> None:
    """Log unexpected errors and keep the tray alive instead of dying silently."""
    import logging

    log = logging.getLogger(__name__)
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


def after_docked(icon: QSystemTrayIcon, then: Callable[[], None], *, wait_ms: int = DOCK_WAIT_MS) -> None:
    """Call ``then`` once the tray host has docked ``icon`` (or at once without a tray, or after ``wait_ms``)."""
    if not tray_available():
        QTimer.singleShot(0, then)
        return
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer(icon)

    def check() -> None:
        if icon.geometry().width() > 0 or clock.elapsed() >= wait_ms:
            timer.stop()
            timer.deleteLater()
            QTimer.singleShot(AFTER_DOCK_MS, then)

    timer.timeout.connect(check)
    timer.start(DOCK_POLL_MS)


def _quit_on_signals(app: TrayApp) -> None:
    """SIGTERM/SIGINT quit cleanly (timers stopped, demo home removed) instead of killing the process.

    Python runs signal handlers only between bytecodes; the wake-up fd makes the Qt event loop
    return to Python as soon as a signal arrives, with no polling timer.
    """
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

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


class _Startup:
    """What start-up builds after the icon is shown, kept for the clean-up at exit."""

    def __init__(self) -> None:
        self.ctx: AppContext | None = None
        self.app: TrayApp | None = None
        self.server: InstanceServer | None = None


def launch(ctx: AppContext, *, demo: bool, background: bool) -> int:
    """Run the tray app on ``ctx`` until the user quits; a second launch only wakes the first one."""
    return launch_paths(ctx.paths, lambda: ctx, demo=demo, background=background)


def launch_home(home: str | None, *, demo: bool, background: bool, verbose: int = 0) -> int:
    """Run the tray app for ``--home`` (or the platform folders), building the AppContext after the icon."""
    from tokenwallet.paths import AppPaths

    paths = AppPaths.resolve(home)

    def make_context() -> AppContext:
        import logging

        from tokenwallet.app import AppContext
        from tokenwallet.logging_setup import configure_logging

        configure_logging(logging.WARNING - 10 * verbose, paths.log_file)
        return AppContext(paths=paths)

    return launch_paths(paths, make_context, demo=demo, background=background)


def launch_paths(paths: AppPaths, make_context: Callable[[], AppContext], *, demo: bool, background: bool) -> int:
    """Show the icon, then build the app from ``make_context()`` once it is docked; run the event loop."""
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("tokenwallet")
    qapp.setDesktopFileName(APP_ID)
    qapp.setQuitOnLastWindowClosed(False)
    name = server_name(str(paths.data_dir) + (":demo" if demo else ""))
    if not demo and ask_running_instance(name):
        print("tokenwallet is already running; its dashboard was brought forward.")
        return 0

    tray = TrayController(build_menu=False)
    cached = None
    if not demo:
        from tokenwallet.ui.icon_cache import ICON_CACHE_FILE, read_cached_icon

        cached = read_cached_icon(paths.cache_dir / ICON_CACHE_FILE)
    tray.show(cached)  # the icon first; settings, the ledger and their imports come after it is docked
    if os.environ.get("TOKENWALLET_STARTUP_PROBE"):
        _report_when_docked(tray.icon)
    started = _Startup()

    def finish() -> None:
        _finish_start(started, tray, make_context, name=name, demo=demo, background=background)

    after_docked(tray.icon, finish)
    try:
        return qapp.exec()
    finally:
        _clean_up(started)


def _finish_start(
    started: _Startup,
    tray: TrayController,
    make_context: Callable[[], AppContext],
    *,
    name: str,
    demo: bool,
    background: bool,
) -> None:
    import logging

    from tokenwallet.services.first_run import demo_context
    from tokenwallet.ui.application import TrayApp
    from tokenwallet.ui.single_instance import InstanceServer

    ctx = started.ctx = make_context()
    _install_excepthook()
    app = started.app = TrayApp(ctx, demo=demo, tray=tray)
    if demo:
        app.ctx = app.data_ctx = demo_context()
    _quit_on_signals(app)
    server = started.server = InstanceServer(name, app)
    server.show_requested.connect(app.show_dashboard)
    has_tray = tray_available()
    if not has_tray:
        logging.getLogger(__name__).warning(
            "no system tray available (e.g. GNOME without the AppIndicator extension): opening the dashboard"
        )
    # Without --demo, a worker checks for the user's own data; none yet means the demo is shown.
    app.start(open_dashboard=not has_tray or not background, first_run_check=not demo)


def _clean_up(started: _Startup) -> None:
    if started.server is not None:
        started.server.close()
    app = started.app
    if app is None:
        return
    from tokenwallet.services.first_run import cleanup_demo_home

    if app.demo or app.data_ctx is not started.ctx:
        cleanup_demo_home(app.data_ctx)
    for demo_home in app.retired_demo_homes:
        cleanup_demo_home(demo_home)
