"""`tokenwallet statusline` against the JSON Claude Code sends, and against anything else."""

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
from tokenwallet.agents.statusline import render
from tokenwallet.cli.root import cli

FIXTURES = Path(__file__).parent.parent / "fixtures" / "agents"
NOW = 1_795_000_000.0  # 2026-11-18
DAY = 86_400


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def row(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "a1",
        "name": "work",
        "unit": "usd",
        "scale": 1_000_000,
        "remaining": 56_830_000,
        "granted": 135_000_000,
        "spent": 78_170_000,
        "overspent": 0,
        "percent_used": 57.9,
        "period_end": int(NOW + 13 * DAY),
        "reset_day": "1 Dec",
        "reset_time": "00:00",
        "expiring": None,
        "state": "ok",
        "formatted": {"remaining": "$56.83", "granted": "$135.00", "spent": "$78.17", "overspent": "$0.00"},
    }
    base.update(changes)
    return base


def meter(*rows: dict[str, Any], **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": 1,
        "generated_at": int(NOW - 60),
        "valid_until": int(NOW + 13 * DAY),
        "stale_after": None,
        "last_sync": None,
        "primary": rows[0]["name"] if rows else None,
        "allowances": list(rows),
    }
    base.update(changes)
    return base


def test_the_line_of_the_issue_from_recorded_claude_code_input() -> None:
    line, refresh = render(fixture("claude-statusline.json"), meter(row()), now=NOW, allowance=None, colour=False)
    assert line == "work $56.83 left · 58% · resets 1 Dec · session $0.42 · 5h 34% · 7d 12%"
    assert refresh is False


def test_api_key_sessions_have_no_plan_windows() -> None:
    line, _ = render(fixture("claude-statusline-api-key.json"), meter(row()), now=NOW, allowance=None, colour=False)
    assert line == "work $56.83 left · 58% · resets 1 Dec · session $12.35"


def test_colours_follow_the_state_and_no_colour_means_none() -> None:
    states = {"ok": "\033[32m", "warning": "\033[33m", "critical": "\033[31m"}
    for state, code in states.items():
        line, _ = render({}, meter(row(state=state)), now=NOW, allowance=None, colour=True)
        assert line.startswith(code + "work $56.83 left\033[0m")
    plain, _ = render({}, meter(row(state="critical")), now=NOW, allowance=None, colour=False)
    assert "\033" not in plain


def test_exhausted_says_so_with_the_overspend() -> None:
    spent = row(remaining=0, overspent=3_100_000, percent_used=100.0, state="exhausted")
    spent["formatted"] = {**spent["formatted"], "remaining": "$0.00", "overspent": "$3.10"}
    line, _ = render({}, meter(spent), now=NOW, allowance=None, colour=False)
    assert line.startswith("work exhausted (over by $3.10) · 100%")


def test_a_reset_within_a_day_counts_down_and_a_passed_one_asks_for_a_refresh() -> None:
    soon = row(period_end=int(NOW + 5 * 3600 + 60))
    line, refresh = render({}, meter(soon, valid_until=soon["period_end"]), now=NOW, allowance=None, colour=False)
    assert "resets in 5h" in line and refresh is False
    passed = row(period_end=int(NOW - 10))
    line, refresh = render({}, meter(passed, valid_until=passed["period_end"]), now=NOW, allowance=None, colour=False)
    assert "reset due" in line and line.endswith("updating") and refresh is True


def test_value_lapsing_within_a_week_is_shown() -> None:
    lapsing = row(expiring={"at": int(NOW + 2 * DAY), "amount": 20_000_000, "day": "20 Nov", "formatted": "$20.00"})
    line, _ = render({}, meter(lapsing), now=NOW, allowance=None, colour=False)
    assert "$20.00 lapses 20 Nov" in line
    later = row(expiring={"at": int(NOW + 9 * DAY), "amount": 1, "day": "27 Nov", "formatted": "$0.01"})
    assert "lapses" not in render({}, meter(later), now=NOW, allowance=None, colour=False)[0]


