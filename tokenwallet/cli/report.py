"""`tokenwallet report`: the monthly report as CSV, JSON or PDF (see :mod:`tokenwallet.services.reports`)."""

from __future__ import annotations

from pathlib import Path

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.domain.errors import OutputExistsError, UserInputError


@click.command("report")
@click.option("--month", help="YYYY-MM in your time zone (default: this month).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "pdf"]), default="csv", show_default=True)
@click.option(
    "--table",
    type=click.Choice(["usage", "allowances", "groups", "daily", "alerts", "audit", "off_policy"]),
    default="usage",
    show_default=True,
    help="CSV only: which table of the report.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write ('-': stdout).")
@click.option("--force", is_flag=True, help="Replace the -o file if it exists.")
@pass_app
@handle_errors
def report_command(app: AppContext, month: str | None, fmt: str, table: str, output: Path | None, force: bool) -> None:
    """Export the monthly usage report (CSV: one table, usage by default; JSON and PDF: everything).

    Files are written atomically with mode 0600; an existing file is replaced only with --force.
    """
    from tokenwallet.services import reports

    if output is None or str(output) == "-":
        if fmt == "pdf":
            raise UserInputError("a PDF report needs a file: add -o report.pdf")
        click.echo(reports.report_text(app, month, fmt, table=table), nl=False)
        return
    render_pdf = None
    if fmt == "pdf":
        # Qt is loaded only when a PDF is wanted (an allowed lazy cli -> ui import).
        from tokenwallet.ui.reports.pdf import render_pdf_bytes

        render_pdf = render_pdf_bytes
    try:
        done = reports.export_report(app, month, fmt, output, table=table, overwrite=force, render_pdf=render_pdf)
    except OutputExistsError:
        raise UserInputError(f"{output} already exists; add --force to replace it, or choose another file") from None
    click.echo(f"Wrote the {done.month} report to {output}.", err=True)


COMMANDS: list[click.Command] = [report_command]
