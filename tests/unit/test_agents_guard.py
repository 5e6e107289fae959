"""`tokenwallet guard` against the hook JSON of each event of Claude Code, Codex CLI and Gemini CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tokenwallet.agents import fast
from tokenwallet.agents.guard import BLOCK, CONTEXT, SILENT, GuardOptions, decide, output, parse_options
from tokenwallet.cli.root import cli
from tokenwallet.ledger import audit
from tokenwallet.ledger.db import open_ledger

FIXTURES = Path(__file__).parent.parent / "fixtures" / "agents"
NOW = 1_795_000_000.0
DAY = 86_400
PROMPTS = ["claude-user-prompt-submit.json", "codex-user-prompt-submit.json", "gemini-before-agent.json"]
TOOLS = ["claude-pre-tool-use.json", "codex-pre-tool-use.json", "gemini-before-tool.json"]
STARTS = ["claude-session-start.json", "codex-session-start.json", "gemini-session-start.json"]


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def row(remaining: int, granted: int = 100_000_000, **changes: Any) -> dict[str, Any]:
    percent = 100.0 * (granted - remaining) / granted
    base = {
        "id": "a1",
        "name": "work",
        "unit": "usd",
        "scale": 1_000_000,
        "remaining": remaining,
        "granted": granted,
        "overspent": 0,
        "percent_used": percent,
        "period_end": int(NOW + 13 * DAY),
        "reset_day": "1 Dec",
        "state": "exhausted" if remaining <= 0 else "warning" if percent >= 80 else "ok",
        "formatted": {
            "remaining": f"${max(remaining, 0) / 1e6:,.2f}",
            "granted": f"${granted / 1e6:,.2f}",
            "overspent": "$0.00",
        },
    }
    base.update(changes)
    return base


def meter(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "valid_until": int(NOW + DAY), "primary": "work", "allowances": list(rows)}


OK = row(60_000_000)
NEAR = row(10_000_000)
EXHAUSTED = row(0)


@pytest.mark.parametrize("name", PROMPTS + TOOLS + STARTS)
def test_plenty_left_is_silent(name: str) -> None:
    assert decide(fixture(name), meter(OK), GuardOptions(), NOW).action == SILENT


@pytest.mark.parametrize("name", PROMPTS + TOOLS)
def test_exhausted_in_block_mode_blocks_prompts_and_tool_calls(name: str) -> None:
    event = fixture(name)
    decision = decide(event, meter(EXHAUSTED), GuardOptions(), NOW)
    assert decision.action == BLOCK
    text = decision.text
    assert "The allowance 'work' is used up ($0.00 left of $100.00); it resets 1 Dec." in text
    assert "tokenwallet allowance topup work --amount N" in text
    assert f"tokenwallet guard override --session {event['session_id']}" in text
    assert "TOKENWALLET_GUARD=off" in text
    stdout, stderr, code = output(decision, event["hook_event_name"])
    assert (stdout, code) == ("", 2)  # the documented block of all three agents: exit 2, reason on stderr
    assert stderr == text + "\n"


@pytest.mark.parametrize("name", STARTS)
def test_a_session_start_is_never_blocked_but_told(name: str) -> None:
    event = fixture(name)
    decision = decide(event, meter(EXHAUSTED), GuardOptions(), NOW)
    assert decision.action == CONTEXT
    stdout, stderr, code = output(decision, event["hook_event_name"])
    assert (stderr, code) == ("", 0)
    body = json.loads(stdout)
    assert list(body) == ["hookSpecificOutput"]  # Claude Code refuses unknown keys
    assert body["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert "will be refused" in body["hookSpecificOutput"]["additionalContext"]


@pytest.mark.parametrize("name", PROMPTS)
def test_near_a_threshold_the_model_is_told_what_is_left(name: str) -> None:
    event = fixture(name)
    decision = decide(event, meter(NEAR), GuardOptions(), NOW)
    assert decision.action == CONTEXT
    body = json.loads(output(decision, event["hook_event_name"])[0])
    assert body == {
        "hookSpecificOutput": {
            "hookEventName": event["hook_event_name"],
            "additionalContext": "tokenwallet budget: The allowance 'work' has $10.00 left of $100.00 (90% used); "
            "it resets 1 Dec. Prefer a cheaper model or shorter outputs, and skip optional tool calls.",
        }
    }


@pytest.mark.parametrize("name", TOOLS)
def test_tool_calls_get_no_context(name: str) -> None:
    """Claude Code's PreToolUse accepts no additionalContext; a note comes with the next prompt."""
    assert decide(fixture(name), meter(NEAR), GuardOptions(), NOW).action == SILENT
    assert decide(fixture(name), meter(EXHAUSTED), GuardOptions(mode="warn"), NOW).action == SILENT


