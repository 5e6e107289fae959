"""Render the monthly report model to PDF with Qt: QTextDocument for text and tables, QPainter for the chart.

Page 1 is the summary (totals, allowances, compensation, notes) with the dashboard's own spend
chart of the month (:mod:`tokenwallet.ui.charts.spend_chart`: spend so far against the allowance
and an even pace, daily bars with estimates marked); the tables follow.  No browser engine is
involved.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication

from tokenwallet.budget.inputs import format_amount
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import OutputError
from tokenwallet.domain.money import format_usd
from tokenwallet.reports.model import Compensation, MonthlyReport
from tokenwallet.ui.charts.axis import ValueFormat
from tokenwallet.ui.charts.spend_chart import ChartSeries, draw_spend_chart

CHART_URL = "tokenwallet://chart.png"


def ensure_gui_app() -> QGuiApplication:
    """The running Qt application, or a new offscreen one (for the command line).

    A QApplication rather than a bare QGuiApplication, so that widgets can still be made later in
    the same process.
    """
    app = QGuiApplication.instance()
    if app is None:
        app = QApplication(["tokenwallet", "-platform", "offscreen"])
    assert isinstance(app, QGuiApplication)
    return app


def allowance_total(report: MonthlyReport) -> int:
    """The USD value available in the month: periodic grants, top-ups and rollover in."""
    from tokenwallet.domain.allowance import Unit

    return sum(a.granted + a.topups + a.rollover_in for a in report.allowances if a.unit is Unit.USD)


def report_series(report: MonthlyReport) -> ChartSeries:
    """The month as the shared spend chart draws it: every day, the allowance and, for a month not over, now."""
    span = (report.end - report.start).total_seconds()
    elapsed = (report.generated_at - report.start).total_seconds() / span if span > 0 else 1.0
    limit = allowance_total(report)
    days_gone = max(0.0, min(1.0, elapsed)) * len(report.daily)
    return ChartSeries(
        title=f"Daily spend against the allowance, {report.month}",
        days=tuple(d.day for d in report.daily),
        spend=tuple(d.cost_micros for d in report.daily),
        estimated=tuple(d.estimated_micros for d in report.daily),
        elapsed=max(0.0, min(1.0, elapsed)),
        limit=limit or None,
        spent_now=sum(d.cost_micros for i, d in enumerate(report.daily) if i < days_gone),
    )


def draw_chart(report: MonthlyReport, width: int = 1800, height: int = 760) -> QImage:
    """The dashboard's spend chart (:mod:`tokenwallet.ui.charts.spend_chart`) of the month, as an image.

    Drawn with fonts ~2.3 times the screen's, as the image is shown about 620 px wide on the page.
    """
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    font = QFont("DejaVu Sans")
    painter.setFont(font)
    draw_spend_chart(
        painter,
        QRectF(10, 10, width - 20, height - 20),
        report_series(report),
        ValueFormat(unit=Unit.USD),
        font_px=width / 62,
    )
    painter.end()
    return image


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(headers: list[str], rows: list[list[str]], numeric_from: int = 1, *, header: bool = True) -> str:
    head = (
        ""
        if not header
        else "".join(
            f"<th align='{'right' if i >= numeric_from else 'left'}'>{_e(h)}</th>" for i, h in enumerate(headers)
        )
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td align='{'right' if i >= numeric_from else 'left'}'>{_e(c)}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    if not rows:
        body = f"<tr><td colspan='{len(headers)}'><i>none</i></td></tr>"
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table width='100%' cellspacing='0' cellpadding='3' border='0.5'>{thead}{body}</table>"


def _year_rows(c: Compensation) -> list[list[str]]:
    """The year's figures of the compensation (empty for a report built without them)."""
    if c.year is None or not c.lines:
        return []
    rows = [
        [
            "Standing value per month / per year",
            f"{format_usd(c.total('per_month'))} / {format_usd(c.total('per_year'))}",
        ],
        [
            f"{c.year} so far: granted / spent / lapsed unspent",
            f"{format_usd(c.total('year_granted'))} / {format_usd(c.total('year_consumed'))} / "
            f"{format_usd(c.total('year_forfeited'))}",
        ],
        [
            f"{c.year} at the current pace: spent / value / unspent",
            f"{format_usd(c.total('projected_consumed'))} / {format_usd(c.total('projected_value'))} / "
            f"{format_usd(c.total('projected_unspent'))}",
        ],
    ]
    if any(line.policy_id for line in c.lines):
        rows.append(
            [
                "Vested / not vested; can be paid out / forfeited if not spent",
                f"{format_usd(c.total('vested'))} / {format_usd(c.total('unvested'))}; "
                f"{format_usd(c.total('payable'))} / {format_usd(c.total('forfeitable'))}",
            ]
        )
    if c.share_of_year_pay is not None:
        rows.append(["Share of a year's pay (projected value)", f"{c.share_of_year_pay * 100:.2f}%"])
    return rows


