"""The spend chart, drawn with QPainter onto any paint device: the dashboard's widget, an image, a PDF.

One chart for a span of days (an allowance's period, or a report's month):

* above, on **one** money (or token) axis: spend so far as a line over a light area, the
  allowance as a red line, the even pace from 0 to the allowance as a grey dotted line, and the
  forecast from now to the end of the span as an orange dashed line; where spend is over the
  allowance the gap is shaded red;
* below, on a small axis of its own (labelled "per day"), the daily spend as bars, the part
  estimated from local logs in a lighter, hatched colour;
* a legend naming exactly what is drawn, and day numbers that never overlap.

Sizes follow the font size given (``font_px``), so one drawing reads at 1×, at 2× and on a 300 dpi
page alike.  With hidden amounts no figure is written (the shapes stay: they show pace, not money).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from tokenwallet.ui.charts.axis import ValueFormat, nice_ticks

SPENT = QColor("#00897b")
SPENT_AREA = QColor(0, 137, 123, 40)
BARS = QColor("#5c6bc0")
ESTIMATED = QColor("#b39ddb")
LIMIT = QColor("#e53935")
OVER = QColor(229, 57, 53, 60)
PACE = QColor("#78909c")
FORECAST = QColor("#fb8c00")
GRID = QColor("#d5d9dc")
TEXT = QColor("#37474f")
TODAY = QColor("#90a4ae")


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """What a spend chart shows: amounts in one unit (micro-USD or tokens) over consecutive days.

    ``elapsed`` is the share of the span that is past (1.0 for a closed month): spend so far ends
    there and the forecast starts there.  ``spent_now`` is the total at that moment (the meter's
    figure; by default the sum of ``spend``).  ``limit`` draws the allowance and the even pace;
    ``forecast`` is the projected total at the end of the span.
    """

    title: str
    days: tuple[date, ...]
    spend: tuple[int, ...]
    estimated: tuple[int, ...] = ()
    elapsed: float = 1.0
    limit: int | None = None
    forecast: int | None = None
    spent_now: int | None = None

    def total(self) -> int:
        """Spend through now."""
        return self.spent_now if self.spent_now is not None else sum(self.spend)

    def estimated_on(self, index: int) -> int:
        """The estimated part of day ``index``'s spend."""
        return self.estimated[index] if index < len(self.estimated) else 0

    def untracked(self) -> bool:
        """True when spend so far is mostly not in the days (a gateway's count without a history by day)."""
        total = self.total()
        return total > 0 and sum(self.spend) < total * 0.9

    def legend(self) -> list[str]:
        """The names of what is drawn, in legend order."""
        names = ["Spent so far" if not self.untracked() else "Spent so far (not by day)"]
        if self.limit is not None:
            names += ["Allowance", "Even pace"]
        if self.forecast is not None and self.elapsed < 1.0:
            names.append("Forecast")
        names.append("Daily spend")
        if any(self.estimated):
            names.append("estimated (logs)")
        return names


@dataclass(slots=True)
class ChartLayout:
    """Where a drawing put its parts (for tests and tooltips): plot areas and axis labels with their boxes."""

    plot: QRectF = field(default_factory=QRectF)
    daily: QRectF = field(default_factory=QRectF)
    y_labels: list[tuple[str, QRectF]] = field(default_factory=list)
    x_labels: list[tuple[str, QRectF]] = field(default_factory=list)
    daily_label: str = ""
    legend: list[tuple[str, QRectF]] = field(default_factory=list)


