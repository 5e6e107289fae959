"""The running tray app: wires the tray, the dashboard, settings, timers and the poll bridge.

Start-up order keeps the footprint small: the tray icon is shown first (Qt widgets and the icon
painter only); the ledger, sqlite-utils, httpx and QtCharts are imported afterwards, off the GUI
thread where they do I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from tokenwallet.platform.memory import release_startup_memory
from tokenwallet.services.first_run import check_first_run, demo_context, has_own_data
from tokenwallet.services.meter_snapshot import keep_meter_current
from tokenwallet.services.polling import PollResult, poll_accounts, run_alerts_after_poll
from tokenwallet.sync.poll_interval import poll_tick_ms, reschedule_polls
from tokenwallet.ui.gc_guard import GuiThreadCollector
from tokenwallet.ui.meter_state import Severity
from tokenwallet.ui.poll_bridge import Executor, PollBridge
from tokenwallet.ui.tray import TrayController, tray_available
from tokenwallet.ui.view_state import DisplayOptions, build_view_state

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.secrets.store import SecretStore
    from tokenwallet.services.snapshot import LedgerSnapshot
    from tokenwallet.ui.dashboard import DashboardWindow
    from tokenwallet.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

WAKE_TICK_MS = 30_000
WAKE_GAP = timedelta(minutes=2)  # a wall-clock jump this much beyond the tick means we slept
DEMO_TICK_MS = 4_000


def display_options(ctx: AppContext) -> DisplayOptions:
    """How to show amounts, from the settings (a bad rate falls back to 1 rather than failing)."""
    settings = ctx.settings
    try:
        rate = Decimal(settings.currency_rate)
    except InvalidOperation:
        rate = Decimal(1)
    return DisplayOptions(
        currency=settings.display_currency,
        rate=rate if settings.display_currency != "USD" else Decimal(1),
        grouping=settings.number_grouping,
        hide_amounts=settings.hide_amounts,
        zone=settings.zone(),
    )


class TrayApp(QObject):
    """One running tokenwallet tray app."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        demo: bool = False,
        data_ctx: AppContext | None = None,
        executor: Executor | None = None,
        store: SecretStore | None = None,
        tray: TrayController | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx  # where the user's changes go
        keep_meter_current(ctx)
        self.data_ctx = data_ctx or ctx  # what is shown (a throwaway demo home until the user adds data)
        self.demo = demo
        self._store = store
        self.keyring_problem = ""
        self.bridge = PollBridge(executor, self)
        self.tray = tray if tray is not None else TrayController()
        self.tray.setParent(self)
        if tray is not None:
            self.tray.rebuild_menu()  # a tray shown early by the launcher has no menu entries yet
        self._cached_icon: tuple[int, Severity] | None = None
        self.dashboard: DashboardWindow | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.snapshot: LedgerSnapshot | None = None
        self.paused = False
        self.poll_error = ""
        self.wakes = 0
        self._last_wall = time.time()
        self._seeded = False
        self.emulators: list[Any] = []  # the demo's provider emulator, stopped on quit
        self.retired_demo_homes: list[AppContext] = []
        self._signal_sockets: tuple[Any, ...] = ()  # set by the launcher's signal wake-up
        self.collector = GuiThreadCollector(self)
        self.poll_timer = QTimer(self)
        self.poll_timer.timeout.connect(self.poll_due)
        self.wake_timer = QTimer(self)
        self.wake_timer.setInterval(WAKE_TICK_MS)
        self.wake_timer.timeout.connect(self.check_wake)
        self.demo_timer = QTimer(self)
        self.demo_timer.setInterval(DEMO_TICK_MS)
        self.demo_timer.timeout.connect(self.demo_tick)
        self.tray.refresh_requested.connect(self.poll_now)
        self.tray.dashboard_requested.connect(self.show_dashboard)
        self.tray.settings_requested.connect(self.show_settings)
        self.tray.pause_toggled.connect(self.set_paused)
        self.tray.quit_requested.connect(self.quit)
        self.bridge.snapshot_ready.connect(self.on_snapshot)
        self.bridge.poll_finished.connect(self.on_polled)
        self.bridge.job_failed.connect(self.on_job_failed)
        self.bridge.job_done.connect(self._on_job_done)
        self._testing = ""
        self._poll_minutes = 0  # the interval the timers were set for (0: not started)

    # ----- start and stop
    def start(self, *, open_dashboard: bool, first_run_check: bool = False) -> None:
        """Show the icon at once, then load data off the GUI thread.

        With ``first_run_check`` a worker first looks whether the user has an allowance or an
        account; when not, the app shows the demo (in a throwaway home) until they add one.
        """
        self.tray.show()
        self.collector.start()  # from here on workers run: collect garbage on this thread only
        self._poll_minutes = self.ctx.settings.poll_interval_minutes
        self.poll_timer.setInterval(poll_tick_ms(self._poll_minutes))
        self.poll_timer.start()
        self.wake_timer.start()
        if open_dashboard:
            QTimer.singleShot(0, self.show_dashboard)
        if first_run_check:
            ctx = self.ctx
            self.bridge.setup_done.connect(self._on_first_run_checked)
            self.bridge.submit("setup", lambda: check_first_run(ctx))
        else:
            self._begin()

    def _begin(self) -> None:
        if self.demo:
            self.demo_timer.start()
        QTimer.singleShot(0, self.poll_now)

    @Slot(object)
    def _on_first_run_checked(self, own_data: object) -> None:
        if not own_data and not self.demo:
            log.info("no allowance or account yet: showing the demo data")
            self.data_ctx = demo_context()
            self.demo = True
        self._begin()

    @Slot()
    def quit(self) -> None:
        """Stop timers, let running jobs finish, close the ledger and leave the event loop."""
        for timer in (self.poll_timer, self.wake_timer, self.demo_timer):
            timer.stop()
        wait = getattr(self.bridge.executor, "wait", None)
        if wait is not None:
            wait(5000)
        self.collector.stop()
        self.tray.icon.hide()
        for emulator in self.emulators:
            emulator.stop()
        self.ctx.close()
        if self.data_ctx is not self.ctx:
            self.data_ctx.close()
        instance = QApplication.instance()
        if instance is not None:
            instance.quit()

    # ----- jobs
    def _poll_job(self, *, everything: bool) -> Callable[[], object]:
        ctx = self.data_ctx
        demo = self.demo
        seeded = self._seeded
        emulators = self.emulators

        def job() -> object:
            if demo:
                from tokenwallet.demo.emulator import start_demo_emulator
                from tokenwallet.demo.seed import DEMO_ACCOUNT_ID, is_demo_home, seed_demo

                if not seeded and not is_demo_home(ctx.ledger()):
                    emulator = start_demo_emulator()
                    store = ctx.use_session_only_keys() if emulator is not None else None
                    if emulator is not None:
                        emulators.append(emulator)
                    seed_demo(ctx.ledger(), ctx.clock(), emulator=emulator, store=store)
                # Only the emulator-backed account: the demo's log account must never read real logs.
                outcomes = poll_accounts(ctx, only=(DEMO_ACCOUNT_ID,)) if emulators else []
            else:
                outcomes = poll_accounts(ctx, due_only=not everything)
            return PollResult(tuple(outcomes), run_alerts_after_poll(ctx) if outcomes else ())

        return job

    def _snapshot_job(self) -> Callable[[], object]:
        ctx = self.data_ctx

        def job() -> object:
            from tokenwallet.services.snapshot import load_snapshot

            snapshot = load_snapshot(ctx, ctx.clock())
            ctx.ledger_changed()  # every change the tray saw reaches the status line and the guard
            return snapshot

        return job

    @Slot()
    def poll_now(self) -> None:
        """Poll every account now (or seed the demo), then refresh the views."""
        if self.paused and self._seeded:
            self.refresh()
            return
        self.bridge.submit("poll", self._poll_job(everything=True))

    @Slot()
    def poll_due(self) -> None:
        """Timer tick: poll the accounts whose time has come (the schedule is by wall clock)."""
        if not self.paused:
            self.bridge.submit("poll", self._poll_job(everything=False))

    @Slot()
    def refresh(self) -> None:
        """Re-read the ledger off the GUI thread."""
        self.bridge.submit("snapshot", self._snapshot_job())

    @Slot()
    def demo_tick(self) -> None:
        """Add a little demo spend so the meter moves."""
        if not self.demo or self.paused or not self._seeded:
            return
        ctx = self.data_ctx

        def job() -> object:
            from tokenwallet.demo.ticker import tick_demo

            tick_demo(ctx.ledger(), ctx.clock())
            return []

        self.bridge.submit("demo", job)
        if self.data_ctx is not self.ctx:
            # An allowance or account added elsewhere (the command line) ends the demo too.
            own = self.ctx
            self.bridge.submit("own-data", lambda: has_own_data(own))

    @Slot(object)
    def on_polled(self, result: Any) -> None:
        """A poll (or demo step) finished: show alerts, remember errors and re-read the ledger."""
        self._seeded = True
        outcomes = result.outcomes if isinstance(result, PollResult) else (result or [])
        if isinstance(result, PollResult) and result.notices:
            self.show_notices(result.notices)
        errors = [str(getattr(o, "error", "") or "") for o in outcomes]
        self.poll_error = next((e for e in errors if e), "")
        self.refresh()

    @Slot(str, str)
    def on_job_failed(self, kind: str, message: str) -> None:
        """Show a failed job on the icon and in the dashboard; the app keeps running."""
        if kind == "test":  # a connection test that crashed is the dialog's news, not the icon's
            if self.settings_dialog is not None:
                self.settings_dialog.show_test_result(self._testing, message)
            return
        self._seeded = True
        self.poll_error = message
        if kind != "snapshot":
            self.refresh()
        elif self.snapshot is not None:
            self.render()

    @Slot(object)
    def on_snapshot(self, snapshot: LedgerSnapshot) -> None:
        """New figures arrived from the worker: render the tray and the dashboard."""
        first = self.snapshot is None
        self.snapshot = snapshot
        self.render()
        if first:
            release_startup_memory()

    def show_notices(self, notices: tuple[Any, ...]) -> None:
        """Show alert notices as tray messages (Linux already got them as desktop notifications)."""
        try:
            from tokenwallet.ui.notifier import TrayNotifier
        except ImportError:
            return
        notifier = TrayNotifier(self.tray.icon)
        for notice in notices:
            notifier(notice)

    def render(self) -> None:
        """Draw the tray (and the dashboard when it is open) from the last snapshot."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        options = display_options(self.ctx)
        now = self.data_ctx.clock()
        state = build_view_state(
            snapshot.statuses,
            primary_id=self.ctx.settings.primary_allowance,
            now=now,
            last_update=snapshot.last_update,
            failing=bool(self.poll_error) or snapshot.failing,
            paused=self.paused,
            poll_interval=timedelta(minutes=self.ctx.settings.poll_interval_minutes),
            options=options,
            demo=self.demo,
        )
        self.tray.render(state)
        if not self.demo:
            self._remember_icon(state.percent, state.severity)
        if self.dashboard is not None:
            if self.dashboard.alert_history is None:
                self._attach_alert_history()
            self.dashboard.set_options(options, demo=self.demo)
            self.dashboard.show_snapshot(snapshot, now)

    def _remember_icon(self, percent: float | None, severity: Severity) -> None:
        """Keep the meter for the next start's first icon (written only when what it shows changed)."""
        shown = (round(percent or 0), severity)
        if shown == self._cached_icon:
            return
        self._cached_icon = shown
        from tokenwallet.ui.icon_cache import ICON_CACHE_FILE, CachedIcon, write_cached_icon

        write_cached_icon(self.ctx.paths.cache_dir / ICON_CACHE_FILE, CachedIcon(percent, severity))

    # ----- sleep and pause
    @Slot()
    def check_wake(self, wall_now: float | None = None) -> bool:
        """After sleep (timers do not fire while suspended) the wall clock jumps: refresh at once."""
        wall = time.time() if wall_now is None else wall_now
        gap = wall - self._last_wall
        self._last_wall = wall
        if gap > WAKE_TICK_MS / 1000 + WAKE_GAP.total_seconds():
            log.info("woke up after %.0f s; polling now", gap)
            self.wakes += 1
            self.poll_now()
            return True
        return False

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        """Pause or resume polling; the icon shows a badge while paused."""
        self.paused = paused
        self.tray.paused = paused
        if paused:
            self.poll_timer.stop()
        else:
            self.poll_timer.start()
            self.poll_now()
        self.render()

    # ----- windows
    @Slot()
    def show_dashboard(self) -> None:
        """Build the dashboard on first use, then bring it forward."""
        if self.dashboard is None:
            from tokenwallet.ui.dashboard import DashboardWindow

            self.dashboard = DashboardWindow()
            self.dashboard.keep_in_tray = tray_available()
            self.dashboard.refresh_requested.connect(self.poll_now)
            self.dashboard.settings_requested.connect(self.show_settings)
            self.dashboard.hide_amounts_changed.connect(self.set_hide_amounts)
            self.dashboard.quit_requested.connect(self.quit)
            self.dashboard.export_requested.connect(self.show_export)
            # The alert history reads the ledger on this thread: attach it once a snapshot has
            # arrived, i.e. after the worker opened (and, on a first run, created) the ledger.
            self.dashboard.set_options(display_options(self.ctx), demo=self.demo)
            if self.snapshot is not None:
                self._attach_alert_history()
                self.dashboard.show_snapshot(self.snapshot, self.data_ctx.clock())
        self.dashboard.bring_forward()

    def _attach_alert_history(self) -> None:
        if self.dashboard is None:
            return
        try:
            from tokenwallet.ui.alert_history import AlertHistoryWidget
        except ImportError:
            return
        self.dashboard.add_alert_history(AlertHistoryWidget(self.data_ctx.ledger()))

    @Slot()
    def show_export(self) -> None:
        """Open the monthly report export dialog of the reports package."""
        try:
            from tokenwallet.ui.report_export import ReportExportDialog
        except ImportError:
            return
        dialog = ReportExportDialog(self.data_ctx, self.dashboard)
        dialog.show()
        self._export_dialog = dialog

    @Slot(bool)
    def set_hide_amounts(self, hidden: bool) -> None:
        """Save the screen-sharing switch and redraw."""
        self.ctx.save_settings(self.ctx.settings.replace(hide_amounts=hidden))
        self.render()

    def secret_store(self) -> SecretStore:
        """The OS keyring; when none is usable, session-only keys in memory (never a plaintext file)."""
        if self._store is None:
            from tokenwallet.services.accounts import keyring_problem

            store = self.ctx.secret_store()
            self.keyring_problem = keyring_problem(store)
            self._store = self.ctx.use_session_only_keys() if self.keyring_problem else store
        return self._store

    @Slot()
    def show_settings(self) -> None:
        """Open the settings dialog (one at a time)."""
        if self.settings_dialog is None:
            from tokenwallet.ui.settings_dialog import SettingsDialog

            store = self.secret_store()
            self.settings_dialog = SettingsDialog(
                self.ctx, store, tester=self.test_connection, keyring_problem=self.keyring_problem
            )
            self.settings_dialog.changed.connect(self.on_settings_changed)
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        self.settings_dialog.activateWindow()

    def test_connection(self, account_id: str) -> None:
        """Poll one account on a worker (a real request with the stored key); the dialog gets the result."""
        ctx = self.ctx

        def job() -> object:
            from tokenwallet.services.accounts import check_connection

            outcome = check_connection(ctx, account_id)
            return (account_id, str(outcome.error or ""))

        self._testing = account_id
        self.bridge.submit("test", job)

    @Slot(str, object)
    def _on_job_done(self, kind: str, value: object) -> None:
        if kind == "own-data":
            if value is True and self.data_ctx is not self.ctx:
                self.on_settings_changed()
            return
        if kind == "reschedule":
            self.poll_due()  # what the new interval made due polls now (unless paused)
            return
        if kind == "test" and isinstance(value, tuple):
            account_id, problem = value
            if self.settings_dialog is not None:
                self.settings_dialog.show_test_result(account_id, problem)
            self.refresh()  # the test was a real poll: new figures and sync times

    @Slot()
    def on_settings_changed(self) -> None:
        """Apply new settings; leave the demo once the user has an allowance or account of their own."""
        if self.data_ctx is not self.ctx and has_own_data(self.ctx):
            log.info("own data added: leaving demo mode")
            old = self.data_ctx
            self.data_ctx = self.ctx
            self.demo = False
            self.demo_timer.stop()
            old.close()
            self.retired_demo_homes.append(old)
            self.snapshot = None
            self._attach_alert_history()  # the history now reads the user's ledger
        minutes = self.ctx.settings.poll_interval_minutes
        if self._poll_minutes and minutes != self._poll_minutes:
            self.apply_poll_interval(minutes)
            return
        self.poll_now()

    def apply_poll_interval(self, minutes: int) -> None:
        """A new poll interval, live: retime the tick, move each account's next poll, poll what is now due."""
        log.info("poll interval now %d min", minutes)
        self._poll_minutes = minutes
        self.poll_timer.setInterval(poll_tick_ms(minutes))  # restarts the timer if it runs
        if self.data_ctx is not self.ctx:
            self.poll_now()  # demo data: the user's own accounts are not polled yet
            return
        ctx = self.ctx
        self.bridge.submit("reschedule", lambda: reschedule_polls(ctx.ledger(), minutes))
