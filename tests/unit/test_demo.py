"""The demo package without Qt: seeding a demo home, ticking its usage, the emulator behind it."""

from __future__ import annotations

import random
from datetime import timedelta

from tokenwallet.demo.emulator import start_demo_emulator
from tokenwallet.demo.seed import (
    DEMO_ACCOUNT_ID,
    DEMO_ALLOWANCE_NAME,
    DEMO_LOGS_ID,
    is_demo_home,
    seed_demo,
)
from tokenwallet.demo.ticker import tick_demo
from tokenwallet.domain.allowance import GrantKind
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.domain.usage import Confidence, Source
from tokenwallet.emulator import Scenario
from tokenwallet.ledger import accounts, allowances, sync_state, usage


def _records(db, account_id: str):  # type: ignore[no-untyped-def]
    return usage.list_records(db, usage.UsageFilter(accounts=(account_id,)))


def test_seed_writes_accounts_allowance_topup_and_this_months_spend(db, now) -> None:  # type: ignore[no-untyped-def]
    assert not is_demo_home(db)
    allowance = seed_demo(db, now)
    assert is_demo_home(db)
    assert {a.id for a in accounts.list_accounts(db)} == {DEMO_ACCOUNT_ID, DEMO_LOGS_ID}
    assert (allowance.name, allowance.amount) == (DEMO_ALLOWANCE_NAME, usd_to_micros(120))
    [topup] = allowances.grants_for(db, allowance.id)
    assert topup.kind is GrantKind.TOPUP and topup.amount == usd_to_micros(15)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    seeded = _records(db, DEMO_ACCOUNT_ID) + _records(db, DEMO_LOGS_ID)
    assert seeded and all(month_start <= r.bucket_start <= now for r in seeded)
    assert all(sync_state.get(db, a).last_success == now for a in (DEMO_ACCOUNT_ID, DEMO_LOGS_ID))
    # OpenAI's money is its bill, one billed row a day; per-model rows carry tokens only.
    openai = _records(db, DEMO_ACCOUNT_ID)
    money = [r for r in openai if r.cost_micros is not None]
    assert money and all(r.source is Source.API_COST and r.confidence is Confidence.BILLED for r in money)
    assert all(r.model == "" and r.bucket_end - r.bucket_start == timedelta(days=1) for r in money)
    assert all(r.source is Source.API_USAGE and r.cost_micros is None for r in openai if r not in money)
    assert all(r.confidence is Confidence.ESTIMATED for r in _records(db, DEMO_LOGS_ID))


def _reconciles(ctx, now) -> None:  # type: ignore[no-untyped-def]
    """The demo's figures are the sum of its streams: OpenAI's bill per day plus the estimated log usage."""
    from tokenwallet.services.snapshot import load_snapshot

    snapshot = load_snapshot(ctx, now)
    [view] = snapshot.allowances
    status = view.status
    days = [now.date().replace(day=1) + timedelta(days=i) for i in range(now.day)]
    openai_bill = sum(usd_to_micros(Scenario().openai_cost_usd(d, now)) for d in days)
    logs = sum(r.cost_micros or 0 for r in _records(ctx.ledger(), DEMO_LOGS_ID))
    assert status.period_spent == openai_bill + logs
    assert status.estimated_spent == logs
    by = {(f.stream, f.confidence): f.counted for f in status.streams}
    assert by == {(DEMO_ACCOUNT_ID, Confidence.BILLED): openai_bill, (DEMO_LOGS_ID, Confidence.ESTIMATED): logs}
    assert status.superseded == 0 and status.subscription_value == 0
    # The model table shows OpenAI's money once: the billed day, "(all models)"; models carry tokens.
    openai_rows = [m for m in snapshot.models if m.provider == "openai"]
    assert [m.cost_micros for m in openai_rows if m.model == "(all models)"] == [openai_bill]
    assert all(m.cost_micros is None and m.tokens > 0 for m in openai_rows if m.model != "(all models)")
    assert sum(m.cost_micros or 0 for m in snapshot.models) == status.period_spent
    assert sum(d.amount for d in view.daily) == status.period_spent


def test_the_demo_reconciles_without_the_emulator(tmp_path, now) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.service_context import memory_context

    ctx = memory_context(tmp_path / "home", now)
    seed_demo(ctx.ledger(), now)
    _reconciles(ctx, now)


def test_the_demo_reconciles_with_the_emulator_polled(tmp_path, now, emulator) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.service_context import memory_context
    from tokenwallet.services.polling import poll_accounts

    ctx = memory_context(tmp_path / "home", now)
    store = ctx.use_session_only_keys()
    seed_demo(ctx.ledger(), now, emulator=emulator, store=store)
    account = accounts.get(ctx.ledger(), DEMO_ACCOUNT_ID)
    assert account.base_url == emulator.base_url("openai")
    assert store.get(DEMO_ACCOUNT_ID) is not None and store.get(DEMO_ACCOUNT_ID).reveal() == emulator.keys["openai"]
    assert _records(ctx.ledger(), DEMO_ACCOUNT_ID) == []  # the emulator supplies the whole month
    assert sync_state.get(ctx.ledger(), DEMO_ACCOUNT_ID).last_success is None  # polled for real, not marked
    [outcome] = poll_accounts(ctx, only=(DEMO_ACCOUNT_ID,))
    assert outcome.ok
    _reconciles(ctx, now)
    # Polling again (the tray does every few minutes) replaces the same buckets: nothing is added.
    poll_accounts(ctx, only=(DEMO_ACCOUNT_ID,))
    _reconciles(ctx, now)
    ctx.shutdown()  # the HTTP client's connection to the emulator


def test_tick_adds_estimated_spend_in_the_current_hour(db, now) -> None:  # type: ignore[no-untyped-def]
    seed_demo(db, now)
    later = now + timedelta(minutes=20)
    hour = later.replace(minute=0)

    def this_hour() -> int:
        return sum(r.cost_micros or 0 for r in _records(db, DEMO_LOGS_ID) if r.bucket_start == hour)

    before = this_hour()
    tick_demo(db, later, rng=random.Random(1))
    first = this_hour()
    tick_demo(db, later, rng=random.Random(2))
    second = this_hour()
    assert 20_000 <= first - before <= 80_000 and 20_000 <= second - first <= 80_000
    assert sync_state.get(db, DEMO_LOGS_ID).last_success == later


def test_demo_emulator_starts_on_loopback() -> None:
    running = start_demo_emulator()
    assert running is not None
    try:
        assert running.base_url("openai").startswith("http://127.0.0.1:")
    finally:
        running.stop()
