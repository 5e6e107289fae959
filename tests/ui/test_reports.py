"""The PDF report: rendered offscreen with Qt, then read back with poppler (pdfinfo, pdftotext, pdftoppm)."""

from __future__ import annotations

import os
import random
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Unit
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, usage
from tokenwallet.ledger import alerts as alert_store
from tokenwallet.reports.build import build_report
from tokenwallet.reports.model import MonthlyReport
from tokenwallet.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def demo_ledger(db: Database) -> None:
    """A November with steady weekday spend, an estimated lane from agent logs and one top-up."""
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="OpenAI work", key_hint="sk-...Q7aa"), at=t0)
    accounts.add(db, Account(id="cc", kind=AccountKind.CLAUDE_CODE, label="Claude Code"), at=t0)
    allowances.add(
        db,
        Allowance(
            id="work",
            name="Work allowance",
            unit=Unit.USD,
            amount=usd(150),
            cadence=Cadence.MONTHLY,
            starts_at=datetime(2026, 10, 1, tzinfo=UTC),
            timezone="Europe/Berlin",
        ),
        at=t0,
    )
    allowances.add_grant(
        db,
        Grant("g1", "work", GrantKind.TOPUP, usd(25), datetime(2026, 11, 12, tzinfo=UTC)),
        at=datetime(2026, 11, 12, tzinfo=UTC),
    )
    rnd = random.Random(3)
    rows = []
    for day in range(30):
        start = datetime(2026, 10, 31, 23, tzinfo=UTC) + timedelta(days=day)
        if start.weekday() >= 5:
            continue
        for model in ("gpt-5", "gpt-5-mini"):
            rows.append(
                UsageRecord(
                    "oa",
                    Source.API_COST,
                    f"{day}:{model}",
                    start + timedelta(hours=9),
                    start + timedelta(hours=10),
                    "openai",
                    model,
                    project="tokenwallet",
                    cost_micros=rnd.randrange(usd(1), usd(6)),
                )
            )
        rows.append(
            UsageRecord(
                "cc",
                Source.LOCAL_LOG,
                f"{day}:cc",
                start + timedelta(hours=14),
                start + timedelta(hours=15),
                "anthropic",
                "claude-sonnet-4-5",
                Confidence.ESTIMATED,
                input_tokens=rnd.randrange(10_000, 90_000),
                output_tokens=rnd.randrange(1000, 9000),
                requests=rnd.randrange(5, 40),
                cost_micros=rnd.randrange(usd("0.5"), usd(2)),
            )
        )
    with db.atomic():
        usage.upsert(db, rows, recorded_at=t0)
    with db.atomic():
        alert_store.add_event(
            db,
            rule_id="r",
            allowance_id="work",
            period_key="k",
            kind="threshold",
            fired_at=datetime(2026, 11, 18, 9, tzinfo=UTC),
            severity="warning",
            title="Work allowance: 50% used",
            message="$88.10 of $175.00 spent (50%).",
        )


def demo_report(db: Database) -> MonthlyReport:
    demo_ledger(db)
    settings = Settings(timezone="Europe/Berlin", pay_amount="6000", display_currency="EUR", currency_rate="0.92")
    return build_report(db, "2026-11", settings, datetime(2026, 12, 2, tzinfo=UTC))


def test_pdf_renders_summary_chart_and_tables(db: Database, tmp_path: Path) -> None:
    from tokenwallet.ui.reports.pdf import render_pdf_file

    report = demo_report(db)
    out = tmp_path / "report.pdf"
    render_pdf_file(report, out)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Monthly AI-compute report" in first and "2026-11" in first
    from tokenwallet.domain.money import format_usd

    assert format_usd(report.totals.cost_micros) in first
    assert "Compensation" in first and "Work allowance" in first
    rest = subprocess.run(["pdftotext", "-f", "2", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Usage by day, provider and model" in rest and "claude-sonnet-4-5" in rest
    assert "Q7aa" not in first + rest
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000  # the chart and tables are drawn, not a blank page


def test_export_dialog_writes_the_chosen_month_and_format(qtbot, bridge, app_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    from tokenwallet.ui.reports.export_dialog import ReportExportDialog, recent_months

    app_context.save_settings(Settings(timezone="Europe/Berlin"))
    demo_ledger(app_context.ledger())
    asked: list[tuple[str, str]] = []
    target = tmp_path / "out" / "nov"
    target.parent.mkdir()

    def choose(parent: object, suggested: str, fmt: str) -> str:
        asked.append((Path(suggested).name, fmt))
        return str(target)

    shown: list[Path] = []
    dialog = ReportExportDialog(
        app_context, bridge, choose_path=choose, show_folder=lambda folder: shown.append(folder) or True
    )
    qtbot.addWidget(dialog)
    assert [dialog.month.itemText(i) for i in range(3)] == ["2026-11", "2026-10", "2026-09"]
    assert recent_months(datetime(2026, 1, 5).date(), 2) == ["2026-01", "2025-12"]
    dialog.format.setCurrentIndex(1)  # CSV
    dialog.show()
    if os.environ.get("TOKENWALLET_SCREENSHOT_DIR"):
        dialog.grab().save(str(Path(os.environ["TOKENWALLET_SCREENSHOT_DIR"]) / "export-dialog.png"))
    dialog.export_button.click()
    assert asked == [("tokenwallet-2026-11.csv", "csv")]
    assert dialog.written == tmp_path / "out" / "nov.csv"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "nov.csv").read_text(), newline="")))
    assert rows and rows[0]["day"].startswith("2026-11")
    # The dialog stays open and says where the file went, with a way to its folder.
    assert dialog.isVisible()
    assert dialog.status.text() == f"Saved nov.csv in the folder\n{tmp_path / 'out'}"
    assert dialog.open_button.isVisible() and dialog.export_button.text() == "Export another…"
    dialog.open_button.click()
    assert shown == [tmp_path / "out"]
    dialog.close()