def test_warn_mode_never_blocks() -> None:
    decision = decide(fixture("claude-user-prompt-submit.json"), meter(EXHAUSTED), GuardOptions(mode="warn"), NOW)
    assert decision.action == CONTEXT
    assert "cheaper model" in decision.text


def test_the_reserve_blocks_before_the_allowance_is_gone() -> None:
    event = fixture("claude-pre-tool-use.json")
    low = row(4_200_000)
    decision = decide(event, meter(low), GuardOptions(reserve_text="5"), NOW)
    assert decision.action == BLOCK and decision.level == "low"
    assert "$4.20 left of $100.00 (96% used), below the reserve of $5.00 kept back" in decision.text
    assert decide(event, meter(low), GuardOptions(reserve_text="4"), NOW).action == SILENT


def test_token_allowances_take_the_reserve_in_tokens() -> None:
    tokens = row(40_000, granted=1_000_000, unit="tokens", scale=1, formatted={"remaining": "40,000 tokens"})
    options = GuardOptions(reserve_text="50,000")
    decision = decide(fixture("gemini-before-tool.json"), meter(tokens), options, NOW)
    assert decision.action == BLOCK and "below the reserve of 50,000 tokens" in decision.text


def test_the_named_allowance_is_guarded() -> None:
    other = row(0, id="b2", name="hackathon")
    both = meter(OK, other)
    event = fixture("claude-user-prompt-submit.json")
    assert decide(event, both, GuardOptions(), NOW).action == SILENT
    assert decide(event, both, GuardOptions(allowance="hackathon"), NOW).action == BLOCK
    with pytest.raises(LookupError):
        decide(event, both, GuardOptions(allowance="nope"), NOW)


@pytest.mark.parametrize(
    "event",
    [{}, {"hook_event_name": "PostToolUse"}, {"hook_event_name": "Stop"}, {"hook_event_name": 3}, {"prompt": "x"}],
)
def test_other_events_are_silent(event: dict[str, Any]) -> None:
    assert decide(event, meter(EXHAUSTED), GuardOptions(), NOW).action == SILENT


