"""Pure evaluation of every rule kind on hand-built statuses, sync states and snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from msgspec.structs import replace

from tokenwallet.alerts.evaluate import ALARM, OK, Facts, evaluate
from tokenwallet.alerts.rules import (
    ExpiryParams,
    ForecastParams,
    ProviderParams,
    Rule,
    Signal,
    SpikeParams,
    StaleParams,
    ThresholdParams,
    default_rules,
    from_stored,
    to_stored,
    validate,
)
from tokenwallet.domain.accounts import SyncState
from tokenwallet.domain.allowance import AllowanceStatus, DailySpend, ExpiryForecast, Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


def status(**changes: Any) -> AllowanceStatus:
    values: dict[str, Any] = dict(
        allowance_id="a",
        name="work",
        unit=Unit.USD,
        now=NOW,
        period_start=datetime(2026, 11, 1, tzinfo=UTC),
        period_end=datetime(2026, 12, 1, tzinfo=UTC),
        granted=usd(100),
        spent=usd(40),
        remaining=usd(60),
        expired=0,
        period_spent=usd(40),
        percent_used=40.0,
        days_left=16.5,
        elapsed_fraction=0.48,
        burn_rate_per_day=float(usd(3)),
        projected_period_spend=usd(90),
        projected_runout=None,
    )
    values.update(changes)
    return AllowanceStatus(**values)


def facts(s: AllowanceStatus | None = None, **changes: Any) -> Facts:
    base = Facts(now=NOW, statuses={"a": s or status()})
    return replace(base, **changes)


def test_defaults_are_80_95_100_percent_forecast_and_three_days_before_expiry() -> None:
    rules = default_rules("a")
    assert [r.params for r in rules] == [
        ThresholdParams(percent=80.0),
        ThresholdParams(percent=95.0),
        ThresholdParams(percent=100.0),
        ForecastParams(margin_days=0.0),
        ExpiryParams(days_before=3.0, min_unspent=1),
    ]
    assert all(r.allowance_id == "a" for r in rules)
    assert len({r.id for r in rules}) == len(rules)


def test_threshold_fires_once_and_rearms_with_recovery_notice() -> None:
    rule = Rule("r1", ThresholdParams(percent=50), "a", notify_recovery=True)
    first = evaluate([rule], facts(status(percent_used=55.0)), {})
    assert [(t.to, t.period_key, t.title) for t in first] == [(ALARM, "2026-11-01T00:00Z", "work: 50% used")]
    stored = {("r1", "2026-11-01T00:00Z"): ALARM}
    assert evaluate([rule], facts(status(percent_used=60.0)), stored) == []
    back = evaluate([rule], facts(status(percent_used=30.0)), stored)  # a top-up brought it under again
    assert [(t.to, t.notify, t.title) for t in back] == [(OK, True, "work: available again")]


def test_absolute_threshold_uses_period_spend() -> None:
    rule = Rule("r1", ThresholdParams(absolute=usd(50)), "a")
    assert evaluate([rule], facts(status(period_spent=usd(49))), {}) == []
    assert [t.title for t in evaluate([rule], facts(status(period_spent=usd(50))), {})] == ["work: $50.00 used"]


def test_forecast_with_margin() -> None:
    early = status(projected_runout=datetime(2026, 11, 25, tzinfo=UTC))
    assert [t.to for t in evaluate([Rule("f", ForecastParams(margin_days=2), "a")], facts(early), {})] == [ALARM]
    assert evaluate([Rule("f", ForecastParams(margin_days=7), "a")], facts(early), {}) == []
    assert evaluate([Rule("f", ForecastParams(), "a")], facts(status()), {}) == []


def test_expiry_names_the_pace_needed() -> None:
    lapse = ExpiryForecast(
        at=NOW + timedelta(days=5), remaining_now=usd(30), projected_unspent=usd(20), daily_pace_needed=float(usd(6))
    )
    s = status(expiring=(lapse,))
    fired = evaluate([Rule("e", ExpiryParams(days_before=7, min_unspent=usd(10)), "a")], facts(s), {})
    assert len(fired) == 1
    assert "$20.00 will lapse unspent" in fired[0].message and "$6.00 a day" in fired[0].message
    assert evaluate([Rule("e", ExpiryParams(days_before=3), "a")], facts(s), {}) == []
    assert evaluate([Rule("e", ExpiryParams(days_before=7, min_unspent=usd(25)), "a")], facts(s), {}) == []


def test_spike_against_trailing_median() -> None:
    today = date(2026, 11, 15)
    days = [DailySpend(today - timedelta(days=i), usd(2)) for i in range(1, 8)] + [DailySpend(today, usd(7))]
    rule = Rule("s", SpikeParams(factor=3, trailing_days=7), "a")
    fired = evaluate([rule], facts(daily={"a": days}), {})
    assert [(t.period_key, t.title) for t in fired] == [("spike:2026-11-15", "work: spending spike")]
    calm = [*days[:-1], DailySpend(today, usd(5))]
    assert evaluate([rule], facts(daily={"a": calm}), {}) == []


def test_stale_per_account_and_never_polled_is_quiet() -> None:
    states = [
        SyncState("oa", last_attempt=NOW, last_success=NOW - timedelta(hours=7), last_error="timeout"),
        SyncState("an", last_attempt=NOW, last_success=NOW - timedelta(hours=1)),
        SyncState("new"),
    ]
    fired = evaluate([Rule("st", StaleParams(hours=6))], facts(sync_states=states), {})
    assert [(t.period_key, t.title) for t in fired] == [("stale:oa:default", "oa: data is stale")]
    assert "timeout" in fired[0].message


def test_provider_signals() -> None:
    snaps = [
        BalanceSnapshot(
            "lite",
            SnapshotKind.LIMIT,
            "key",
            NOW,
            spent_micros=usd(45),
            limit_micros=usd(100),
            soft_limit_micros=usd(40),
        ),
        BalanceSnapshot("or", SnapshotKind.LIMIT, "key", NOW, limit_micros=usd(10), remaining_micros=usd(0.5)),
        BalanceSnapshot(
            "codex", SnapshotKind.RATE_WINDOW, "secondary", NOW, used_percent=91.0, resets_at=NOW + timedelta(days=2)
        ),
        BalanceSnapshot("codex", SnapshotKind.RATE_WINDOW, "primary", NOW, used_percent=99.0),
    ]
    f = facts(snapshots=snaps)
    soft = evaluate([Rule("p1", ProviderParams(Signal.LITELLM_SOFT_BUDGET))], f, {})
    assert [t.title for t in soft] == ["lite: soft budget crossed"]
    limit = evaluate([Rule("p2", ProviderParams(Signal.OPENROUTER_LIMIT, percent=90, account_id="or"))], f, {})
    assert [t.title for t in limit] == ["or: limit 95% used"]
    weekly = evaluate([Rule("p3", ProviderParams(Signal.CODEX_WEEKLY, percent=90))], f, {})
    assert [t.title for t in weekly] == ["codex: weekly window 91% used"]
    assert evaluate([Rule("p3", ProviderParams(Signal.CODEX_WEEKLY, percent=95))], f, {}) == []


def test_disabled_rules_and_unknown_allowances_do_nothing() -> None:
    assert evaluate([Rule("r", ThresholdParams(percent=1), "a", enabled=False)], facts(), {}) == []
    assert evaluate([Rule("r", ThresholdParams(percent=1), "zzz")], facts(), {}) == []


def test_stored_round_trip_and_validation() -> None:
    rule = Rule("r", ProviderParams(Signal.CODEX_WEEKLY, percent=80), None, notify_recovery=True)
    assert from_stored(to_stored(rule, NOW)) == rule
    for bad in (
        ThresholdParams(),
        ThresholdParams(percent=50, absolute=1),
        ThresholdParams(percent=-1),
        SpikeParams(factor=1),
        StaleParams(hours=0),
    ):
        with pytest.raises(UserInputError):
            validate(bad)
