"""`tokenwallet mcp` driven by the official SDK's client over stdio: initialize, list tools, call each."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner

from tokenwallet.cli.root import cli

mcp = pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402


def tw(home: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


async def session_calls(home: Path, calls: list[tuple[str, dict[str, Any]]]) -> tuple[Any, Any, list[Any]]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "tokenwallet", "--home", str(home), "mcp"])
    results = []
    with open(home / "server-stderr.txt", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            listed = await session.list_tools()
            for name, arguments in calls:
                results.append(await session.call_tool(name, arguments))
    return init, listed, results


@pytest.fixture
def ledger_home(home: Path) -> Path:
    tw(home, "allowance", "add", "work", "--amount", "100", "--timezone", "UTC")
    tw(home, "allowance", "add", "agents", "--amount", "1000000", "--unit", "tokens", "--timezone", "UTC")
    tw(home, "usage", "add", "--amount", "12.50", "--provider", "openai", "--model", "gpt-5")
    tw(home, "usage", "add", "--amount", "2.25", "--provider", "anthropic", "--model", "claude-sonnet-4-5")
    return home


def test_initialize_list_and_call_every_tool(ledger_home: Path) -> None:
    month = datetime.now(UTC).strftime("%Y-%m")
    calls: list[tuple[str, dict[str, Any]]] = [
        ("budget_status", {}),
        ("budget_status", {"allowance": "work"}),
        ("estimate_cost", {"model": "claude-sonnet-4-5", "input_tokens": 12_000, "output_tokens": 2_000}),
        ("can_afford", {"amount": "90"}),
        ("can_afford", {"allowance": "work", "amount": 3.2}),
        (
            "can_afford",
            {"allowance": "agents", "model": "gpt-5", "input_tokens": 900_000, "output_tokens": 200_000},
        ),
        ("spend_summary", {"month": month}),
        ("spend_summary", {}),
    ]
    init, listed, results = anyio.run(session_calls, ledger_home, calls)
    assert init.server_info.name == "tokenwallet"
    tools = {t.name: t for t in listed.tools}
    assert set(tools) == {"budget_status", "estimate_cost", "can_afford", "spend_summary"}
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80
        assert tool.input_schema["type"] == "object" and tool.output_schema is not None
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
    assert tools["estimate_cost"].input_schema["required"] == ["model", "input_tokens", "output_tokens"]
    assert all(not r.is_error for r in results), [r.content for r in results if r.is_error]
    structured = [r.structured_content for r in results]
    for result in results:  # the same answer as text, for clients that read only content
        assert json.loads(result.content[0].text) == result.structured_content

    everything, work = structured[0], structured[1]
    assert [a["name"] for a in everything["allowances"]] == ["agents", "work"]
    assert work["allowances"][0]["remaining"] == (100_000_000 - 12_500_000 - 2_250_000)
    assert work["allowances"][0]["formatted"]["remaining"] == "$85.25"

    estimate = structured[2]
    assert estimate["cost_micros"] == 12_000 * 3 + 2_000 * 15  # $3 and $15 per million tokens
    assert estimate["priced_as"] == "claude-sonnet-4-5" and estimate["provider"] == "anthropic"
    assert estimate["priced_on"] == datetime.now(UTC).date().isoformat()
    assert estimate["catalog"].startswith("genai-prices ")

    too_much = structured[3]
    assert too_much["fits"] is False
    assert too_much["checks"][0]["shortfall"] == 90_000_000 - (100_000_000 - 12_500_000 - 2_250_000)
    assert structured[4]["fits"] is True

    tokens = structured[5]
    assert tokens["fits"] is False and tokens["checks"][0]["unit"] == "tokens"
    assert tokens["checks"][0]["shortfall"] == 900_000 + 200_000 - 1_000_000
    assert tokens["estimate"]["tokens"] == 900_000 + 200_000

    summary = structured[6]
    assert summary == structured[7]
    assert summary["month"] == month
    assert summary["total_cost_micros"] == 12_500_000 + 2_250_000
    assert [(p["provider"], p["cost_micros"]) for p in summary["by_provider"]] == [
        ("openai", 12_500_000),
        ("anthropic", 2_250_000),
    ]
    assert [(m["model"], m["formatted"]) for m in summary["by_model"]] == [
        ("gpt-5", "$12.50"),
        ("claude-sonnet-4-5", "$2.25"),
    ]


def test_bad_calls_are_tool_errors_and_the_server_goes_on(ledger_home: Path) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("estimate_cost", {"model": "no-such-model-9", "input_tokens": 1, "output_tokens": 1}),
        ("estimate_cost", {"model": "gpt-5", "input_tokens": -1, "output_tokens": 1}),
        ("estimate_cost", {"model": "gpt-5", "input_tokens": "many", "output_tokens": 1}),
        ("estimate_cost", {"model": "gpt-5"}),
        ("budget_status", {"allowance": "nope"}),
        ("can_afford", {}),
        ("can_afford", {"amount": "lots"}),
        ("can_afford", {"amount": "1", "model": "gpt-5"}),
        ("spend_summary", {"month": "2026-13"}),
        ("spend_summary", {"month": "1066-10"}),
        ("budget_status", {"surprise": 1}),
        ("no_such_tool", {}),
        ("budget_status", {}),
    ]
    _, _, results = anyio.run(session_calls, ledger_home, calls)
    errors = [r.content[0].text for r in results[:-1]]
    assert all(r.is_error for r in results[:-1]), errors
    assert "has no model 'no-such-model-9'" in errors[0]
    assert "0 to" in errors[1]
    assert "whole number" in errors[2]
    assert "needs 'input_tokens'" in errors[3]
    assert "no allowance called 'nope'" in errors[4]
    assert "Give amount" in errors[5]
    assert "not a number" in errors[6]
    assert "not both" in errors[7]
    assert "no argument 'surprise'" in errors[10]
    assert "no tool 'no_such_tool'" in errors[11]
    assert "not a month" in errors[8] and "1970-01 to 2199-12" in errors[9]
    assert not results[-1].is_error  # still serving


def test_an_empty_home_answers_too(home: Path) -> None:
    _, _, results = anyio.run(session_calls, home, [("budget_status", {}), ("can_afford", {"amount": "1"})])
    assert results[0].structured_content["allowances"] == []
    assert results[1].is_error and "no usd allowance" in results[1].content[0].text
