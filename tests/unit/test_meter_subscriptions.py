"""Finding: Codex logs with ``plan_type: plus`` and Claude subscription logs were priced at API rates and
counted as spend in usd allowances.  Subscription usage now counts in token allowances and is shown as
its API-equivalent value, counted in a usd allowance only when the allowance says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.meter_world import ClaudeRequest, CodexTurn, World, streams, write_claude_logs, write_codex_rollout
from tokenwallet.domain.clock import FixedClock

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PLUS = [
    CodexTurn(datetime(2026, 11, 18, 9, 0, tzinfo=UTC), input=10_000, cached=4_000, output=2_000, plan="plus"),
    CodexTurn(datetime(2026, 11, 18, 9, 5, tzinfo=UTC), input=5_000, cached=0, output=1_000, plan="plus"),
]
API_KEY = [CodexTurn(datetime(2026, 11, 18, 14, 0, tzinfo=UTC), input=8_000, cached=2_000, output=500, plan="")]
MAX_PLAN = [ClaudeRequest(datetime(2026, 11, 19, 10, 0, tzinfo=UTC), "m", input=1_000, output=2_000)]


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "home", FixedClock(NOW))
    codex_home = write_codex_rollout(tmp_path / "codex", "plus", PLUS)
    write_codex_rollout(codex_home, "apikey", API_KEY)
    world.codex = world.import_logs("codex", codex_home)  # type: ignore[attr-defined]
    world.claude = world.import_logs("claude-code", write_claude_logs(tmp_path / "claude", MAX_PLAN))  # type: ignore[attr-defined]
    world.run("account", "edit", world.claude, "--subscription")  # type: ignore[attr-defined]
    world.run("allowance", "add", "usd", "--amount", "50", "--timezone", "UTC")
    world.run("allowance", "add", "tokens", "--amount", "1000000", "--unit", "tokens", "--timezone", "UTC")
    return world


def test_a_usd_allowance_leaves_subscription_usage_out_and_shows_its_value(world: World) -> None:
    codex, claude = world.codex, world.claude  # type: ignore[attr-defined]
    usd = world.allowance("usd")
    plus = PLUS[0].cost + PLUS[1].cost
    assert usd["period_spent"] == API_KEY[0].cost  # only the API-key session is paid per token
    assert usd["subscription_value"] == plus + MAX_PLAN[0].cost
    by = streams(usd)
    assert (by[(codex, "subscription")]["counted"], by[(codex, "subscription")]["excluded"]) == (0, plus)
    assert by[(codex, "estimated")]["counted"] == API_KEY[0].cost
    assert by[(claude, "subscription")]["excluded"] == MAX_PLAN[0].cost
    assert usd["counts_subscriptions"] is False
    assert sum(n.count("API-equivalent value") for n in usd["notes"]) == 2


def test_a_token_allowance_counts_subscription_usage(world: World) -> None:
    tokens = world.allowance("tokens")
    # Codex tokens: input (cached included) + output; Claude: input + output.
    codex_tokens = sum(t.input + t.output for t in PLUS + API_KEY)
    assert tokens["period_spent"] == codex_tokens + MAX_PLAN[0].tokens
    assert tokens["subscription_value"] == sum(t.input + t.output for t in PLUS) + MAX_PLAN[0].tokens


def test_the_allowance_counts_subscriptions_when_told(world: World) -> None:
    world.run("allowance", "edit", "usd", "--count-subscriptions")
    usd = world.allowance("usd")
    assert usd["counts_subscriptions"] is True
    assert usd["period_spent"] == API_KEY[0].cost + PLUS[0].cost + PLUS[1].cost + MAX_PLAN[0].cost
    assert usd["estimated_spent"] == usd["period_spent"]
    world.run("allowance", "edit", "usd", "--no-count-subscriptions")
    assert world.allowance("usd")["period_spent"] == API_KEY[0].cost


def test_a_source_marked_a_subscription_can_be_unmarked(world: World) -> None:
    world.run("account", "edit", world.claude, "--no-subscription")  # type: ignore[attr-defined]
    usd = world.allowance("usd")
    assert usd["period_spent"] == API_KEY[0].cost + MAX_PLAN[0].cost
    [account] = [a for a in world.json("account", "list")["accounts"] if a["id"] == world.claude]  # type: ignore[attr-defined]
    assert account["subscription"] is False
