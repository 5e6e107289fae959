"""This month's spend for someone with usage but no allowance yet (a first start with agent logs).

Instead of an empty dashboard: the month so far, where it came from, the month's projection at
the current pace, a meter against a suggested monthly allowance, and one click to make that an
allowance (the app opens the allowance editor with the figures filled in).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tokenwallet.domain.allowance import Unit
from tokenwallet.services.snapshot import MonthToDate
from tokenwallet.ui.dashboard.allowance_card import PaceBar
from tokenwallet.ui.dashboard.figures import counting_lines
from tokenwallet.ui.display import DisplayOptions, days_text, format_amount
from tokenwallet.ui.tray.meter_icon import COLOURS
from tokenwallet.ui.tray.meter_state import Severity


class MonthCard(QFrame):
    """The month so far; :attr:`make_allowance` carries the suggested monthly amount (micro-USD)."""

    make_allowance = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("monthCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.suggested = 0
        layout = QVBoxLayout(self)
        self.title = QLabel("This month so far")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.amount = QLabel()
        big = self.amount.font()
        big.setBold(True)
        big.setPointSizeF(big.pointSizeF() * 2)
        self.amount.setFont(big)
        self.amount.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = PaceBar()
        self.bar.setToolTip(
            "Bar: this month's spend against the suggested allowance. Marker ▼: share of the month gone."
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.sources = QLabel()
        self.sources.setWordWrap(True)
        self.sources.setStyleSheet("color: palette(placeholder-text);")
        row = QHBoxLayout()
        self.button = QPushButton("Make this an allowance…")
        self.button.setToolTip("Open the allowance editor with a monthly allowance of the suggested amount filled in")
        self.button.clicked.connect(self._on_make)
        row.addWidget(self.button)
        row.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.amount)
        layout.addWidget(self.bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.sources)
        layout.addLayout(row)

    def _on_make(self) -> None:
        self.make_allowance.emit(self.suggested)

    def show_month(self, month: MonthToDate, options: DisplayOptions, label: Callable[[str], str]) -> None:
        """Fill the card from ``month``."""
        status = month.status

        def money(amount: int) -> str:
            return format_amount(amount, Unit.USD, options)

        self.suggested = month.suggested_amount
        self.amount.setText(money(status.period_spent))
        used = status.period_spent / month.suggested_amount if month.suggested_amount else 0.0
        colour = COLOURS[Severity.WARNING if used > status.elapsed_fraction + 0.05 else Severity.OK]
        self.bar.set_values(used, status.elapsed_fraction, colour)
        self.summary.setText(
            f"No allowance yet. At this pace ({money(round(status.burn_rate_per_day))}/day) the month comes to "
            f"about {money(status.projected_period_spend)}, {days_text(status.days_left)} from now. "
            f"The bar measures it against a monthly allowance of {money(month.suggested_amount)}."
        )
        lines = counting_lines(status, options, label)
        self.sources.setText("\n".join(f"• {line}" for line in lines))
        self.sources.setVisible(bool(lines))
