"""The dashboard's Compensation view: the allowance as part of pay (no I/O; the app loads the figures).

It shows :class:`~tokenwallet.services.compensation.CompensationView`: the standing value per
month and year, the calendar year so far (granted, spent, lapsed unspent, remaining) as a bar and
in figures, the year's projection at the current pace, vested and unvested value and what could
be paid out or would be forfeited (from an employer policy), the share of pay, and each policy's
terms in plain words.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.allowance import Unit
from tokenwallet.reports.model import CompensationLine
from tokenwallet.services.compensation import CompensationView
from tokenwallet.ui.dashboard.models import RowsModel
from tokenwallet.ui.display import MASK, DisplayOptions, format_amount
from tokenwallet.ui.locale_dates import format_date

_Index = QModelIndex | QPersistentModelIndex
CONSUMED = "#00897b"
LAPSED = "#e53935"
REMAINING = "#90a4ae"
UPCOMING = "#cfd8dc"


def share_text(share: Decimal | None, options: DisplayOptions) -> str:
    """'2.68 %' of pay, masked with the amounts, or a hint when no pay is entered."""
    if share is None:
        return "enter your pay in Settings"
    if options.hide_amounts:
        return MASK
    return f"{share * 100:.2f} %"


class YearBar(QWidget):
    """The year's value as one bar: spent, lapsed unspent, remaining now, still to be granted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parts: list[tuple[int, str]] = []
        self.setMinimumHeight(18)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        """A slim bar."""
        return QSize(400, 18)

    def set_parts(self, parts: list[tuple[int, str]]) -> None:
        """(amount, colour) from left to right; negative amounts count as nothing."""
        self.parts = [(max(amount, 0), colour) for amount, colour in parts]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Each part as wide as its share of the whole, on a visible track."""
        painter = QPainter(self)
        track = QRectF(0.5, 0.5, self.width() - 1, self.height() - 1)
        painter.setPen(QColor("#9aa5ab"))
        painter.setBrush(QColor("#eceff1"))
        painter.drawRect(track)
        whole = sum(amount for amount, _ in self.parts)
        x = track.left()
        for amount, colour in self.parts:
            if whole <= 0 or amount <= 0:
                continue
            width = track.width() * amount / whole
            painter.fillRect(QRectF(x, track.top(), width, track.height()), QColor(colour))
            x += width
        painter.end()


class CompensationModel(RowsModel):
    """One row per usd allowance."""

    HEADERS = (
        "Allowance",
        "Per month",
        "Per year",
        "Granted this year",
        "Spent",
        "Lapsed unspent",
        "Remaining",
        "Spend by year end",
        "Unspent by year end",
        "Vested",
        "Unvested",
        "Can be paid out",
    )
    FIELDS = (
        "per_month",
        "per_year",
        "year_granted",
        "year_consumed",
        "year_forfeited",
        "remaining",
        "projected_consumed",
        "projected_unspent",
        "vested",
        "unvested",
        "payable",
    )

    def set_lines(self, lines: list[CompensationLine], options: DisplayOptions) -> None:
        """Replace every row."""
        self.set_rows(list(lines), options)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Amounts in the display currency (masked when hidden)."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        line: CompensationLine = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return line.name
            return format_amount(int(getattr(line, self.FIELDS[column - 1])), Unit.USD, self._options)
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


def _figure() -> QLabel:
    label = QLabel()
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.2)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class CompensationWidget(QScrollArea):
    """The Compensation tab; :meth:`show_view` fills it; :attr:`shown` asks for the figures."""

    shown = Signal()
    """The view became visible (its tab was chosen)."""

    FIGURES = (
        ("per_month", "Value per month"),
        ("per_year", "Value per year"),
        ("share_month", "Share of monthly pay"),
        ("share_year", "Share of yearly pay"),
        ("year_granted", "Granted this year"),
        ("year_consumed", "Spent this year"),
        ("year_forfeited", "Lapsed unspent"),
        ("remaining", "Remaining now"),
        ("projected_consumed", "Spend by year end, at this pace"),
        ("projected_unspent", "Unspent by year end, at this pace"),
        ("vested", "Vested"),
        ("unvested", "Not vested yet"),
        ("payable", "Can be paid out"),
        ("forfeitable", "Forfeited if not spent"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: CompensationView | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.heading = QLabel("Loading the allowance's value…")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.bar = YearBar()
        layout.addWidget(self.bar)
        self.legend = QLabel(
            f"<span style='color:{CONSUMED}'>■</span> spent &nbsp; "
            f"<span style='color:{LAPSED}'>■</span> lapsed unspent &nbsp; "
            f"<span style='color:{REMAINING}'>■</span> remaining now &nbsp; "
            f"<span style='color:{UPCOMING}'>■</span> still to be granted this year"
        )
        layout.addWidget(self.legend)
        grid = QGridLayout()
        self.figures: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        for i, (key, caption) in enumerate(self.FIGURES):
            row, column = (i // 4) * 2, i % 4
            self.captions[key] = _caption(caption)
            self.figures[key] = _figure()
            grid.addWidget(self.captions[key], row, column)
            grid.addWidget(self.figures[key], row + 1, column)
        for column in range(4):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)
        self.projection = QLabel()
        self.projection.setWordWrap(True)
        layout.addWidget(self.projection)
        self.model = CompensationModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(90)
        layout.addWidget(self.table)
        self.terms = QLabel()
        self.terms.setWordWrap(True)
        self.terms.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.terms)
        layout.addStretch(1)
        self.setWidget(inner)

    def showEvent(self, event: QShowEvent) -> None:
        """Ask for fresh figures whenever the view is shown."""
        super().showEvent(event)
        self.shown.emit()

    def show_view(self, view: CompensationView, options: DisplayOptions) -> None:
        """Show ``view`` with amounts as ``options`` say."""
        self.view = view

        def money(amount: int) -> str:
            return format_amount(amount, Unit.USD, options)

        if not view.lines:
            self.heading.setText(
                "No allowance in dollars yet: the Compensation view values usd allowances (a token allowance "
                "has no price of its own)."
            )
        else:
            self.heading.setText(
                f"Your AI allowance as pay in {view.year}, as of {format_date(view.as_of, options.zone)}"
            )
        consumed = view.total("year_consumed") - view.total("year_overspent")
        upcoming = view.total("projected_value") - view.total("year_granted")
        self.bar.set_parts(
            [
                (consumed, CONSUMED),
                (view.total("year_forfeited"), LAPSED),
                (view.total("remaining"), REMAINING),
                (upcoming, UPCOMING),
            ]
        )
        for key, _ in self.FIGURES:
            if key == "share_month":
                text = share_text(view.share_of_monthly_pay, options)
            elif key == "share_year":
                text = share_text(view.share_of_yearly_pay, options)
            else:
                text = money(view.total(key))
            self.figures[key].setText(text)
        has_policy = any(line.policy_id for line in view.lines)
        for key in ("vested", "unvested", "payable"):
            self.figures[key].setVisible(has_policy)
            self.captions[key].setVisible(has_policy)
        over = view.total("year_overspent")
        parts = [
            f"At the current pace you will have spent {money(view.total('projected_consumed'))} of the "
            f"{money(view.total('projected_value'))} granted in {view.year}; "
            f"{money(view.total('projected_unspent'))} would be left unspent."
        ]
        if over:
            parts.append(f"{money(over)} of this year's spend went beyond the allowance.")
        if view.pay is None:
            parts.append("Enter your monthly pay in Settings to see the allowance as a share of it.")
        if not has_policy:
            parts.append(
                "No employer policy says whether unspent value can be paid out, so what remains counts as "
                "forfeited if it is not spent."
            )
        self.projection.setText(" ".join(parts))
        self.model.set_lines(list(view.lines), options)
        for column in (9, 10, 11):  # vested, unvested, can be paid out: only an employer policy says
            self.table.setColumnHidden(column, not has_policy)
        terms = [line for line in view.lines if line.terms]
        if options.hide_amounts:  # the terms name amounts
            self.terms.setText("<p>The policy's terms are hidden with the amounts.</p>" if terms else "")
            self.terms.setVisible(bool(terms))
            return
        self.terms.setText(
            "".join(
                f"<p><b>{_html(line.name)}</b> (policy {_html(line.policy_id)}):<br>"
                + "<br>".join(f"• {_html(t)}" for t in line.terms)
                + "</p>"
                for line in terms
            )
        )
        self.terms.setVisible(bool(terms))


def _html(text: str) -> str:
    import html

    return html.escape(text)
