"""The core CLI: status, allowance, usage, audit and budget check, with a fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tokenwallet import __version__
from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.clock import FixedClock
from tokenwallet.ledger import audit
from tokenwallet.ledger.db import open_ledger

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    clock = FixedClock(NOW)
    original = AppContext.create.__func__  # type: ignore[attr-defined]

    def create(cls: type[AppContext], home: str | None = None, clock_: Any = None) -> AppContext:
        return original(cls, home, clock=clock)  # type: ignore[no-any-return]

    monkeypatch.setattr(AppContext, "create", classmethod(create))
    return clock


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def run_json(home: Path, *args: str) -> Any:
    result = run(home, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def audit_count(home: Path) -> int:
    ledger = home / "data" / "ledger.db"
    candidates = [ledger] if ledger.exists() else list(home.rglob("ledger.db"))
    if not candidates:
        return 0
    db = open_ledger(candidates[0])
    try:
        return len(audit.entries(db))
    finally:
        db.close()


def test_status_json_on_an_empty_home(home: Path) -> None:
    document = run_json(home, "status")
    assert document == {
        "schema_version": 1,
        "generated_at": "2026-11-15T12:00:00Z",
        "allowances": [],
        "suggestions": [],
        "accounts": [],
        "snapshots": [],
        "off_policy": [],  # added with employer policies: one entry per imported policy with restrictions
    }


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_allowance_add_list_show_and_status(home: Path) -> None:
    added = run_json(
        home,
        "allowance",
        "add",
        "work",
        "--amount",
        "200",
        "--cadence",
        "monthly",
        "--rollover-cap",
        "40",
        "--timezone",
        "Europe/Berlin",
    )
    assert added["amount"] == 200_000_000 and added["rollover"] == {"cap": 40_000_000, "expires_days": None}
    assert added["starts_at"] == "2026-10-31T23:00:00Z"  # the current period's start in Berlin
    listed = run_json(home, "allowance", "list")
    assert [a["name"] for a in listed["allowances"]] == ["work"]
    topup = run(home, "allowance", "topup", "work", "--amount", "50", "--expires", "2026-11-30")
    assert topup.exit_code == 0, topup.output
    usage = run(home, "usage", "add", "--amount", "12.50", "--provider", "openai", "--at", "2026-11-14T10:00")
    assert usage.exit_code == 0, usage.output
    shown = run_json(home, "allowance", "show", "work")["status"]
    assert shown["granted"] == 250_000_000 and shown["spent"] == 12_500_000
    assert shown["formatted"]["remaining"] == "$237.50"
    assert [g["kind"] for g in shown["grants"]] == ["topup", "periodic"]
    document = run_json(home, "status")
    status = document["allowances"][0]
    for key in (
        "granted",
        "spent",
        "remaining",
        "expired",
        "period_spent",
        "percent_used",
        "days_left",
        "burn_rate_per_day",
        "projected_period_spend",
        "projected_runout",
        "expiring",
        "period_start",
        "period_end",
        "unpriced_records",
        "estimated_spent",
    ):
        assert key in status
    assert status["period_key"] == "2026-11"
    assert document["accounts"][0]["id"] == "manual"
    text = run(home, "status")
    assert "work" in text.output and "$237.50" in text.output


def test_every_change_is_audited(home: Path) -> None:
    run(home, "allowance", "add", "work", "--amount", "200")
    run(home, "allowance", "topup", "work", "--amount", "5", "--expires", "2026-12-01")
    run(home, "allowance", "adjust", "work", "--amount", "-2.5", "--note", "refund correction")
    run(home, "allowance", "remove", "work")
    actions = [e["action"] for e in run_json(home, "audit")["entries"]]
    # a new allowance gets its five default alert rules, each audited
    defaults = ["alert_rule.add"] * 5
    assert actions == ["allowance.add", *defaults, "grant.topup", "grant.adjustment", "allowance.remove"]
    assert run_json(home, "allowance", "list")["allowances"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("allowance", "add", "w", "--amount", "-5"), "must be positive"),
        (("allowance", "add", "w", "--amount", "lots"), "is not a number"),
        (("allowance", "add", "w", "--amount", "5", "--unit", "euros"), "Unknown unit"),
        (("allowance", "add", "w", "--amount", "5", "--cadence", "fortnightly"), "Unknown cadence"),
        (("allowance", "add", "w", "--amount", "5", "--starts", "next tuesday"), "is not a date"),
        (("allowance", "add", "w", "--amount", "5", "--anchor-day", "31"), "1 to 28"),
        (("allowance", "add", "w", "--amount", "5", "--cadence", "one-off"), "needs an end"),
        (("allowance", "add", "w", "--amount", "5", "--scope", "nope"), "No account"),
        (("allowance", "add", "w", "--amount", "5", "--timezone", "Mars/Olympus"), "time zone"),
        (("allowance", "add", "w", "--amount", "1.5", "--unit", "tokens"), "whole number"),
        (("allowance", "topup", "nope", "--amount", "5"), "No allowance named 'nope'"),
        (("allowance", "topup", "existing", "--amount", "5", "--expires", "2026-01-01"), "before it is granted"),
        (("allowance", "topup", "existing", "--amount", "5", "--expires", "soon"), "is not a date"),
        (("allowance", "topup", "existing", "--amount", "0"), "must be positive"),
        (
            ("allowance", "adjust", "existing", "--amount", "-5", "--expires", "2026-12-01"),
            "--expires: An expiry applies only to added value",
        ),
        (("allowance", "show", "nope"), "No allowance"),
        (("allowance", "remove", "nope"), "No allowance"),
        (("usage", "add", "--amount", "-1", "--provider", "openai"), "must be positive"),
        (("usage", "add", "--amount", "x", "--provider", "openai"), "is not a number"),
        (("usage", "add", "--provider", "openai"), "Give --amount"),
        (("usage", "add", "--amount", "1", "--provider", "openai", "--at", "2027-01-01"), "in the future"),
        (("budget", "check", "--amount", "abc", "--allowance", "existing"), "is not a number"),
        (("budget", "check", "--amount", "5", "--allowance", "nope"), "No allowance"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(
    home: Path, args: tuple[str, ...], message: str
) -> None:
    assert run(home, "allowance", "add", "existing", "--amount", "100").exit_code == 0
    before = audit_count(home)
    listed_before = run_json(home, "allowance", "list")
    usage_before = run_json(home, "usage", "list")
    result = run(home, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert audit_count(home) == before
    assert run_json(home, "allowance", "list") == listed_before
    assert run_json(home, "usage", "list") == usage_before


def test_usage_add_and_list(home: Path) -> None:
    result = run(home, "usage", "add", "--amount", "3", "--tokens", "1200", "--provider", "OpenAI", "--model", "gpt-5")
    assert result.exit_code == 0, result.output
    rows = run_json(home, "usage", "list")["usage"]
    assert len(rows) == 1
    assert rows[0]["provider"] == "openai" and rows[0]["cost_micros"] == 3_000_000 and rows[0]["input_tokens"] == 1200
    assert rows[0]["source"] == "manual" and rows[0]["account_id"] == "manual"
    assert rows[0]["bucket_start"] == "2026-11-15T12:00:00Z"


def test_budget_check_is_a_gate(home: Path) -> None:
    run(home, "allowance", "add", "work", "--amount", "20")
    run(home, "usage", "add", "--amount", "15", "--provider", "openai")
    fits = run(home, "budget", "check", "--amount", "4.99")
    assert fits.exit_code == 0 and "fits" in fits.output
    too_much = run(home, "budget", "check", "--amount", "5.01", "--json")
    assert too_much.exit_code == 1
    answer = json.loads(too_much.stdout)
    assert answer["fits"] is False and answer["checks"][0]["shortfall"] == 10_000


def test_budget_check_without_an_allowance_is_bad_input(home: Path) -> None:
    result = run(home, "budget", "check", "--amount", "1")
    assert result.exit_code == 2 and "no usd allowance" in result.stderr


def test_token_allowance_takes_whole_tokens(home: Path) -> None:
    added = run_json(
        home, "allowance", "add", "tok", "--amount", "1,000,000", "--unit", "tokens", "--cadence", "weekly"
    )
    assert added["amount"] == 1_000_000 and added["amount_formatted"] == "1,000,000 tokens"
    run(home, "usage", "add", "--tokens", "2500", "--provider", "anthropic")
    status = run_json(home, "status")["allowances"][0]
    assert status["spent"] == 2500 and status["formatted"]["spent"] == "2,500 tokens"


def test_named_scenario_through_the_cli(home: Path, fixed_clock: FixedClock) -> None:
    """$200 monthly in Berlin, rollover capped at $40, a $50 top-up expiring on the 15th,
    across the October/November boundary (a week after the change to winter time)."""
    fixed_clock.set(datetime(2026, 10, 1, 8, tzinfo=UTC))
    run(home, "allowance", "add", "work", "--amount", "200", "--rollover-cap", "40", "--timezone", "Europe/Berlin")
    fixed_clock.set(datetime(2026, 11, 1, 6, tzinfo=UTC))
    for amount, at in (("160", "2026-10-20T12:00"), ("5", "2026-10-31T23:30"), ("10", "2026-11-01T00:30")):
        result = run(home, "usage", "add", "--amount", amount, "--provider", "openai", "--at", f"{at}+01:00")
        assert result.exit_code == 0, result.output
    topup = run(
        home, "allowance", "topup", "work", "--amount", "50", "--at", "2026-11-01T00:00", "--expires", "2026-11-15"
    )
    assert topup.exit_code == 0, topup.output
    fixed_clock.set(datetime(2026, 11, 5, 13, tzinfo=UTC))
    run(home, "usage", "add", "--amount", "30", "--provider", "openai", "--at", "2026-11-05T13:00")

    fixed_clock.set(datetime(2026, 11, 10, 12, tzinfo=UTC))
    status = run_json(home, "status")["allowances"][0]
    kinds = {g["kind"]: g for g in status["grants"]}
    assert status["period_start"] == "2026-10-31T23:00:00Z"
    assert kinds["rollover"]["amount"] == 35_000_000  # October spent 165: the 23:30 entry is October
    assert kinds["topup"]["consumed"] == 40_000_000 and kinds["topup"]["expires_at"] == "2026-11-15T23:00:00Z"
    assert (status["granted"], status["spent"], status["remaining"]) == (285_000_000, 40_000_000, 245_000_000)

    fixed_clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    status = run_json(home, "status")["allowances"][0]
    assert status["expired"] == 10_000_000 and status["formatted"]["expired"] == "$10.00"

    fixed_clock.set(datetime(2026, 12, 1, 12, tzinfo=UTC))
    status = run_json(home, "status")["allowances"][0]
    assert status["period_key"] == "2026-12" and status["granted"] == 240_000_000
