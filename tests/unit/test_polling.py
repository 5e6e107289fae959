"""Polling use cases and a new poll interval, without Qt: what the tray's workers and `poll` run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tokenwallet.domain.accounts import Account, AccountKind, SyncState
from tokenwallet.domain.errors import NotFoundError
from tokenwallet.ledger import accounts, sync_state
from tokenwallet.secrets.store import ApiKey
from tokenwallet.services import polling
from tokenwallet.sync.poll_interval import poll_tick_ms, reschedule_polls


def test_poll_tick_follows_the_interval() -> None:
    assert poll_tick_ms(5) == 60_000
    assert poll_tick_ms(1) == 30_000
    assert poll_tick_ms(24 * 60) == 60_000


def test_reschedule_moves_next_polls_to_last_success_plus_the_new_interval(db, now) -> None:  # type: ignore[no-untyped-def]
    last = now - timedelta(minutes=3)
    for account_id, kind, config in (
        ("plain", AccountKind.OPENAI, {}),
        ("own-interval", AccountKind.OPENAI, {"poll_interval_minutes": 30}),
        ("failing", AccountKind.DEEPSEEK, {}),
        ("never", AccountKind.MOONSHOT, {}),
    ):
        accounts.add(db, Account(id=account_id, kind=kind, label=account_id, config=config), at=now)
    with db.atomic():
        sync_state.put(db, SyncState(account_id="plain", last_success=last, next_due=last + timedelta(minutes=60)))
        sync_state.put(db, SyncState(account_id="own-interval", last_success=last, next_due=last + timedelta(hours=1)))
        sync_state.put(
            db, SyncState(account_id="failing", last_success=last, failures=2, next_due=now + timedelta(minutes=8))
        )
    assert reschedule_polls(db, 10) == 1
    assert sync_state.get(db, "plain").next_due == last + timedelta(minutes=10)
    assert sync_state.get(db, "own-interval").next_due == last + timedelta(hours=1)
    assert sync_state.get(db, "failing").next_due == now + timedelta(minutes=8)  # backing off: left alone
    assert sync_state.get(db, "never").next_due is None
    assert reschedule_polls(db, 10) == 0  # already there


def _add_moonshot(ctx, emulator, now, account_id: str) -> None:  # type: ignore[no-untyped-def]
    accounts.add(
        ctx.ledger(),
        Account(id=account_id, kind=AccountKind.MOONSHOT, label=account_id, base_url=emulator.base_url("moonshot")),
        at=now,
    )
    ctx.secret_store().set(account_id, ApiKey(emulator.keys["moonshot"]))


def test_poll_accounts_polls_every_enabled_account_then_only_what_is_due(app_context, emulator, now) -> None:  # type: ignore[no-untyped-def]
    app_context.use_session_only_keys()
    accounts.ensure_manual(app_context.ledger(), at=now)
    _add_moonshot(app_context, emulator, now, "m1")
    _add_moonshot(app_context, emulator, now, "m2")
    assert polling.pollable_ids(app_context) == ["m1", "m2"]  # manual entries have nothing to poll
    assert [o.account_id for o in polling.poll_accounts(app_context)] == ["m1", "m2"]
    assert polling.poll_accounts(app_context, due_only=True) == []  # both just polled
    assert polling.poll_due(app_context, ["m1"]) == []
    assert [o.account_id for o in polling.poll_accounts(app_context, due_only=True, only=("m2",))] == ["m2"]
    app_context.shutdown()


def test_nothing_to_poll_loads_no_http_client(app_context) -> None:  # type: ignore[no-untyped-def]
    assert polling.poll_accounts(app_context) == [] and polling.poll_due(app_context) == []
    assert app_context._http_client is None


def test_unknown_accounts_are_refused_before_any_request(app_context) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        polling.check_accounts(app_context, ["nope"])
    assert app_context._http_client is None


def test_alerts_run_after_each_successful_poll(app_context, emulator, now, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.alerts import service as alerts_service

    runs: list[object] = []
    monkeypatch.setattr(alerts_service, "run_alerts", lambda db, at, settings, deliver: runs.append(at))
    app_context.use_session_only_keys()
    _add_moonshot(app_context, emulator, now, "m1")
    polling.run_alerts_after_each_poll(app_context)
    [outcome] = polling.poll_accounts(app_context)
    assert outcome.ok and runs == [now]
    app_context.shutdown()