def _pen(colour: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(colour, width, style)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


def draw_spend_chart(
    painter: QPainter, rect: QRectF, series: ChartSeries, fmt: ValueFormat, *, font_px: float = 12.0
) -> ChartLayout:
    """Draw ``series`` into ``rect`` of ``painter`` (which the caller has begun); return the layout used."""
    layout = ChartLayout()
    u = font_px / 12.0  # every length scales with the font: same look at any resolution
    font = QFont(painter.font())
    font.setPixelSize(max(1, round(font_px)))
    painter.save()
    painter.setFont(font)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    metrics = QFontMetricsF(font)
    line = metrics.height()

    legend_h = line * 1.6
    x_axis_h = line * 1.5
    top = rect.top() + legend_h
    bottom = rect.bottom() - x_axis_h
    if not series.days or bottom - top < line * 4:
        painter.setPen(TEXT)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "No spend to chart yet")
        painter.restore()
        return layout

    # Values on the main axis: the highest of spend so far, the allowance and the forecast.
    running: list[int] = []
    total = 0
    for amount in series.spend:
        total += amount
        running.append(total)
    now_total = series.total()
    highest = max([now_total, *running, series.limit or 0, series.forecast or 0])
    top_display = max(fmt.display(highest), fmt.empty_top() if highest <= 0 else 0.0)
    ticks = nice_ticks(top_display, fmt.finest_step())
    labels = fmt.labels(ticks)
    peak_day = max(series.spend) if series.spend else 0
    day_ticks = nice_ticks(max(fmt.display(peak_day), fmt.empty_top() if peak_day <= 0 else 0.0), fmt.finest_step(), 2)
    day_labels = fmt.labels(day_ticks)

    gutter = max(metrics.horizontalAdvance(t) for t in [*labels, day_labels[-1], "per day"]) + 8 * u
    left = rect.left() + gutter
    right = rect.right() - 6 * u
    strip_h = (bottom - top) * 0.24
    plot = QRectF(left, top + line * 0.5, right - left, bottom - top - strip_h - line * 1.4)
    daily = QRectF(left, plot.bottom() + line * 0.9, right - left, bottom - plot.bottom() - line * 0.9)
    layout.plot, layout.daily = plot, daily
    top_value = ticks[-1]

    def y(value: float) -> float:
        return plot.bottom() - plot.height() * fmt.display(value) / top_value

    n = len(series.days)
    slot = plot.width() / n

    def x_at(fraction: float) -> float:
        return plot.left() + plot.width() * max(0.0, min(1.0, fraction))

    # Grid and the main axis labels.
    for tick, text in zip(ticks, labels, strict=True):
        ty = plot.bottom() - plot.height() * tick / top_value
        painter.setPen(_pen(GRID, 1 * u))
        painter.drawLine(QPointF(plot.left(), ty), QPointF(plot.right(), ty))
        box = QRectF(rect.left(), ty - line / 2, gutter - 6 * u, line)
        painter.setPen(TEXT)
        painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        layout.y_labels.append((text, box))

    # Spend so far: a line over a light area, ending at now.  Spend the days do not account for (a
    # gateway's own count, with no history by day) is a straight dotted rise, not a cliff on the last day.
    now_x = x_at(series.elapsed)
    points = [QPointF(plot.left(), plot.bottom())]
    by_day = not series.untracked()
    if by_day:
        for i, value in enumerate(running):
            end_x = plot.left() + (i + 1) * slot
            if end_x >= now_x - 0.5:
                break
            points.append(QPointF(end_x, y(value)))
    points.append(QPointF(now_x, y(now_total)))
    area = QPolygonF([*points, QPointF(now_x, plot.bottom())])
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(SPENT_AREA)
    painter.drawPolygon(area)

    if series.limit is not None:
        limit_y = y(series.limit)
        if now_total > series.limit:  # overspent: shade what lies over the allowance
            over = QPainterPath()
            over.addPolygon(area)
            cap = QPainterPath()
            cap.addRect(QRectF(plot.left(), plot.top() - 1, plot.width(), limit_y - plot.top() + 1))
            painter.setBrush(OVER)
            painter.drawPath(over.intersected(cap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(_pen(PACE, 1.6 * u, Qt.PenStyle.DotLine))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), limit_y))
        painter.setPen(_pen(LIMIT, 2 * u))
        painter.drawLine(QPointF(plot.left(), limit_y), QPointF(plot.right(), limit_y))

    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(_pen(SPENT, 2.4 * u, Qt.PenStyle.SolidLine if by_day else Qt.PenStyle.DotLine))
    painter.drawPolyline(QPolygonF(points))
    if not by_day:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(SPENT)
        painter.drawEllipse(points[-1], 4 * u, 4 * u)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    if series.forecast is not None and series.elapsed < 1.0:
        painter.setPen(_pen(FORECAST, 2 * u, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(now_x, y(now_total)), QPointF(plot.right(), y(series.forecast)))
    if series.elapsed < 1.0:  # now, across both plots
        painter.setPen(_pen(TODAY, 1 * u, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(now_x, plot.top()), QPointF(now_x, daily.bottom()))

    # Daily bars on their own small axis.
    day_top = day_ticks[-1]
    painter.setPen(_pen(GRID, 1 * u))
    painter.drawLine(QPointF(daily.left(), daily.top()), QPointF(daily.right(), daily.top()))
    layout.daily_label = f"{day_labels[-1]} per day"
    painter.setPen(TEXT)
    painter.drawText(
        QRectF(rect.left(), daily.top() - line / 2, gutter - 6 * u, line),
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        day_labels[-1],
    )
    painter.drawText(
        QRectF(rect.left(), daily.bottom() - line, gutter - 6 * u, line),
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        "per day",
    )
    hatch = QBrush(ESTIMATED, Qt.BrushStyle.BDiagPattern)
    painter.setPen(Qt.PenStyle.NoPen)
    width = max(1.0, slot * 0.7)
    for i, amount in enumerate(series.spend):
        if amount <= 0:
            continue
        bx = plot.left() + i * slot + (slot - width) / 2
        height = daily.height() * fmt.display(amount) / day_top
        estimated = min(series.estimated_on(i), amount)
        billed_h = height * (amount - estimated) / amount
        painter.fillRect(QRectF(bx, daily.bottom() - billed_h, width, billed_h), BARS)
        if estimated:
            box = QRectF(bx, daily.bottom() - height, width, height - billed_h)
            painter.fillRect(box, ESTIMATED.lighter(125))
            painter.fillRect(box, hatch)

    # Axes and day numbers: as many as fit without touching, always the first and the last.
    painter.setPen(_pen(TEXT, 1 * u))
    painter.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom()))
    painter.drawLine(plot.bottomLeft(), plot.bottomRight())
    painter.drawLine(daily.bottomLeft(), daily.bottomRight())
    widest = metrics.horizontalAdvance("28") + 10 * u
    every = 1
    while every * slot < widest and every < n:
        every = {1: 2, 2: 5, 5: 7, 7: 10, 10: 15}.get(every, every * 2)
    shown = [i for i in range(n) if i % every == 0]
    if n - 1 not in shown:
        if shown and (n - 1 - shown[-1]) * slot < widest:
            shown.pop()
        shown.append(n - 1)
    for i in shown:
        cx = plot.left() + (i + 0.5) * slot
        text = str(series.days[i].day)
        box = QRectF(cx - widest / 2, daily.bottom() + 2 * u, widest, line)
        painter.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        layout.x_labels.append((text, box))

    _legend(painter, QRectF(left, rect.top(), right - left, legend_h), series, metrics, u, layout)
    painter.restore()
    return layout