def report_html(report: MonthlyReport, chart_width: int = 620) -> str:
    """The whole report as the HTML subset QTextDocument understands; the chart ``chart_width`` wide."""
    t = report.totals
    c = report.compensation
    share = (
        f"{c.share_of_pay * 100:.2f}% of a monthly pay of {c.monthly_salary:,} {c.currency}"
        if c.share_of_pay is not None
        else "no monthly pay entered"
    )
    summary = _table(
        ["", ""],
        [
            ["Total cost", format_usd(t.cost_micros)],
            [
                "  billed / reported / estimated",
                f"{format_usd(t.billed_micros)} / {format_usd(t.reported_micros)} / {format_usd(t.estimated_micros)}",
            ],
            ["Tokens", f"{t.tokens:,}"],
            ["Requests", f"{t.requests:,}"],
            ["Unpriced rows", f"{t.unpriced_rows:,}"],
            ["Alerts fired", str(len(report.alerts))],
        ],
        header=False,
    )
    # The overspent column appears when an allowance was exceeded (by how much); otherwise the
    # table keeps its eight columns so names do not wrap.
    over = any(a.overspent for a in report.allowances)
    allowances = _table(
        ["Allowance", "Granted", "Top-ups", "Rollover in", "Rollover out", "Spent", "Remaining", "Expired unspent"]
        + (["Overspent"] if over else []),
        [
            [
                a.name,
                *(
                    format_amount(v, a.unit)
                    for v in (
                        a.granted,
                        a.topups,
                        a.rollover_in,
                        a.rollover_out,
                        a.spent,
                        a.remaining,
                        a.expired_unspent,
                        *((a.overspent,) if over else ()),
                    )
                ),
            ]
            for a in report.allowances
        ],
    )
    compensation = _table(
        ["Compensation", ""],
        [
            ["Allowance value", format_usd(c.allowance_value_micros)],
            ["Consumed", format_usd(c.consumed_micros)],
            ["Forfeited (expired unspent)", format_usd(c.forfeited_micros)],
            ["Share of pay", share],
            *_year_rows(c),
        ],
        header=False,
    )
    terms = "".join(
        f"<p><b>{_e(line.name)}</b> (policy {_e(line.policy_id)}): {' '.join(_e(t) for t in line.terms)}</p>"
        for line in c.lines
        if line.terms
    )
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    usage = _table(
        ["Day", "Provider", "Model", "Confidence", "Input", "Cached", "Output", "Requests", "Cost"],
        [
            [
                u.day.isoformat(),
                u.provider,
                u.model or "-",
                u.confidence,
                f"{u.input_tokens:,}",
                f"{u.cached_input_tokens:,}",
                f"{u.output_tokens:,}",
                f"{u.requests:,}",
                format_usd(u.cost_micros, unpriced="-"),
            ]
            for u in report.usage
        ],
        numeric_from=4,
    )
    groups = _table(
        ["By", "Value", "Cost", "Tokens", "Requests"],
        [[g.dimension, g.value, format_usd(g.cost_micros), f"{g.tokens:,}", f"{g.requests:,}"] for g in report.groups],
        numeric_from=2,
    )
    alerts = _table(
        ["Fired (UTC)", "Severity", "Alert", "Details"],
        [[a.fired_at.strftime("%Y-%m-%d %H:%M"), a.severity, a.title, a.message] for a in report.alerts],
        numeric_from=99,
    )
    audit = _table(
        ["At (UTC)", "Actor", "Action", "Entity"],
        [[a.at.strftime("%Y-%m-%d %H:%M"), a.actor, a.action, f"{a.entity}:{a.entity_id}"] for a in report.audit],
        numeric_from=99,
    )
    return f"""
    <html><body style="font-family: 'DejaVu Sans'; font-size: 9pt;">
    <h1>Monthly AI-compute report — {_e(report.month)}</h1>
    <p>Time zone {_e(report.timezone)}; {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC.
    Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.</p>
    {summary}
    <h3>Daily spend against the allowance</h3>
    <p align="center"><img src="{CHART_URL}" width="{chart_width}"></p>
    <h3>Allowances</h3>{allowances}
    <h3>Compensation</h3>{compensation}{terms}
    <h3>Notes</h3><ul>{notes}</ul>
    <h2 style="page-break-before: always;">Usage by day, provider and model</h2>{usage}
    <h2>By account and tag</h2>{groups}
    <h2>Alerts fired</h2>{alerts}
    <h2>Audit log</h2>{audit}
    </body></html>
    """


