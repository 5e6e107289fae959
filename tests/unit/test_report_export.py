"""Report export through the service and `tokenwallet report -o`: private, atomic, no clobbering, audited once."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tokenwallet.cli.session as cli_module
from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.errors import OutputError, OutputExistsError
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, usage

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


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def seeded(home: Path) -> Path:
    ctx = AppContext.create(str(home), clock=FixedClock(NOW))
    ctx.save_settings(ctx.settings.replace(timezone="UTC"))
    db = ctx.ledger()
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="oa"), at=datetime(2026, 9, 1, tzinfo=UTC))
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    rows = [
        UsageRecord(
            "oa", Source.API_COST, f"k{d}", start + timedelta(days=d), start + timedelta(days=d, hours=1),
            "openai", "gpt-5", cost_micros=usd(3),
        )
        for d in range(4)
    ]  # fmt: skip
    with db.atomic():
        usage.upsert(db, rows, recorded_at=NOW)
    ctx.close()
    return home


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def exports(home: Path) -> list[dict[str, str]]:
    entries = json.loads(run(home, "audit", "--json").output)["entries"]
    return [e["details"] for e in entries if e["action"] == "report.export"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", ["csv", "json", "pdf"])
def test_report_files_are_private(
    seeded: Path, fixed: FixedClock, tmp_path: Path, permissive_umask: None, fmt: str
) -> None:
    out = tmp_path / f"nov.{fmt}"
    result = run(seeded, "report", "--month", "2026-11", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert _mode(out) == 0o600
    assert exports(seeded) == [{"format": fmt, "file": out.name, "table": "usage" if fmt == "csv" else ""}]


def test_an_existing_file_needs_force(seeded: Path, fixed: FixedClock, tmp_path: Path) -> None:
    out = tmp_path / "nov.csv"
    out.write_text("mine\n")
    refused = run(seeded, "report", "--month", "2026-11", "-o", str(out))
    assert refused.exit_code == 2 and "--force" in refused.output
    assert out.read_text() == "mine\n" and exports(seeded) == []
    forced = run(seeded, "report", "--month", "2026-11", "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_text().startswith("day,provider,model") and len(exports(seeded)) == 1


def test_an_unwritable_pdf_exits_1_and_records_nothing(seeded: Path, fixed: FixedClock, tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "x.pdf"
    result = run(seeded, "report", "--month", "2026-11", "--format", "pdf", "-o", str(target))
    assert result.exit_code == 1, result.output
    assert "does not exist" in result.output and "QPainter" not in result.output
    assert not target.exists() and exports(seeded) == []


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_symlinks_are_never_written_through(seeded: Path, fixed: FixedClock, tmp_path: Path, fmt: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / f"nov.{fmt}"
    link.symlink_to(victim)
    result = run(seeded, "report", "--month", "2026-11", "--format", fmt, "-o", str(link), "--force")
    assert result.exit_code == 1 and "symbolic link" in result.output
    # the temporary name the old writer used, planted next to a fresh target
    planted = tmp_path / f".fresh.{fmt}.tmp"
    planted.symlink_to(victim)
    fresh = tmp_path / f"fresh.{fmt}"
    assert run(seeded, "report", "--month", "2026-11", "--format", fmt, "-o", str(fresh)).exit_code == 0
    assert victim.read_text() == "precious" and link.is_symlink() and not fresh.is_symlink()
    assert [e["file"] for e in exports(seeded)] == [fresh.name]


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1969-12", "2200-01"])
def test_months_outside_the_supported_dates_exit_2(seeded: Path, fixed: FixedClock, month: str) -> None:
    result = run(seeded, "report", "--month", month)
    assert result.exit_code == 2, result.output
    assert "out of range" in result.output and "1970-01 to 2199-12" in result.output
    assert "Traceback" not in result.output


def test_the_first_and_last_supported_months(seeded: Path, fixed: FixedClock) -> None:
    first = run(seeded, "report", "--month", "1970-01", "--format", "json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["totals"]["cost_micros"] == 0
    last = run(seeded, "report", "--month", "2199-12")
    assert last.exit_code == 2 and "not started" in last.output


def test_the_service_takes_an_explicit_overwrite_flag(seeded: Path, tmp_path: Path) -> None:
    from tokenwallet.services import reports

    ctx = AppContext.create(str(seeded), clock=FixedClock(NOW))
    out = tmp_path / "nov.json"
    done = reports.export_report(ctx, "2026-11", "json", out)
    assert done.size == out.stat().st_size and json.loads(out.read_text())["month"] == "2026-11"
    with pytest.raises(OutputExistsError):
        reports.export_report(ctx, "2026-11", "json", out)
    reports.export_report(ctx, "2026-11", "csv", out, overwrite=True)
    assert out.read_text().startswith("day,")
    with pytest.raises(OutputError, match="CSV or JSON"):
        reports.export_report(ctx, "2026-11", "pdf", tmp_path / "no-renderer.pdf")
    assert [d["format"] for d in exports(seeded)] == ["json", "csv"]
    ctx.close()
