"""Finding: an org admin key counted the whole organization (colleagues' rows landed in the allowance),
and the same organization could be added twice (every dollar counted 2x).  Now filters narrow the polls
to the user's own api keys, projects, workspaces and Claude Code login, on the provider's side, and a
key already in use (with overlapping filters) is refused, naming the other account.  The emulator's
``SHARED_ORG`` has three people in one organization: you, Bob (your project and workspace, his own
keys) and Carol (another project and workspace)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import pytest

from tests.unit.meter_world import World, days, usage_buckets
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import cents_to_micros, usd_to_micros
from tokenwallet.emulator import Scenario, start_emulator
from tokenwallet.emulator.scenario import (
    ANTHROPIC_PRICES,
    ANTHROPIC_TOKEN_TYPES,
    BOB,
    CAROL,
    SHARED_ORG,
    YOU_AT_WORK,
    Member,
)

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
NOV = days(date(2026, 11, 1), date(2026, 11, 15))
ORG = Scenario(members=SHARED_ORG)


def openai_bill(member: Member) -> int:
    """What one member's OpenAI usage was billed from Nov 1 to now (each day's bill to the micro-dollar)."""
    return sum(usd_to_micros(ORG.openai_cost_usd(d, NOW, member)) for d in NOV)


def anthropic_bill(*members: Member) -> int:
    """The Anthropic cost report lines of one workspace's members from Nov 1 to now: per day, model and token
    type, the members' cents together, in micro-USD (the report groups by workspace, not by person)."""
    return sum(
        cents_to_micros(sum(ORG.anthropic_cost_cents(model, token_type, d, NOW, m) for m in members))
        for d in NOV
        for model in ANTHROPIC_PRICES
        for token_type in ANTHROPIC_TOKEN_TYPES
    )


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock(NOW)
    emulator = start_emulator(ORG, clock=clock)
    world = World(tmp_path / "home", clock, emulator)
    world.run("allowance", "add", "november", "--amount", "1000", "--timezone", "UTC")
    yield world
    emulator.stop()


def add(world: World, kind: str, *options: str, code: int = 0) -> str:
    assert world.emulator is not None
    result = world.run(
        "account",
        "add",
        kind,
        "--label",
        f"work {kind}",
        "--base-url",
        world.emulator.base_url(kind),
        "--key-stdin",
        *options,
        stdin=world.emulator.keys[kind] + "\n",
        code=code,
    )
    return result.output


def account_id(output: str) -> str:
    return output.split()[1]  # "Added openai-1a2b3c4d (OpenAI, key ...) in ..."


def test_an_org_admin_key_counts_only_your_api_key(world: World) -> None:
    openai = account_id(add(world, "openai", "--api-key-id", YOU_AT_WORK.openai_api_key_id))
    world.run("poll", "--once")
    status = world.allowance("november")
    # Your key's bill only; Bob shares your project and Carol has her own, neither is counted.
    assert status["period_spent"] == openai_bill(YOU_AT_WORK)
    assert openai_bill(YOU_AT_WORK) < openai_bill(YOU_AT_WORK) + openai_bill(BOB) + openai_bill(CAROL)
    assert world.emulator is not None
    asked = [e for e in world.emulator.requests if e.path.endswith(("/completions", "/costs"))]
    assert asked and all(f"api_key_ids={YOU_AT_WORK.openai_api_key_id}" in e.query for e in asked)
    assert all("group_by=api_key_id" in e.query for e in asked)
    # The rows carry the key and project, so the report's tags are filled: all of the bill is yours.
    report = json.loads(world.run("report", "--month", "2026-11", "--format", "json").stdout)
    tags = {(g["dimension"], g["value"]): g["cost_micros"] for g in report["groups"]}
    assert tags[("api_key", YOU_AT_WORK.openai_api_key_id)] == openai_bill(YOU_AT_WORK)
    assert tags[("project", YOU_AT_WORK.openai_project_id)] == openai_bill(YOU_AT_WORK)
    assert tags[("account", openai)] == openai_bill(YOU_AT_WORK)


def test_a_project_filter_counts_everyone_in_the_project_and_nobody_else(world: World) -> None:
    add(world, "openai", "--project-id", YOU_AT_WORK.openai_project_id)
    world.run("poll", "--once")
    assert world.allowance("november")["period_spent"] == openai_bill(YOU_AT_WORK) + openai_bill(BOB)


def test_without_filters_the_account_is_the_whole_organization(world: World) -> None:
    add(world, "openai")
    world.run("poll", "--once")
    everyone = openai_bill(YOU_AT_WORK) + openai_bill(BOB) + openai_bill(CAROL)
    assert world.allowance("november")["period_spent"] == everyone


def test_an_anthropic_workspace_filter_keeps_the_workspaces_bill(world: World) -> None:
    add(world, "anthropic", "--workspace-id", "wrkspc_platform")
    world.run("poll", "--once")
    # The cost report takes no filter: it is grouped by workspace and Carol's workspace is left out.
    assert world.allowance("november")["period_spent"] == anthropic_bill(YOU_AT_WORK, BOB)
    assert world.emulator is not None
    messages = [e for e in world.emulator.requests if e.path.endswith("/messages")]
    assert messages and all("workspace_ids%5B%5D=wrkspc_platform" in e.query for e in messages)