def render_pdf_bytes(report: MonthlyReport) -> bytes:
    """``report`` as an A4 PDF, drawn in memory (creates an offscreen Qt application if needed).

    Rendering to memory means Qt never opens a file: the caller writes the bytes with
    :func:`tokenwallet.files.atomic_write` (a private temporary file next to the target, then an
    atomic rename), so a PDF that cannot be written is an error and never half a file.
    """
    ensure_gui_app()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(f"tokenwallet report {report.month}")
    writer.setCreator("tokenwallet")
    writer.setResolution(300)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)  # lay out in the PDF's resolution, not the screen's
    doc.setDefaultFont(QFont("DejaVu Sans", 9))
    doc.setDocumentMargin(0)
    doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(CHART_URL), draw_chart(report))
    width, height = float(writer.width()), float(writer.height())
    # QTextDocument scales image sizes from 96 dpi to the device's resolution
    doc.setHtml(report_html(report, chart_width=int(width * 0.98 * 96 / writer.resolution())))
    footer = height * 0.03
    doc.setPageSize(QSizeF(width, height - footer))
    pages = doc.pageCount()
    painter = QPainter()
    if not painter.begin(writer):
        raise OutputError(f"the {report.month} report could not be drawn as a PDF (Qt could not start painting)")
    try:
        for page in range(pages):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * (height - footer))
            doc.drawContents(painter, QRectF(0, page * (height - footer), width, height - footer))
            painter.restore()
            painter.setFont(QFont("DejaVu Sans", 7))
            painter.setPen(QColor("#666666"))
            painter.drawText(
                QRectF(0, height - footer, width, footer),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                f"tokenwallet report {report.month} — page {page + 1} of {pages}",
            )
    finally:
        painter.end()  # the PDF is complete in the buffer once painting ends
    data = bytes(buffer.data().data())
    buffer.close()
    if not data.startswith(b"%PDF"):
        raise OutputError(f"the {report.month} report could not be drawn as a PDF (Qt produced no document)")
    return data


def render_pdf_file(report: MonthlyReport, path: Path | str) -> None:
    """Write ``report`` as an A4 PDF at ``path`` atomically, mode 0600 (see :func:`render_pdf_bytes`)."""
    from tokenwallet.files import atomic_write

    atomic_write(path, render_pdf_bytes(report))
