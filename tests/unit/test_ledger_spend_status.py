"""Spend rules and the status glue, on a real ledger file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from sqlite_utils import Database

from tokenwallet.budget.engine import compute_status
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import (
    Allowance,
    Cadence,
    Grant,
    GrantKind,
    RolloverPolicy,
    Scope,
    SpendPoint,
    Unit,
)
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import BalanceSnapshot, Confidence, SnapshotKind, Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, snapshots, usage
from tokenwallet.ledger.status import allowance_status, allowance_statuses, daily_spend

NOW = datetime(2026, 11, 10, 12, tzinfo=UTC)
NOV = datetime(2026, 11, 1, tzinfo=UTC)


def account(db: Database, account_id: str, kind: AccountKind = AccountKind.OPENAI, **changes: Any) -> None:
    accounts.add(db, Account(id=account_id, kind=kind, label=account_id), at=NOV - timedelta(days=60))
    if changes:
        accounts.update(db, account_id, at=NOV - timedelta(days=60), **changes)


def row(account_id: str, at: datetime, *, key: str, **fields: Any) -> UsageRecord:
    values: dict[str, Any] = {
        "account_id": account_id,
        "source": Source.API_COST,
        "key": key,
        "bucket_start": at,
        "bucket_end": at + timedelta(hours=1),
        "provider": "openai",
        "model": "gpt-5",
    }
    values.update(fields)
    return UsageRecord(**values)


def monthly(name: str = "work", **changes: Any) -> Allowance:
    values: dict[str, Any] = {
        "id": name,
        "name": name,
        "unit": Unit.USD,
        "amount": usd(200),
        "cadence": Cadence.MONTHLY,
        "starts_at": datetime(2026, 9, 1, tzinfo=UTC),
        "timezone": "UTC",
    }
    values.update(changes)
    return Allowance(**values)


@pytest.fixture
def ledger(db: Database) -> Database:
    account(db, "oa")
    account(db, "cc", AccountKind.CLAUDE_CODE)
    account(db, "off", enabled=False)
    account(db, "gone")
    accounts.remove(db, "gone", at=NOV - timedelta(days=1))
    t = NOV + timedelta(days=2)
    with db.atomic():
        usage.upsert(
            db,
            [
                row("oa", t, key="c1", cost_micros=usd(10)),
                row("oa", t, key="u1", source=Source.API_USAGE, input_tokens=1000, output_tokens=500),
                row("oa", t, key="c-old", cost_micros=usd(99), bucket_start=NOV - timedelta(days=3)),
                row(
                    "cc",
                    t,
                    key="l1",
                    source=Source.LOCAL_LOG,
                    provider="anthropic",
                    model="claude-x",
                    confidence=Confidence.ESTIMATED,
                    cost_micros=usd(4),
                    input_tokens=100,
                    cached_input_tokens=10,
                    cache_write_tokens=5,
                    output_tokens=20,
                ),
                row(
                    "cc",
                    t,
                    key="l2",
                    source=Source.LOCAL_LOG,
                    provider="anthropic",
                    model="new-model",
                    confidence=Confidence.ESTIMATED,
                    input_tokens=7,
                ),
                row("off", t, key="c2", cost_micros=usd(1000)),
                row("gone", t, key="c3", cost_micros=usd(1000)),
                row("oa", NOW + timedelta(hours=1), key="future", cost_micros=usd(1000)),
            ],
            recorded_at=NOW,
        )
    return db


def add(db: Database, allowance: Allowance) -> Allowance:
    return allowances.add(db, allowance, at=NOW - timedelta(days=30))


def test_usd_spend_sums_costs_of_live_accounts_and_counts_unpriced(ledger: Database) -> None:
    status = allowance_status(ledger, add(ledger, monthly()), NOW)
    # $10 billed + $4 estimated; the disabled and removed accounts, last month and the future don't count.
    assert status.period_spent == usd(14)
    assert status.estimated_spent == usd(4)
    assert status.unpriced_records == 1  # the local-log row with tokens and no price
    assert status.remaining == usd(186)


def test_token_allowance_counts_all_four_token_kinds(ledger: Database) -> None:
    status = allowance_status(ledger, add(ledger, monthly(unit=Unit.TOKENS, amount=1_000_000)), NOW)
    assert status.period_spent == 1500 + 135 + 7
    assert status.estimated_spent == 142
    assert status.unpriced_records == 0


def test_scope_accounts_providers_and_models(ledger: Database) -> None:
    only_cc = add(ledger, monthly("cc", scope=Scope(accounts=("cc",))))
    assert allowance_status(ledger, only_cc, NOW).period_spent == usd(4)
    by_provider = add(ledger, monthly("p", scope=Scope(providers=("openai",))))
    assert allowance_status(ledger, by_provider, NOW).period_spent == usd(10)
    by_model = add(ledger, monthly("m", scope=Scope(models=("claude-x",))))
    assert allowance_status(ledger, by_model, NOW).period_spent == usd(4)
    removed_named = add(ledger, monthly("g", scope=Scope(accounts=("gone",))))
    # Naming an account explicitly counts it even after removal: the user asked for it.
    assert allowance_status(ledger, removed_named, NOW).period_spent == usd(1000)


def test_replaced_bucket_is_not_double_counted(ledger: Database) -> None:
    allowance = add(ledger, monthly())
    usage.upsert(ledger, [row("oa", NOV + timedelta(days=2), key="c1", cost_micros=usd(12))], recorded_at=NOW)
    assert allowance_status(ledger, allowance, NOW).period_spent == usd(16)


def test_ledger_status_matches_the_engine_in_the_berlin_scenario(db: Database) -> None:
    account(db, "oa")
    allowance = add(
        db,
        monthly(
            timezone="Europe/Berlin",
            starts_at=datetime(2026, 9, 30, 22, tzinfo=UTC),
            rollover=RolloverPolicy(cap=usd(40)),
        ),
    )
    topup = allowances.add_grant(
        db,
        Grant(
            "t1",
            allowance.id,
            GrantKind.TOPUP,
            usd(50),
            datetime(2026, 10, 31, 23, tzinfo=UTC),
            datetime(2026, 11, 15, 23, tzinfo=UTC),
        ),
        at=NOW - timedelta(days=10),
    )
    spend = [
        (datetime(2026, 10, 20, 10, tzinfo=UTC), 160),
        (datetime(2026, 10, 31, 22, 30, tzinfo=UTC), 5),
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), 10),
        (datetime(2026, 11, 5, 12, tzinfo=UTC), 30),
    ]
    usage.upsert(
        db,
        [row("oa", at, key=f"k{i}", cost_micros=usd(amount)) for i, (at, amount) in enumerate(spend)],
        recorded_at=NOW,
    )
    for now in (NOW, datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=UTC)):
        expected = compute_status(allowance, [topup], [SpendPoint(at, usd(a)) for at, a in spend], now)
        status = allowance_status(db, allowance, now)
        # The whole period's spend is one stream: the explanation adds up to the engine's figure.
        assert sum(f.counted for f in status.streams) == expected.period_spent
        assert msgspec.structs.replace(status, streams=()) == expected
    assert allowance_status(db, allowance, NOW).granted == usd(285)


def test_tightest_server_limit_wins_for_a_backed_allowance(ledger: Database) -> None:
    account(ledger, "gw", AccountKind.LITELLM)
    snapshots.record(
        ledger,
        [
            BalanceSnapshot(
                "gw", SnapshotKind.LIMIT, "key", NOW - timedelta(hours=1), spent_micros=usd(20), limit_micros=usd(100)
            ),
            BalanceSnapshot(
                "gw",
                SnapshotKind.LIMIT,
                "team",
                NOW - timedelta(hours=1),
                spent_micros=usd(480),
                limit_micros=usd(500),
                resets_at=datetime(2026, 11, 20, tzinfo=UTC),
            ),
            # An older reading of the key limit must be ignored.
            BalanceSnapshot(
                "gw", SnapshotKind.LIMIT, "key", NOW - timedelta(days=2), spent_micros=usd(99), limit_micros=usd(100)
            ),
        ],
    )
    status = allowance_status(ledger, add(ledger, monthly(backing_account_id="gw")), NOW)
    assert status.backed_by == "gw:team"
    assert (status.granted, status.spent, status.remaining) == (usd(500), usd(480), usd(20))
    assert status.period_end == datetime(2026, 11, 20, tzinfo=UTC)


def test_backed_allowance_with_only_remaining_or_only_a_limit(ledger: Database) -> None:
    account(ledger, "or", AccountKind.OPENROUTER)
    snapshots.record(
        ledger,
        [BalanceSnapshot("or", SnapshotKind.LIMIT, "key", NOW, limit_micros=usd(50), remaining_micros=usd(45))],
    )
    status = allowance_status(ledger, add(ledger, monthly("r", backing_account_id="or")), NOW)
    assert (status.granted, status.spent, status.remaining) == (usd(50), usd(5), usd(45))
    account(ledger, "lt", AccountKind.LITELLM)
    snapshots.record(ledger, [BalanceSnapshot("lt", SnapshotKind.LIMIT, "key", NOW, limit_micros=usd(50))])
    gateway = {"source": Source.BALANCE, "provider": "litellm", "model": "", "confidence": Confidence.GATEWAY}
    usage.upsert(ledger, [row("lt", NOV + timedelta(days=2), key="g", cost_micros=usd(3), **gateway)], recorded_at=NOW)
    status = allowance_status(ledger, add(ledger, monthly("l", backing_account_id="lt")), NOW)
    # Without a server-side count, the ledger's history of the gateway itself is used ($3 this month),
    # not the other accounts' rows ($14): spend, burn rate and forecast come from one source.
    assert (status.granted, status.spent, status.remaining) == (usd(50), usd(3), usd(47))
    assert [(f.stream, f.counted) for f in status.streams] == [("lt", usd(3))]


def test_statuses_are_ordered_by_name_and_empty_ledger_is_fine(db: Database) -> None:
    assert allowance_statuses(db, NOW) == []
    add(db, monthly("zeta"))
    add(db, monthly("alpha"))
    assert [s.name for s in allowance_statuses(db, NOW)] == ["alpha", "zeta"]
    assert allowance_statuses(db, NOW)[0].remaining == usd(200)  # no accounts: nothing counts


def test_daily_spend_groups_by_local_day(ledger: Database) -> None:
    allowance = add(ledger, monthly(timezone="America/New_York"))
    usage.upsert(
        ledger, [row("oa", datetime(2026, 11, 4, 3, tzinfo=UTC), key="late", cost_micros=usd(1))], recorded_at=NOW
    )
    days = daily_spend(ledger, allowance, NOV, NOW)
    # 3 November 00:00 UTC is 2 November in New York, and 4 November 03:00 UTC is 3 November.
    assert [(d.day.isoformat(), d.amount, d.estimated) for d in days] == [
        ("2026-11-02", usd(14), usd(4)),
        ("2026-11-03", usd(1), 0),
    ]


def test_rollups_agree_with_row_by_row_reads_after_inserts_replacements_and_deletes(db: Database) -> None:
    """The triggers keep usage_hourly/usage_daily exact, so status never depends on the read path."""
    import random

    from tokenwallet.ledger.counting import hourly_spend, segment_spend, unpriced_count
    from tokenwallet.ledger.spend import SpendScope

    rnd = random.Random(3)
    for name in ("a1", "a2"):
        account(db, name)
    base = datetime(2026, 10, 1, tzinfo=UTC)

    def random_rows(count: int) -> list[UsageRecord]:
        return [
            row(
                rnd.choice(["a1", "a2"]),
                base + timedelta(seconds=rnd.randrange(0, 40 * 86400)),
                key=f"k{rnd.randrange(0, 400)}",
                source=rnd.choice([Source.API_COST, Source.API_USAGE, Source.LOCAL_LOG, Source.MANUAL]),
                provider=rnd.choice(["openai", "anthropic"]),
                confidence=rnd.choice([Confidence.REPORTED, Confidence.ESTIMATED]),
                cost_micros=rnd.choice([None, rnd.randrange(1, 10_000)]),
                input_tokens=rnd.randrange(0, 1000),
                output_tokens=rnd.randrange(0, 100),
            )
            for _ in range(count)
        ]

    usage.upsert(db, random_rows(600), recorded_at=NOW)  # many keys repeat: these are replacements
    db.execute("DELETE FROM usage WHERE id % 7 = 0")
    marks = sorted({base + timedelta(seconds=rnd.randrange(0, 40 * 86400)) for _ in range(9)})
    for unit in (Unit.USD, Unit.TOKENS):
        for providers in ((), ("openai",)):
            scope = SpendScope(unit, ("a1", "a2"), providers)
            assert segment_spend(db, scope, marks) == segment_spend(db, scope, marks, raw=True)
            assert hourly_spend(db, scope, marks[0], marks[-1]) == hourly_spend(
                db, scope, marks[0], marks[-1], raw=True
            )
            assert unpriced_count(db, scope, marks[0], marks[-1]) == unpriced_count(
                db, scope, marks[0], marks[-1], raw=True
            )
    assert sum(p.amount for p in segment_spend(db, SpendScope(Unit.USD, ("a1", "a2")), marks)) > 0


def test_model_spend_follows_the_spend_rules(db: Database) -> None:
    from tokenwallet.ledger.spend import ModelSpend, model_spend

    account(db, "openai-1")
    account(db, "cc", AccountKind.CLAUDE_CODE)
    account(db, "or", AccountKind.OPENROUTER)
    at = NOV + timedelta(days=2)
    records = [
        # The usage row carries the tokens, the cost row the money of the same requests.
        row("openai-1", at, key="u", source=Source.API_USAGE, input_tokens=1000, output_tokens=200, requests=4),
        row("openai-1", at, key="c", source=Source.API_COST, input_tokens=1000, cost_micros=usd(3)),
        row("cc", at, key="p", source=Source.LOCAL_LOG, provider="anthropic", model="claude-sonnet-4-6",
            confidence=Confidence.ESTIMATED, input_tokens=10, cached_input_tokens=500, cost_micros=usd(1), requests=2),
        # An unknown model: tokens but no price.
        row("cc", at, key="q", source=Source.LOCAL_LOG, provider="anthropic", model="claude-new",
            confidence=Confidence.ESTIMATED, output_tokens=70, requests=1),
        # A gateway's daily spend: account-level money, left out of the per-model table.
        row("or", at, key="d", source=Source.BALANCE, provider="openrouter", model="", cost_micros=usd(2)),
        # Outside the range.
        row("openai-1", NOV - timedelta(days=1), key="old", source=Source.API_COST, cost_micros=usd(50)),
    ]  # fmt: skip
    with db.atomic():
        usage.upsert(db, records, recorded_at=NOW)
    assert model_spend(db, NOV, NOW) == [
        ModelSpend("openai", "gpt-5", 4, 1000 + 200, usd(3), False, False),
        ModelSpend("anthropic", "claude-sonnet-4-6", 2, 10 + 500, usd(1), True, False),
        ModelSpend("anthropic", "claude-new", 1, 70, None, True, True),
    ]
