"""The running app evaluates the alert rules after every change of the ledger, and when time says so.

The allowance of the fixture is $100 a month with $40 spent (see ``allowance_ctx``).  Each test
records the notices the app would show; a rule fires once per crossing however often it looks.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.ui.conftest import add_spend
from tokenwallet.secrets.store import MemorySecretStore
from tokenwallet.services import alert_watch
from tokenwallet.services.alert_rules import RuleRequest, add_rules
from tokenwallet.ui.runtime.bridge import InlineExecutor

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def shown(monkeypatch):  # type: ignore[no-untyped-def]
    """The notices the app shows (collected for the tray, not sent over D-Bus, on any platform)."""
    monkeypatch.setattr(alert_watch, "DESKTOP_NOTIFICATIONS", False)
    return []


@pytest.fixture
def app(allowance_ctx, shown, monkeypatch):  # type: ignore[no-untyped-def]
    from tokenwallet.ui.runtime.application import TrayApp

    add_rules(allowance_ctx, RuleRequest(kind="threshold", allowance="Work", percent=50))
    running = TrayApp(allowance_ctx, executor=InlineExecutor(), store=MemorySecretStore())
    monkeypatch.setattr(running, "show_notices", lambda notices: shown.extend(notices))
    yield running
    running.shutdown()


def _titles(notices) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.title for n in notices]


def test_manual_spend_from_the_command_line_fires_at_the_next_tick_once(app, allowance_ctx, shown, now) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from tokenwallet.cli.root import cli

    app.start(open_dashboard=False)
    app.poll_now()
    assert shown == []  # 40% used: under the rule's 50%
    first = app.alert_watch.evaluations
    result = CliRunner().invoke(
        cli,
        ["--home", str(allowance_ctx.paths.home), "usage", "add", "--amount", "15", "--provider", "openai"],
        env={"TOKENWALLET_NOW": now.isoformat()},
    )
    assert result.exit_code == 0, result.output
    app.poll_due()  # the minute tick: nothing to poll, but the ledger changed in another process
    assert _titles(shown) == ["Work: 50% used"]
    assert "55%" in shown[0].body  # (40 + 15) of 100
    app.poll_due()
    app.poll_now()  # Refresh: looked again, nothing new to say
    assert _titles(shown) == ["Work: 50% used"]
    assert app.alert_watch.evaluations > first


def test_without_a_change_the_tick_does_not_evaluate(app) -> None:  # type: ignore[no-untyped-def]
    app.poll_now()
    done = app.alert_watch.evaluations
    app.poll_due()
    app.poll_due()
    assert app.alert_watch.evaluations == done  # no change, nothing due: the rules were not read again


def test_spend_recorded_while_paused_is_still_evaluated(app, allowance_ctx, shown, now) -> None:  # type: ignore[no-untyped-def]
    app.poll_now()
    app.set_paused(True)
    add_spend(allowance_ctx, now - timedelta(minutes=5), "12")  # 52%
    app.poll_due()  # paused: no poll, but the figures and the alerts are read again
    assert _titles(shown) == ["Work: 50% used"]


def test_an_edit_that_lowers_the_allowance_fires_after_saving(app, allowance_ctx, shown, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.allowances import edit_allowance

    app.poll_now()
    edit_allowance(
        allowance_ctx,
        "Work",
        name="Work",
        amount="70",
        unit="usd",
        cadence="monthly",
        anchor_day=1,
        rollover=False,
        rollover_cap=None,
    )
    app.on_settings_changed()  # what the settings window says after any stored change
    assert _titles(shown) == ["Work: 50% used"]
    assert "57%" in shown[0].body  # 40 of 70


def test_notifications_hide_amounts_when_the_user_hides_them(app, allowance_ctx, shown, now) -> None:  # type: ignore[no-untyped-def]
    app.poll_now()
    app.set_hide_amounts(True)
    add_spend(allowance_ctx, now - timedelta(minutes=5), "15")
    app.poll_due()
    [notice] = shown
    assert notice.title == "Work: 50% used"  # the share is not an amount
    assert "$" not in notice.body and "•••" in notice.body and "55%" in notice.body
    from tokenwallet.ledger import alerts as store

    # the history keeps the whole text
    assert "$55.00" in store.events(allowance_ctx.ledger())[-1].message


def test_time_alone_brings_an_expiry_warning(app, allowance_ctx, shown, now) -> None:  # type: ignore[no-untyped-def]
    """A top-up lapses in 5 days; the 3-day expiry rule warns once 3 days are left, with no ledger change."""
    from tokenwallet.services.grants import add_topup

    add_topup(allowance_ctx, "a1", amount="30", expires=now + timedelta(days=5), note="conference")
    add_rules(allowance_ctx, RuleRequest(kind="expiry", allowance="Work", days=3))
    app.poll_now()
    assert shown == []
    assert app.alert_timer.isActive()  # the next look is timed (within the hour)
    assert app.alert_timer.interval() == 3600 * 1000  # an hour at most, even with nothing due sooner
    allowance_ctx.clock.advance(timedelta(days=2, hours=1))  # 2 days 23 hours left
    app.alert_timer.timeout.emit()  # as the timer fires
    assert _titles(shown) == ["Work: value expires soon"]


def test_the_first_refresh_evaluates_what_changed_while_the_app_was_closed(allowance_ctx, shown, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.runtime.application import TrayApp

    add_rules(allowance_ctx, RuleRequest(kind="threshold", allowance="Work", percent=30))
    app = TrayApp(allowance_ctx, executor=InlineExecutor(), store=MemorySecretStore())
    try:
        notices: list = []
        app.show_notices = notices.extend  # type: ignore[method-assign]
        app.poll_now()
        assert _titles(notices) == ["Work: 30% used"]  # 40% was spent before the app started
    finally:
        app.shutdown()


def test_a_quiet_tick_reads_nothing_again_and_a_change_elsewhere_is_read(app, allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from tokenwallet.cli.root import cli

    app.start(open_dashboard=False)
    app.poll_now()
    app.poll_due()  # the events the first evaluation recorded count as one change: read once more
    before, evaluations = app.snapshot, app.alert_watch.evaluations
    app.poll_due()  # nothing due, nothing written: the figures are not read again
    assert app.snapshot is before and app.alert_watch.evaluations == evaluations
    result = CliRunner().invoke(
        cli,
        ["--home", str(allowance_ctx.paths.home), "usage", "add", "--amount", "5", "--provider", "openai"],
        env={"TOKENWALLET_NOW": now.isoformat()},
    )
    assert result.exit_code == 0, result.output
    app.poll_due()  # another process wrote: read again
    assert app.snapshot is not before
    assert app.snapshot.statuses[0].period_spent == before.statuses[0].period_spent + 5_000_000  # $5 more


def test_the_tick_polls_only_when_an_account_is_due(app, allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.accounts import Account, AccountKind, SyncState
    from tokenwallet.ledger import accounts, sync_state

    db = allowance_ctx.ledger()
    accounts.add(db, Account(id="acct", kind=AccountKind.OPENAI, label="Work"), at=now)
    sync_state.put(db, SyncState(account_id="acct", last_success=now, next_due=now + timedelta(minutes=5)))
    rounds: list[bool] = []
    app._poll = lambda *, everything: rounds.append(everything)  # type: ignore[method-assign]
    app.refresh()  # the figures say the account is next due in 5 minutes
    app.poll_due()
    assert rounds == []  # nothing due: no poll round (the ledger is looked at for changes only)
    sync_state.put(db, SyncState(account_id="acct", last_success=now, next_due=now - timedelta(seconds=1)))
    app.poll_due()  # the change is read first; the next tick finds the account due
    app.poll_due()
    assert rounds == [False]
