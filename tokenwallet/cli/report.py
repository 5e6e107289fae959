"""`tokenwallet report`: the monthly report as CSV, JSON or PDF."""

from __future__ import annotations

import os
from pathlib import Path

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.domain.errors import UserInputError


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` next to ``path`` and rename, so a failed export never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserInputError(f"cannot write {path}: {exc.strerror}; choose another file") from exc


@click.command("report")
@click.option("--month", help="YYYY-MM in your time zone (default: this month).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "pdf"]), default="csv", show_default=True)
@click.option(
    "--table",
    type=click.Choice(["usage", "allowances", "groups", "daily", "alerts", "audit"]),
    default="usage",
    show_default=True,
    help="CSV only: which table of the report.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write ('-': stdout).")
@pass_app
@handle_errors
def report_command(app: AppContext, month: str | None, fmt: str, table: str, output: Path | None) -> None:
    """Export the monthly usage report (CSV: one table, usage by default; JSON and PDF: everything)."""
    from tokenwallet.ledger import audit
    from tokenwallet.reports.build import build_report

    now = app.clock()
    settings = app.settings
    month = month or now.astimezone(settings.zone()).strftime("%Y-%m")
    db = app.ledger()
    report = build_report(db, month, settings, now)
    if fmt == "pdf":
        if output is None or str(output) == "-":
            raise UserInputError("a PDF report needs a file: add -o report.pdf")
        # Qt is loaded only when a PDF is wanted (an allowed lazy cli -> ui import).
        from tokenwallet.ui.report_pdf import render_pdf_file

        render_pdf_file(report, output)
    else:
        if fmt == "csv":
            from tokenwallet.reports.csv_export import to_csv

            text = to_csv(report, table)
        else:
            from tokenwallet.reports.json_export import to_json

            text = to_json(report)
        if output is None or str(output) == "-":
            click.echo(text, nl=False)
            return
        write_atomically(output, text.encode("utf-8"))
    with db.atomic():
        audit.append(
            db,
            at=now,
            action="report.export",
            entity="report",
            entity_id=report.month,
            details={"format": fmt, "file": output.name, "table": table if fmt == "csv" else ""},
        )
    click.echo(f"Wrote the {report.month} report to {output}.", err=True)


COMMANDS: list[click.Command] = [report_command]
