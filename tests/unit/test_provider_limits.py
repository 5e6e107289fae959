"""Provider limits beside the allowances: which readings get a card, in which order, with which name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Unit
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.services.provider_limits import limits_from

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


def _limit(account: str, name: str, spent: int, of: int, **more: object) -> BalanceSnapshot:
    return BalanceSnapshot(
        account,
        SnapshotKind.LIMIT,
        name,
        NOW,
        spent_micros=usd(spent),
        limit_micros=usd(of),
        remaining_micros=usd(of - spent),
        **more,  # type: ignore[arg-type]
    )


ACCOUNTS = [
    Account("gw", AccountKind.LITELLM, "Gateway"),
    Account("or", AccountKind.OPENROUTER, "OpenRouter"),
    Account("ds", AccountKind.DEEPSEEK, "DeepSeek"),
    Account("cx", AccountKind.CODEX, "Codex"),
]
SNAPSHOTS = [
    _limit("gw", "key", 12, 100),  # $88 left
    _limit("gw", "user", 180, 200),  # $20 left: the tightest
    _limit("gw", "team", 400, 1000),
    _limit("gw", "effective", 180, 200),  # the connector's copy of the tightest: no card of its own
    _limit("or", "key", 7, 10, expires_at=datetime(2027, 1, 31, tzinfo=UTC)),
    BalanceSnapshot("ds", SnapshotKind.BALANCE, "cny", NOW, currency="CNY", remaining_micros=usd(80)),
    BalanceSnapshot("cx", SnapshotKind.RATE_WINDOW, "secondary", NOW, used_percent=62.0, window_minutes=10_080),
    BalanceSnapshot("cx", SnapshotKind.RATE_WINDOW, "primary", NOW, used_percent=35.0, window_minutes=300),
    BalanceSnapshot("or", SnapshotKind.LIMIT, "key-unlimited", NOW, spent_micros=usd(1)),  # no limit: no card
]


def test_every_limit_once_tightest_first_windows_by_length() -> None:
    limits = limits_from(ACCOUNTS, SNAPSHOTS, [])
    assert [(x.account.label, x.title, x.tightest) for x in limits] == [
        ("Codex", "Codex 5-hour window", False),
        ("Codex", "Codex weekly window", False),
        ("DeepSeek", "DeepSeek balance (CNY)", False),
        ("Gateway", "LiteLLM user budget", True),
        ("Gateway", "LiteLLM key budget", False),
        ("Gateway", "LiteLLM team budget", False),
        ("OpenRouter", "OpenRouter key limit", False),
    ]
    user = limits[3]
    assert user.left == usd(200 - 180) and user.percent_used == 90.0
    assert limits[0].percent_used == 35.0 and limits[0].left is None and limits[0].is_window


def test_a_gateway_backing_an_allowance_has_no_limit_card() -> None:
    backed = Allowance(
        "a", "Gateway budget", Unit.USD, usd(200), Cadence.MONTHLY, NOW - timedelta(days=30), backing_account_id="gw"
    )
    titles = [x.title for x in limits_from(ACCOUNTS, SNAPSHOTS, [backed])]
    assert not any(t.startswith("LiteLLM") for t in titles)
    assert "OpenRouter key limit" in titles


def test_disabled_accounts_and_past_plan_windows_are_left_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts, snapshots
    from tokenwallet.ledger.db import open_ledger
    from tokenwallet.services.provider_limits import provider_limits

    db = open_ledger(tmp_path / "ledger.db")
    try:
        accounts.add(db, Account("cx", AccountKind.CODEX, "Codex"), at=NOW)
        accounts.add(db, Account("or", AccountKind.OPENROUTER, "Off", enabled=False), at=NOW)
        snapshots.record(
            db,
            [
                BalanceSnapshot(
                    "cx",
                    SnapshotKind.RATE_WINDOW,
                    "primary",
                    NOW - timedelta(hours=6),
                    used_percent=90.0,
                    window_minutes=300,
                    resets_at=NOW - timedelta(hours=1),
                ),
                BalanceSnapshot(
                    "cx",
                    SnapshotKind.RATE_WINDOW,
                    "secondary",
                    NOW,
                    used_percent=10.0,
                    window_minutes=10_080,
                    resets_at=NOW + timedelta(days=2),
                ),
                _limit("or", "key", 1, 10),
            ],
        )
        assert [x.title for x in provider_limits(db, NOW)] == ["Codex weekly window"]
    finally:
        db.close()