def test_export_dialog_shows_errors_and_stays_open(qtbot, bridge, app_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.reports.export_dialog import ReportExportDialog

    missing = tmp_path / "no-such-folder" / "r.json"
    dialog = ReportExportDialog(app_context, bridge, choose_path=lambda *a: str(missing))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(2)
    dialog.export_button.click()
    assert dialog.written is None
    assert dialog.status.text().startswith("Could not export")
    assert not missing.exists()


def test_pdf_of_an_empty_month(db: Database, tmp_path: Path) -> None:
    from tokenwallet.ui.reports.pdf import render_pdf_file

    report = build_report(db, "2026-11", Settings(timezone="Asia/Kolkata"), datetime(2026, 11, 26, 20, tzinfo=UTC))
    out = tmp_path / "empty.pdf"
    render_pdf_file(report, out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "no monthly pay entered" in text
    assert "The month is not over" in text


def test_axis_steps_are_round() -> None:
    from tokenwallet.ui.charts.axis import nice_ticks

    # about five steps of 1, 2 or 5 x 10^n from 0 past the top; never finer than a cent
    assert nice_ticks(0.3, 0.01) == [0.0, 0.1, 0.2, 0.3]
    assert nice_ticks(7, 0.01) == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert nice_ticks(13, 0.01) == [0.0, 5.0, 10.0, 15.0]
    assert nice_ticks(38_000_000, 1) == [0.0, 1e7, 2e7, 3e7, 4e7]
    assert nice_ticks(0.004, 0.01) == [0.0, 0.01]


def test_export_dialog_asks_before_replacing_a_file_the_save_dialog_did_not_ask_about(  # type: ignore[no-untyped-def]
    qtbot, bridge, app_context, tmp_path: Path
) -> None:
    from tokenwallet.ledger import audit
    from tokenwallet.ui.reports.export_dialog import ReportExportDialog

    app_context.save_settings(Settings(timezone="Europe/Berlin"))
    demo_ledger(app_context.ledger())
    existing = tmp_path / "nov.csv"
    existing.write_text("mine\n")
    answers: list[Path] = []

    def export(answer: bool) -> ReportExportDialog:
        def confirm(parent: object, path: Path) -> bool:
            answers.append(path)
            return answer

        # the save dialog returned "nov"; the ".csv" is added after it asked
        dialog = ReportExportDialog(
            app_context, bridge, choose_path=lambda *a: str(tmp_path / "nov"), confirm_replace=confirm
        )
        qtbot.addWidget(dialog)
        dialog.format.setCurrentIndex(1)  # CSV
        dialog.export_button.click()
        return dialog

    refused = export(False)
    assert answers == [existing] and refused.written is None and "already exists" in refused.status.text()
    assert existing.read_text() == "mine\n"
    replaced = export(True)
    assert replaced.written == existing and existing.read_text().startswith("day,provider,model")
    assert stat.S_IMODE(existing.stat().st_mode) & 0o077 == 0
    details = [e.details for e in audit.entries(app_context.ledger()) if e.action == "report.export"]
    assert details == [{"format": "csv", "file": "nov.csv", "table": "usage"}]


def test_export_builds_draws_and_writes_off_the_gui_thread(qtbot, app_context, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from tokenwallet.services import reports
    from tokenwallet.ui.reports.export_dialog import ReportExportDialog
    from tokenwallet.ui.runtime.bridge import OperationBridge

    app_context.save_settings(Settings(timezone="Europe/Berlin"))
    demo_ledger(app_context.ledger())
    app_context.close()  # the worker opens its own connection
    threads: list[int] = []
    export = reports.export_report

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return export(*args, **kwargs)

    monkeypatch.setattr(reports, "export_report", recording)
    bridge = OperationBridge()
    target = tmp_path / "nov.pdf"
    dialog = ReportExportDialog(app_context, bridge, choose_path=lambda *a: str(target))
    qtbot.addWidget(dialog)
    try:
        dialog.format.setCurrentIndex(0)  # PDF
        dialog.export_button.click()
        assert not dialog.export_button.isEnabled() and dialog.status.text() == "Writing nov.pdf…"
        qtbot.waitUntil(lambda: dialog.written == target, timeout=30000)
    finally:
        bridge.shutdown()
    assert threads and threads[0] != threading.get_ident()
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "Monthly AI-compute report" in text
