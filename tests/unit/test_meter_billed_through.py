"""Finding: Claude Code logs that replay requests billed through an Anthropic org account were added on
top of the bill.  With the emulator over real HTTP and a fixed clock: the overlap is suggested, and once
the logs are linked (``account edit LOGS --billed-by ACCOUNT``) the meter equals what was paid, the
estimates bridging only the time the account has not reported yet."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.meter_world import (
    ClaudeRequest,
    World,
    anthropic_paid,
    days,
    openai_paid,
    streams,
    write_claude_logs,
)
from tokenwallet.domain.clock import FixedClock
from tokenwallet.emulator import start_emulator

POLLED = datetime(2026, 11, 15, 11, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
NOV = [d for d in days(date(2026, 11, 1), date(2026, 11, 15))]

REQUESTS = [
    ClaudeRequest(datetime(2026, 11, 14, 10, 0, tzinfo=UTC), "a", input=1_000, output=500, cache_read=20_000),
    ClaudeRequest(datetime(2026, 11, 15, 9, 0, tzinfo=UTC), "b", input=2_000, output=800, cache_5m=4_000),
    ClaudeRequest(datetime(2026, 11, 15, 11, 30, tzinfo=UTC), "c", input=300, output=100),  # after the poll
]


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock(POLLED)
    emulator = start_emulator(clock=clock)
    world = World(tmp_path / "home", clock, emulator)
    world.openai = world.add_account("openai")  # type: ignore[attr-defined]
    world.anthropic = world.add_account("anthropic")  # type: ignore[attr-defined]
    world.run("poll", "--once")  # both accounts report up to 11:00
    world.at(NOW)
    world.logs = world.import_logs("claude-code", write_claude_logs(tmp_path / "claude", REQUESTS))  # type: ignore[attr-defined]
    world.run("allowance", "add", "work", "--amount", "1000", "--timezone", "UTC")
    yield world
    emulator.stop()


def test_unlinked_logs_are_added_on_top_and_the_overlap_is_suggested(world: World) -> None:
    openai = sum(openai_paid(d, POLLED) for d in NOV)
    anthropic = sum(anthropic_paid(d, POLLED) for d in NOV)
    estimates = REQUESTS[0].cost + REQUESTS[1].cost + REQUESTS[2].cost
    document = world.json("status")
    [work] = document["allowances"]
    assert work["period_spent"] == openai + anthropic + estimates  # the same money twice, as found
    [suggestion] = document["suggestions"]
    assert (suggestion["logs"], suggestion["account"]) == (world.logs, world.anthropic)  # type: ignore[attr-defined]
    # Days the account reported with log tokens: the 14th and the 15th (up to the poll).
    assert suggestion["days"] == 2
    assert suggestion["tokens"] == sum(r.tokens for r in REQUESTS)
    text = world.run("status").output
    assert f"account edit {world.logs} --billed-by {world.anthropic}" in text  # type: ignore[attr-defined]
    # The dashboard's snapshot carries the same suggestion.
    from tokenwallet.app import AppContext
    from tokenwallet.services.snapshot import load_snapshot

    ctx = AppContext.create(str(world.home), clock=world.clock)
    try:
        [same] = load_snapshot(ctx, NOW).suggestions
    finally:
        ctx.close()
    assert (same.logs, same.account, same.tokens) == (suggestion["logs"], suggestion["account"], suggestion["tokens"])


def test_linked_logs_count_only_where_the_account_has_not_reported(world: World) -> None:
    logs, anthropic_id, openai_id = world.logs, world.anthropic, world.openai  # type: ignore[attr-defined]
    edited = world.json("account", "edit", logs, "--billed-by", anthropic_id)
    assert edited["account"]["billed_by"] == anthropic_id
    openai = sum(openai_paid(d, POLLED) for d in NOV)
    anthropic = sum(anthropic_paid(d, POLLED) for d in NOV)
    document = world.json("status")
    assert document["suggestions"] == []
    [work] = document["allowances"]
    # The 11:30 request came after the account's 11:00 report: its estimate bridges the lag.
    assert work["period_spent"] == openai + anthropic + REQUESTS[2].cost
    assert work["superseded"] == REQUESTS[0].cost + REQUESTS[1].cost
    assert work["estimated_spent"] == REQUESTS[2].cost
    by = streams(work)
    assert by[(openai_id, "billed")]["counted"] == openai
    assert by[(anthropic_id, "billed")]["counted"] == anthropic
    cc = by[(logs, "estimated")]
    assert (cc["counted"], cc["superseded"], cc["covered_by"]) == (
        REQUESTS[2].cost,
        REQUESTS[0].cost + REQUESTS[1].cost,
        anthropic_id,
    )
    # Any figure is the sum of its streams.
    assert sum(s["counted"] for s in work["streams"]) == work["period_spent"]
    assert any("billed through" in note for note in work["notes"])

    # The next poll brings the account's report past 11:30: the meter is what was paid, exactly.
    world.run("poll", "--once")
    [work] = world.json("status")["allowances"]
    assert work["period_spent"] == sum(openai_paid(d, NOW) for d in NOV) + sum(anthropic_paid(d, NOW) for d in NOV)
    assert work["superseded"] == REQUESTS[0].cost + REQUESTS[1].cost + REQUESTS[2].cost
    assert work["estimated_spent"] == 0

    # The daily chart and the month's report count the same way.
    report = json.loads(world.run("report", "--month", "2026-11", "--format", "json").stdout)
    [line] = report["allowances"]
    assert line["spent"] == work["period_spent"]
    assert report["totals"]["counted_micros"] == work["period_spent"]
    assert report["totals"]["superseded_micros"] == work["superseded"]


def test_a_link_must_name_an_account_the_logs_can_be_billed_through(world: World) -> None:
    logs, openai_id = world.logs, world.openai  # type: ignore[attr-defined]
    refused = world.run("account", "edit", logs, "--billed-by", openai_id, code=2)
    assert "--billed-by" in refused.output and "Anthropic" in refused.output
    both = world.run("account", "edit", logs, "--billed-by", world.anthropic, "--subscription", code=2)  # type: ignore[attr-defined]
    assert "both" in both.output
    not_logs = world.run("account", "edit", openai_id, "--subscription", code=2)
    assert "agent-log sources" in not_logs.output
    world.run("account", "edit", logs, "--billed-by", world.anthropic)  # type: ignore[attr-defined]
    world.run("account", "edit", logs, "--no-billed-by")
    [work] = world.json("status")["allowances"]
    assert work["superseded"] == 0  # unlinked again: counted as recorded


def test_an_allowance_without_the_account_keeps_counting_the_logs(world: World) -> None:
    logs = world.logs  # type: ignore[attr-defined]
    world.run("account", "edit", logs, "--billed-by", world.anthropic)  # type: ignore[attr-defined]
    world.run("allowance", "add", "agents", "--amount", "100", "--timezone", "UTC", "--scope", logs)
    agents = world.allowance("agents")
    assert agents["period_spent"] == sum(r.cost for r in REQUESTS)
    assert agents["superseded"] == 0


def test_status_at_an_earlier_time_keeps_the_link_for_the_days_before(world: World) -> None:
    # The state at a past moment (TOKENWALLET_NOW): the link covers the days the account reported.
    world.run("account", "edit", world.logs, "--billed-by", world.anthropic)  # type: ignore[attr-defined]
    world.at(datetime(2026, 11, 14, 23, 0, tzinfo=UTC) + timedelta(minutes=59))
    [work] = world.json("status")["allowances"]
    # The 14th's bucket is in the ledger with what was polled on the 15th; the 14th's request is covered.
    assert work["superseded"] == REQUESTS[0].cost
