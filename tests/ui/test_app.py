"""The running app with an inline executor: refresh, pause, wake from sleep, demo, settings, bridge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tokenwallet.secrets.store import MemorySecretStore
from tokenwallet.ui.runtime.bridge import InlineExecutor

pytestmark = pytest.mark.usefixtures("qapp")


class FailingStore(MemorySecretStore):
    """A keyring that refuses every key, like a locked or missing one."""

    def check(self) -> None:
        from tokenwallet.domain.errors import SecretStoreError

        raise SecretStoreError("no Secret Service is running")

    def set(self, account_id, key) -> None:  # type: ignore[no-untyped-def]
        self.check()

    def delete(self, account_id) -> None:  # type: ignore[no-untyped-def]
        self.check()


@pytest.fixture
def tray_app(allowance_ctx):  # type: ignore[no-untyped-def]
    from tokenwallet.ui.runtime.application import TrayApp

    app = TrayApp(allowance_ctx, executor=InlineExecutor(), store=MemorySecretStore())
    yield app
    app.shutdown()


def test_start_loads_figures_into_tray(tray_app, now) -> None:  # type: ignore[no-untyped-def]
    tray_app.start(open_dashboard=False)
    tray_app.poll_now()  # inline: poll (no accounts to poll) then snapshot
    assert tray_app.snapshot is not None
    assert tray_app.tray.state is not None
    assert round(tray_app.tray.state.percent or 0) == 40
    assert "Work: $60.00 left" in tray_app.tray.icon.toolTip()


def test_wall_clock_jump_counts_as_wake_and_polls(tray_app) -> None:  # type: ignore[no-untyped-def]
    base = 1_000_000.0
    tray_app._last_wall = base
    assert not tray_app.check_wake(base + 30)
    assert tray_app.snapshot is None
    assert tray_app.check_wake(base + 30 + 3600)  # an hour asleep
    assert tray_app.wakes == 1
    assert tray_app.snapshot is not None  # it polled and refreshed at once


def test_pause_shows_badge_and_stops_timer(tray_app) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.view_state import Badge

    tray_app.start(open_dashboard=False)
    tray_app.poll_now()
    tray_app.set_paused(True)
    assert not tray_app.poll_timer.isActive()
    assert tray_app.tray.state.badge is Badge.PAUSED
    tray_app.set_paused(False)
    assert tray_app.poll_timer.isActive()
    assert tray_app.tray.state.badge is not Badge.PAUSED


def test_failed_poll_round_is_shown_not_raised(tray_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.errors import SourceError
    from tokenwallet.ui.runtime import application
    from tokenwallet.ui.tray.view_state import Badge

    tray_app.poll_now()

    def boom(ctx, *, everything):  # type: ignore[no-untyped-def]
        raise SourceError("the provider answered 500; tokenwallet tries again later")

    monkeypatch.setattr(application, "poll_round", boom)
    tray_app.poll_now()
    assert tray_app.poll_error == "the provider answered 500; tokenwallet tries again later"
    assert tray_app.tray.state.badge is Badge.ERROR


def test_a_bug_in_a_poll_round_is_said_in_plain_words(tray_app, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.runtime import application

    def boom(ctx, *, everything):  # type: ignore[no-untyped-def]
        raise KeyError("bucket_start")

    monkeypatch.setattr(application, "poll_round", boom)
    tray_app.poll_now()
    assert tray_app.poll_error.startswith("something unexpected went wrong (KeyError")
    assert "Traceback" in caplog.text  # the details are in the log, not on the screen


def test_dashboard_opens_with_snapshot(tray_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    tray_app.poll_now()
    tray_app.show_dashboard()
    assert tray_app.dashboard.isVisible()
    assert tray_app.dashboard.cards[0].title.text() == "Work"


def test_hide_amounts_switch_saved_in_settings(tray_app) -> None:  # type: ignore[no-untyped-def]
    tray_app.poll_now()
    tray_app.show_dashboard()
    tray_app.dashboard.hide_amounts.setChecked(True)
    assert tray_app.ctx.settings.hide_amounts
    assert "•••" in tray_app.tray.icon.toolTip()


def test_demo_is_seeded_labelled_and_left_when_user_adds_allowance(app_context, now, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.demo import emulator, seed
    from tokenwallet.services.first_run import has_own_data
    from tokenwallet.ui.runtime.application import TrayApp

    monkeypatch.setattr(emulator, "start_demo_emulator", lambda: None)  # no server in this unit test
    from tokenwallet.app import AppContext

    demo_ctx = AppContext.create(str(app_context.paths.config_dir.parent.parent / "demo"), clock=app_context.clock)
    app = TrayApp(app_context, demo=True, data_ctx=demo_ctx, executor=InlineExecutor(), store=MemorySecretStore())
    app.poll_now()
    assert app.tray.state.demo and "Demo data" in app.tray.icon.toolTip()
    assert app.snapshot.statuses[0].name == seed.DEMO_ALLOWANCE_NAME
    assert not has_own_data(app_context)  # the demo lives in its own home, not the user's ledger
    app.demo_tick()
    before = app.snapshot.statuses[0].spent
    app.demo_tick()
    assert app.snapshot is not None and app.snapshot.statuses[0].spent > before  # the meter moves

    app.show_settings()
    page = app.settings_dialog.allowances
    page.fields.name.setText("Mine")
    page.fields.amount.setText("150")
    page._add_allowance()
    assert not app.demo
    assert [s.name for s in app.snapshot.statuses] == ["Mine"]
    assert not app.tray.state.demo
    app.shutdown()


def test_demo_is_left_when_an_allowance_is_added_from_the_command_line(app_context, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from tokenwallet.app import AppContext
    from tokenwallet.cli.root import cli
    from tokenwallet.demo import emulator, seed
    from tokenwallet.ui.runtime.application import TrayApp

    monkeypatch.setattr(emulator, "start_demo_emulator", lambda: None)
    demo_ctx = AppContext.create(str(app_context.paths.config_dir.parent.parent / "demo"), clock=app_context.clock)
    app = TrayApp(app_context, demo=True, data_ctx=demo_ctx, executor=InlineExecutor(), store=MemorySecretStore())
    app.poll_now()
    app.demo_tick()
    assert app.demo and app.snapshot.statuses[0].name == seed.DEMO_ALLOWANCE_NAME
    home = str(app_context.paths.config_dir.parent)
    result = CliRunner().invoke(cli, ["--home", home, "allowance", "add", "cli-made", "--amount", "40"])
    assert result.exit_code == 0, result.output
    app.demo_tick()  # the next tick sees the user's own allowance
    assert not app.demo and [s.name for s in app.snapshot.statuses] == ["cli-made"]
    app.shutdown()


def test_settings_adds_account_key_only_in_store(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts

    store = MemorySecretStore()
    dialog = settings_dialog(app_context, store)
    page = dialog.accounts
    page.account_label.setText("Work OpenAI")
    page.account_key.setText("sk-test-0123456789abcd")
    assert page.account_key.echoMode() == page.account_key.EchoMode.Password
    page._add_account()
    [account] = [a for a in accounts.list_accounts(app_context.ledger()) if a.label == "Work OpenAI"]
    assert store.get(account.id).reveal() == "sk-test-0123456789abcd"
    assert account.key_hint == "abcd"
    assert page.account_key.text() == ""  # the key left the form
    assert "sk-test" not in page.account_list.item(0).text()
    assert page.account_list.count() == 1


def test_settings_explains_missing_keyring_and_loses_nothing(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts

    dialog = settings_dialog(app_context, FailingStore())
    dialog.show()
    page = dialog.accounts
    assert page.keyring_note.isVisible()
    assert "session only" in page.keyring_note.text()
    page.account_label.setText("Work")
    page.account_key.setText("sk-test-0123456789abcd")
    page._add_account()
    assert "failed" in dialog.status.text() and "Secret Service" in dialog.status.text()
    assert [a for a in accounts.list_accounts(app_context.ledger()) if a.label == "Work"] == []


def test_settings_rejects_bad_allowance_with_plain_words(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import allowances

    dialog = settings_dialog(app_context)
    dialog.allowances.fields.name.setText("Work")
    dialog.allowances.fields.amount.setText("lots")
    dialog.allowances._add_allowance()
    assert "failed" in dialog.status.text() and "lots" in dialog.status.text()
    assert allowances.list_allowances(app_context.ledger()) == []


def test_settings_topup_and_general(allowance_ctx, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import allowances

    dialog = settings_dialog(allowance_ctx)
    page = dialog.allowances
    page.allowance_list.setCurrentRow(0)
    page.topup.amount.setText("25")
    page.topup_note.setText("conference")
    page._add_topup()
    grants = allowances.grants_for(allowance_ctx.ledger(), "a1")
    assert [g.amount for g in grants] == [25_000_000]
    assert grants[0].expires_at is not None
    general = dialog.general
    general.currency.setCurrentText("INR")
    general.rate.setText("83.2")
    general.grouping.setCurrentIndex(1)
    general.save()
    settings = allowance_ctx.settings
    assert (settings.display_currency, settings.currency_rate, settings.number_grouping) == ("INR", "83.2", "indian")
    general.rate.setText("-3")
    general.save()
    assert "positive number" in dialog.status.text()
    assert allowance_ctx.settings.currency_rate == "83.2"


def test_poll_interval_drives_staleness(tray_app, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.view_state import Badge

    tray_app.poll_now()
    snapshot = tray_app.snapshot
    from dataclasses import replace

    tray_app.snapshot = replace(snapshot, last_update=now - timedelta(hours=1))
    tray_app.render()
    assert tray_app.tray.state.badge is Badge.STALE


def test_dashboard_has_alert_history_tab(tray_app) -> None:  # type: ignore[no-untyped-def]
    tray_app.poll_now()
    tray_app.show_dashboard()
    tabs = tray_app.dashboard.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == [
        "Overview",
        "Compensation",
        "By provider and model",
        "Accounts",
        "Alerts",
    ]


def test_settings_refuses_what_the_command_line_refuses(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts

    store = MemorySecretStore()
    dialog = settings_dialog(app_context, store)
    page = dialog.accounts
    page.account_kind.setCurrentIndex(page.account_kind.findData("litellm"))
    page.account_label.setText("Company gateway")
    page.account_key.setText("sk-test-0123456789abcd")
    page._add_account()
    assert "failed" in dialog.status.text() and "needs its base URL" in dialog.status.text()
    page.account_url.setText("http://llm.corp.example")
    page._add_account()
    assert "failed" in dialog.status.text() and "https" in dialog.status.text()
    assert "--" not in dialog.status.text()  # no command-line options in the dialog
    assert accounts.list_accounts(app_context.ledger()) == [] and store.get("anything") is None


def test_settings_removes_an_account_even_when_its_key_cannot_be_deleted(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.accounts import AccountKind
    from tokenwallet.ledger import accounts
    from tokenwallet.services.accounts import add_account

    store = MemorySecretStore()
    account = add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key="sk-test-0123456789abcd")
    dialog = settings_dialog(app_context, FailingStore(), keyring_problem="")
    dialog.accounts.account_list.setCurrentRow(0)
    dialog.accounts._remove_account()
    assert "The account was removed" in dialog.status.text() and "could not be deleted" in dialog.status.text()
    assert accounts.list_accounts(app_context.ledger()) == [] and dialog.accounts.account_list.count() == 0
    assert store.get(account.id) is not None  # the key the message tells the user about
