"""The period chart: daily spend as bars, cumulative spend, the allowance line and the forecast.

QtCharts is heavy to import, so this module is imported only when the dashboard is first built,
after the tray icon is already showing.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from tokenwallet.domain.allowance import Unit
from tokenwallet.services.snapshot import AllowanceView
from tokenwallet.ui.display import DisplayOptions

_BAR = "#5c6bc0"
_ESTIMATE = "#b39ddb"
_CUMULATIVE = "#26a69a"
_LIMIT = "#e53935"
_FORECAST = "#fb8c00"


def _scale(amount: float, unit: Unit, options: DisplayOptions) -> float:
    """Chart values: money in display currency units, tokens in thousands."""
    if unit is Unit.TOKENS:
        return amount / 1000
    return amount / 1_000_000 * float(options.rate)


class SpendChart(QChartView):
    """A QChartView that redraws itself from an :class:`AllowanceView`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)
        self.chart().legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart().setMargins(QMargins(4, 4, 4, 4))
        self.chart().setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.series_names: list[str] = []

    def show_view(self, view: AllowanceView | None, options: DisplayOptions) -> None:
        """Rebuild the chart for ``view`` (None clears it)."""
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(6)
        self.series_names = []
        if view is None:
            chart.setTitle("No allowance yet")
            self.setChart(chart)
            return
        status = view.status
        unit = status.unit
        zone = options.zone
        first = status.period_start.astimezone(zone).date()
        last = (status.period_end - timedelta(seconds=1)).astimezone(zone).date()
        today = status.now.astimezone(zone).date()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        by_day: dict[date, tuple[int, int]] = {d.day: (d.amount, d.estimated) for d in view.daily}

        billed = QBarSet("Daily spend")
        billed.setColor(QColor(_BAR))
        estimated = QBarSet("of which estimated")
        estimated.setColor(QColor(_ESTIMATE))
        cumulative = QLineSeries()
        cumulative.setName("Spent so far")
        cumulative.setPen(QPen(QColor(_CUMULATIVE), 2.5))
        total = 0
        for i, day in enumerate(days):
            amount, est = by_day.get(day, (0, 0))
            billed.append(_scale(amount - est, unit, options))
            estimated.append(_scale(est, unit, options))
            if day <= today:
                total += amount
                cumulative.append(QPointF(i, _scale(total, unit, options)))
        bars = QBarSeries()
        bars.append(billed)
        if any(d.estimated for d in view.daily):
            bars.append(estimated)
        limit = QLineSeries()
        limit.setName("Allowance")
        pen = QPen(QColor(_LIMIT), 2, Qt.PenStyle.DashLine)
        limit.setPen(pen)
        limit.append(QPointF(-0.5, _scale(status.granted, unit, options)))
        limit.append(QPointF(len(days) - 0.5, _scale(status.granted, unit, options)))
        forecast = QLineSeries()
        forecast.setName("Forecast")
        forecast.setPen(QPen(QColor(_FORECAST), 2, Qt.PenStyle.DotLine))
        today_index = (today - first).days
        if 0 <= today_index < len(days):
            forecast.append(QPointF(today_index, _scale(total, unit, options)))
            forecast.append(
                QPointF(
                    len(days) - 1,
                    _scale(total + status.burn_rate_per_day * (len(days) - 1 - today_index), unit, options),
                )
            )
        chart.addSeries(bars)
        for series in (cumulative, limit, forecast):
            chart.addSeries(series)

        axis_x = QBarCategoryAxis()
        axis_x.append([d.strftime("%d") for d in days])
        axis_x.setTitleText(f"{first:%b %Y}")
        axis_daily = QValueAxis()
        axis_total = QValueAxis()
        suffix = "k tok" if unit is Unit.TOKENS else options.currency
        axis_daily.setTitleText(f"per day ({suffix})")
        axis_total.setTitleText(f"total ({suffix})")
        axis_daily.setLabelFormat("%.0f")
        axis_total.setLabelFormat("%.0f")
        if options.hide_amounts:
            axis_daily.setLabelsVisible(False)
            axis_total.setLabelsVisible(False)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_daily, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(axis_total, Qt.AlignmentFlag.AlignRight)
        bars.attachAxis(axis_x)
        bars.attachAxis(axis_daily)
        for series in (cumulative, limit, forecast):
            series.attachAxis(axis_x)
            series.attachAxis(axis_total)
        peak_total = max(status.granted, total + int(status.burn_rate_per_day * max(0, len(days) - 1 - today_index)))
        axis_total.setRange(0, _scale(peak_total, unit, options) * 1.08 or 1)
        axis_total.applyNiceNumbers()
        peak_day = max((d.amount for d in view.daily), default=0)
        axis_daily.setRange(0, _scale(peak_day, unit, options) * 1.15 or 1)
        axis_daily.applyNiceNumbers()
        chart.setTitle(f"{status.name}: spend this period")
        self.series_names = [s.name() for s in chart.series()]
        self.setChart(chart)
