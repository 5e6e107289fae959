"""Findings, end to end as a new user meets them (the CLI, the emulator over real HTTP, fixed clocks):

* "An OpenAI + LiteLLM + OpenRouter user paid $133.72; the default-scope allowance showed $43.13":
  now the meter equals what they paid;
* "`budget check --amount 30` passed with '$48.56 left' while the key had $5.01 left": now refused;
* an OpenAI org admin key shared by colleagues, Claude Code logs billed through the user's Anthropic
  key, a LiteLLM virtual key and an OpenRouter key: the meter is the user's own spend, each dollar once.

The accounts are added on Nov 20 and polled when a laptop would be awake (10:00, noon, 23:00, noon);
expected figures are sums of what the emulator's providers billed, from its scenario."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import pytest

from tests.unit.meter_world import (
    ClaudeRequest,
    World,
    days,
    openai_paid,
    streams,
    usage_buckets,
    write_claude_logs,
)
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import cents_to_micros, usd_to_micros
from tokenwallet.emulator import Scenario, start_emulator
from tokenwallet.emulator.scenario import ANTHROPIC_PRICES, ANTHROPIC_TOKEN_TYPES, SHARED_ORG, YOU_AT_WORK

ADDED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
POLLS = [
    datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    datetime(2026, 11, 26, 23, 0, tzinfo=UTC),
    datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
]
NOW = POLLS[-1]
NOV = days(date(2026, 11, 1), NOW.date())


def gateway_paid(scenario: Scenario, provider: str) -> int:
    """What a gateway key spent from Nov 1 to now."""
    return sum(usd_to_micros(scenario.daily_gateway_spend(provider, d, NOW)) for d in NOV)


def dollars(micros: int) -> str:
    return f"${micros / 1_000_000:,.2f}"


def run_the_month(world: World) -> None:
    """Poll at the moments of :data:`POLLS` (the accounts were added and first polled at :data:`ADDED`)."""
    for moment in POLLS:
        world.at(moment)
        world.run("poll", "--once")


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock(ADDED)
    emulator = start_emulator(clock=clock)
    world = World(tmp_path / "home", clock, emulator)
    yield world
    emulator.stop()


def test_the_meter_equals_what_an_openai_litellm_and_openrouter_user_paid(world: World) -> None:
    for kind in ("openai", "litellm", "openrouter"):
        world.add_account(kind)
    world.run("allowance", "add", "AI compute", "--amount", "300", "--timezone", "UTC")
    world.run("poll", "--once")
    run_the_month(world)
    sc = Scenario()
    openai = sum(openai_paid(d, NOW) for d in NOV)
    litellm, openrouter = gateway_paid(sc, "litellm"), gateway_paid(sc, "openrouter")
    status = world.allowance("AI compute")
    assert status["period_spent"] == openai + litellm + openrouter
    print(
        f"paid {dollars(openai)} + {dollars(litellm)} + {dollars(openrouter)}; meter {dollars(status['period_spent'])}"
    )
    assert {(s["confidence"], s["counted"] > 0) for s in status["streams"]} == {("billed", True), ("gateway", True)}


def test_budget_check_sees_what_the_key_has_left(world: World) -> None:
    openrouter = world.add_account("openrouter")
    world.run("allowance", "add", "OpenRouter key", "--amount", "50", "--scope", openrouter, "--timezone", "UTC")
    world.run("poll", "--once")
    run_the_month(world)
    sc = Scenario()
    left = usd_to_micros(sc.openrouter_limit_usd) - gateway_paid(sc, "openrouter")
    assert 0 < left < usd_to_micros(30)
    answer = json.loads(
        world.run("budget", "check", "--amount", "30", "--allowance", "OpenRouter key", "--json", code=1).stdout
    )
    [check] = answer["checks"]
    assert (answer["fits"], check["remaining"], check["shortfall"]) == (False, left, usd_to_micros(30) - left)
    # The key's own limit says the same.
    [key] = [s for s in world.json("status")["snapshots"] if s["account_id"] == openrouter and s["name"] == "key"]
    assert key["remaining_micros"] == left
    print(f"left {dollars(left)} = $50.00 - {dollars(gateway_paid(sc, 'openrouter'))}")


ORG = Scenario(members=SHARED_ORG)
CLAUDE = [  # Claude Code requests on the user's Anthropic key, all before the last poll
    ClaudeRequest(datetime(2026, 11, 21, 9, 30, tzinfo=UTC), "w1", input=4_000, output=1_200, cache_read=60_000),
    ClaudeRequest(datetime(2026, 11, 25, 14, 0, tzinfo=UTC), "w2", input=2_500, output=900, cache_5m=8_000),
    ClaudeRequest(datetime(2026, 11, 28, 10, 15, tzinfo=UTC), "w3", input=1_000, output=400),
]
RATES = {m: tuple(int(price * 1_000_000) for price in prices) for m, prices in ANTHROPIC_PRICES.items()}


def anthropic_list_priced() -> int:
    """The user's Anthropic key usage at list price, bucket by bucket as the polls record it (the bill has
    no key dimension): daily buckets for days before the first poll's hourly week, else hours."""
    total = 0
    for d in NOV:
        for model, (p_in, p_5m, p_1h, p_read, p_out) in RATES.items():
            figures = partial(ORG.anthropic_messages, model, d, member=YOU_AT_WORK)
            for t in usage_buckets(figures, d, NOW, first_poll=ADDED):
                scaled = (
                    t["uncached_input_tokens"] * p_in
                    + t["cache_creation.ephemeral_5m_input_tokens"] * p_5m
                    + t["cache_creation.ephemeral_1h_input_tokens"] * p_1h
                    + t["cache_read_input_tokens"] * p_read
                    + t["output_tokens"] * p_out
                )
                total += (scaled + 500_000) // 1_000_000
    return total