def _legend(
    painter: QPainter, box: QRectF, series: ChartSeries, metrics: QFontMetricsF, u: float, layout: ChartLayout
) -> None:
    """One row of swatches and names (what a swatch means is drawn the way the chart draws it)."""
    x = box.left()
    mid = box.top() + box.height() / 2
    for name in series.legend():
        swatch = QRectF(x, mid - 5 * u, 18 * u, 10 * u)
        if name.startswith("Spent so far"):
            dotted = Qt.PenStyle.DotLine if series.untracked() else Qt.PenStyle.SolidLine
            painter.setPen(_pen(SPENT, 2.4 * u, dotted))
            painter.drawLine(QPointF(swatch.left(), mid), QPointF(swatch.right(), mid))
        elif name == "Allowance":
            painter.setPen(_pen(LIMIT, 2 * u))
            painter.drawLine(QPointF(swatch.left(), mid), QPointF(swatch.right(), mid))
        elif name == "Even pace":
            painter.setPen(_pen(PACE, 1.6 * u, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(swatch.left(), mid), QPointF(swatch.right(), mid))
        elif name == "Forecast":
            painter.setPen(_pen(FORECAST, 2 * u, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(swatch.left(), mid), QPointF(swatch.right(), mid))
        elif name == "Daily spend":
            painter.fillRect(swatch, BARS)
        else:
            painter.fillRect(swatch, ESTIMATED.lighter(125))
            painter.fillRect(swatch, QBrush(ESTIMATED, Qt.BrushStyle.BDiagPattern))
        painter.setPen(TEXT)
        width = metrics.horizontalAdvance(name)
        text_box = QRectF(swatch.right() + 5 * u, box.top(), width + 2 * u, box.height())
        if text_box.right() > box.right():
            break  # a narrow chart shows the legend it has room for
        painter.drawText(text_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        layout.legend.append((name, text_box))
        x = text_box.right() + 14 * u