def test_without_a_meter_the_guard_lets_everything_through() -> None:
    assert decide(fixture("claude-pre-tool-use.json"), None, GuardOptions(), NOW).action == SILENT


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "strict"], "--mode must be warn or block"),
        (["--reserve", "lots"], "--reserve must be an amount"),
        (["--reserve", "-5"], "--reserve must be an amount"),
        (["--warn-at", "120"], "between 0 and 100"),
        (["--allowance"], "--allowance needs a value"),
        (["--bogus"], "unknown option '--bogus'"),
    ],
)
def test_bad_options_are_a_non_blocking_error(args: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_options(args)
    err = io.StringIO()
    code = fast.guard(None, args, io.StringIO("{}"), io.StringIO(), err, {}, NOW)
    assert code == 1  # never 2: a mistake in the hook's command must not block the agent
    assert message.split()[0] in err.getvalue()


def test_options_parse() -> None:
    options = parse_options(["--allowance=work", "--reserve", "$2.50", "--mode", "warn", "--warn-at", "90"])
    assert (options.allowance, options.reserve_text, options.mode, options.warn_percent) == (
        "work",
        "$2.50",
        "warn",
        90,
    )


# --- the real command on a real ledger ------------------------------------------------------------


def tw(home: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def guard(home: Path, name: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO((FIXTURES / name).read_text())
    code = fast.guard(str(home), list(args), stdin, out, err, env or {}, time.time())
    return code, out.getvalue(), err.getvalue()


def audit_actions(home: Path) -> list[str]:
    db = open_ledger(home / "data" / "ledger.db")
    try:
        return [e.action for e in audit.entries(db) if e.action.startswith("guard.")]
    finally:
        db.close()


@pytest.fixture
def spent_home(home: Path) -> Path:
    tw(home, "allowance", "add", "work", "--amount", "10", "--timezone", "UTC")
    tw(home, "usage", "add", "--amount", "10", "--provider", "anthropic")
    return home


def test_exhausted_blocks_and_is_audited_then_a_top_up_lifts_it(spent_home: Path) -> None:
    home = spent_home
    code, out, err = guard(home, "claude-pre-tool-use.json")
    assert (code, out) == (2, "")
    assert "The allowance 'work' is used up ($0.00 left of $10.00)" in err
    assert audit_actions(home) == ["guard.block"]
    db = open_ledger(home / "data" / "ledger.db")
    entry = [e for e in audit.entries(db) if e.action == "guard.block"][0]
    db.close()
    assert entry.details["tool"] == "Bash" and entry.details["event"] == "PreToolUse"
    assert entry.details["session"] == fixture("claude-pre-tool-use.json")["session_id"]
    assert entry.actor == "guard"

    tw(home, "allowance", "topup", "work", "--amount", "5")
    assert guard(home, "claude-pre-tool-use.json") == (0, "", "")
    assert audit_actions(home) == ["guard.block"]


def test_a_top_up_the_snapshot_missed_lifts_the_block_on_the_slow_path(spent_home: Path) -> None:
    home = spent_home
    snapshot = (home / "cache" / "meter.json").read_text()
    tw(home, "allowance", "topup", "work", "--amount", "5")
    (home / "cache" / "meter.json").write_text(snapshot)  # as if another program had changed the ledger
    assert guard(home, "claude-user-prompt-submit.json")[0] == 0
    assert audit_actions(home) == []
    assert json.loads((home / "cache" / "meter.json").read_text())["allowances"][0]["remaining"] == 5_000_000


def test_an_override_lets_one_session_through(spent_home: Path) -> None:
    home = spent_home
    session = fixture("claude-user-prompt-submit.json")["session_id"]
    assert guard(home, "claude-user-prompt-submit.json")[0] == 2
    said = tw(home, "guard", "override", "--session", session, "--for", "2h", "--reason", "demo for the boss")
    assert f"lets the session {session} through" in said
    assert guard(home, "claude-user-prompt-submit.json") == (0, "", "")
    assert guard(home, "codex-user-prompt-submit.json")[0] == 2  # another session is still held
    listed = json.loads(tw(home, "guard", "override", "--list", "--json"))["overrides"]
    assert [o["session"] for o in listed] == [session]
    tw(home, "guard", "override", "--session", session, "--end")
    assert guard(home, "claude-user-prompt-submit.json")[0] == 2
    assert audit_actions(home) == ["guard.block", "guard.override", "guard.block", "guard.override_end", "guard.block"]


def test_the_environment_override_is_audited_once_per_session(spent_home: Path) -> None:
    home = spent_home
    for _ in range(3):
        assert guard(home, "gemini-before-tool.json", env={"TOKENWALLET_GUARD": "off"}) == (0, "", "")
    assert audit_actions(home) == ["guard.override"]


def test_bad_override_input(spent_home: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(spent_home), "guard", "override", "--session", "a b"])
    assert result.exit_code == 2 and "session id" in result.output
    result = CliRunner().invoke(cli, ["--home", str(spent_home), "guard", "override", "--session", "a", "--for", "9d"])
    assert result.exit_code == 2 and "seven days" in result.output
    result = CliRunner().invoke(cli, ["--home", str(spent_home), "guard", "override", "--session", "a", "--for", "x"])
    assert result.exit_code == 2 and "--for" in result.output


@pytest.mark.parametrize("stdin", [b"", b"not json", b"[]", b'{"hook_event_name": "PreToolUse"', b"\xff"])
def test_the_console_command_with_malformed_input_exits_0(spent_home: Path, stdin: bytes) -> None:
    script = Path(sys.executable).with_name("tokenwallet")
    done = subprocess.run(
        [str(script), "--home", str(spent_home), "guard"], input=stdin, capture_output=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def test_the_console_command_blocks_with_exit_2(spent_home: Path) -> None:
    script = Path(sys.executable).with_name("tokenwallet")
    environ = {k: v for k, v in os.environ.items() if k != "TOKENWALLET_GUARD"}
    done = subprocess.run(
        [str(script), "--home", str(spent_home), "guard", "--agent", "claude-code"],
        input=(FIXTURES / "claude-pre-tool-use.json").read_bytes(),
        capture_output=True,
        timeout=60,
        env=environ,
    )
    assert done.returncode == 2 and done.stdout == b""
    assert b"tokenwallet budget stop." in done.stderr
    helped = subprocess.run([str(script), "guard", "--help"], capture_output=True, timeout=60)
    assert helped.returncode == 0 and b"override" in helped.stdout
