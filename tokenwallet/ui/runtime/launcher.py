"""Process start-up for the tray app: the single-instance claim, QApplication, the first icon, then the rest.

The instance is claimed first (a lock and a listening socket in ``AppPaths.runtime_dir``), so a
later launch at any moment finds it.  Then start-up is ordered for a fast first icon: only Qt, the
tray controller and the icon painter are loaded before the icon is shown (drawn from the previous
run's cached meter when there is one).  Settings, logging, the ledger, the worker pool and the
answering of later launches follow once the tray host has docked the icon, so they do not compete
with the docking for the GUI thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from tokenwallet.ui.runtime.single_instance import (
    APP_ID,
    AlreadyRunning,
    InstanceServer,
    Listening,
    NotAnswering,
    claim_instance,
)
from tokenwallet.ui.tray.controller import TrayController, tray_available

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.paths import AppPaths
    from tokenwallet.start_options import StartOptions
    from tokenwallet.ui.runtime.application import TrayApp

HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"})
"""Qt platforms that draw without a desktop session."""

DOCK_WAIT_MS = 1500  # continue start-up after this long even when no tray host docks the icon
DOCK_POLL_MS = 5
AFTER_DOCK_MS = 15  # let the docked icon paint before the heavy imports take the GUI thread


def display_problem(environ: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why the tray app cannot be shown here (one line), or None when there is a display to draw on.

    On Linux and other X11/Wayland systems Qt aborts the whole process when its platform plugin
    finds no display; this is checked first.  ``QT_QPA_PLATFORM`` may name several platforms
    (``wayland;xcb``): one that can start is enough.
    """
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if system in ("win32", "cygwin", "darwin"):
        return None
    wanted = [name.split(":")[0].strip() for name in env.get("QT_QPA_PLATFORM", "").split(";") if name.strip()]
    x11, wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    for name in wanted or ["xcb", "wayland"]:
        if name in HEADLESS_PLATFORMS or (name == "xcb" and x11) or (name.startswith("wayland") and wayland):
            return None
    return (
        "tokenwallet: no display to show the tray app on (DISPLAY and WAYLAND_DISPLAY are not set); "
        "start it from a desktop session, or use the command line (tokenwallet status, tokenwallet --help)."
    )


def _install_excepthook() -> None:
    """Log unexpected errors and keep the tray alive instead of dying silently."""
    import logging

    log = logging.getLogger(__name__)
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
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


class QuitOnSignals(QObject):
    """SIGTERM/SIGINT quit cleanly (timers stopped, demo home removed) instead of killing the process.

    Python runs signal handlers only between bytecodes; the wake-up socket makes the Qt event
    loop return to Python as soon as a signal arrives, with no polling timer.
    """

    def __init__(self, quit_app: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        import signal
        import socket

        from PySide6.QtCore import QSocketNotifier

        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

        def handler(signum: int, frame: object) -> None:
            quit_app()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    @Slot()
    def _drain(self) -> None:
        try:
            self._reader.recv(64)
        except OSError:
            pass

    def close(self) -> None:
        """Stop listening for signals and close the wake-up sockets."""
        import signal

        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


class _Startup:
    """What start-up builds after the icon is shown, kept for the clean-up at exit."""

    def __init__(self) -> None:
        self.ctx: AppContext | None = None
        self.app: TrayApp | None = None
        self.listening: Listening | None = None
        self.server: InstanceServer | None = None
        self.signals: QuitOnSignals | None = None


def launch(options: StartOptions) -> int:
    """Run the tray app until the user quits; a second launch only wakes the first one.

    The AppContext (settings, logging, the ledger) is built after the icon is shown.
    """
    from tokenwallet.paths import AppPaths

    paths = AppPaths.resolve(options.home)

    def make_context() -> AppContext:
        import logging

        from tokenwallet.app import AppContext
        from tokenwallet.logging_setup import configure_logging

        configure_logging(logging.WARNING - 10 * options.verbose, paths.log_file)
        return AppContext(paths=paths)

    return launch_paths(paths, make_context, demo=options.demo, background=options.background)


def launch_paths(paths: AppPaths, make_context: Callable[[], AppContext], *, demo: bool, background: bool) -> int:
    """Claim the instance, show the icon, then build the app from ``make_context()`` once it is docked.

    A throwaway ``demo`` home is its own instance and never answers other launches.  Without a
    display the app says so in one line and returns 1 (Qt would abort the process instead).
    """
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    listening: Listening | None = None
    if not demo:
        claim = claim_instance(paths.runtime_dir)
        if isinstance(claim, AlreadyRunning):
            print("tokenwallet is already running; its dashboard was brought forward.")
            return 0
        if isinstance(claim, NotAnswering):
            print(
                f"tokenwallet is already running for this home but does not answer at {claim.where!r}; "
                "quit it (or end its process) and start again.",
                file=sys.stderr,
            )
            return 1
        listening = claim
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("tokenwallet")
    qapp.setDesktopFileName(APP_ID)
    qapp.setQuitOnLastWindowClosed(False)

    tray = TrayController(build_menu=False)
    cached = None
    if not demo:
        from tokenwallet.ui.tray.icon_cache import ICON_CACHE_FILE, read_cached_icon

        cached = read_cached_icon(paths.cache_dir / ICON_CACHE_FILE)
    tray.show(cached)  # the icon first; settings, the ledger and their imports come after it is docked
    if os.environ.get("TOKENWALLET_STARTUP_PROBE"):
        _report_when_docked(tray.icon)
    started = _Startup()
    started.listening = listening

    def finish() -> None:
        _finish_start(started, tray, make_context, demo=demo, background=background)

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
    demo: bool,
    background: bool,
) -> None:
    import logging
    import signal

    from tokenwallet.services.first_run import demo_context
    from tokenwallet.ui.runtime.application import TrayApp

    ctx = started.ctx = make_context()
    _install_excepthook()
    app = started.app = TrayApp(ctx, demo=demo, tray=tray)
    if demo:
        app.ctx = app.data_ctx = demo_context()
    if hasattr(signal, "SIGTERM") and not sys.platform.startswith("win"):
        started.signals = QuitOnSignals(app.quit, app)
    if started.listening is not None:
        server = started.server = InstanceServer(started.listening, app)
        server.show_requested.connect(app.show_dashboard)
    has_tray = tray_available()
    if not has_tray:
        logging.getLogger(__name__).warning(
            "no system tray available (e.g. GNOME without the AppIndicator extension): opening the dashboard"
        )
    # Without --demo, a worker checks for the user's own data; none yet means the demo is shown.
    app.start(open_dashboard=not has_tray or not background, first_run_check=not demo)


def _clean_up(started: _Startup) -> None:
    if started.signals is not None:
        started.signals.close()
    if started.server is not None:
        started.server.close()
    elif started.listening is not None:
        started.listening.close()
    app = started.app
    if app is None:
        return
    app.shutdown()  # already done when the app quit itself
    from tokenwallet.services.first_run import cleanup_demo_home

    if app.demo or app.data_ctx is not started.ctx:
        cleanup_demo_home(app.data_ctx)
    for demo_home in app.retired_demo_homes:
        cleanup_demo_home(demo_home)
