"""`tokenwallet alerts ...` and `tokenwallet report` end to end, on a private home with a fixed clock."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tokenwallet.cli.session as cli_module
from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, usage
from tokenwallet.ledger.db import open_ledger

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def fixed(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    clock = FixedClock(NOW)

    class Fixed(AppContext):
        @classmethod
        def create(cls, home: str | None = None, clock_: object = None) -> AppContext:  # type: ignore[override]
            return AppContext.create(home, clock=clock)

    monkeypatch.setattr(cli_module, "AppContext", Fixed)
    return clock


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def seed(home: Path) -> None:
    (home / "settings.toml").write_text('timezone = "UTC"\n')
    ctx = AppContext.create(str(home))
    ctx.paths.ensure()
    db = open_ledger(ctx.paths.ledger_file)
    accounts.add(
        db,
        Account(id="oa", kind=AccountKind.OPENAI, label="oa", key_hint="sk-...HINT"),
        at=datetime(2026, 9, 1, tzinfo=UTC),
    )
    rows = [
        UsageRecord(
            "oa",
            Source.API_COST,
            f"k{d}",
            datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=d, hours=9),
            datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=d, hours=10),
            "openai",
            "gpt-5",
            cost_micros=usd(6),
        )
        for d in range(15)
    ]
    with db.atomic():
        usage.upsert(db, rows, recorded_at=NOW)
    db.close()


DEFAULT_KINDS = ["threshold", "threshold", "threshold", "forecast", "expiry"]


def test_a_new_allowance_gets_the_default_rules_unless_asked_not_to(home: Path, fixed: FixedClock) -> None:
    seed(home)
    added = run(home, "allowance", "add", "work", "--amount", "100", "--starts", "2026-10-01")
    assert "Alerts: 80%, 95% and 100% used" in added.output
    rules = json.loads(run(home, "alerts", "list", "--json").output)["rules"]
    assert [r["kind"] for r in rules] == DEFAULT_KINDS
    assert [r["params"].get("percent") for r in rules[:3]] == [80.0, 95.0, 100.0]
    assert rules[3]["params"] == {"margin_days": 0.0}
    assert rules[4]["params"] == {"days_before": 3.0, "min_unspent": 1}
    entries = json.loads(run(home, "audit", "--json").output)["entries"]
    assert [e["action"] for e in entries] == ["account.add", "allowance.add"] + ["alert_rule.add"] * 5
    assert all(e["details"]["default"] is True for e in entries[2:])

    run(home, "allowance", "add", "quiet", "--amount", "100", "--no-default-alerts")
    rules = json.loads(run(home, "alerts", "list", "--json").output)["rules"]
    assert [r["allowance"] for r in rules] == ["work"] * 5  # none for "quiet"
    assert run(home, "alerts", "remove", rules[0]["id"]).exit_code == 0  # removable like any rule
    assert len(json.loads(run(home, "alerts", "list", "--json").output)["rules"]) == 4


def test_alert_rules_lifecycle(home: Path, fixed: FixedClock) -> None:
    seed(home)
    assert (
        run(
            home,
            "allowance",
            "add",
            "work",
            "--amount",
            "100",
            "--cadence",
            "monthly",
            "--starts",
            "2026-10-01",
            "--no-default-alerts",
        ).exit_code
        == 0
    )
    added = run(home, "alerts", "add", "--allowance", "work", "--defaults", "--json")
    assert added.exit_code == 0, added.output
    rules = json.loads(added.output)["rules"]
    assert [r["kind"] for r in rules] == DEFAULT_KINDS  # the same rules a new allowance gets
    listed = json.loads(run(home, "alerts", "list", "--json").output)["rules"]
    assert [r["allowance"] for r in listed] == ["work"] * 5

    snoozed = run(home, "alerts", "snooze", rules[0]["id"], "period")
    assert "snoozed until 2026-12-01 00:00 UTC" in snoozed.output
    checked = json.loads(run(home, "alerts", "check", "--no-notify", "--json").output)["events"]
    # $90 of $100 spent by the 15th; $18 in the trailing 7 days runs the last $10 out before the 30th
    assert [e["title"] for e in checked] == ["work: 80% used", "work: will run out early"]
    assert json.loads(run(home, "alerts", "check", "--no-notify", "--json").output)["events"] == []
    history = json.loads(run(home, "alerts", "history", "--json").output)["events"]
    assert [e["held"] for e in history] == ["snoozed", None]

    assert run(home, "alerts", "remove", rules[0]["id"]).exit_code == 0
    assert len(json.loads(run(home, "alerts", "list", "--json").output)["rules"]) == 4
    assert len(json.loads(run(home, "alerts", "history", "--json").output)["events"]) == 2


def test_alert_bad_input_exits_2(home: Path, fixed: FixedClock) -> None:
    seed(home)
    run(
        home,
        "allowance",
        "add",
        "work",
        "--amount",
        "100",
        "--cadence",
        "monthly",
        "--starts",
        "2026-10-01",
        "--no-default-alerts",
    )
    cases = [
        (["alerts", "add", "--allowance", "work", "--percent", "-5"], "out of range"),
        (["alerts", "add", "--kind", "forecast"], "--allowance"),
        (["alerts", "add", "--kind", "provider"], "--signal"),
        (["alerts", "add", "--allowance", "nope", "--percent", "5"], "nope"),
        (["alerts", "snooze", "r-missing", "1h"], "no alert rule"),
        (["alerts", "remove", "r-missing"], "no alert rule"),
    ]
    for args, words in cases:
        result = CliRunner().invoke(cli, ["--home", str(home), *args])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output
    bad_snooze = run(home, "alerts", "add", "--allowance", "work", "--percent", "70", "--json")
    rule_id = json.loads(bad_snooze.output)["rules"][0]["id"]
    result = CliRunner().invoke(cli, ["--home", str(home), "alerts", "snooze", rule_id, "soon"])
    assert result.exit_code == 2 and "1h, 1d" in result.output
    assert len(json.loads(run(home, "alerts", "list", "--json").output)["rules"]) == 1


def test_report_csv_json_pdf_files(home: Path, fixed: FixedClock, tmp_path: Path) -> None:
    seed(home)
    out = tmp_path / "nov.csv"
    assert run(home, "report", "--month", "2026-11", "--format", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal(90)
    js = run(home, "report", "--month", "2026-11", "--format", "json")
    data = json.loads(js.output)
    assert data["totals"]["cost_micros"] == usd(90)
    assert "HINT" not in js.output and "HINT" not in out.read_text()
    pdf = tmp_path / "nov.pdf"
    assert run(home, "report", "--month", "2026-11", "--format", "pdf", "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    audit = json.loads(run(home, "audit", "--json").output)["entries"]
    assert [e["details"]["format"] for e in audit if e["action"] == "report.export"] == ["csv", "pdf"]
    alerts_csv = run(home, "report", "--month", "2026-11", "--table", "daily")
    assert alerts_csv.output.splitlines()[0] == "day,cost_usd,estimated_usd"


def test_report_bad_input(home: Path, fixed: FixedClock) -> None:
    seed(home)
    for args, words in [
        (["report", "--month", "11/2026"], "YYYY-MM"),
        (["report", "--format", "pdf"], "-o report.pdf"),
        (["report", "--month", "2027-02"], "not started"),
    ]:
        result = CliRunner().invoke(cli, ["--home", str(home), *args])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output
