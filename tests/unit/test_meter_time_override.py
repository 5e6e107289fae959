"""`status --at`, `budget check --at` and `TOKENWALLET_NOW`: a state reproduced through the one clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.clock import FixedClock, environment_clock, parse_now, system_clock
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import usd_to_micros as usd


def run(home: Path, *args: str, now: str | None = None, code: int = 0):  # type: ignore[no-untyped-def]
    env = {"TOKENWALLET_NOW": now} if now is not None else {}
    result = CliRunner().invoke(cli, ["--home", str(home), *args], env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    now = "2026-11-20T12:00:00Z"
    run(home, "allowance", "add", "work", "--amount", "100", "--timezone", "UTC", "--starts", "2026-10-01", now=now)
    run(home, "usage", "add", "--amount", "30", "--provider", "openai", "--at", "2026-11-05T10:00:00Z", now=now)
    run(home, "usage", "add", "--amount", "50", "--provider", "openai", "--at", "2026-11-18T10:00:00Z", now=now)
    run(home, "usage", "add", "--amount", "70", "--provider", "openai", "--at", "2026-10-20T10:00:00Z", now=now)
    return home


def test_status_at_a_time_shows_the_state_then(home: Path) -> None:
    at_10th = json.loads(
        run(home, "status", "--json", "--at", "2026-11-10T00:00:00Z", now="2026-11-20T12:00:00Z").stdout
    )
    assert at_10th["generated_at"] == "2026-11-10T00:00:00Z"
    [work] = at_10th["allowances"]
    assert (work["period_key"], work["period_spent"], work["remaining"]) == ("2026-11", usd(30), usd(100) - usd(30))
    in_october = json.loads(run(home, "status", "--json", "--at", "2026-10-25", now="2026-11-20T12:00:00Z").stdout)
    [october] = in_october["allowances"]
    assert (october["period_key"], october["period_spent"]) == ("2026-10", usd(70))
    # A bad time is bad input naming the option; nothing else happens.
    bad = run(home, "status", "--at", "yesterday", now="2026-11-20T12:00:00Z", code=2)
    assert "--at:" in bad.output
    far = run(home, "status", "--at", "2200-01-01", now="2026-11-20T12:00:00Z", code=2)
    assert "1970 to 2199" in far.output


def test_budget_check_at_a_time(home: Path) -> None:
    # On the 10th, 100 - 30 = 70 was left; on the 20th, 100 - 30 - 50 = 20.
    run(home, "budget", "check", "--amount", "60", "--at", "2026-11-10T00:00:00Z", now="2026-11-20T12:00:00Z")
    late = run(home, "budget", "check", "--amount", "60", now="2026-11-20T12:00:00Z", code=1)
    assert "short by $40.00" in late.output


def test_tokenwallet_now_is_the_clock_of_every_command(home: Path) -> None:
    document = json.loads(run(home, "status", "--json", now="2026-11-06T08:30:00+01:00").stdout)
    assert document["generated_at"] == "2026-11-06T07:30:00Z"
    [work] = document["allowances"]
    assert work["period_spent"] == usd(30)
    answer = json.loads(run(home, "budget", "check", "--amount", "1", "--json", now="2026-11-06T07:30:00").stdout)
    assert answer["checked_at"] == "2026-11-06T07:30:00Z"  # no offset: UTC
    bad = run(home, "status", now="next tuesday", code=2)
    assert "TOKENWALLET_NOW" in bad.output
    assert "1970 to 2199" in run(home, "status", now="1969-12-31T23:59:59Z", code=2).output


def test_the_one_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert environment_clock({}) is system_clock
    fixed = environment_clock({"TOKENWALLET_NOW": "2026-12-01T18:00:00-05:00"})
    assert isinstance(fixed, FixedClock) and fixed() == datetime(2026, 12, 1, 23, tzinfo=UTC)
    with pytest.raises(UserInputError):
        parse_now("2026-13-01")
    monkeypatch.setenv("TOKENWALLET_NOW", "2026-12-01T23:00:00Z")
    assert AppContext.create(str(tmp_path / "a")).clock() == datetime(2026, 12, 1, 23, tzinfo=UTC)
    # The tray app makes its context without a clock: it honours the variable too, and a bad value
    # leaves it on the system clock rather than stopping it.
    from tokenwallet.paths import AppPaths

    assert AppContext(paths=AppPaths.resolve(str(tmp_path / "b"))).clock() == datetime(2026, 12, 1, 23, tzinfo=UTC)
    monkeypatch.setenv("TOKENWALLET_NOW", "soon")
    assert AppContext(paths=AppPaths.resolve(str(tmp_path / "c"))).clock is system_clock
    with pytest.raises(UserInputError):
        AppContext.create(str(tmp_path / "d"))


def test_the_status_line_fast_path_reads_the_same_clock() -> None:
    from tokenwallet.agents.fast import now_from

    assert now_from({"TOKENWALLET_NOW": "2026-12-01T23:00:00Z"}) == datetime(2026, 12, 1, 23, tzinfo=UTC).timestamp()
    assert now_from({"TOKENWALLET_NOW": "2026-12-01T23:00:00"}) == datetime(2026, 12, 1, 23, tzinfo=UTC).timestamp()
