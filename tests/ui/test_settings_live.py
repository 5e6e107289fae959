"""Settings applied while the app runs: the connection test off the GUI thread, a new poll interval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tokenwallet.domain.accounts import Account, AccountKind, SyncState
from tokenwallet.secrets.store import ApiKey, MemorySecretStore

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture(autouse=True)
def _collect_earlier_windows(qtbot):  # type: ignore[no-untyped-def]
    """Free the Qt objects earlier tests left for the garbage collector before threads start.

    A collection that happens mid-test would destroy those windows at an arbitrary point of the
    event loop; doing it here keeps each test about its own app.
    """
    import gc

    gc.collect()
    qtbot.wait(10)
    yield


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
    """Let every job finish and its result land, then delete the app before the next test runs."""
    for timer in (app.poll_timer, app.wake_timer, app.demo_timer):
        timer.stop()
    wait = getattr(app.bridge.executor, "wait", None)
    for _ in range(3):  # a delivered result may start one more job (a test refreshes the figures)
        if wait is not None:
            wait(15000)
        qtbot.wait(20)
    if app.settings_dialog is not None:
        app.settings_dialog.close()
    app.tray.icon.hide()
    app.deleteLater()
    qtbot.wait(20)


@pytest.fixture
def live_app(app_context, emulator, now, qtbot):  # type: ignore[no-untyped-def]
    """A TrayApp on real worker threads with one OpenAI account on the emulator."""
    from tokenwallet.emulator import DEMO_KEYS
    from tokenwallet.ui.application import TrayApp

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
    _select_account(dialog, "work-openai")
    # Measure the GUI event loop while the test runs: a 5 ms timer that records its longest gap.
    clock = QElapsedTimer()
    gaps: list[int] = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: gaps.append(clock.restart()))
    clock.start()
    ticker.start()
    dialog.test_button.click()
    assert not dialog.test_button.isEnabled()  # no second test while one runs
    assert dialog.test_button.text() == "Testing…"
    assert "Asking the provider for Work OpenAI" in dialog.status.text()
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=30000)
    ticker.stop()
    assert dialog.status.text() == "The provider answered: the key works."
    assert len(gaps) > 100  # the loop kept turning for the whole (multi-second) test ...
    # ... with no freeze: on the GUI thread the six slowed requests froze it for 6 × 0.5 s = 3 s.  The
    # bound leaves room for a busy machine taking the CPU away for a moment, which is not a freeze.
    assert max(gaps) < 1000


def test_failed_connection_test_says_why_in_plain_words(app_context, emulator, now, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.application import TrayApp

    store = app_context.use_session_only_keys()
    _add_openai(app_context, store, emulator, now, "sk-not-a-real-key-000000000000")
    app = TrayApp(app_context, store=store)
    try:
        app.show_settings()
        dialog = app.settings_dialog
        _select_account(dialog, "work-openai")
        dialog.test_button.click()
        qtbot.waitUntil(dialog.test_button.isEnabled, timeout=30000)
        text = dialog.status.text()
        assert text.startswith("The connection test failed: ")
        assert "sk-not-a-real-key" not in text  # the key never reaches the screen
        assert app.poll_error == ""  # a failed test is the dialog's news, not the icon's
    finally:
        _close(app, qtbot)


def test_poll_interval_change_applies_without_restart(allowance_ctx, now, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts, sync_state
    from tokenwallet.sync.schedule import due
    from tokenwallet.ui.application import TrayApp
    from tokenwallet.ui.poll_bridge import inline_executor

    db = allowance_ctx.ledger()
    accounts.add(db, Account(id="acct", kind=AccountKind.OPENAI, label="Work"), at=now)
    last = now - timedelta(minutes=3)
    sync_state.put(db, SyncState(account_id="acct", last_success=last, next_due=last + timedelta(minutes=60)))
    allowance_ctx.save_settings(allowance_ctx.settings.replace(poll_interval_minutes=60))
    app = TrayApp(allowance_ctx, executor=inline_executor, store=MemorySecretStore())
    checks: list[str] = []
    app.poll_due = lambda: checks.append("due")  # type: ignore[method-assign]
    app.poll_now = lambda: checks.append("now")  # type: ignore[method-assign]
    app.start(open_dashboard=False)
    assert app.poll_timer.isActive() and app.poll_timer.interval() == 60_000
    service = allowance_ctx.poll_service()
    assert service.interval == timedelta(minutes=60)

    # The user picks 10 minutes in Settings: the next poll moves from last + 60 to last + 10 min.
    app.show_settings()
    dialog = app.settings_dialog
    dialog.poll_minutes.setValue(10)
    dialog.save_general()
    assert sync_state.get(db, "acct").next_due == last + timedelta(minutes=10)
    assert due([sync_state.get(db, "acct")], now) == []
    assert allowance_ctx.poll_service() is service and service.interval == timedelta(minutes=10)
    assert checks == ["due"]  # the schedule was asked at once, not at the next restart

    # Then 1 minute: the last poll was 3 minutes ago, so the account is due now; the timer ticks faster.
    dialog.poll_minutes.setValue(1)
    dialog.save_general()
    assert sync_state.get(db, "acct").next_due == last + timedelta(minutes=1)
    assert due([sync_state.get(db, "acct")], now) == ["acct"]
    assert checks == ["due", "due"]
    assert app.poll_timer.isActive() and app.poll_timer.interval() == 30_000
    assert allowance_ctx.poll_service().interval == timedelta(minutes=1)  # the next poll uses it

    # Other settings leave the schedule alone and just refresh.
    dialog.rate.setText("1")
    dialog.save_general()
    assert checks == ["due", "due", "now"]
    _close(app, qtbot)
