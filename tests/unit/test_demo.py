"""The demo package without Qt: seeding a demo home, ticking its usage, the emulator behind it."""

from __future__ import annotations

import random
from datetime import timedelta

from tokenwallet.demo.emulator import start_demo_emulator
from tokenwallet.demo.seed import (
    DEMO_ACCOUNT_ID,
    DEMO_ALLOWANCE_NAME,
    DEMO_LOGS_ID,
    EMULATOR_DAYS,
    is_demo_home,
    seed_demo,
)
from tokenwallet.demo.ticker import tick_demo
from tokenwallet.domain.allowance import GrantKind
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.ledger import accounts, allowances, sync_state, usage
from tokenwallet.secrets.store import MemorySecretStore


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
    assert seeded and all(month_start <= r.bucket_start < now - timedelta(hours=1) for r in seeded)
    assert all(sync_state.get(db, a).last_success == now for a in (DEMO_ACCOUNT_ID, DEMO_LOGS_ID))


def test_seed_with_the_emulator_leaves_the_last_days_to_it(db, now, emulator) -> None:  # type: ignore[no-untyped-def]
    store = MemorySecretStore()
    seed_demo(db, now, emulator=emulator, store=store)
    account = accounts.get(db, DEMO_ACCOUNT_ID)
    assert account.base_url == emulator.base_url("openai")
    assert store.get(DEMO_ACCOUNT_ID) is not None and store.get(DEMO_ACCOUNT_ID).reveal() == emulator.keys["openai"]
    history_end = (now - timedelta(days=EMULATOR_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert all(r.bucket_start < history_end for r in _records(db, DEMO_ACCOUNT_ID))  # the emulator supplies the rest
    assert sync_state.get(db, DEMO_ACCOUNT_ID).last_success is None  # polled for real, not marked


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
