"""Monthly report export: build the month's report, write the file, record the export.

The one implementation behind ``tokenwallet report`` and the dashboard's "Export monthly report".
A file is written with :func:`tokenwallet.files.atomic_write` (private, atomic, never through a
symbolic link) and the export is recorded in the audit log only once the file is complete.

PDF needs Qt, which only the ``ui`` package may import; callers that want a PDF pass the renderer
(``tokenwallet.ui.reports.pdf.render_pdf_bytes``) as ``render_pdf``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tokenwallet.app import AppContext
from tokenwallet.domain.errors import OutputError, OutputExistsError, UserInputError
from tokenwallet.reports.model import MonthlyReport

FORMATS = ("csv", "json", "pdf")

PdfRenderer = Callable[[MonthlyReport], bytes]


@dataclass(frozen=True, slots=True)
class ExportedReport:
    """A report file that was written and recorded."""

    month: str  # YYYY-MM
    fmt: str
    path: Path
    size: int  # bytes written


def current_month(ctx: AppContext) -> str:
    """``YYYY-MM`` of today in the user's time zone."""
    return ctx.clock().astimezone(ctx.settings.zone()).strftime("%Y-%m")


def build(ctx: AppContext, month: str | None = None) -> MonthlyReport:
    """The report of ``month`` (``YYYY-MM``; this month when None), as known now.

    Its compensation carries each usd allowance's value for the year up to the month's end
    (:func:`tokenwallet.services.compensation.for_report`), as the dashboard's Compensation view.
    """
    from dataclasses import replace

    from tokenwallet.reports.build import build_report
    from tokenwallet.services.compensation import for_report

    report = build_report(ctx.ledger(), month or current_month(ctx), ctx.settings, ctx.clock())
    return replace(report, compensation=for_report(ctx, report))


def render(report: MonthlyReport, fmt: str, *, table: str = "usage", render_pdf: PdfRenderer | None = None) -> bytes:
    """``report`` as the bytes of a ``fmt`` file (CSV: the one ``table``; UTF-8 text for CSV and JSON)."""
    if fmt == "csv":
        from tokenwallet.reports.csv_export import to_csv

        return to_csv(report, table).encode("utf-8")
    if fmt == "json":
        from tokenwallet.reports.json_export import to_json

        return to_json(report).encode("utf-8")
    if fmt == "pdf":
        if render_pdf is None:
            raise OutputError("PDF reports cannot be drawn here; export CSV or JSON instead")
        return render_pdf(report)
    raise UserInputError(f"no report format {fmt!r}; use one of {', '.join(FORMATS)}")


def report_text(ctx: AppContext, month: str | None, fmt: str, *, table: str = "usage") -> str:
    """The CSV or JSON text of the report, for standard output (no file, so nothing is recorded)."""
    if fmt not in ("csv", "json"):
        raise UserInputError(f"a {fmt} report needs a file to be written to")
    return render(build(ctx, month), fmt, table=table).decode("utf-8")


def export_report(
    ctx: AppContext,
    month: str | None,
    fmt: str,
    path: Path,
    *,
    table: str = "usage",
    overwrite: bool = False,
    render_pdf: PdfRenderer | None = None,
) -> ExportedReport:
    """Build the report, write it to ``path`` (mode 0600) and record ``report.export`` in the audit log.

    ``overwrite`` must be True to replace an existing file (else :class:`OutputExistsError`); a
    file that cannot be written raises :class:`OutputError` and records nothing.  The target is
    checked before the report is built, so a bad path fails at once, not after a long PDF.
    """
    if fmt not in FORMATS:
        raise UserInputError(f"no report format {fmt!r}; use one of {', '.join(FORMATS)}")
    from tokenwallet.reports.build import parse_month

    if month is not None:
        parse_month(month)  # a bad month is bad input, whatever the file
    _check_target(path, overwrite)
    report = build(ctx, month)
    data = render(report, fmt, table=table, render_pdf=render_pdf)
    if not overwrite:
        _check_target(path, overwrite)  # it may have appeared while the report was drawn
    try:
        from tokenwallet.files import atomic_write

        atomic_write(path, data)
    except OSError as exc:
        raise OutputError(_cannot_write(path, exc)) from None
    _record(ctx, report, fmt, path, table)
    return ExportedReport(report.month, fmt, path, len(data))


def _check_target(path: Path, overwrite: bool) -> None:
    """Fail early, in plain words, for a target that cannot or may not be written."""
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: the folder {folder} does not exist; choose another file")
    if path.is_symlink():
        raise OutputError(
            f"cannot write {path}: it is a symbolic link, which is never written through or replaced; "
            "choose the file it points to, or another file"
        )
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder; choose a file")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists; choose another file or allow replacing it", str(path))
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {path}: the folder {folder} is not writable; choose another file")


def _cannot_write(path: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"cannot write {path}: {reason}; nothing was exported, choose another file"


def _record(ctx: AppContext, report: MonthlyReport, fmt: str, path: Path, table: str) -> None:
    from tokenwallet.ledger import audit

    db = ctx.ledger()
    with db.atomic():
        audit.append(
            db,
            at=ctx.clock(),
            action="report.export",
            entity="report",
            entity_id=report.month,
            details={"format": fmt, "file": path.name, "table": table if fmt == "csv" else ""},
        )