RATES = {  # micro-USD per million tokens: input, 5-minute write, 1-hour write, cache read, output (list prices)
    model: tuple(int(price * 1_000_000) for price in prices) for model, prices in ANTHROPIC_PRICES.items()
}


def list_priced(member: Member) -> int:
    """One member's message usage at list price, bucket by bucket as polled (each rounded half up)."""
    total = 0
    for d in NOV:
        for model, (p_in, p_5m, p_1h, p_read, p_out) in RATES.items():
            for t in usage_buckets(partial(ORG.anthropic_messages, model, d, member=member), d, NOW):
                scaled = (
                    t["uncached_input_tokens"] * p_in
                    + t["cache_creation.ephemeral_5m_input_tokens"] * p_5m
                    + t["cache_creation.ephemeral_1h_input_tokens"] * p_1h
                    + t["cache_read_input_tokens"] * p_read
                    + t["output_tokens"] * p_out
                )
                total += (scaled + 500_000) // 1_000_000
    return total


def test_an_anthropic_api_key_filter_counts_your_usage_at_list_price(world: World) -> None:
    add(world, "anthropic", "--api-key-id", YOU_AT_WORK.anthropic_api_key_id)
    world.run("poll", "--once")
    status = world.allowance("november")
    # The bill has no api key dimension, so your usage is priced from the catalog, as an estimate;
    # the emulator bills list prices, so the estimate is your share of the bill.
    assert status["period_spent"] == list_priced(YOU_AT_WORK)
    assert status["estimated_spent"] == status["period_spent"]
    assert abs(status["period_spent"] - anthropic_bill(YOU_AT_WORK)) <= 2 * 24 * len(NOV)  # rounding per bucket
    assert world.emulator is not None
    assert not any(e.path.endswith("/cost_report") for e in world.emulator.requests)


def _days(row: dict[str, str]) -> int:
    return (datetime.fromisoformat(row["bucket_end"]) - datetime.fromisoformat(row["bucket_start"])).days


def test_the_claude_code_report_keeps_your_login_only(world: World) -> None:
    anthropic = account_id(add(world, "anthropic", "--user-email", "ALICE@corp.example"))
    world.run("poll", "--once")
    rows = world.json("usage", "list", "--account", anthropic, "--limit", "5000")["usage"]
    # The Claude Code report's rows are usage rows of whole days; message usage of these days comes by the hour.
    code = [r for r in rows if r["source"] == "api_usage" and _days(r) == 1 and r["bucket_start"] >= "2026-11-14"]
    today = ORG.claude_code_tokens("subscription", NOW.date(), NOW, YOU_AT_WORK)
    yesterday = ORG.claude_code_tokens("subscription", date(2026, 11, 14), NOW, YOU_AT_WORK)
    assert len(code) == 2  # yesterday and today, your login only (Bob's and Carol's are left out)
    assert sum(r["output_tokens"] for r in code) == today["output"] + yesterday["output"]


def test_the_same_org_key_twice_is_refused_naming_the_other_account(world: World) -> None:
    first = account_id(add(world, "openai"))
    refused = add(world, "openai", code=2)
    assert first in refused and "counted twice" in refused
    assert len(world.json("account", "list")["accounts"]) == 1
    # Filters that may overlap the first account's (it counts the whole organization) are refused too.
    assert first in add(world, "openai", "--project-id", "proj_data02", code=2)
    # Two accounts on one key with disjoint filters record different usage: both are accepted.
    world.run("account", "edit", first, "--project-id", YOU_AT_WORK.openai_project_id)
    second = account_id(add(world, "openai", "--project-id", CAROL.openai_project_id))
    world.run("poll", "--once")
    everyone = openai_bill(YOU_AT_WORK) + openai_bill(BOB) + openai_bill(CAROL)
    assert world.allowance("november")["period_spent"] == everyone  # each dollar once
    # A third one narrowed to a key inside Carol's project may count her usage again: refused.
    refused = add(
        world, "openai", "--project-id", CAROL.openai_project_id, "--api-key-id", CAROL.openai_api_key_id, code=2
    )
    assert second in refused and first not in refused


def test_filters_a_provider_cannot_apply_are_refused(world: World) -> None:
    output = add(world, "litellm", "--project-id", "proj_x", code=2)
    assert "--project-id" in output and "LiteLLM" in output
    output = add(world, "openai", "--workspace-id", "wrkspc_x", code=2)
    assert "--workspace-id" in output and "api key ids, project ids" in output
    assert world.json("account", "list")["accounts"] == []


def test_new_filters_read_the_window_again_and_replace_what_the_org_recorded(world: World) -> None:
    openai = account_id(add(world, "openai"))
    world.run("poll", "--once")
    everyone = openai_bill(YOU_AT_WORK) + openai_bill(BOB) + openai_bill(CAROL)
    assert world.allowance("november")["period_spent"] == everyone
    edited = world.run("account", "edit", openai, "--api-key-id", YOU_AT_WORK.openai_api_key_id).output
    assert "counting only api key id key_you0001" in edited
    world.run("poll", "--once")
    assert world.allowance("november")["period_spent"] == openai_bill(YOU_AT_WORK)
    [listed] = world.json("account", "list")["accounts"]
    assert listed["filters"]["api_key_ids"] == [YOU_AT_WORK.openai_api_key_id]