def test_stale_data_is_marked() -> None:
    old = meter(row(), stale_after=int(NOW - 100), last_sync=int(NOW - 3 * 3600))
    line, refresh = render({}, old, now=NOW, allowance=None, colour=False)
    assert line.endswith("data 3h old") and refresh is False


def test_picking_an_allowance_and_tokens() -> None:
    tokens = row(
        id="b2", name="agents", unit="tokens", scale=1, remaining=1_500_000, formatted={"remaining": "1,500,000 tokens"}
    )
    both = meter(row(), tokens)
    assert render({}, both, now=NOW, allowance="agents", colour=False)[0].startswith("agents 1,500,000 tokens left")
    assert render({}, both, now=NOW, allowance="b2", colour=False)[0].startswith("agents")
    assert render({}, both, now=NOW, allowance="nope", colour=False)[0] == "tokenwallet: no allowance 'nope'"


def test_no_meter_and_no_allowance() -> None:
    assert render(fixture("claude-statusline.json"), None, now=NOW, allowance=None, colour=False) == (
        "tokenwallet: no meter yet · session $0.42 · 5h 34% · 7d 12%",
        True,
    )
    assert render({}, meter(), now=NOW, allowance=None, colour=False)[0] == "tokenwallet: no allowance yet"


@pytest.mark.parametrize(
    "event",
    [
        {"cost": "lots"},
        {"cost": {"total_cost_usd": "0.42"}},
        {"cost": {"total_cost_usd": float("nan")}},
        {"cost": {"total_cost_usd": True}},
        {"rate_limits": {"five_hour": 34}},
        {"rate_limits": [1, 2]},
        {"rate_limits": {"five_hour": {"used_percentage": None}}},
        {"model": None, "workspace": 3},
    ],
)
def test_odd_fields_are_left_out(event: dict[str, Any]) -> None:
    assert render(event, meter(row()), now=NOW, allowance=None, colour=False)[0] == (
        "work $56.83 left · 58% · resets 1 Dec"
    )


@pytest.mark.parametrize(
    "broken_row",
    [
        {"name": "x"},
        {"name": "x", "remaining": "many", "formatted": "no", "percent_used": None, "period_end": "soon"},
        {"name": "x", "expiring": {"at": "tomorrow"}, "remaining": 5, "unit": "tokens"},
    ],
)
def test_a_damaged_snapshot_still_gives_a_line(broken_row: dict[str, Any]) -> None:
    line, _ = render({}, meter(broken_row), now=NOW, allowance=None, colour=False)
    assert line.startswith("x ")


