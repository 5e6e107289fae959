"""Finding: a model-scoped usd allowance on OpenAI showed $0 with no note, because OpenAI's bill has no
model.  Now the model's usage counts at list price (the price catalog), labelled as an estimate, and the
status says so.  With the emulator over real HTTP and a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import pytest

from tests.unit.meter_world import SCENARIO, World, days, openai_paid, streams, usage_buckets
from tokenwallet.domain.clock import FixedClock
from tokenwallet.emulator import start_emulator

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
NOV = days(date(2026, 11, 1), date(2026, 11, 15))
GPT_52 = (1_750_000, 175_000, 14_000_000)
"""GPT-5.2 list price in micro-USD per million tokens: input, cached input, output (the emulator bills the same)."""


def list_price(day: date) -> int:
    """One day of the emulator's gpt-5.2 tokens at list price: each polled bucket (a day older than the
    hourly week, else each hour) rounded half up to the micro-dollar, as the poll records it."""
    total = 0
    for u in usage_buckets(partial(SCENARIO.openai_completions, "gpt-5.2", day), day, NOW):
        scaled = (
            u["input_uncached_tokens"] * GPT_52[0]
            + u["input_cached_tokens"] * GPT_52[1]
            + u["output_tokens"] * GPT_52[2]
        )
        total += (scaled + 500_000) // 1_000_000
    return total


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock(NOW)
    emulator = start_emulator(clock=clock)
    world = World(tmp_path / "home", clock, emulator)
    world.openai = world.add_account("openai")  # type: ignore[attr-defined]
    world.run("poll", "--once")
    yield world
    emulator.stop()


def test_a_model_allowance_counts_the_model_at_list_price(world: World) -> None:
    world.run("allowance", "add", "gpt52", "--amount", "100", "--timezone", "UTC", "--model", "gpt-5.2")
    status = world.allowance("gpt52")
    expected = sum(list_price(d) for d in NOV)
    assert expected > 0
    assert status["period_spent"] == expected
    assert status["estimated_spent"] == expected  # labelled an estimate, not billed money
    [figure] = status["streams"]
    assert (figure["stream"], figure["confidence"], figure["basis"]) == (world.openai, "estimated", "list price")  # type: ignore[attr-defined]
    assert any("priced at list price" in note for note in status["notes"])
    text = world.run("status").output
    assert "priced at list price" in text and "estimated" in text


def test_the_whole_bill_still_counts_once_without_a_model(world: World) -> None:
    world.run("allowance", "add", "all", "--amount", "100", "--timezone", "UTC")
    status = world.allowance("all")
    assert status["period_spent"] == sum(openai_paid(d, NOW) for d in NOV)
    assert streams(status)[(world.openai, "billed")]["counted"] == status["period_spent"]  # type: ignore[attr-defined]
    assert status["estimated_spent"] == 0
