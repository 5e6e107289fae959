"""The dashboard's period chart: a widget that paints :mod:`tokenwallet.ui.charts.spend_chart`.

A refresh only replaces the plain values it draws (no chart objects are built or thrown away),
so a window left open all day keeps its memory flat.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from tokenwallet.domain.allowance import AllowanceStatus, DailySpend, Unit
from tokenwallet.services.snapshot import AllowanceView, MonthToDate
from tokenwallet.ui.charts.axis import ValueFormat
from tokenwallet.ui.charts.spend_chart import ChartSeries, draw_spend_chart
from tokenwallet.ui.dashboard import figures
from tokenwallet.ui.display import DisplayOptions

LONGEST_SPAN = timedelta(days=400)
"""Periods longer than this (one-off allowances without an end) are charted up to now, not to their end."""


def value_format(unit: Unit, options: DisplayOptions) -> ValueFormat:
    """Axis labels as the rest of the dashboard writes amounts (currency, rate, grouping, hidden)."""
    return ValueFormat(
        unit=unit,
        currency=options.currency,
        rate=options.rate,
        grouping=options.grouping,
        hidden=options.hide_amounts,
    )


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    first = start.astimezone(zone).date()
    last = (end - timedelta(seconds=1)).astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def period_series(
    title: str,
    status: AllowanceStatus,
    daily: tuple[DailySpend, ...],
    zone: ZoneInfo,
    *,
    limit: int | None,
    spent_now: int,
) -> ChartSeries:
    """The chart of one period: every day of it, spend so far, the allowance and the forecast."""
    end = status.period_end
    open_ended = end - status.period_start > LONGEST_SPAN
    if open_ended:  # a one-off allowance without an end: chart up to a little past now
        end = max(status.now, status.period_start + timedelta(days=30)) + timedelta(days=1)
    days = _days(status.period_start, end, zone)
    by_day = {d.day: d for d in daily}
    span = (end - status.period_start).total_seconds()
    elapsed = (status.now - status.period_start).total_seconds() / span if span > 0 else 1.0
    return ChartSeries(
        title=title,
        days=tuple(days),
        spend=tuple(by_day[d].amount if d in by_day else 0 for d in days),
        estimated=tuple(by_day[d].estimated if d in by_day else 0 for d in days),
        elapsed=max(0.0, min(1.0, elapsed)),
        limit=limit,
        forecast=None if open_ended else spent_now + int(status.burn_rate_per_day * status.days_left),
        spent_now=spent_now,
    )


def view_series(view: AllowanceView) -> ChartSeries:
    """The chart of an allowance's current period, in the allowance's own time zone (as its days are counted)."""
    status = view.status
    return period_series(
        f"{status.name}: spend this period",
        status,
        view.daily,
        ZoneInfo(view.allowance.timezone),
        limit=figures.available(status),
        spent_now=figures.spent(status),
    )


def month_series(month: MonthToDate) -> ChartSeries:
    """The chart of this month's spend when there is no allowance yet (no allowance line)."""
    return period_series(
        "Spend this month", month.status, month.daily, month.zone, limit=None, spent_now=month.status.period_spent
    )


class SpendChart(QWidget):
    """Paints one :class:`ChartSeries`; :meth:`show_series` replaces it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: ChartSeries | None = None
        self.fmt = ValueFormat()
        self.setMinimumHeight(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        """Wide and low, like the period it shows."""
        return QSize(640, 260)

    @property
    def series_names(self) -> list[str]:
        """What the chart draws, as its legend names it."""
        return self.series.legend() if self.series is not None else []

    def show_series(self, series: ChartSeries | None, fmt: ValueFormat) -> None:
        """Draw ``series`` from now on (None: nothing to chart)."""
        self.series = series
        self.fmt = fmt
        self.setToolTip(series.title if series is not None else "")
        self.update()

    def show_view(self, view: AllowanceView | None, options: DisplayOptions) -> None:
        """Chart an allowance's period (None clears the chart)."""
        if view is None:
            self.show_series(None, value_format(Unit.USD, options))
        else:
            self.show_series(view_series(view), value_format(view.status.unit, options))

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the chart on the window's background."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if self.series is not None:
            font_px = max(11.0, self.font().pointSizeF() * self.logicalDpiY() / 72)
            draw_spend_chart(
                painter, QRectF(self.rect()).adjusted(6, 4, -6, -4), self.series, self.fmt, font_px=font_px
            )
        painter.end()
