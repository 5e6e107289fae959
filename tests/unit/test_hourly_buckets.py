"""Hourly buckets where the API offers them: OpenAI and Anthropic usage of the last seven days comes by the
hour (the meter, the burn rate and local days depend on it), older history by the day, and the two never
both count for the same time: each page replaces what the account recorded for its span.  Checked with a
token allowance, which counts the usage rows themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.meter_world import SCENARIO, World, days
from tokenwallet.domain.clock import FixedClock
from tokenwallet.emulator import start_emulator
from tokenwallet.emulator.scenario import OPENAI_EMBEDDING_MODELS, OPENAI_PRICES

FIRST = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def openai_tokens(first: date, at: datetime) -> int:
    """The OpenAI organization's tokens from ``first`` to ``at``: chat input (cached included) and output,
    and embedding input, as the scenario has them."""
    total = 0
    for d in days(first, at.date()):
        for model in OPENAI_PRICES:
            u = SCENARIO.openai_completions(model, d, at)
            total += u["input_tokens"] + u["output_tokens"]
        for model in OPENAI_EMBEDDING_MODELS:
            total += SCENARIO.openai_embeddings(model, d, at)["input_tokens"]
    return total


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock(FIRST)
    emulator = start_emulator(clock=clock)
    world = World(tmp_path / "home", clock, emulator)
    world.run("allowance", "add", "tokens", "--unit", "tokens", "--amount", "900000000", "--timezone", "UTC")
    yield world
    emulator.stop()


def tokens(world: World) -> int:
    return int(world.allowance("tokens")["period_spent"])


def test_hours_and_days_of_the_same_time_never_both_count(world: World) -> None:
    openai = world.add_account("openai")
    world.run("poll", "--once")
    assert tokens(world) == openai_tokens(date(2026, 11, 1), FIRST)
    # Ten days later (the laptop was away): the days since the last poll that fell out of the hourly
    # week are read by the day, replacing their hours; the week is read by the hour.
    later = FIRST + timedelta(days=10)
    world.at(later)
    world.run("poll", "--once")
    assert tokens(world) == openai_tokens(date(2026, 11, 1), later)
    rows = world.json("usage", "list", "--account", openai, "--limit", "20000")["usage"]
    for day in days(date(2026, 11, 14), later.date()):
        widths = {
            datetime.fromisoformat(r["bucket_end"]) - datetime.fromisoformat(r["bucket_start"])
            for r in rows
            if r["source"] == "api_usage" and r["bucket_start"].startswith(day.isoformat())
        }
        hourly = day >= later.date() - timedelta(days=6)
        assert widths == ({timedelta(hours=1)} if hourly else {timedelta(days=1)}), day
    # Polling again at the same moment changes nothing.
    before = len(rows)
    world.run("poll", "--once")
    assert tokens(world) == openai_tokens(date(2026, 11, 1), later)
    assert len(world.json("usage", "list", "--account", openai, "--limit", "20000")["usage"]) == before


def test_the_burn_rate_week_is_hourly(world: World) -> None:
    world.add_account("anthropic")
    world.run("poll", "--once")
    assert world.emulator is not None
    hourly = [e for e in world.emulator.requests if "bucket_width=1h" in e.query]
    daily = [e for e in world.emulator.requests if "bucket_width=1d" in e.query]
    assert [e.path.rsplit("/", 1)[-1] for e in hourly] == ["messages"]  # one page of 168 hours
    assert sorted(e.path.rsplit("/", 1)[-1] for e in daily) == ["cost_report", "messages"]
    start = (FIRST - timedelta(days=6)).replace(hour=0)
    assert f"starting_at={start.isoformat().replace('+00:00', 'Z').replace(':', '%3A')}" in hourly[0].query
