"""The running tray app: wires the tray, the dashboard, settings and timers to background operations.

Every ledger, keyring and network call goes through :class:`~tokenwallet.ui.runtime.bridge.OperationBridge`:
an operation (a service call) runs on a worker, and its result comes back to one of the slots
below on the GUI thread.  Start-up order keeps the footprint small: the tray icon is shown first
(Qt widgets and the icon painter only); the ledger, sqlite-utils and httpx are imported
afterwards, off the GUI thread where they do I/O.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from tokenwallet.domain.errors import TokenwalletError
from tokenwallet.platform.memory import release_startup_memory
from tokenwallet.services.alert_watch import MAX_WAIT, AlertCheck, AlertWatch
from tokenwallet.services.first_run import check_first_run, demo_context, has_own_data
from tokenwallet.services.meter_snapshot import keep_meter_current
from tokenwallet.services.poll_rounds import demo_round, demo_step, poll_round
from tokenwallet.services.polling import PollResult
from tokenwallet.sync.poll_interval import poll_tick_ms, reschedule_polls
from tokenwallet.ui.display import display_options
from tokenwallet.ui.runtime.bridge import Executor, OperationBridge, WorkerPool
from tokenwallet.ui.runtime.errors import explain
from tokenwallet.ui.runtime.signal_guard import emit
from tokenwallet.ui.tray.controller import TrayController, tray_available
from tokenwallet.ui.tray.icon_cache import ICON_CACHE_FILE, CachedIcon, write_cached_icon
from tokenwallet.ui.tray.meter_state import Severity
from tokenwallet.ui.tray.view_state import build_view_state

if TYPE_CHECKING:
    from tokenwallet.alerts.delivery import Notice
    from tokenwallet.app import AppContext
    from tokenwallet.emulator import RunningEmulator
    from tokenwallet.ledger.alerts import AlertEvent
    from tokenwallet.secrets.store import SecretStore
    from tokenwallet.services.compensation import CompensationView
    from tokenwallet.services.snapshot import LedgerSnapshot
    from tokenwallet.ui.dashboard.window import DashboardWindow
    from tokenwallet.ui.reports.export_dialog import ReportExportDialog
    from tokenwallet.ui.settings.dialog import SettingsDialog

log = logging.getLogger(__name__)

WAKE_TICK_MS = 30_000
WAKE_GAP = timedelta(minutes=2)  # a wall-clock jump this much beyond the tick means we slept
DEMO_TICK_MS = 4_000
ALERT_HISTORY_ROWS = 200


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh read on a worker: the figures, and what the alert rules made of the ledger."""

    snapshot: LedgerSnapshot
    alerts: AlertCheck


def _refresh(ctx: AppContext, watch: AlertWatch) -> Refreshed:
    """Evaluate the alert rules if the ledger changed (or time says so), then read the figures."""
    from tokenwallet.services.snapshot import load_snapshot

    try:
        alerts = watch.check()
    except Exception as exc:  # the figures still come; the next refresh tries the alerts again
        log.warning("the alert rules could not be evaluated: %s", exc, exc_info=exc)
        alerts = AlertCheck(False, next_check=ctx.clock() + timedelta(minutes=1))
    snapshot = load_snapshot(ctx, ctx.clock())
    ctx.ledger_changed()  # every change the tray saw reaches the status line and the guard
    return Refreshed(snapshot, alerts)


def _refresh_if_changed(ctx: AppContext, watch: AlertWatch) -> Refreshed | None:
    """:func:`_refresh` when the ledger changed or time made an evaluation due; None when neither did."""
    if watch.unchanged():
        return None
    return _refresh(ctx, watch)


def _alert_history(ctx: AppContext) -> tuple[AlertEvent, ...]:
    from tokenwallet.services.alert_rules import alert_history

    return tuple(alert_history(ctx, limit=ALERT_HISTORY_ROWS))


