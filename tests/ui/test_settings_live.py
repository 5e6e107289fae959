"""Settings applied while the app runs: the connection test off the GUI thread, a new poll interval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tokenwallet.domain.accounts import Account, AccountKind, SyncState
from tokenwallet.secrets.store import ApiKey, MemorySecretStore

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def emulator():  # type: ignore[no-untyped-def]
    from tokenwallet.emulator import start_emulator

    running = start_emulator()
    yield running
    running.stop()


def _add_openai(ctx, store, emulator, now, key: str) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts

    accounts.add(
        ctx.ledger(),
        Account(id="work-openai", kind=AccountKind.OPENAI, label="Work OpenAI", base_url=emulator.base_url("openai")),
        at=now,
    )
    store.set("work-openai", ApiKey(key))


def _close(app, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Let every operation be delivered, then shut the app down before the next test runs."""
    qtbot.waitUntil(lambda: app.bridge.pending() == 0, timeout=15000)
    app.shutdown()


@pytest.fixture
def live_app(app_context, emulator, now, qtbot):  # type: ignore[no-untyped-def]
    """A TrayApp on real worker threads with one OpenAI account on the emulator."""
    from tokenwallet.emulator import DEMO_KEYS
    from tokenwallet.ui.runtime.application import TrayApp

    store = app_context.use_session_only_keys()  # the store the poll service reads keys from
    _add_openai(app_context, store, emulator, now, DEMO_KEYS["openai"])
    app = TrayApp(app_context, store=store)
    yield app
    _close(app, qtbot)


def _select_account(dialog, account_id: str) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    for row in range(dialog.account_list.count()):
        if dialog.account_list.item(row).data(Qt.ItemDataRole.UserRole) == account_id:
            dialog.account_list.setCurrentRow(row)
            return
    raise AssertionError(f"{account_id} not in the list")


def test_connection_test_runs_off_the_gui_thread(live_app, emulator, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QElapsedTimer, QTimer

    emulator.set_fault("openai", "slow", count=None, delay=0.5)  # every request takes half a second
    live_app.show_settings()
    dialog = live_app.settings_dialog
    qtbot.waitUntil(lambda: dialog.accounts.account_list.count() == 1, timeout=10000)
    page = dialog.accounts
    _select_account(page, "work-openai")
    # Measure the GUI event loop while the test runs: a 5 ms timer that records its longest gap.
    clock = QElapsedTimer()
    gaps: list[int] = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: gaps.append(clock.restart()))
    clock.start()
    ticker.start()
    page.test_button.click()
    assert not page.test_button.isEnabled()  # no second test while one runs
    assert page.test_button.text() == "Testing…"
    assert "Asking the provider for Work OpenAI" in dialog.status.text()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=30000)
    ticker.stop()
    assert dialog.status.text() == "The provider answered: the key works."
    assert len(gaps) > 100  # the loop kept turning for the whole (multi-second) test ...
    # ... with no freeze: on the GUI thread the six slowed requests froze it for 6 × 0.5 s = 3 s.  The
    # bound leaves room for a busy machine taking the CPU away for a moment, which is not a freeze.
    assert max(gaps) < 1000