def test_a_new_user_with_a_shared_org_key_logs_and_two_gateways(tmp_path: Path) -> None:
    clock = FixedClock(ADDED)
    emulator = start_emulator(ORG, clock=clock)
    try:
        world = World(tmp_path / "home", clock, emulator)
        openai = world.add_account_with("openai", "--api-key-id", YOU_AT_WORK.openai_api_key_id)
        anthropic = world.add_account_with(
            "anthropic", "--api-key-id", YOU_AT_WORK.anthropic_api_key_id, "--user-email", YOU_AT_WORK.email
        )
        litellm, openrouter = world.add_account("litellm"), world.add_account("openrouter")
        logs = world.import_logs("claude-code", write_claude_logs(tmp_path / "claude", CLAUDE))
        world.run("account", "edit", logs, "--billed-by", anthropic)
        world.run("allowance", "add", "AI compute", "--amount", "400", "--timezone", "UTC")
        world.run("poll", "--once")
        run_the_month(world)
        mine_openai = sum(usd_to_micros(ORG.openai_cost_usd(d, NOW, YOU_AT_WORK)) for d in NOV)
        mine_anthropic = anthropic_list_priced()
        litellm_paid, openrouter_paid = gateway_paid(ORG, "litellm"), gateway_paid(ORG, "openrouter")
        status = world.allowance("AI compute")
        expected = mine_openai + mine_anthropic + litellm_paid + openrouter_paid
        assert status["period_spent"] == expected
        by = streams(status)
        assert by[(openai, "billed")]["counted"] == mine_openai
        assert by[(anthropic, "estimated")]["counted"] == mine_anthropic  # the key's usage at list price
        assert by[(litellm, "gateway")]["counted"] == litellm_paid
        assert by[(openrouter, "gateway")]["counted"] == openrouter_paid
        # What the key was billed, were the bill split by key: its cost lines at the same list prices. The
        # estimate rounds per hour, the bill per line: they agree to within a micro-dollar per bucket.
        your_bill = sum(
            cents_to_micros(ORG.anthropic_cost_cents(m, t, d, NOW, YOU_AT_WORK))
            for d in NOV
            for m in ANTHROPIC_PRICES
            for t in ANTHROPIC_TOKEN_TYPES
        )
        assert abs(mine_anthropic - your_bill) < 10_000  # under a cent
        # Every Claude Code request is in what the Anthropic account reported: superseded, not added.
        assert by[(logs, "estimated")]["counted"] == 0
        assert by[(logs, "estimated")]["superseded"] == sum(r.cost for r in CLAUDE)
        colleagues = sum(
            usd_to_micros(ORG.openai_cost_usd(d, NOW, m)) for d in NOV for m in SHARED_ORG if m is not YOU_AT_WORK
        )
        print(
            f"meter {dollars(status['period_spent'])} = OpenAI {dollars(mine_openai)} (your key; colleagues' "
            f"{dollars(colleagues)} left out) + Anthropic {dollars(mine_anthropic)} (your key at list price) + "
            f"LiteLLM {dollars(litellm_paid)} + OpenRouter {dollars(openrouter_paid)}; Claude Code "
            f"{dollars(sum(r.cost for r in CLAUDE))} superseded; the key's bill lines {your_bill} micro-USD, "
            f"estimate {mine_anthropic}"
        )
    finally:
        emulator.stop()