class TrayApp(QObject):
    """One running tokenwallet tray app."""

    polled = Signal(object)
    """A :class:`~tokenwallet.services.polling.PollResult`, after a poll round (or demo step) was shown."""

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
        self.alert_watch = self._watch(self.data_ctx)
        self._store = store  # tests hand in a key store; otherwise the settings find a usable one
        self.retired_demo_homes: list[AppContext] = []
        if executor is None:
            executor = WorkerPool(on_thread_exit=self._close_thread_ledgers)
        self.bridge = OperationBridge(executor, explain=self._explain, parent=self)
        self._polls = self.bridge.lane("poll")
        self._reads = self.bridge.lane("snapshot")
        self._history = self.bridge.lane("alert history")
        self._checks = self.bridge.lane("own data")
        self._values = self.bridge.lane("compensation")
        self.tray = tray if tray is not None else TrayController()
        self.tray.setParent(self)
        if tray is not None:
            self.tray.rebuild_menu()  # a tray shown early by the launcher has no menu entries yet
        self._cached_icon: tuple[int, Severity] | None = None
        self.dashboard: DashboardWindow | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.export_dialog: ReportExportDialog | None = None
        self.snapshot: LedgerSnapshot | None = None
        self.paused = False
        self.poll_error = ""
        self.wakes = 0
        self._last_wall = time.time()
        self._seeded = False
        self._stopped = False
        self.emulators: list[RunningEmulator] = []  # the demo's provider emulator, stopped on quit
        self.poll_timer = QTimer(self)
        self.poll_timer.timeout.connect(self.poll_due)
        self.wake_timer = QTimer(self)
        self.wake_timer.setInterval(WAKE_TICK_MS)
        self.wake_timer.timeout.connect(self.check_wake)
        self.demo_timer = QTimer(self)
        self.demo_timer.setInterval(DEMO_TICK_MS)
        self.demo_timer.timeout.connect(self.demo_tick)
        self.alert_timer = QTimer(self)  # the next moment time alone changes what an alert rule sees
        self.alert_timer.setSingleShot(True)
        self.alert_timer.timeout.connect(self.refresh)
        self.tray.refresh_requested.connect(self.poll_now)
        self.tray.dashboard_requested.connect(self.show_dashboard)
        self.tray.settings_requested.connect(self.show_settings)
        self.tray.pause_toggled.connect(self.set_paused)
        self.tray.quit_requested.connect(self.quit)
        self._poll_minutes = 0  # the interval the timers were set for (0: not started)

    def _watch(self, data: AppContext) -> AlertWatch:
        """The alert watch of ``data``; notifications hide amounts as the user's own setting says."""
        return AlertWatch(data, hide_amounts=lambda: self.ctx.settings.hide_amounts)

    def _explain(self, exc: BaseException) -> TokenwalletError:
        return explain(exc, self.ctx)

    def _close_thread_ledgers(self) -> None:
        """On a worker thread that stops: close the ledger connections it opened."""
        for ctx in {id(c): c for c in (self.ctx, self.data_ctx, *self.retired_demo_homes)}.values():
            ctx.close()

    # ----- start and stop
    def start(self, *, open_dashboard: bool, first_run_check: bool = False) -> None:
        """Show the icon at once, then load data off the GUI thread.

        With ``first_run_check`` a worker first looks whether the user has an allowance or an
        account; when not, the app shows the demo (in a throwaway home) until they add one.
        """
        self.tray.show()
        self._poll_minutes = self.ctx.settings.poll_interval_minutes
        self.poll_timer.setInterval(poll_tick_ms(self._poll_minutes))
        self.poll_timer.start()
        self.wake_timer.start()
        if open_dashboard:
            QTimer.singleShot(0, self.show_dashboard)
        if first_run_check:
            self.bridge.run(partial(check_first_run, self.ctx), self._on_first_run_checked, self._on_first_run_failed)
        else:
            self._begin()

    def _begin(self) -> None:
        if self.demo:
            self.demo_timer.start()
        QTimer.singleShot(0, self.poll_now)

    def _on_first_run_checked(self, own_data: bool) -> None:
        if not own_data and not self.demo:
            log.info("no allowance or account yet: showing the demo data")
            self.data_ctx = demo_context()
            self.alert_watch = self._watch(self.data_ctx)
            self.demo = True
        self._begin()

    def _on_first_run_failed(self, error: TokenwalletError) -> None:
        log.warning("start-up check failed: %s", error)
        self.poll_error = str(error)
        self._begin()

    def shutdown(self) -> None:
        """Stop timers, let running operations finish, close the windows and the ledger connections."""
        if self._stopped:
            return
        self._stopped = True
        for timer in (self.poll_timer, self.wake_timer, self.demo_timer, self.alert_timer):
            timer.stop()
        self.bridge.shutdown(5000)
        for window in (self.export_dialog, self.settings_dialog, self.dashboard):
            if window is not None:
                window.hide()
                window.deleteLater()
        self.export_dialog = self.settings_dialog = self.dashboard = None
        self.tray.icon.hide()
        for emulator in self.emulators:
            emulator.stop()
        self.ctx.shutdown()
        if self.data_ctx is not self.ctx:
            self.data_ctx.shutdown()

    @Slot()
    def quit(self) -> None:
        """Shut down and leave the event loop."""
        self.shutdown()
        instance = QApplication.instance()
        if instance is not None:
            instance.quit()

    # ----- polls and figures
    @Slot()
    def poll_now(self) -> None:
        """Poll every account now (or seed the demo), then refresh the views."""
        if self.paused and self._seeded:
            self.refresh()
            return
        self._poll(everything=True)

    @Slot()
    def poll_due(self) -> None:
        """Timer tick: poll the accounts whose time has come (the schedule is by wall clock).

        While paused the figures are still read again, so spend recorded elsewhere (the command
        line) is shown and its alerts evaluated.
        """
        if self.paused or self._nothing_due():
            self.refresh_if_changed()
        else:
            self._poll(everything=False)

    def _nothing_due(self) -> bool:
        """True when the figures last read say no account is due yet (an account added elsewhere
        changes the ledger, so the refresh reads it and the next tick polls it)."""
        snapshot = self.snapshot
        if snapshot is None or self.demo:
            return False
        now = self.data_ctx.clock()
        return all(row.next_due is not None and row.next_due > now for row in snapshot.accounts)

    def _poll(self, *, everything: bool) -> None:
        ctx = self.data_ctx
        if self.demo:
            op = partial(demo_round, ctx, self.emulators, seeded=self._seeded)
        else:
            op = partial(poll_round, ctx, everything=everything)
        self.bridge.run(op, self.on_polled, self.on_poll_failed, lane=self._polls)

    @Slot()
    def refresh(self) -> None:
        """Evaluate the alert rules if the ledger changed, and re-read the figures, off the GUI thread."""
        self.bridge.run(
            partial(_refresh, self.data_ctx, self.alert_watch),
            self.on_refreshed,
            self.on_snapshot_failed,
            lane=self._reads,
        )

    def refresh_if_changed(self) -> None:
        """:meth:`refresh` unless nothing changed since the last one (a timer tick that polled nothing).

        Re-reading unchanged figures every minute cost more CPU than the idle target allows; time
        alone is covered by the alert timer (:meth:`schedule_alerts`) and the next real poll.
        """
        self.bridge.run(
            partial(_refresh_if_changed, self.data_ctx, self.alert_watch),
            self._on_maybe_refreshed,
            self.on_snapshot_failed,
            lane=self._reads,
        )

    def _on_maybe_refreshed(self, refreshed: Refreshed | None) -> None:
        if refreshed is not None:
            self.on_refreshed(refreshed)

    @Slot()
    def demo_tick(self) -> None:
        """Add a little demo spend so the meter moves; notice data the user added elsewhere."""
        if not self.demo or self.paused or not self._seeded:
            return
        self.bridge.run(partial(demo_step, self.data_ctx), self.on_polled, self.on_poll_failed, lane=self._polls)
        if self.data_ctx is not self.ctx:
            # An allowance or account added elsewhere (the command line) ends the demo too.
            self.bridge.run(partial(has_own_data, self.ctx), self._on_own_data_checked, lane=self._checks)

    def on_polled(self, result: PollResult) -> None:
        """A poll round (or demo step) finished: remember errors, evaluate the alerts and re-read the ledger."""
        self._seeded = True
        error = next((str(o.error) for o in result.outcomes if o.error), "")
        if result.outcomes or error != self.poll_error:
            self.poll_error = error
            self.refresh()
        else:  # no account was due: the ledger changed only if something else wrote to it
            self.refresh_if_changed()
        emit(self.polled, result)  # once per poll round, all day long: through the guard

    def on_poll_failed(self, error: TokenwalletError) -> None:
        """A poll round failed as a whole: show it on the icon and in the dashboard; the app keeps running."""
        self._seeded = True
        self.poll_error = str(error)
        self.refresh()

    def on_refreshed(self, refreshed: Refreshed) -> None:
        """A refresh finished: show the alerts it recorded, time the next evaluation, render the figures."""
        alerts = refreshed.alerts
        if alerts.notices:
            self.show_notices(alerts.notices)
        self.schedule_alerts(alerts.next_check)
        self.on_snapshot(refreshed.snapshot)

    def schedule_alerts(self, moment: datetime | None) -> None:
        """Refresh at ``moment`` (a period resets, a grant lapses, quiet hours end), within :data:`MAX_WAIT`."""
        if moment is None or self._stopped:
            return
        wait = (moment - self.data_ctx.clock()).total_seconds()
        self.alert_timer.start(int(min(max(wait, 1.0), MAX_WAIT.total_seconds()) * 1000))

    def on_snapshot(self, snapshot: LedgerSnapshot) -> None:
        """New figures arrived from the worker: render the tray and the dashboard."""
        first = self.snapshot is None
        self.snapshot = snapshot
        self.render()
        if first:
            release_startup_memory()

    def on_snapshot_failed(self, error: TokenwalletError) -> None:
        """The ledger could not be read: keep the last figures and say why."""
        self._seeded = True
        self.poll_error = str(error)
        self.render()

    def show_notices(self, notices: tuple[Notice, ...]) -> None:
        """Show alert notices as tray messages (Linux already got them as desktop notifications)."""
        from tokenwallet.ui.tray.notifier import TrayNotifier

        notifier = TrayNotifier(self.tray.icon)
        for notice in notices:
            notifier(notice)

    def render(self) -> None:
        """Draw the tray (and the dashboard when it is open) from the last snapshot."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        options = display_options(self.ctx.settings)
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
            limits=snapshot.limits,
            month=snapshot.month_to_date,
        )
        self.tray.render(state)
        if not self.demo:
            self._remember_icon(state.percent, state.severity)
        if self.dashboard is not None:
            self.dashboard.set_options(options, demo=self.demo)
            self.dashboard.show_snapshot(snapshot, now)
            self._load_alert_history()

    def _remember_icon(self, percent: float | None, severity: Severity) -> None:
        """Keep the meter for the next start's first icon (written only when what it shows changed)."""
        shown = (round(percent or 0), severity)
        if shown == self._cached_icon:
            return
        self._cached_icon = shown
        path = self.ctx.paths.cache_dir / ICON_CACHE_FILE
        self.bridge.run(partial(write_cached_icon, path, CachedIcon(percent, severity)), _ignore)

    def _load_alert_history(self) -> None:
        self.bridge.run(partial(_alert_history, self.data_ctx), self._show_alert_history, lane=self._history)

    def _show_alert_history(self, events: tuple[AlertEvent, ...]) -> None:
        if self.dashboard is not None:
            self.dashboard.alert_history.show_events(list(events))

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
            from tokenwallet.ui.dashboard.window import DashboardWindow

            self.dashboard = DashboardWindow()
            self.dashboard.keep_in_tray = tray_available()
            self.dashboard.refresh_requested.connect(self.poll_now)
            self.dashboard.settings_requested.connect(self.show_settings)
            self.dashboard.hide_amounts_changed.connect(self.set_hide_amounts)
            self.dashboard.quit_requested.connect(self.quit)
            self.dashboard.export_requested.connect(self.show_export)
            self.dashboard.link_requested.connect(self.link_streams)
            self.dashboard.make_allowance_requested.connect(self.new_allowance)
            self.dashboard.compensation_requested.connect(self.load_compensation)
            self.dashboard.set_options(display_options(self.ctx.settings), demo=self.demo)
            if self.snapshot is not None:
                self.dashboard.show_snapshot(self.snapshot, self.data_ctx.clock())
                self._load_alert_history()
        self.dashboard.bring_forward()

    @Slot(str, str)
    def link_streams(self, logs: str, account: str) -> None:
        """Make a suggested link: ``logs`` (an agent-log source) is billed through ``account``."""
        from tokenwallet.services.accounts import set_stream

        self.bridge.run(partial(set_stream, self.data_ctx, logs, billed_by=account), self._redraw_after, self._failed)

    def _redraw_after(self, _: object = None) -> None:
        self.refresh()

    def _failed(self, error: TokenwalletError) -> None:
        log.warning("a change from the dashboard failed: %s", error)
        if self.dashboard is not None:
            self.dashboard.problems.setText(str(error))
            self.dashboard.problems.show()

    @Slot()
    def load_compensation(self) -> None:
        """Compute the Compensation view's figures in the background."""
        from tokenwallet.services.compensation import compensation

        self.bridge.run(partial(compensation, self.data_ctx), self._show_compensation, self._failed, lane=self._values)

    def _show_compensation(self, view: CompensationView) -> None:
        if self.dashboard is not None:
            self.dashboard.show_compensation(view)

    @Slot(int)
    def new_allowance(self, amount_micros: int) -> None:
        """Open the allowance editor with a monthly usd allowance of ``amount_micros`` filled in."""
        self.show_settings()
        dialog = self.settings_dialog
        if dialog is None:
            return
        page = dialog.allowances
        dialog.tabs.setCurrentWidget(page)
        page.fields.name.setText("My AI allowance")
        page.fields.amount.setText(str(amount_micros // 1_000_000))
        page.fields.unit.setCurrentText("usd")
        page.fields.cadence.setCurrentText("monthly")
        page.fields.name.setFocus()

    @Slot()
    def show_export(self) -> None:
        """Open the monthly report export dialog."""
        from tokenwallet.ui.reports.export_dialog import ReportExportDialog

        self.export_dialog = ReportExportDialog(self.data_ctx, self.bridge, self.dashboard)
        self.export_dialog.show()

    @Slot(bool)
    def set_hide_amounts(self, hidden: bool) -> None:
        """Save the screen-sharing switch, then redraw the tray (the dashboard already did)."""
        ctx = self.ctx

        def save() -> None:
            ctx.save_settings(ctx.settings.replace(hide_amounts=hidden))

        self.bridge.run(save, self._redraw)

    def _redraw(self, _: object = None) -> None:
        self.render()

    @Slot()
    def show_settings(self) -> None:
        """Open the settings dialog (one at a time)."""
        if self.settings_dialog is None:
            from tokenwallet.ui.settings.dialog import SettingsDialog

            self.settings_dialog = SettingsDialog(
                self.ctx, self.bridge, store=self._store, keyring_problem="" if self._store is not None else None
            )
            self.settings_dialog.changed.connect(self.on_settings_changed)
            self.settings_dialog.figures_changed.connect(self.refresh)
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        self.settings_dialog.activateWindow()

    @Slot()
    def on_settings_changed(self) -> None:
        """Apply new settings; leave the demo once the user has an allowance or account of their own."""
        if self.data_ctx is not self.ctx:
            self.bridge.run(partial(has_own_data, self.ctx), self._apply_settings, self._apply_settings_anyway)
        else:
            self._apply_settings(False)

    def _on_own_data_checked(self, own: bool) -> None:
        if own and self.data_ctx is not self.ctx:
            self._apply_settings(True)

    def _apply_settings_anyway(self, error: TokenwalletError) -> None:
        log.warning("could not check for data of your own: %s", error)
        self._apply_settings(False)

    def _apply_settings(self, own_data: bool) -> None:
        if own_data and self.data_ctx is not self.ctx:
            self._leave_demo()
        minutes = self.ctx.settings.poll_interval_minutes
        if self._poll_minutes and minutes != self._poll_minutes:
            self.apply_poll_interval(minutes)
            return
        self.poll_now()

    def _leave_demo(self) -> None:
        log.info("own data added: leaving demo mode")
        old = self.data_ctx
        self.data_ctx = self.ctx
        self.alert_watch = self._watch(self.ctx)
        self.demo = False
        self.demo_timer.stop()
        old.close()
        self.retired_demo_homes.append(old)
        self.snapshot = None

    def apply_poll_interval(self, minutes: int) -> None:
        """A new poll interval, live: retime the tick, move each account's next poll, poll what is now due."""
        log.info("poll interval now %d min", minutes)
        self._poll_minutes = minutes
        self.poll_timer.setInterval(poll_tick_ms(minutes))  # restarts the timer if it runs
        if self.data_ctx is not self.ctx:
            self.poll_now()  # demo data: the user's own accounts are not polled yet
            return
        ctx = self.ctx

        def reschedule() -> None:
            reschedule_polls(ctx.ledger(), minutes)

        self.bridge.run(reschedule, self._poll_due_now)

    def _poll_due_now(self, _: object = None) -> None:
        self.poll_due()  # what the new interval made due polls now (unless paused)


def _ignore(_: object) -> None:
    """A result nobody needs (a cache file written)."""
