"""The fields that define an allowance and a top-up, shared by the settings list and the edit dialog."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QFormLayout, QLineEdit, QSpinBox

from tokenwallet.domain.allowance import Cadence, Unit
from tokenwallet.ui.locale_dates import day_pattern


class AllowanceFields:
    """Name, amount, unit, cadence, start day and rollover, as one set of widgets."""

    def __init__(self, cadences: Iterable[Cadence]) -> None:
        self.name = QLineEdit()
        self.amount = QLineEdit()
        self.unit = QComboBox()
        self.unit.addItems([u.value for u in Unit])
        self.cadence = QComboBox()
        self.cadence.addItems([c.value for c in cadences])
        self.anchor = QSpinBox()
        self.anchor.setRange(1, 28)
        self.anchor.setToolTip("Day of the month (or weekday 1-7 for weekly) the period starts on")
        self.rollover = QCheckBox("Carry unspent value into the next period")
        self.cap = QLineEdit()
        self.cap.setPlaceholderText("rollover cap (empty: no cap)")

    def add_rows(self, form: QFormLayout) -> None:
        """Lay the fields out in ``form``, one labelled row each."""
        form.addRow("Name", self.name)
        form.addRow("Amount", self.amount)
        form.addRow("Unit", self.unit)
        form.addRow("Cadence", self.cadence)
        form.addRow("Starts on day", self.anchor)
        form.addRow("Rollover", self.rollover)
        form.addRow("", self.cap)


class TopupFields:
    """A top-up's amount and expiry (a day, or none)."""

    def __init__(self, placeholder: str) -> None:
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(placeholder)
        self.expires = QDateEdit()
        self.expires.setCalendarPopup(True)
        self.expires.setDisplayFormat(day_pattern())  # the dates of the dashboard, not '29 12 2026'
        self.expires.setDate(QDate.currentDate().addMonths(1))
        self.never = QCheckBox("No expiry")

    def expiry(self, zone: tzinfo) -> datetime | None:
        """The end of the chosen day in ``zone`` (a top-up lasts through its last day), or no expiry."""
        if self.never.isChecked():
            return None
        chosen = self.expires.date()
        day = date(chosen.year(), chosen.month(), chosen.day())
        return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