def run_fast(home: Path, stdin: str | None, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = fast.statusline(
        str(home), list(args), None if stdin is None else io.StringIO(stdin), out, env or {}, time.time()
    )
    return code, out.getvalue()


@pytest.mark.parametrize("stdin", [None, "", "not json", "[1,2,3]", '"text"', "{" * 100_000, "\x00\x01"])
def test_malformed_input_still_prints_the_meter(home: Path, stdin: str | None) -> None:
    CliRunner().invoke(cli, ["--home", str(home), "allowance", "add", "work", "--amount", "100"])
    code, out = run_fast(home, stdin, env={"NO_COLOR": "1"})
    assert code == 0
    assert out.startswith("work $100.00 left · 0% · resets ")


def test_no_home_at_all_prints_a_short_line_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "never-used"
    code, out = run_fast(home, json.dumps(fixture("claude-statusline.json")))
    assert (code, out) == (0, "tokenwallet: no meter yet · session $0.42 · 5h 34% · 7d 12%\n")
    assert not home.exists()


def test_an_unwritable_stdout_does_not_raise(home: Path) -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    assert fast.statusline(str(home), [], io.StringIO("{}"), Closed(), {}, time.time()) == 0


def test_an_internal_error_prints_the_fallback(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(fast, "find_meter", explode)
    assert run_fast(home, "{}") == (0, "tokenwallet\n")


def test_a_snapshot_without_a_ledger_refresh_never_starts_one(home: Path) -> None:
    assert fast.start_refresh(str(home), str(home / "cache"), {}, time.time()) is False


def test_a_past_reset_starts_one_background_refresh_a_minute(home: Path) -> None:
    CliRunner().invoke(cli, ["--home", str(home), "allowance", "add", "work", "--amount", "100"])
    path = home / "cache" / "meter.json"
    stale = json.loads(path.read_text())
    stale["valid_until"] = int(time.time()) - 5
    stale["allowances"][0]["remaining"] = 1
    path.write_text(json.dumps(stale))
    now = time.time()
    assert fast.start_refresh(str(home), str(home / "cache"), dict(os.environ), now) is True
    assert fast.start_refresh(str(home), str(home / "cache"), dict(os.environ), now + 1) is False  # throttled
    deadline = time.monotonic() + 60
    while json.loads(path.read_text())["allowances"][0]["remaining"] == 1:  # the detached process rewrites it
        assert time.monotonic() < deadline, "the background refresh did not rewrite the snapshot"
        time.sleep(0.05)
    assert json.loads(path.read_text())["allowances"][0]["remaining"] == 100_000_000


def console(home: Path, stdin: bytes | None, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """The installed console command, as an agent runs it."""
    script = Path(sys.executable).with_name("tokenwallet")
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TOKENWALLET_HOME")}
    environ.update(env)
    return subprocess.run(
        [str(script), "--home", str(home), *args],
        input=stdin,
        capture_output=True,
        env=environ,
        timeout=60,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def test_the_console_command_end_to_end(home: Path) -> None:
    CliRunner().invoke(cli, ["--home", str(home), "allowance", "add", "work", "--amount", "100"])
    done = console(home, (FIXTURES / "claude-statusline.json").read_bytes(), "statusline", NO_COLOR="1")
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.decode().startswith("work $100.00 left · 0% · resets ")
    assert done.stdout.decode().endswith(" · session $0.42 · 5h 34% · 7d 12%\n")
    coloured = console(home, b"{}", "statusline")
    assert coloured.stdout.startswith(b"\033[32mwork $100.00 left\033[0m")
    garbage = console(home, b"\xff\xfe garbage", "statusline", NO_COLOR="1")
    assert garbage.returncode == 0 and garbage.stdout.startswith(b"work $100.00 left")
    nothing = console(home, None, "statusline", NO_COLOR="1")
    assert nothing.returncode == 0 and nothing.stdout.startswith(b"work $100.00 left")
    unknown = console(home, b"{}", "statusline", "--bogus", NO_COLOR="1")
    assert unknown.returncode == 0 and unknown.stdout.startswith(b"work $100.00 left")
    helped = console(home, None, "statusline", "--help")
    assert helped.returncode == 0 and b"Claude Code" in helped.stdout


def test_the_fast_path_imports_only_the_standard_library(home: Path) -> None:
    CliRunner().invoke(cli, ["--home", str(home), "allowance", "add", "work", "--amount", "100"])
    for command in ("statusline", "guard"):
        stdin = FIXTURES / ("claude-statusline.json" if command == "statusline" else "claude-pre-tool-use.json")
        script = Path(sys.executable).with_name("tokenwallet")
        done = subprocess.run(
            [sys.executable, "-X", "importtime", str(script), "--home", str(home), command],
            input=stdin.read_bytes(),
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        imported = {line.split("|")[-1].strip() for line in done.stderr.decode().splitlines() if "|" in line}
        heavy = {"click", "sqlite_utils", "sqlite3", "httpx", "PySide6", "genai_prices", "platformdirs", "typing"}
        assert not {name.split(".")[0] for name in imported} & heavy, sorted(imported)
        assert not {n for n in imported if n.startswith(("tokenwallet.ledger", "tokenwallet.cli", "tokenwallet.app"))}
