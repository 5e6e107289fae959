"""`tokenwallet policy ...` end to end with the example files, on a private home with a fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import tokenwallet.cli.session as cli_module
from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import usd_to_micros as usd

ROOT = Path(__file__).resolve().parents[2]
REV3 = str(ROOT / "resources" / "examples" / "example-corp-policy.toml")
REV4 = str(ROOT / "resources" / "examples" / "example-corp-policy-rev4.toml")
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clock = FixedClock(NOW)

    class Fixed(AppContext):
        @classmethod
        def create(cls, home: str | None = None, clock_: object = None) -> AppContext:  # type: ignore[override]
            return AppContext.create(home, clock=clock)

    monkeypatch.setattr(cli_module, "AppContext", Fixed)
    path = tmp_path / "home"
    (path / "config").mkdir(parents=True)
    (path / "config" / "settings.toml").write_text('timezone = "Asia/Kolkata"\n')
    return path


def run(home: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=stdin, catch_exceptions=False)


def run_json(home: Path, *args: str) -> Any:
    result = run(home, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_previews_asks_and_applies_then_status_shows_the_allowances(home: Path) -> None:
    dry = run(home, "policy", "import", REV3, "--dry-run")
    assert dry.exit_code == 0
    assert "create allowance 'AI compute': $500.00 monthly from 2026-10-01 (Asia/Kolkata)" in dry.stdout
    assert "add vesting instalment to 'AI compute': $500.00 on 2027-10-01 (vesting 12/12)" in dry.stdout
    assert "Dry run: nothing was changed." in dry.stdout
    assert run_json(home, "allowance", "list")["allowances"] == []

    unconfirmed = run(home, "policy", "import", REV3)  # no terminal to ask on
    assert unconfirmed.exit_code == 2 and "confirm with --yes" in unconfirmed.stderr
    assert run_json(home, "allowance", "list")["allowances"] == []

    applied = run(home, "policy", "import", REV3, "--yes")
    assert applied.exit_code == 0 and "Imported ai-compute revision 3" in applied.stdout
    status = run(home, "status")
    assert "Set by policy ai-compute revision 3: AI compute, Agent tokens." in status.stdout
    document = run_json(home, "status")
    by_name = {a["name"]: a for a in document["allowances"]}
    assert by_name["AI compute"]["policy"]["policy_id"] == "ai-compute"
    # November: $500 + rollover capped at $100 + the $200 tenure top-up + the first $500 instalment
    assert by_name["AI compute"]["granted"] == usd(500 + 100 + 200 + 500)
    assert document["off_policy"][0]["rows"] == 0  # restrictions, and nothing outside them yet

    again = run(home, "policy", "import", REV3, "--yes")
    assert again.exit_code == 0 and "Nothing to change" in again.stdout


def test_diff_then_upgrade_then_older_is_refused_and_the_audit_names_each_revision(home: Path) -> None:
    run(home, "policy", "import", REV3, "--yes")
    run(home, "usage", "add", "--amount", "12.50", "--provider", "openai", "--model", "gpt-5", "--at", "2026-11-28")
    diff = run(home, "policy", "diff", REV4)
    assert diff.exit_code == 0
    assert "(replaces revision 3)" in diff.stdout
    assert "~ AI compute amount: $500.00 -> $600.00" in diff.stdout
    assert "+ AI compute top-up 'performance: H2 2026': $250.00 on 2026-11-16 through 2027-02-28" in diff.stdout
    assert "create allowance 'Hackathon': $300.00 one-off from 2026-12-01 through 2026-12-07" in diff.stdout
    as_json = run_json(home, "policy", "diff", REV4)
    assert (as_json["kind"], as_json["previous_revision"], as_json["applied"]) == ("upgrade", 3, False)

    upgraded = run_json(home, "policy", "import", REV4, "--yes")
    assert upgraded["applied"] is True
    work = next(a for a in run_json(home, "status")["allowances"] if a["name"] == "AI compute")
    assert work["spent"] == usd(12.50)  # spend recorded before the upgrade is still there
    assert work["policy"]["revision"] == 4

    older = run(home, "policy", "import", REV3, "--yes")
    assert older.exit_code == 2 and "older than revision 4" in older.stderr
    imports = [e for e in run_json(home, "audit")["entries"] if e["action"] == "policy.import"]
    assert [(e["details"]["revision"], e["details"]["previous_revision"]) for e in imports] == [(3, None), (4, 3)]
    changed = [
        e for e in run_json(home, "audit")["entries"] if e["actor"] == "policy" and e["action"] != "policy.import"
    ]
    assert {e["details"]["policy"]["revision"] for e in changed} == {3, 4}


def test_show_prints_terms_value_restrictions_and_notes(home: Path) -> None:
    run(home, "policy", "import", REV3, "--yes")
    run(home, "usage", "add", "--amount", "3", "--provider", "openai", "--model", "gpt-4o", "--at", "2026-11-28")
    shown = run(home, "policy", "show")
    assert shown.exit_code == 0
    text = shown.stdout
    assert "Example Corp: policy ai-compute revision 3, effective 2026-10-01" in text
    assert "the policy sets its name, unit, amount, cadence, anchor day, rollover, time zone, providers" in text
    assert "$6,000.00 vests in 12 monthly instalments of $500.00 from 2026-10-01" in text
    assert "Value: vested $500.00 of $6,000.00, $5,500.00 unvested (next $500.00 on 2026-12-01)." in text
    assert "Data regions: requests must be processed in IN" in text
    assert "Off-policy this month: $3.00 in 1 row:" not in text  # gpt-4o is allowed until revision 4
    assert "Questions: people-ops@example.com." in text
    document = run_json(home, "policy", "show")
    [policy] = document["policies"]
    assert policy["document"]["revision"] == 3 and policy["document"]["allowance"][0]["amount"] == 500
    value = policy["allowances"][0]["value"]
    assert (value["vested"], value["unvested"], value["payable"]) == (usd(500), usd(6000 - 500), 0)

    run(home, "policy", "import", REV4, "--yes")
    assert "Off-policy this month: $3.00 in 1 row:" in run(home, "policy", "show").stdout
    assert "most in openai gpt-4o (model 'gpt-4o' is not allowed)" in run(home, "status").stdout


def test_owned_fields_are_refused_with_the_option_and_the_policy_named(home: Path) -> None:
    run(home, "policy", "import", REV3, "--yes")
    shown = run(home, "allowance", "show", "AI compute")
    assert "set by ai-compute revision 3, which owns its name, unit, amount, cadence" in shown.stdout
    assert run_json(home, "allowance", "show", "AI compute")["policy"]["owned"][:3] == ["name", "unit", "amount"]
    refused = run(home, "allowance", "edit", "AI compute", "--amount", "900")
    assert refused.exit_code == 2
    assert "--amount: The amount of 'AI compute' is set by the employer policy 'ai-compute'" in refused.stderr


def test_bad_files_exit_2_naming_line_and_field(home: Path, tmp_path: Path) -> None:
    text = Path(REV3).read_text().replace('cadence = "monthly"', 'cadence = "fortnightly"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "fortnightly" in row)
    result = run(home, "policy", "import", str(bad), "--yes")
    assert result.exit_code == 2
    assert f"line {line}, allowance[0].cadence: 'fortnightly' is not one of daily, weekly" in result.stderr
    missing = run(home, "policy", "import", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2 and "cannot be read" in missing.stderr
    assert run_json(home, "allowance", "list")["allowances"] == []