def test_failed_connection_test_says_why_in_plain_words(app_context, emulator, now, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.runtime.application import TrayApp

    store = app_context.use_session_only_keys()
    _add_openai(app_context, store, emulator, now, "sk-not-a-real-key-000000000000")
    app = TrayApp(app_context, store=store)
    try:
        app.show_settings()
        dialog = app.settings_dialog
        qtbot.waitUntil(lambda: dialog.accounts.account_list.count() == 1, timeout=10000)
        _select_account(dialog.accounts, "work-openai")
        dialog.accounts.test_button.click()
        qtbot.waitUntil(dialog.accounts.test_button.isEnabled, timeout=30000)
        text = dialog.status.text()
        assert text.startswith("The connection test failed: ")
        assert "sk-not-a-real-key" not in text  # the key never reaches the screen
        assert app.poll_error == ""  # a failed test is the dialog's news, not the icon's
    finally:
        _close(app, qtbot)


def test_poll_interval_change_applies_without_restart(allowance_ctx, now, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts, sync_state
    from tokenwallet.sync.schedule import due
    from tokenwallet.ui.runtime.application import TrayApp
    from tokenwallet.ui.runtime.bridge import InlineExecutor

    db = allowance_ctx.ledger()
    accounts.add(db, Account(id="acct", kind=AccountKind.OPENAI, label="Work"), at=now)
    last = now - timedelta(minutes=3)
    sync_state.put(db, SyncState(account_id="acct", last_success=last, next_due=last + timedelta(minutes=60)))
    allowance_ctx.save_settings(allowance_ctx.settings.replace(poll_interval_minutes=60))
    app = TrayApp(allowance_ctx, executor=InlineExecutor(), store=MemorySecretStore())
    checks: list[str] = []
    app.poll_due = lambda: checks.append("due")  # type: ignore[method-assign]
    app.poll_now = lambda: checks.append("now")  # type: ignore[method-assign]
    app.start(open_dashboard=False)
    assert app.poll_timer.isActive() and app.poll_timer.interval() == 60_000
    service = allowance_ctx.poll_service()
    assert service.interval == timedelta(minutes=60)

    # The user picks 10 minutes in Settings: the next poll moves from last + 60 to last + 10 min.
    app.show_settings()
    dialog = app.settings_dialog.general
    dialog.poll_minutes.setValue(10)
    dialog.save()
    assert sync_state.get(db, "acct").next_due == last + timedelta(minutes=10)
    assert due([sync_state.get(db, "acct")], now) == []
    assert allowance_ctx.poll_service() is service and service.interval == timedelta(minutes=10)
    assert checks == ["due"]  # the schedule was asked at once, not at the next restart

    # Then 1 minute: the last poll was 3 minutes ago, so the account is due now; the timer ticks faster.
    dialog.poll_minutes.setValue(1)
    dialog.save()
    assert sync_state.get(db, "acct").next_due == last + timedelta(minutes=1)
    assert due([sync_state.get(db, "acct")], now) == ["acct"]
    assert checks == ["due", "due"]
    assert app.poll_timer.isActive() and app.poll_timer.interval() == 30_000
    assert allowance_ctx.poll_service().interval == timedelta(minutes=1)  # the next poll uses it

    # Other settings leave the schedule alone and just refresh.
    dialog.rate.setText("2")
    dialog.save()
    assert checks == ["due", "due", "now"]
    _close(app, qtbot)


def test_adding_an_allowance_while_another_process_writes_keeps_the_window_alive(app_context, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The ledger stays locked past SQLite's busy timeout: the window keeps turning and says why in plain words."""
    import sqlite3

    from PySide6.QtCore import QElapsedTimer, QTimer

    from tokenwallet.ledger import allowances
    from tokenwallet.ledger.db import BUSY_TIMEOUT_MS
    from tokenwallet.ui.runtime.application import TrayApp

    app_context.ledger()  # the ledger exists before the other writer takes its lock
    app = TrayApp(app_context, store=MemorySecretStore())
    other = sqlite3.connect(app_context.paths.ledger_file, isolation_level=None)
    try:
        app.show_settings()
        dialog = app.settings_dialog
        page = dialog.allowances
        qtbot.waitUntil(lambda: page.buttons[0].isEnabled(), timeout=10000)  # the first read arrived
        other.execute("BEGIN IMMEDIATE")  # another process is writing and keeps the write lock
        clock = QElapsedTimer()
        gaps: list[int] = []
        ticker = QTimer()
        ticker.setInterval(5)
        ticker.timeout.connect(lambda: gaps.append(clock.restart()))
        clock.start()
        ticker.start()
        page.fields.name.setText("Work")
        page.fields.amount.setText("200")
        page.buttons[0].click()  # Add allowance
        assert not page.buttons[0].isEnabled()  # no second add while this one waits
        qtbot.waitUntil(lambda: "failed" in dialog.status.text(), timeout=BUSY_TIMEOUT_MS + 10000)
        ticker.stop()
        assert dialog.status.text() == (
            "Adding the allowance failed: another tokenwallet process is writing; try again"
        )
        assert page.buttons[0].isEnabled()
        assert len(gaps) > BUSY_TIMEOUT_MS / 50  # the loop kept turning while the worker waited ...
        # ... with no freeze: on the GUI thread it froze for the whole busy timeout.  The bound leaves
        # room for a busy machine taking the CPU away for a moment, which is not a freeze.
        assert max(gaps) < 1000
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert allowances.list_allowances(app_context.ledger()) == []  # nothing half-written
    _close(app, qtbot)
