"""The QPainter spend chart shared by the dashboard and the PDF: one axis, round ticks, what it marks, any scale."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from tokenwallet.domain.allowance import Unit
from tokenwallet.ui.charts.axis import ValueFormat, nice_ticks
from tokenwallet.ui.charts.spend_chart import (
    BARS,
    ESTIMATED,
    FORECAST,
    LIMIT,
    ChartLayout,
    ChartSeries,
    draw_spend_chart,
)

pytestmark = pytest.mark.usefixtures("qapp")

DAYS = tuple(date(2026, 11, 1) + timedelta(days=i) for i in range(30))


def _usd(dollars: float) -> int:
    return round(dollars * 1_000_000)


def _draw(series: ChartSeries, fmt: ValueFormat, *, scale: float = 1.0) -> tuple[QImage, ChartLayout]:
    width, height = round(760 * scale), round(300 * scale)
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    layout = draw_spend_chart(painter, QRectF(0, 0, width, height), series, fmt, font_px=12 * scale)
    painter.end()
    return image, layout


def _has(image: QImage, colour: QColor, rect: QRectF | None = None) -> bool:
    area = (rect or QRectF(image.rect())).toRect()
    for y in range(max(0, area.top()), min(image.height(), area.bottom())):
        for x in range(max(0, area.left()), min(image.width(), area.right())):
            if image.pixelColor(x, y).name() == colour.name():
                return True
    return False


def _close(seen: QColor, wanted: QColor, within: int = 40) -> bool:
    return (
        abs(seen.red() - wanted.red()) + abs(seen.green() - wanted.green()) + abs(seen.blue() - wanted.blue()) <= within
    )


def _overlap(boxes: list[QRectF]) -> bool:
    return any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


NOVEMBER = ChartSeries(
    title="Work",
    days=DAYS,
    spend=tuple([_usd(9.5)] * 14 + [0] * 16),
    estimated=tuple([_usd(1.5)] * 14 + [0] * 16),
    elapsed=14.5 / 30,
    limit=_usd(270),
    forecast=_usd(9.5 * 14 + 9.5 * 15.5),
)


def test_little_spend_gets_distinct_round_ticks() -> None:
    fmt = ValueFormat()
    assert fmt.labels(nice_ticks(0.3, fmt.finest_step())) == ["$0.00", "$0.10", "$0.20", "$0.30"]
    assert fmt.labels(nice_ticks(2.4, fmt.finest_step())) == ["$0.00", "$0.50", "$1.00", "$1.50", "$2.00", "$2.50"]
    assert fmt.labels(nice_ticks(281.74, fmt.finest_step())) == ["$0", "$100", "$200", "$300"]
    inr = ValueFormat(currency="INR", rate=Decimal("83.2"), grouping="indian")
    assert inr.labels(nice_ticks(inr.display(_usd(270)), inr.finest_step())) == [
        "₹0",
        "₹5,000",
        "₹10,000",
        "₹15,000",
        "₹20,000",
        "₹25,000",
    ]
    tokens = ValueFormat(unit=Unit.TOKENS)
    assert tokens.labels(nice_ticks(20_000_000, 1)) == ["0", "5M", "10M", "15M", "20M"]
    assert ValueFormat(hidden=True).labels([0.0, 100.0]) == ["•••", "•••"]


def test_one_axis_for_spend_and_the_allowance() -> None:
    image, layout = _draw(NOVEMBER, ValueFormat())
    labels = [text for text, _ in layout.y_labels]
    assert labels == ["$0", "$100", "$200", "$300"]
    plot = layout.plot
    # $270 on the axis of $0..$300 sits at 0.9 of the plot's height: between the $200 and $300 labels
    y270 = plot.bottom() - plot.height() * 270 / 300
    rows = {}
    for y in range(round(plot.top()), round(plot.bottom())):
        rows[y] = sum(_close(image.pixelColor(x, y), LIMIT) for x in range(round(plot.left()), round(plot.right())))
    line_row = max(rows, key=lambda y: rows[y])  # the row where the red line runs
    assert rows[line_row] > plot.width() * 0.8
    assert abs(line_row - y270) <= 1.5
    box200 = dict(layout.y_labels)["$200"]
    box300 = dict(layout.y_labels)["$300"]
    assert box300.center().y() < y270 < box200.center().y()


def test_estimates_forecast_and_bars_are_drawn() -> None:
    image, layout = _draw(NOVEMBER, ValueFormat())
    assert _has(image, BARS, layout.daily)
    assert _has(image, ESTIMATED.lighter(125), layout.daily) or _has(image, ESTIMATED, layout.daily)
    right = QRectF(layout.plot.left() + layout.plot.width() * 0.5, layout.plot.top(), layout.plot.width() * 0.5, 200)
    assert _has(image, FORECAST, right)  # the forecast runs from now to the end of the period
    assert NOVEMBER.legend() == [
        "Spent so far",
        "Allowance",
        "Even pace",
        "Forecast",
        "Daily spend",
        "estimated (logs)",
    ]


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_labels_never_overlap_at_1x_and_2x(scale: float) -> None:
    _, layout = _draw(NOVEMBER, ValueFormat(), scale=scale)
    assert not _overlap([box for _, box in layout.y_labels])
    assert not _overlap([box for _, box in layout.x_labels])
    assert [text for text, _ in layout.x_labels][0] == "1" and layout.x_labels[-1][0] == "30"
    assert len(layout.legend) == len(NOVEMBER.legend())  # the whole legend fits


def test_narrow_chart_shows_fewer_day_numbers_not_overlapping_ones() -> None:
    image = QImage(260, 200, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    layout = draw_spend_chart(painter, QRectF(0, 0, 260, 200), NOVEMBER, ValueFormat(), font_px=12)
    painter.end()
    assert 2 <= len(layout.x_labels) < 15
    assert not _overlap([box for _, box in layout.x_labels])


def test_hidden_amounts_write_no_figure() -> None:
    _, layout = _draw(NOVEMBER, ValueFormat(hidden=True))
    assert {text for text, _ in layout.y_labels} == {"•••"}
    assert layout.daily_label == "••• per day"


def test_the_pdf_draws_the_same_chart(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from tests.ui.test_reports import demo_ledger
    from tokenwallet.reports.build import build_report
    from tokenwallet.settings import Settings
    from tokenwallet.ui.reports.pdf import draw_chart, report_series

    demo_ledger(db)
    report = build_report(db, "2026-11", Settings(timezone="Europe/Berlin"), datetime(2026, 12, 2, tzinfo=UTC))
    series = report_series(report)
    assert series.days == tuple(d.day for d in report.daily) and len(series.days) == 30
    assert series.limit == _usd(150 + 25)  # the month's grant and the top-up
    assert series.elapsed == 1.0 and series.forecast is None  # a closed month: no "now", no forecast
    assert series.spend == tuple(d.cost_micros for d in report.daily)
    image = draw_chart(report)
    assert _has(image, LIMIT) and _has(image, BARS)
