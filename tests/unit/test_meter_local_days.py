"""Finding: daily UTC buckets landed on the wrong local day.  For America/New_York a UTC day runs from
19:00 to 19:00 local; at 18:00 on Dec 1 the December allowance showed $0 while spend was billed for
UTC Dec 1.  Daily buckets are now split across local days: by the same day's hourly usage when known,
else by the hours of overlap, and the figures that were split say so."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.unit.meter_world import (
    ClaudeRequest,
    World,
    anthropic_hourly_tokens,
    anthropic_paid,
    openai_hourly_tokens,
    openai_paid,
    write_claude_logs,
)
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.emulator import Scenario, start_emulator

NOW = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 18:00 on Dec 1 in New York
DEC_1 = date(2026, 12, 1)


def largest_remainder(amount: int, weights: list[int]) -> list[int]:
    """``amount`` in parts proportional to ``weights``; the leftover micros go to the largest remainders."""
    total = sum(weights)
    parts = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(parts)]:
        parts[i] += 1
    return parts


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock(NOW)
    emulator = start_emulator(clock=clock)
    world = World(tmp_path / "home", clock, emulator)
    (world.home / "config").mkdir(parents=True)
    (world.home / "config" / "settings.toml").write_text('timezone = "America/New_York"\n', encoding="utf-8")
    world.run("allowance", "add", "december", "--amount", "200", "--timezone", "America/New_York")
    yield world
    emulator.stop()


def test_a_daily_bill_is_split_by_the_hourly_usage_of_the_account(world: World) -> None:
    openai = world.add_account("openai")
    world.run("poll", "--once")
    billed = openai_paid(DEC_1, NOW)
    assert billed > 0
    # The costs endpoint has daily buckets only; the usage of the same day comes by the hour.  The
    # UTC day's bill holds the usage of 00:00-23:00 UTC (polled at 23:00); December began at 05:00
    # UTC (midnight in New York): the bill is shared in proportion to the tokens of hours 0-4 and 5-22.
    hours = openai_hourly_tokens(DEC_1, NOW)
    november, december = largest_remainder(billed, [sum(hours[:5]), sum(hours[5:23])])
    status = world.allowance("december")
    assert status["period_spent"] == december
    assert status["split"] is True
    [split] = status["splits"]
    assert (split["stream"], split["utc_day"], split["by"]) == (openai, "2026-12-01", "hourly usage")
    assert (split["amount"], split["in_period"]) == (billed, december)
    assert any("split at the period start by hourly usage" in note for note in status["notes"])
    # The rest of the bill is November's last local day, which also holds the UTC Nov 30 bill but
    # for its first 5 hours (Nov 29 in New York).
    report = json.loads(world.run("report", "--month", "2026-11", "--format", "json").stdout)
    nov30 = [u for u in report["usage"] if u["day"] == "2026-11-30" and u["cost_micros"]]
    before = openai_hourly_tokens(date(2026, 11, 30), NOW)
    _, nov30_share = largest_remainder(openai_paid(date(2026, 11, 30), NOW), [sum(before[:5]), sum(before[5:])])
    assert sum(u["cost_micros"] for u in nov30) == nov30_share + november
    assert all(u["split"] for u in nov30)
    assert any("split across the America/New_York days" in n for n in report["notes"])
    december_report = json.loads(world.run("report", "--month", "2026-12", "--format", "json").stdout)
    assert december_report["daily"][0] == {"day": "2026-12-01", "cost_micros": december, "estimated_micros": 0}
    assert not any("one day off" in n for n in december_report["notes"])


def test_a_daily_bill_follows_the_accounts_own_hours_before_those_of_the_streams_billed_through_it(
    world: World, tmp_path: Path
) -> None:
    anthropic = world.add_account("anthropic")
    world.run("poll", "--once")
    # Claude Code requests billed through the account: 02:00 UTC (21:00 on Nov 30 in New York) and
    # 15:00 UTC (10:00 on Dec 1).  The account reports its own usage by the hour, which places its
    # UTC Dec 1 bill on local days (the logs' hours would place it only if it did not).
    early = ClaudeRequest(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "e", input=1_000, output=1_000)
    late = ClaudeRequest(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), "l", input=3_000, output=3_000)
    logs = world.import_logs("claude-code", write_claude_logs(tmp_path / "claude", [early, late]))
    world.run("account", "edit", logs, "--billed-by", anthropic)
    billed = anthropic_paid(DEC_1, NOW)
    hours = anthropic_hourly_tokens(DEC_1, NOW)
    _, december = largest_remainder(billed, [sum(hours[:5]), sum(hours[5:23])])
    status = world.allowance("december")
    assert status["period_spent"] == december  # the log estimates are superseded by the bill
    assert status["superseded"] == late.cost  # December's request only; the early one was November's
    [split] = status["splits"]
    assert (split["by"], split["in_period"]) == ("hourly usage", december)


def test_a_utc_allowance_has_nothing_to_split(world: World) -> None:
    world.add_account("openai")
    world.run("poll", "--once")
    world.run("allowance", "add", "utc", "--amount", "200", "--timezone", "UTC")
    status = world.allowance("utc")
    assert status["period_spent"] == openai_paid(DEC_1, NOW)
    assert status["split"] is False and status["splits"] == []


def test_a_gateways_daily_history_follows_the_hourly_usage_of_the_streams_billed_through_it(
    world: World, tmp_path: Path
) -> None:
    litellm = world.add_account("litellm")
    world.run("poll", "--once")
    # The gateway's history has whole UTC days only.  Claude Code requests sent through it at 02:00
    # UTC (21:00 on Nov 30 in New York) and 15:00 UTC (10:00 on Dec 1) place its Dec 1 row on local days.
    early = ClaudeRequest(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "e", input=1_000, output=1_000)
    late = ClaudeRequest(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), "l", input=3_000, output=3_000)
    logs = world.import_logs("claude-code", write_claude_logs(tmp_path / "claude", [early, late]))
    world.run("account", "edit", logs, "--billed-by", litellm)
    spent = sum(usd_to_micros(v) for v in Scenario().gateway_model_spend("litellm", DEC_1, NOW).values())
    _, december = largest_remainder(spent, [early.tokens, late.tokens])
    status = world.allowance("december")
    assert status["period_spent"] == december  # the log estimates are superseded by the gateway's figure
    assert status["superseded"] == late.cost  # December's request only; the early one was November's
    [split] = status["splits"]
    assert (split["stream"], split["by"], split["in_period"]) == (litellm, "hourly usage", december)
