"""`tokenwallet allowance edit`: options not given keep their value; bad input changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from tokenwallet.cli.root import cli


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def show(home: Path, name: str) -> dict:  # type: ignore[type-arg]
    result = run(home, "allowance", "list", "--json")
    return next(a for a in json.loads(result.output)["allowances"] if a["name"] == name)


def test_edit_changes_only_what_is_given(tmp_path: Path) -> None:
    assert run(tmp_path, "allowance", "add", "work", "--amount", "200", "--rollover-cap", "30").exit_code == 0
    before = show(tmp_path, "work")
    result = run(tmp_path, "allowance", "edit", "work", "--amount", "250.50")
    assert result.exit_code == 0, result.output
    assert "Changed allowance 'work': $250.50 monthly." in result.output
    after = show(tmp_path, "work")
    assert after["amount"] == 250_500_000
    assert after["rollover"] == before["rollover"] == {"cap": 30_000_000, "expires_days": None}
    for key in ("id", "starts_at", "cadence", "anchor_day", "timezone", "created_at"):
        assert after[key] == before[key], key


def test_edit_renames_drops_rollover_and_changes_cadence(tmp_path: Path) -> None:
    run(tmp_path, "allowance", "add", "work", "--amount", "200", "--rollover")
    result = run(
        tmp_path,
        "allowance",
        "edit",
        "work",
        "--name",
        "team",
        "--no-rollover",
        "--cadence",
        "weekly",
        "--anchor-day",
        "1",
    )
    assert result.exit_code == 0, result.output
    after = show(tmp_path, "team")
    assert (after["cadence"], after["anchor_day"], after["rollover"]) == ("weekly", 1, None)


def test_bad_edit_says_what_is_wrong_and_keeps_the_allowance(tmp_path: Path) -> None:
    run(tmp_path, "allowance", "add", "work", "--amount", "200")
    before = show(tmp_path, "work")
    bad = run(tmp_path, "allowance", "edit", "work", "--amount", "lots")
    assert bad.exit_code == 2
    assert "lots" in bad.output
    missing = run(tmp_path, "allowance", "edit", "nope", "--amount", "5")
    assert missing.exit_code == 2 and "nope" in missing.output
    assert show(tmp_path, "work") == before
